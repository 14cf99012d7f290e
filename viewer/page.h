/* page.h - the viewer's HTML: one escape function and the pages.
 *
 * Everything here renders into a caller's evbuffer from JSON data, with no
 * server and no Redis, so tests can check the output directly.  Every
 * string that came from the cloud or the endpoint goes through
 * page_escape(), bounded to PAGE_MAX_STR bytes; tables are capped. */
#ifndef LR_VIEWER_PAGE_H
#define LR_VIEWER_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct evbuffer;

#define PAGE_MAX_STR 2048     /* bytes of one rendered string */
#define PAGE_MAX_ROWS 1000    /* rows of one table or list */
#define PAGE_MAX_VISITS 5000  /* history rows on one device page */
#define PAGE_MAX_PROFILES 100 /* browser profiles on one page */
#define PAGE_MAX_RAW 65536    /* bytes of a raw JSON dump */
#define PAGE_MAX_DEVICES 500  /* rows of the dashboard table */

/* The statuses a result can have, in display order (NULL-terminated). */
extern const char *const page_statuses[];

/* Appends s with & < > " ' replaced by entities.  At most max bytes of s
 * are used (cut at a UTF-8 character boundary, then "…" is appended);
 * NULL appends nothing. */
void page_escape(struct evbuffer *out, const char *s, size_t max);
/* Returns page_escape()'s output as a new string (caller frees). */
char *page_escape_str(const char *s, size_t max);

/* The document head (inline style only, optional meta refresh when
 * refresh_s > 0) and tail.  title is escaped. */
void page_begin(struct evbuffer *out, const char *title, int refresh_s);
void page_end(struct evbuffer *out);
/* A whole page saying what went wrong (title and text are escaped). */
void page_message(struct evbuffer *out, const char *title, const char *text);

/* The dashboard.  overview is the /api/stats object (status_counts,
 * queue_depth, inflight, workers_live, sessions_in_use, dead,
 * devices_total); devices is the /api/devices "devices" array. */
void page_dashboard(
    struct evbuffer *out, const json_t *overview, const json_t *devices);
/* The device page.  fields is the result hash as an object of strings
 * (JSON-valued fields still as text); runs is an array of past runs (each
 * a JSON text or any JSON value), or NULL. */
void page_device(
    struct evbuffer *out, int64_t id, const json_t *fields, const json_t *runs);

#endif
