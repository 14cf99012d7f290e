/* store_int.h - what the parts of the viewer's store share (store.h):
 * the connection's state, and the conversion of replies to JSON.
 *
 * store.c keeps the hiredis async connection up (connect, reconnect with
 * backoff, the watchdog); store_batch.c sends batches and raw commands on
 * it and counts what is pending; store_json.c turns replies into JSON. */
#ifndef LR_VIEWER_STORE_INT_H
#define LR_VIEWER_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <event2/util.h>
#include <jansson.h>

#include "store.h"

#define STORE_READBUF_KEEP (1024 * 1024) /* hiredis read buffer kept */

struct store {
	struct event_base *base; /* borrowed */
	struct rconn_addr addr;  /* where Redis is (sentinel: re-resolved) */
	redisAsyncContext *ac;   /* NULL while disconnected */
	bool ready;              /* ac connected */
	bool warned;             /* "redis unavailable" already logged */
	bool stopping;           /* store_free() running: no reconnect */
	int backoff_ms;          /* next reconnect delay */
	int64_t since_ms;        /* connect start, or last progress */
	int pending;             /* commands sent, not answered */
	struct event *retry;     /* reconnect timer */
	struct event *watchdog;  /* periodic stall check */
	char desc[300];          /* "unix:/path" or "host:port", for logs */
	/* Sentinel: the lookup of the primary, one sentinel at a time. */
	redisAsyncContext *sac;     /* the sentinel being asked, or NULL */
	int sidx;                   /* its index in addr.sentinel_host */
	struct event *sentinel_tmo; /* the answer's deadline */
	bool checking;              /* the lookup only checks s->ac's server */
	int64_t checked_ms;         /* when the last check started */
};

/* store.c */
/* Connects (Sentinel: looks the primary up first, asynchronously). */
void store_start(struct store *s);
/* One connection attempt to s->addr as it stands. */
void store_connect(struct store *s);
/* Drops the connection and schedules the next attempt. */
void store_drop(struct store *s, const char *why);
void store_schedule(struct store *s);
void store_unavailable(struct store *s, const char *what, const char *why);

/* store_sentinel.c */
/* Asks the sentinels, one at a time and each for at most
 * STORE_SENTINEL_MS, for the primary; on an answer sets s->addr.host/port
 * and calls store_connect(), else schedules a retry.  Never blocks. */
void store_sentinel_lookup(struct store *s);
void store_sentinel_on_timeout(evutil_socket_t fd, short what, void *arg);
/* Abandons a lookup in progress (store_free). */
void store_sentinel_stop(struct store *s);
/* On a new connection: names it, and (Sentinel) checks it is the primary. */
void store_after_connect(struct store *s);
/* From the watchdog: (Sentinel) asks the sentinels every STORE_CHECK_MS
 * whether the primary moved, and drops the connection when it did. */
void store_sentinel_watch(struct store *s);
/* A command on s's connection got the error err: when it says the server
 * is no longer the primary (READONLY after a failover, ...), drops the
 * connection so the next one finds the primary again. */
void store_check_error(struct store *s, const char *err);

/* Returns a new JSON value for r (see store.h for the mapping). */
json_t *store_reply_json(const redisReply *r);

/* The start of a reply to a command the connection sends itself (AUTH,
 * SELECT, ROLE): counts it answered.  False when it is for an older
 * connection, or NULL (the connection is going away). */
bool store_own_reply(
    struct store *s, const redisAsyncContext *ac, const redisReply *r);

#endif
