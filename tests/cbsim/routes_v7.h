/* routes_v7.h - Alerts v7 search under /api/alerts/v7/orgs/{org_key}
 * (API key, org key checked). */
#ifndef CBSIM_ROUTES_V7_H
#define CBSIM_ROUTES_V7_H

#include "server.h"

extern const struct route routes_v7[];

#endif
