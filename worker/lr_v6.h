/* lr_v6.h - what the v6 back end makes of Carbon Black Cloud's answers,
 * exported so tests can feed it the fixtures without HTTP. */
#ifndef LR_WORKER_LR_V6_H
#define LR_WORKER_LR_V6_H

#include <stddef.h>

#include <jansson.h>

#include "lr.h"

/* The session id of a session create answer ("1:2468"): a new string,
 * or NULL if there is none. */
char *lr_v6_session_id(json_t *session);
/* The body of POST .../commands: name, the argument as "path" (never
 * "object"), session_id, and the extra fields (borrowed, or NULL).
 * Returns a new object. */
json_t *lr_v6_command_body(
    const char *sid, const char *name, const char *arg, json_t *extra);
/* Copies the file id of a "get file" command into buf: file_details.
 * file_id (a UUID) of the submit answer or the completed command, else a
 * top-level file_id (v3 shape).  0, or -1 if there is none or it could
 * not go into a URL. */
int lr_v6_file_id(json_t *submitted, json_t *completed, char *buf, size_t size);
/* Fills *out (zeroed by the caller) from a Devices v6 record: name,
 * os + os_version, last_contact_time, sensor_states.  0, or -1 if body
 * is not a device record. */
int lr_v6_device_parse(json_t *body, struct lr_device *out);
/* The processes array of a completed "process list" (borrowed). */
json_t *lr_v6_processes(json_t *completed);
/* The permission a command needs (cb-api.md §3.1), for error messages:
 * "org.liveresponse.file READ". */
const char *lr_v6_permission(const char *command);

#endif
