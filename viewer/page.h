/* page.h - the viewer's HTML: escaping, shared helpers and the pages.
 *
 * Everything here renders into a caller's evbuffer from JSON data, with no
 * server and no Redis, so tests can check the output directly.  Every
 * string that came from the cloud or the endpoint goes through
 * page_escape(), bounded to PAGE_MAX_STR bytes; tables are capped or
 * paged.  No inline script or style: the pages link /static/app.css and
 * /static/app.js (assets.c), which the Content-Security-Policy allows
 * ('self'); the pages work fully without the script.
 *
 * page.c holds the helpers and the frame of every page, page_dash.c the
 * dashboard, page_dev.c the device page and page_hist.c its browser
 * history views. */
#ifndef LR_VIEWER_PAGE_H
#define LR_VIEWER_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct evbuffer;
struct query;

#define PAGE_MAX_STR 2048     /* bytes of one rendered string */
#define PAGE_MAX_ROWS 1000    /* rows of one unpaged table or list */
#define PAGE_MAX_PROFILES 100 /* browser profiles on one page */
#define PAGE_MAX_RAW 65536    /* bytes of a raw JSON dump */
#define PAGE_MAX_TIMELINE 200 /* timeline rows on the device page */
#define PAGE_MAX_DEAD 10      /* dead and deferred jobs on the dashboard */

/* The statuses a result can have, in display order (NULL-terminated). */
extern const char *const page_statuses[];

/* What every page needs besides its data. */
struct page_ctx {
	int64_t now_ms;         /* for "3 min ago" */
	const char *org;        /* header: the org, or the Redis prefix */
	const char *token;      /* collect-now token (csrf.h), or NULL */
	const char *health;     /* "ok", "degraded", "down", or NULL */
	const char *health_why; /* a sentence, or NULL */
	int refresh_s;          /* > 0: without the script, reload this often */
};

/* Appends s with & < > " ' replaced by entities and Unicode direction
 * controls shown as "[U+202E]".  At most max bytes of s are used (cut at
 * a UTF-8 character boundary, then "…" is appended); NULL appends
 * nothing. */
void page_escape(struct evbuffer *out, const char *s, size_t max);
/* Returns page_escape()'s output as a new string (caller frees). */
char *page_escape_str(const char *s, size_t max);

/* Appends a literal or trusted string. */
void page_put(struct evbuffer *out, const char *s);
/* Appends a JSON scalar as escaped text; arrays and objects as compact
 * JSON text (escaped); NULL or null as nothing. */
void page_value(struct evbuffer *out, const json_t *v);
/* Appends the escaped string field name of obj, or nothing. */
void page_field(struct evbuffer *out, const json_t *obj, const char *name);
/* The string field name of obj, or NULL. */
const char *page_str(const json_t *obj, const char *name);
/* Returns a new value parsed from the JSON text in field name of fields,
 * or NULL. */
json_t *page_parse(const json_t *fields, const char *name);
/* A class for a status, from a fixed list (never the value itself). */
const char *page_status_class(const char *status);

/* Parses a time: an ISO-8601 string, or a number (Chrome's microseconds
 * since 1601, or ms or s since 1970).  ms since the epoch, or -1. */
int64_t page_time_ms(const json_t *v);
/* Appends v in decimal. */
void page_int(struct evbuffer *out, int64_t v);
/* util_iso8601()'s text for ms ("2026-11-29T13:45:00.000Z"), faster. */
const char *page_iso_ms(int64_t ms, char *buf, size_t size);
/* Appends "3 min ago" (or "in 2 h") for ms against now_ms. */
void page_ago(struct evbuffer *out, int64_t ms, int64_t now_ms);
/* Appends <time datetime="ISO" title="ISO">3 min ago</time> for a time
 * value (see page_time_ms); a value that is not a time is shown as
 * escaped text; NULL as nothing. */
void page_when(struct evbuffer *out, const json_t *v, int64_t now_ms);
/* The same for ms since the epoch (<= 0: nothing). */
void page_when_ms(struct evbuffer *out, int64_t ms, int64_t now_ms);

/* True for a download danger type worth a highlight (anything but
 * not_dangerous, allowlisted_by_policy, unknown or nothing). */
bool page_dangerous(const char *danger_type);
/* Writes "Showing shown of N what." when fewer than N are shown; N is the
 * collector's total (an integer, else NULL) or have, whichever is more. */
void page_shown_of(struct evbuffer *out, size_t shown, size_t have,
    const json_t *total, const char *what);

/* Paging: "Showing a–b of n" and previous/next links that keep q.
 * base is our own path (trusted).  total is the number of rows matched;
 * of (>= total) the number before filtering, said when larger. */
void page_pager(struct evbuffer *out, const char *base, const struct query *q,
    size_t total, size_t of);

/* The document head (our stylesheet and script) and the header bar with
 * the org and the pipeline health; then the tail. */
void page_begin(
    struct evbuffer *out, const struct page_ctx *ctx, const char *title);
void page_end(struct evbuffer *out);
/* A whole page saying what went wrong (title and text are escaped). */
void page_message(struct evbuffer *out, const char *title, const char *text);

/* The dashboard.  overview is the /api/stats object; list is the
 * /api/devices object for q ({"devices", "matched", ...}). */
void page_dashboard(struct evbuffer *out, const struct page_ctx *ctx,
    const json_t *overview, const json_t *list, const struct query *q);
/* The device page.  fields is the result hash as an object of strings
 * (JSON-valued fields still as text); runs is an array of past runs (each
 * a JSON text or any JSON value), or NULL; q holds the services filter. */
void page_device(struct evbuffer *out, const struct page_ctx *ctx, int64_t id,
    const json_t *fields, const json_t *runs, const struct query *q);
/* The device page's evidence sections (page_evid.c): services filtered
 * by q->svc and q->q, users, the browser profiles table; and a link to
 * the raw file of profile h (when its sha256 looks like one: the route
 * checks again that the device references it). */
void page_services(struct evbuffer *out, int64_t id, const json_t *fields,
    const struct query *q, int64_t now_ms);
void page_users(struct evbuffer *out, const json_t *fields);
void page_profiles(struct evbuffer *out, int64_t id, const json_t *fields);
void page_artifact_link(struct evbuffer *out, int64_t id, const json_t *h);

/* One browser profile's visits, downloads or search terms (q->view),
 * filtered by q->q and paged. */
void page_history(struct evbuffer *out, const struct page_ctx *ctx, int64_t id,
    const json_t *fields, const struct query *q);

#endif
