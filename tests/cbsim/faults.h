/* faults.h - failures injected with POST /_sim/fault, and the pauses the
 * 429s among the answers ask for.
 *
 * A fault is armed per route name ("sessions", "commands", ... "any") for
 * the next `count` requests of that route.  server_fault() (server.h)
 * takes them and answers; this module holds the bookkeeping: parsing,
 * which fault a request gets, and the Retry-After pauses behind
 * /_sim/stats rate_limited and requests_in_pause. */
#ifndef CBSIM_FAULTS_H
#define CBSIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim.h"

/* Time after a 429 leaves during which requests already on their way do
 * not count as ignoring it. */
#define FAULTS_PAUSE_GRACE_MS 250

/* Returns route's name in /_sim/fault ("any" for SIM_FAULT_ANY). */
const char *faults_route_name(enum sim_fault_route route);
/* Parses a /_sim/fault body (borrowed) into *route and *f.  Returns 0, or
 * -1 with a one-line reason in err. */
int faults_parse(json_t *body, enum sim_fault_route *route, struct sim_fault *f,
    char *err, size_t errsize);
/* Takes one request's worth of the fault pending on route, else of the one
 * on "any".  Returns a copy in *out and true, or false if neither is
 * pending.  Counts faults_served. */
bool faults_take(
    struct sim *s, enum sim_fault_route route, struct sim_fault *out);
/* A 429 with Retry-After retry_after (s) leaves at at_ms: counts it and
 * remembers [at_ms + grace, at_ms + retry_after s] as a pause. */
void faults_note_429(struct sim *s, int64_t at_ms, int retry_after);
/* True if now_ms falls inside a remembered pause.  Forgets pauses that are
 * over (time only moves forward). */
bool faults_in_pause(struct sim *s, int64_t now_ms);

#endif
