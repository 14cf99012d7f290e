/* routes_sim.h - unauthenticated /_sim admin routes tests use to inspect
 * and steer the simulator. */
#ifndef CBSIM_ROUTES_SIM_H
#define CBSIM_ROUTES_SIM_H

#include "server.h"

extern const struct route routes_sim[];

#endif
