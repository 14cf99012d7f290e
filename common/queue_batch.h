/* queue_batch.h - many enqueues in one round trip.
 *
 * queue_enqueue() costs a round trip per alert; a search page of
 * thousands of alerts would wait on each.  Here the same enqueue script
 * runs once per alert, but the calls go out QUEUE_BATCH_MAX at a time as
 * one pipeline.  Redis runs one connection's commands in the order sent
 * and each script whole, so the results are those of queue_enqueue()
 * called for each alert in turn: the same queued, coalesced and duplicate
 * answers, the same jobs in the same order. */
#ifndef LR_QUEUE_BATCH_H
#define LR_QUEUE_BATCH_H

#include <stddef.h>

#include "queue.h"
#include "rconn.h"

/* Enqueue scripts sent in one pipeline, at most: a few hundred alerts of
 * a few KB each is well under a megabyte on the wire. */
#define QUEUE_BATCH_MAX 256

/* Enqueues a[0..n) in order, as queue_enqueue() on each would.  res[i]
 * receives alert i's result.  Returns the number of leading alerts whose
 * result is known: n, or fewer when Redis failed part way.  From there on
 * res[] holds QUEUE_ERROR and those alerts may or may not have landed (a
 * reply can be lost after Redis acted); sending them again is safe: an
 * alert with an id and seen_ttl_s then answers QUEUE_DUPLICATE, one for a
 * device already queued QUEUE_COALESCED.  An error reply (OOM) stops the
 * known results at that alert too, although Redis ran the ones after it:
 * sent again, they answer as above, and the one that failed lands after
 * them in the queue. */
size_t queue_enqueue_batch(struct rconn *rc, const char *prefix,
    const struct queue_alert *a, size_t n, enum queue_enqueue_result *res);

#endif
