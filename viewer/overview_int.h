/* overview_int.h - what the two halves of the overview share: overview.c
 * reads Redis in stages and answers; overview_rows.c turns the replies
 * into the status counts and one page of the device list.
 *
 * Two ways to list devices:
 *
 * The index.  P:bystatus:<status> (a ZSET of device ids per status, kept
 * by every script that writes a result's status) and P:status_index (set
 * once those sets are complete).  With it, the counts are a ZCARD per
 * status, and the newest-first list, filtered by status or not, is a
 * ZREVRANGE of one page of P:devices or P:bystatus:<status> plus one HMGET
 * per row: the same few commands at 1000 devices or 1,000,000.
 *
 * The bounded scan.  The newest OVERVIEW_SCAN_MAX ids of P:devices and
 * one HMGET each, searched, counted and sorted here.  It serves a search
 * by text, the sorts by name and by status, /metrics (its duration
 * histogram needs every finished device), and every request while
 * P:status_index is missing (data older than the index, or a rebuild in
 * progress), so the counts are never those of a half-built index. */
#ifndef LR_VIEWER_OVERVIEW_INT_H
#define LR_VIEWER_OVERVIEW_INT_H

#include <stdint.h>

#include <jansson.h>

struct evbuffer;

#include "viewer_int.h"

#define OVERVIEW_SCAN_MAX 10000 /* devices read for search and sorts */

/* Stage 1 replies (overview.c): first what the list needs (all that
 * /api/devices sends), S1_BYSTATUS + k being the ZCARD of
 * P:bystatus:<page_statuses[k]>; then the pipeline's numbers. */
#define OVERVIEW_NSTATUS 5 /* page_statuses */
enum {
	S1_DEVICES, /* ZREVRANGE ... WITHSCORES: one page, or the scan */
	S1_NDEVICES,
	S1_INDEX, /* EXISTS P:status_index */
	S1_BYSTATUS,
	S1_TIME = S1_BYSTATUS + OVERVIEW_NSTATUS,
	S1_QUEUE,
	S1_INFLIGHT,
	S1_STATS,
	S1_DEADTYPE,
	S1_RETRY,
	S1_MEMORY,
	S1_PAUSE,
	S1_RETRY_NEXT,
};
/* Stage 2 replies: the pipeline's numbers (not for /api/devices), then
 * one HMGET per id of S1_DEVICES, then (a status page from the index) one
 * ZSCORE P:devices per id. */
enum { S2_WORKERS, S2_SESSIONS, S2_DEAD, S2_DEAD_RECENT, S2_FIRST_DEVICE };

/* Where the HMGET replies start among w's stage 2 replies. */
static inline size_t
overview_first_row(const struct view *w)
{
	return w->kind == VIEW_API_DEVICES ? 0 : S2_FIRST_DEVICE;
}

/* The fields read per device, in HMGET order; users only to search. */
enum { F_NAME, F_STATUS, F_STEP, F_ERROR, F_STARTED, F_FINISHED, F_USERS };
extern const char *const overview_fields[];

/* A device id read, and its P:devices score (ms; 0 when not a time). */
struct overview_id {
	int64_t id, ms;
};

/* struct view's flags. */
#define OVERVIEW_SCAN 0x1  /* the bounded scan lists the devices */
#define OVERVIEW_INDEX 0x2 /* P:status_index exists */

/* True when w's query needs the bounded scan whatever the index says. */
bool overview_needs_scan(const struct view *w);
/* The page the index lists ("start", "stop" of a ZREVRANGE). */
void overview_page_range(
    const struct view *w, char *start, char *stop, size_t size);

/* From the stage 2 replies: fills counts ({status: n, "other": n}, all
 * present at 0) and, with the scan, dur (the duration histogram), and
 * returns a new /api/devices object for w's query. */
json_t *overview_list(
    struct view *w, const json_t *replies, json_t *counts, json_t *dur);

/* util_iso8601()'s text for ms, faster (a page row has one). */
const char *overview_iso_ms(int64_t ms, char *buf, size_t size);

/* overview_join.c */
/* When a read for the same route and query is in flight, joins w to it
 * and returns true (w is answered with it); else makes w the leader of a
 * new read and returns false. */
bool overview_join(struct view *w);
/* Answers the leader w and every request joined to it: 200, ctype, the
 * bytes of body (left for the caller to free).  Frees the views. */
void overview_answer(struct view *w, const char *ctype, struct evbuffer *body);
/* Answers them all 503 (Redis unavailable) and frees the views. */
void overview_fail(struct view *w);

#endif
