/* query.h - the viewer's query strings, parsed and bounded.
 *
 * Every page that pages or filters reads the same few parameters; this
 * module turns a raw query string (hostile: anything a browser or a
 * script can send) into bounded values, and builds the links that keep
 * them (paging, sorting) from the parsed values only. */
#ifndef LR_VIEWER_QUERY_H
#define LR_VIEWER_QUERY_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;

#define QUERY_MAX_TEXT 100     /* bytes of a search text */
#define QUERY_MAX_PAGE 1000000 /* highest page number accepted */
#define QUERY_LIST_PER 50      /* dashboard rows, by default */
#define QUERY_LIST_PER_MAX 200 /* dashboard rows, at most */
#define QUERY_ROWS_PER 100     /* history rows, by default */
#define QUERY_ROWS_PER_MAX 500 /* history rows, at most */
#define QUERY_MAX_PROFILE 99   /* highest browser profile index */

enum query_sort {
	QUERY_SORT_UPDATED = 0, /* last update, newest first (default) */
	QUERY_SORT_NAME,        /* device name, A to Z, without case */
	QUERY_SORT_STATUS,      /* status in page_statuses order */
};

struct query {
	char q[QUERY_MAX_TEXT + 1]; /* search text: trimmed, no controls */
	char status[16];            /* a known status, or "" for any */
	enum query_sort sort;
	char view[16];  /* history: "visits", "downloads", "search_terms" */
	char svc[16];   /* services: "", "running", "stopped", "new",
			    "changed" */
	long long page; /* 1..QUERY_MAX_PAGE */
	int per;        /* 1..per_max */
	int profile;    /* browser profile index, 0..QUERY_MAX_PROFILE */
	bool download;  /* download=1: as an attachment */
	bool collected; /* collect=requested: the request was taken */
};

/* Parses the query string qs (may be NULL) into out.  per_default and
 * per_max bound the page size; a value that does not parse or is out of
 * range falls back to its default (page 1, per_default) or is clamped
 * (per above per_max gives per_max).  Unknown parameters are ignored. */
void query_parse(
    const char *qs, int per_default, int per_max, struct query *out);

/* The first row of the page: (page - 1) * per, saturated at max. */
size_t query_offset(const struct query *q, size_t max);

/* Appends "?k=v&..." for the non-default values of q, with page
 * replaced by page (0: left out), URL-encoded and then HTML-escaped, so
 * it can go into an href as is.  Keys: q, status, sort, view, svc,
 * profile, per. */
void query_link(struct evbuffer *out, const struct query *q, long long page);

/* The name of a sort ("updated", "name", "status"). */
const char *query_sort_name(enum query_sort s);

#endif
