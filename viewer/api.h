/* api.h - the viewer's JSON and Prometheus bodies, built with jansson from
 * data already read from Redis (no server, no Redis: testable). */
#ifndef LR_VIEWER_API_H
#define LR_VIEWER_API_H

#include <jansson.h>

struct evbuffer;

/* Result-hash fields that hold JSON text (NULL-terminated). */
extern const char *const api_json_fields[];

/* Returns a new object: the result hash fields (an object of strings) with
 * the JSON-valued fields embedded as JSON; a field that does not parse
 * stays a string. */
json_t *api_device(const json_t *fields);
/* Returns a new {"devices": devices, "count": N, "matched": matched,
 * "scanned": scanned, "total": total}: one page of the devices that match
 * a query, how many matched, how many were searched, how many exist. */
json_t *api_devices(const json_t *devices, json_int_t matched,
    json_int_t scanned, json_int_t total);

/* The upper bounds (seconds) of the collection-duration histogram. */
#define API_NBUCKETS 8
extern const double api_duration_buckets[API_NBUCKETS];
/* Appends the Prometheus text exposition of overview (the /api/stats
 * object, with "durations" from the devices scanned) to out. */
void api_metrics(struct evbuffer *out, const json_t *overview);
/* Returns a new string: compact json_dumps of v plus a newline (caller
 * frees). */
char *api_dump(const json_t *v);

#endif
