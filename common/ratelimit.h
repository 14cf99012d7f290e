/* ratelimit.h - the shared 429 pause (design §2 and §6): when Carbon Black
 * Cloud answers 429, every lrflow process stops sending until the time in
 * Retry-After, because requests sent inside the window extend the block
 * (cb-api.md §3.6).
 *
 * Key (prefix P, default "lr"): P:ratelimit:until, the end of the pause in
 * ms since the epoch on Redis's clock, with a PX TTL so it vanishes by
 * itself when the pause is over.  Each call is one Redis round trip (a
 * short Lua script; the first call of a process also loads it); counting
 * an answer is none. */
#ifndef LR_RATELIMIT_H
#define LR_RATELIMIT_H

#include <stdint.h>

#include "cbhttp.h"
#include "rconn.h"

#define RATELIMIT_MAX_S 3600 /* longest pause we honour */

/* Extends the pause to now + retry_after_s (clamped to 1..RATELIMIT_MAX_S)
 * unless a later end is already set: a pause is never shortened.
 * Returns 0, or -1 when Redis did not answer (logged). */
int ratelimit_pause(struct rconn *rc, const char *prefix, long retry_after_s);

/* Milliseconds left of the pause, 0 if there is none, -1 when Redis did
 * not answer. */
int64_t ratelimit_remaining_ms(struct rconn *rc, const char *prefix);

/* A cbhttp gate backed by the shared pause: g (borrowed, must outlive the
 * client) names the Redis connection, used on the requesting thread, and
 * who waits, for logs ("worker", "poller").  The gate also counts every
 * answer of the cloud, in memory (apistats.h): the caller flushes the
 * counts to P:stats (api_responses_<status>) now and then. */
struct ratelimit_gate {
	struct rconn *rc;
	const char *prefix;
	const char *who;
};
void ratelimit_gate(struct ratelimit_gate *g, struct cbhttp_gate *out);

#endif
