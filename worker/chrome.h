/* chrome.h - Chromium "History" files (Chrome, Edge, Brave: one schema),
 * parsed into the browser_history entry of the data contract: visits,
 * downloads and search terms, newest first, each list capped, with the
 * real row counts beside them.
 *
 * The file is hostile (see chrome_db.h for how it is opened).  Beyond the
 * row caps and the cap on every text field, the JSON the lists of one
 * file may take is bounded by a byte budget: when it is spent, no more
 * rows are added and the entry says so. */
#ifndef LR_WORKER_CHROME_H
#define LR_WORKER_CHROME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CHROME_MAX_VISITS 5000
#define CHROME_MAX_DOWNLOADS 1000
#define CHROME_MAX_SEARCHES 1000
/* JSON bytes the lists of one History file may take. */
#define CHROME_BUDGET (8 * 1024 * 1024)

/* What one file may add to its entry. */
struct chrome_limits {
	int max_visits;          /* rows, newest first */
	int max_downloads;       /* rows, newest first */
	int max_searches;        /* rows, newest first */
	size_t budget;           /* JSON bytes of the lists together */
	const char *budget_what; /* ends the sentence when it is spent:
				    "for one History file" */
};

/* The defaults above (budget_what "for one History file"). */
void chrome_limits_default(struct chrome_limits *lim);

/* Chrome time (microseconds since 1601-01-01 UTC) to ms since the Unix
 * epoch. */
int64_t chrome_time_to_ms(int64_t chrome_us);
/* Writes Chrome time as ISO-8601 UTC with milliseconds into buf (at least
 * 25 bytes).  False for 0, negative and absurd values (before 1990 or
 * from 2200 on): the field is then left out. */
bool chrome_time_iso(int64_t chrome_us, char *buf, size_t size);

/* The name of a visit's transition (core type = transition & 0xff:
 * "link", "typed", ... "keyword_generated"), or NULL for an unknown
 * core type. */
const char *chrome_transition_name(int64_t transition);
/* A download's state ("in_progress", "complete", "cancelled",
 * "interrupted"; "unknown" for anything else). */
const char *chrome_download_state_name(int64_t state);
/* A download's danger type ("not_dangerous" ... "allowlisted_by_policy";
 * "unknown" for anything else). */
const char *chrome_danger_name(int64_t danger);

/* Parses the History database at path (our own temporary copy: its header
 * may be rewritten) into entry: "visits", "visits_total", "downloads",
 * "downloads_total", "search_terms", "search_terms_total".  Returns the
 * JSON bytes the lists take (for a job's budget); err is "" when all went
 * well, else a phrase completing "History file of jdoe ..." that says
 * what is missing (the lists read so far stay in entry).  Returns -1
 * (err set, entry untouched) when nothing could be read: not a SQLite
 * database, not a History database, corrupt. */
long chrome_history_file(const char *path, const struct chrome_limits *lim,
    json_t *entry, char *err, size_t errlen);
/* The same from len bytes in memory. */
long chrome_history_mem(const void *data, size_t len,
    const struct chrome_limits *lim, json_t *entry, char *err, size_t errlen);

#endif
