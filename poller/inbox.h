/* inbox.h - the poller's inbox of manual collection requests.
 *
 * The viewer's "collect now" adds an entry to the stream P:requests
 * (device_id, who, at, source manual).  The poller reads it in the
 * consumer group INBOX_GROUP as INBOX_CONSUMER, hands each entry to a
 * callback (which queues the job) and XACKs it only once the callback
 * says it is done: an entry read but not acked stays pending, and is
 * read again at the next start (its own pending entries, then any other
 * consumer's idle for INBOX_IDLE_MS, with XAUTOCLAIM), so a crash loses
 * none. */
#ifndef LR_INBOX_H
#define LR_INBOX_H

#include <stdint.h>

#include "rconn.h"

#define INBOX_GROUP "lrflow-poller"
#define INBOX_CONSUMER "lr-poller"
#define INBOX_IDLE_MS 30000    /* another consumer's entry is taken over */
#define INBOX_BATCH 100        /* entries per read */
#define INBOX_RECLAIM_MS 60000 /* how often pending entries are looked at */

/* One request, as read (strings borrowed for the callback's duration). */
struct inbox_request {
	const char *id;    /* the stream entry id */
	int64_t device_id; /* valid (util_parse_device_id) */
	const char *who;   /* "-" when not said */
	const char *at;    /* "" when not said */
};

/* Handles r.  Returns 0 when it is done with (the entry is acked), -1
 * when it must be read again later (Redis failed: stop for now). */
typedef int inbox_fn(void *arg, const struct inbox_request *r);

struct inbox;

/* An inbox on rc (borrowed) for P:requests. */
struct inbox *inbox_new(struct rconn *rc, const char *prefix);
void inbox_free(struct inbox *in);
/* Reads what is waiting and calls fn for each entry: first, at the
 * first call and every INBOX_RECLAIM_MS, the pending ones; then new ones,
 * waiting up to block_ms for one (0: no wait).  An entry without a valid
 * device id is logged, counted (requests_malformed) and acked without
 * fn.  Returns the number of entries handled, or -1 when Redis failed or
 * fn asked to stop (the rest is read again later). */
int inbox_poll(struct inbox *in, int block_ms, inbox_fn *fn, void *arg);

#endif
