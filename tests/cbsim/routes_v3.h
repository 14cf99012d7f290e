/* routes_v3.h - the legacy /integrationServices/v3 API: notifications
 * (SIEM key), devices and Live Response (API key). */
#ifndef CBSIM_ROUTES_V3_H
#define CBSIM_ROUTES_V3_H

#include "server.h"

extern const struct route routes_v3[];

#endif
