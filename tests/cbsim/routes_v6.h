/* routes_v6.h - Live Response v6 and Devices v6 under
 * /appservices/v6/orgs/{org_key} (API key, org key checked). */
#ifndef CBSIM_ROUTES_V6_H
#define CBSIM_ROUTES_V6_H

#include "server.h"

extern const struct route routes_v6[];

#endif
