/* chrome.h - Chrome "History" files (SQLite databases), parsed from
 * memory or from a temporary file.
 *
 * The bytes come from an endpoint that may be compromised, so they are
 * opened read-only, with SQLite's defensive settings and a time
 * limit on every query. */
#ifndef LR_WORKER_CHROME_H
#define LR_WORKER_CHROME_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CHROME_MAX_VISITS 1000

/* Chrome time (microseconds since 1601-01-01 UTC) to ms since the Unix
 * epoch. */
int64_t chrome_time_to_ms(int64_t chrome_us);

/* Parses a History database: returns a new JSON array of at most max
 * visits {"url", "title", "visit_time": ISO-8601 UTC or null}, newest
 * first, from the visits table (or urls.last_visit_time when visits is
 * empty or missing).  Returns NULL on failure with err set to a phrase
 * that completes "History file of jdoe ...", e.g. "is not a valid SQLite
 * database". */
json_t *chrome_history_visits(
    const void *data, size_t len, int max, char *err, size_t errlen);

/* The same for a History file at path (our own temporary copy: its
 * header may be rewritten), opened read-only, so the file need not fit in
 * memory. */
json_t *chrome_history_visits_file(
    const char *path, int max, char *err, size_t errlen);

#endif
