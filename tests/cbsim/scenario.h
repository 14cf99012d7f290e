/* scenario.h - the JSON scenario a simulator run follows: timings, keys,
 * devices and scheduled notifications (see README.md for the format). */
#ifndef CBSIM_SCENARIO_H
#define CBSIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sim.h"

/* Loads the scenario file at path into s.  Returns 0, or -1 with a one-line
 * reason in err. */
int scenario_load(struct sim *s, const char *path, char *err, size_t errsize);
/* Loads the built-in scenario: devices 21212, 31337 and 40404. */
void scenario_default(struct sim *s);
/* Parses one device object (borrowed).  Returns a new device (not yet
 * added), or NULL with err set. */
struct sim_device *scenario_device(json_t *obj, char *err, size_t errsize);
/* Returns d's user named name, added if absent (borrowed). */
struct sim_user *scenario_add_user(struct sim_device *d, const char *name);
/* True if key is a usable org key: 1..64 ASCII letters and digits. */
bool scenario_org_key_ok(const char *key);

#endif
