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
struct store_batch;

#include "viewer_int.h"

#define OVERVIEW_SCAN_MAX 10000 /* devices read for search and sorts */

/* Stage 1 replies (overview.c): first what the list needs (all that
 * /api/devices sends), S1_BYSTATUS + k being the ZCARD of
 * P:bystatus:<page_statuses[k]>; then the pipeline's numbers. */
#define OVERVIEW_NSTATUS 5 /* page_statuses */
enum {
	S1_DEVICES, /* ZREVRANGE ... WITHSCORES: one page, or the scan */
	S1_NDEVICES,
	S1_INDEX, /* GET P:status_index */
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
 * one HMGET per id of S1_DEVICES.  When a guess held (overview_read.c) they
 * follow stage 1's in the same batch: w->s2 and w->row0 say where. */
enum { S2_WORKERS, S2_SESSIONS, S2_DEAD, S2_DEAD_RECENT, S2_FIRST_DEVICE };

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
#define OVERVIEW_GUESS 0x4 /* stage 1 holds a guess's stage 2 too */
#define OVERVIEW_DEADZ 0x8 /* the guess read P:dead as a ZSET */

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

/* overview_read.c */
/* Adds the list's commands (S1_DEVICES to the ZCARDs of the status sets)
 * for w to b; returns a new "key start stop" naming its ZREVRANGE. */
char *overview_cmds_list(struct view *w, struct store_batch *b);
/* Adds stage 1's pipeline numbers (S1_TIME on). */
void overview_cmds_first(struct viewer *v, struct store_batch *b);
/* Redis's time in ms from stage 1's TIME (0 if absent). */
int64_t overview_redis_ms(const json_t *first);
/* Adds stage 2's numbers (S2_WORKERS to S2_DEAD_RECENT) as of now_ms,
 * P:dead read as a ZSET or a list. */
void overview_cmds_numbers(
    struct viewer *v, struct store_batch *b, int64_t now_ms, bool dead_zset);
/* w->idv: the ids of stage 1's S1_DEVICES. */
void overview_parse_ids(struct view *w);
/* Adds an HMGET per id. */
void overview_cmds_rows(struct view *w, struct store_batch *b,
    const struct overview_id *ids, size_t n);
/* The ids the page named what had at its last read, or NULL. */
const struct overview_id *overview_guess(
    struct viewer *v, const char *what, size_t *n);
/* Keeps ids as the page's guess (the most recent GUESS_MAX pages). */
void overview_guess_keep(struct viewer *v, const char *what,
    const struct overview_id *ids, size_t n);
/* True when ids[0..n) are w->idv, in order. */
bool overview_guess_held(
    const struct view *w, const struct overview_id *ids, size_t n);
void overview_guess_free(struct viewer *v);
/* /api/devices: when this read's replies (w->first, and replies when it
 * took two round trips) are those the page's last answer was made from,
 * answers w with that answer's bytes and returns true.  Else keeps
 * replies in w for overview_keep() and returns false. */
bool overview_unchanged(struct view *w, json_t *replies);
/* Keeps body as the page's answer, with the replies it was made from. */
void overview_keep(struct view *w, const char *body, size_t len);
/* The page's last list (a new reference) when this read's replies for
 * it (the list's part of stage 1, the rows') are those it was made from;
 * else NULL. */
json_t *overview_list_cached(struct view *w, const json_t *replies);
/* Keeps list as the page's list, with the replies it was made from. */
void overview_list_keep(struct view *w, const json_t *replies, json_t *list);

/* overview_join.c */
/* When a read for the same route and query is in flight, joins w to it
 * and returns true (w is answered with it); else makes w the leader of a
 * new read and returns false. */
bool overview_join(struct view *w);
/* Answers the leader w and every request joined to it: 200, ctype, the
 * bytes of body (left for the caller to free).  Frees the views. */
void overview_answer(struct view *w, const char *ctype, struct evbuffer *body);
/* The same with len bytes from bytes (copied). */
void overview_answer_bytes(
    struct view *w, const char *ctype, const char *bytes, size_t len);
/* Answers them all 503 (Redis unavailable) and frees the views. */
void overview_fail(struct view *w);

#endif
