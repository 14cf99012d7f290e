/* export.h - a device's tables as CSV (csv.h): visits, downloads and
 * search terms of every browser profile, services, timeline.  Built from
 * the result hash alone (no server, no Redis: testable). */
#ifndef LR_VIEWER_EXPORT_H
#define LR_VIEWER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct evbuffer;

/* True for a table name export_csv() knows. */
bool export_table_known(const char *table);
/* Appends table of fields (the result hash as an object of strings) as
 * CSV, a header row first, at most CSV_MAX_ROWS rows.  Returns the number
 * of rows (without the header). */
size_t export_csv(
    struct evbuffer *out, const char *table, const json_t *fields);

#endif
