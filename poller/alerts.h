/* alerts.h - Alerts v7 search payloads: the query the poller sends and
 * the alerts it reads back (cb-api.md §3.4). */
#ifndef LR_ALERTS_H
#define LR_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ALERTS_MAX_ROWS 10000 /* the API's cap on rows and on start+rows */
/* Rows per search: an alert is 2-4 KB of JSON, so 10000 would be tens of
 * megabytes in one answer; 2500 keep it under about 10 MB. */
#define ALERTS_PAGE_ROWS 2500

struct alert_filter {
	const char *types;    /* "CB_ANALYTICS,WATCHLIST" or NULL: all */
	int min_severity;     /* 0: any */
	const char *policies; /* "Standard,Servers" or NULL: any */
	const int64_t *allow; /* only these devices (nallow > 0) */
	size_t nallow;
	const int64_t *deny; /* never these devices */
	size_t ndeny;
};

struct alert {
	const char *id; /* borrowed from the alert JSON */
	int64_t device_id;
	const char *type;        /* borrowed; may be NULL */
	int severity;            /* -1 if absent */
	int64_t backend_ms;      /* backend_timestamp in ms */
	const char *device_name; /* borrowed; may be NULL */
	const char *policy;      /* borrowed; may be NULL */
};

/* The search body for backend_timestamp in [start_ms, end_ms], oldest
 * first, rows at a time from the 1-based offset (1: omitted).  New
 * reference. */
json_t *alerts_query(const struct alert_filter *f, int64_t start_ms,
    int64_t end_ms, int rows, int offset);

/* Checks a search answer and returns its "results" (borrowed) with
 * *num_found, or NULL with the reason in err. */
json_t *alerts_results(
    json_t *body, long long *num_found, char *err, size_t errlen);

/* Reads one alert.  -1 with the reason in err when it has no id, no
 * usable device_id or no backend_timestamp. */
int alerts_parse(json_t *a, struct alert *out, char *err, size_t errlen);

/* Applies the filters locally too (the deny list, and a check that the
 * cloud honoured the criteria). */
bool alerts_wanted(const struct alert_filter *f, const struct alert *a);

#endif
