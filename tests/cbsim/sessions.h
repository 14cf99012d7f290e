/* sessions.h - how Live Response sessions end or change without the
 * client asking: the cloud's idle timeout, sessions dropped by
 * /_sim/drop_session or a deleted device, and pending sessions of a device
 * replaced through /_sim/device.  Also the "Get All Sessions" listing.
 *
 * Like the rest of the simulator this is computed from timestamps: the
 * server sweeps idle sessions before it handles each request, so a session
 * is gone by the time anyone can look at it. */
#ifndef CBSIM_SESSIONS_H
#define CBSIM_SESSIONS_H

#include <stdint.h>

#include <jansson.h>

#include "sim.h"

/* Renders one session as an API version shows it (new reference). */
typedef json_t *sessions_render_fn(
    const struct sim *s, const struct sim_session *ss);

/* Restarts ss's idle timer: a command or keepalive arrived at now_ms. */
void sessions_touch(struct sim_session *ss, int64_t now_ms);
/* Drops every open session idle for s->session_idle_ms by now_ms (none
 * when it is 0), dated when their timer ran out. */
void sessions_expire(struct sim *s, int64_t now_ms);
/* Drops device_id's open sessions at now_ms; returns how many. */
long long sessions_drop_device(
    struct sim *s, int64_t device_id, int64_t now_ms);
/* d (borrowed) replaced a device with its id: its open sessions still
 * waiting for the sensor now check in as d does, counted from their
 * creation but not before now_ms (never, if d never checks in). */
void sessions_retime(struct sim *s, const struct sim_device *d, int64_t now_ms);
/* Returns every open session, oldest first, rendered by render (new
 * array). */
json_t *sessions_list(const struct sim *s, sessions_render_fn *render);

#endif
