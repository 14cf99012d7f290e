/* devices.h - what a device's Live Response settings mean to the API
 * (sensor_states, refusing a session) and deleting a device. */
#ifndef CBSIM_DEVICES_H
#define CBSIM_DEVICES_H

#include <stdint.h>

#include <jansson.h>

#include "sim.h"

/* Returns d's sensor states, as both the v6 sensor_states and the v3
 * sensorStates list them (new array). */
json_t *devices_sensor_states(const struct sim_device *d);
/* Returns why d cannot open a Live Response session (new string), or NULL
 * if it can. */
char *devices_lr_refusal(const struct sim_device *d);
/* Removes the device with this id, dropping its open sessions as the
 * cloud would.  0, or -1 if there is none. */
int devices_remove(struct sim *s, int64_t id);

#endif
