/* apistats.c - per-process counts of the cloud's answers, flushed to
 * P:stats (see apistats.h).
 *
 * The counts are one atomic counter per status code (500 of them: 4 KB);
 * counting is one relaxed atomic add.  A flush takes each counter with an
 * atomic exchange, so an answer counted during a flush lands in this
 * batch or the next, never in both and never in neither.  The batch in
 * flight and its id are guarded by flush_lock. */
#include "apistats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "scripts.h"
#include "util.h"
#include "xmalloc.h"

#define STATUS_MIN 100
#define STATUS_MAX 599
#define NSTATUS (STATUS_MAX - STATUS_MIN + 1)

static _Atomic long long counted[NSTATUS]; /* not yet taken by a flush */

static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
/* Guarded by flush_lock: */
static long long unsent[NSTATUS]; /* the batch a failed flush left */
static long long unsent_id;       /* its id; 0: none */
static long long last_id;         /* the last id given to a batch */
static char process_id[33];       /* names P:stats:flushed:<process_id> */
static struct rconn_script add_script = {"stats_add", lua_stats_add, ""};

void
apistats_count(long status)
{
	if (status < STATUS_MIN || status > STATUS_MAX)
		return;
	atomic_fetch_add_explicit(
	    &counted[status - STATUS_MIN], 1, memory_order_relaxed);
}

long long
apistats_pending(long status)
{
	long long n;

	if (status < STATUS_MIN || status > STATUS_MAX)
		return 0;
	n = atomic_load_explicit(
	    &counted[status - STATUS_MIN], memory_order_relaxed);
	pthread_mutex_lock(&flush_lock);
	if (unsent_id != 0)
		n += unsent[status - STATUS_MIN];
	pthread_mutex_unlock(&flush_lock);
	return n;
}

/* Sends the batch unsent[] as id.  0 when Redis added it (now or
 * before), -1 when it may not have: the same batch must be sent again. */
static int
send_batch(struct rconn *rc, const char *prefix)
{
	const char **argv = xcalloc(4 + 2 * NSTATUS, sizeof(*argv));
	char *keys[2], id[24], ttl[16], *fields[NSTATUS], *deltas[NSTATUS];
	redisReply *r;
	int argc = 4, n = 0, ret = -1;

	keys[0] = xasprintf("%s:stats", prefix);
	keys[1] = xasprintf("%s:stats:flushed:%s", prefix, process_id);
	snprintf(id, sizeof(id), "%lld", unsent_id);
	snprintf(ttl, sizeof(ttl), "%d", APISTATS_FLUSHED_TTL_S);
	argv[0] = keys[0];
	argv[1] = keys[1];
	argv[2] = id;
	argv[3] = ttl;
	for (int i = 0; i < NSTATUS; i++) {
		if (unsent[i] == 0)
			continue;
		fields[n] = xasprintf("api_responses_%d", STATUS_MIN + i);
		deltas[n] = xasprintf("%lld", unsent[i]);
		argv[argc++] = fields[n];
		argv[argc++] = deltas[n];
		n++;
	}
	r = rconn_eval(rc, &add_script, 2, argc, argv, NULL);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		ret = 0;
	else
		log_debug("could not add the API answer counts to %s: %s; "
			  "kept for the next flush",
		    keys[0],
		    r == NULL                      ? "no answer from Redis"
		    : r->type == REDIS_REPLY_ERROR ? r->str
						   : "unexpected reply");
	if (r != NULL)
		freeReplyObject(r);
	for (int i = 0; i < n; i++) {
		free(fields[i]);
		free(deltas[i]);
	}
	free(keys[0]);
	free(keys[1]);
	free(argv);
	return ret;
}

int
apistats_flush(struct rconn *rc, const char *prefix)
{
	bool any = false;
	int ret = -1;

	pthread_mutex_lock(&flush_lock);
	if (process_id[0] == '\0')
		util_random_hex(process_id, 16);
	/* A batch left by a failed flush goes first and alone, with its
	 * own id: folding new counts into it could have them skipped. */
	if (unsent_id != 0) {
		if (send_batch(rc, prefix) == -1)
			goto out;
		unsent_id = 0;
	}
	for (int i = 0; i < NSTATUS; i++) {
		unsent[i] = atomic_exchange_explicit(
		    &counted[i], 0, memory_order_relaxed);
		any |= unsent[i] != 0;
	}
	if (any) {
		unsent_id = ++last_id;
		if (send_batch(rc, prefix) == -1)
			goto out;
		unsent_id = 0;
	}
	ret = 0;
out:
	pthread_mutex_unlock(&flush_lock);
	return ret;
}
