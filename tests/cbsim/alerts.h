/* alerts.h - the simulator's v7 alerts: creation from the scenario and
 * /_sim/alerts, a store sorted by backend_timestamp, and the search the
 * Alerts v7 _search route runs over it. */
#ifndef CBSIM_ALERTS_H
#define CBSIM_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim.h"

#define ALERTS_MAX_WINDOW 10000 /* the API never serves past this result */
#define ALERTS_MAX_COUNT 100000 /* alerts one spec may create */

/* Creates the alerts an "alerts" spec object (borrowed) describes:
 * {"device_id":N, "devices":N, "type":..., "severity":1..10, "count":N,
 *  "spacing_ms":N, "policy":...} (alert i for device_id + i % devices) timed by "at" (seconds after start, searchable from then)
 * or, if admin, "age_s" (now - age_s, searchable at once).  Up to nids of
 * the new ids are copied into ids (a json array, borrowed) if non-NULL.
 * Returns the number created, or -1 with err set. */
long long alerts_add_spec(struct sim *s, json_t *spec, bool admin, json_t *ids,
    char *err, size_t errsize);
/* Stores raw (stolen) verbatim; a JSON object without a string
 * backend_timestamp gets one of now.  Returns its id, or NULL if it has
 * no string id. */
const char *alerts_add_raw(struct sim *s, json_t *raw);

/* Runs an Alerts v7 search request body (borrowed).  Returns the response
 * object (new reference) with *status 200, or an error body with *status
 * 400. */
json_t *alerts_search(struct sim *s, json_t *req, int *status);

#endif
