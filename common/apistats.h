/* apistats.h - Carbon Black Cloud answers counted by HTTP status.
 *
 * Every answer of the configured host (the ratelimit gate's answered
 * callback) is counted in memory, per process, at no cost to the request:
 * no Redis round trip, no lock.  A thread that already talks to Redis
 * periodically (the worker's heartbeat, the poller's loop) and a clean
 * shutdown call apistats_flush(), which adds what was counted to P:stats
 * as api_responses_<status> (the viewer's
 * lrflow_api_responses_total{code=...}) in one script call.
 *
 * A flush that fails keeps its counts: the next one sends the same batch
 * again before any new one.  Each batch carries an id, and Redis keeps
 * the last id it added for this process in P:stats:flushed:<process> (a
 * day's TTL), so a batch whose answer was lost after Redis had added it
 * is not added twice.  (Only a batch resent more than a day after Redis
 * added it, with every flush failing in between, would be.) */
#ifndef LR_APISTATS_H
#define LR_APISTATS_H

#include "rconn.h"

#define APISTATS_FLUSHED_TTL_S 86400

/* Counts one answer with status (100..599; anything else is ignored).
 * Thread-safe, lock-free, never blocks. */
void apistats_count(long status);

/* Adds the counts to P:stats: first a batch a failed flush left, then
 * what was counted since.  Sends nothing when there is nothing to add.
 * Thread-safe (one flush at a time).  Returns 0, or -1 when Redis did not
 * take a batch (logged at debug; its counts wait for the next flush). */
int apistats_flush(struct rconn *rc, const char *prefix);

/* Answers with status counted and not yet added to P:stats (counted since
 * the last flush, plus a batch a failed flush left).  For tests and
 * logs. */
long long apistats_pending(long status);

#endif
