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
#include <jansson.h>

#include "store.h"

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
};

/* Returns a new JSON value for r (see store.h for the mapping). */
json_t *store_reply_json(const redisReply *r);

#endif
