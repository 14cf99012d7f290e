/* ratelimit.c - the shared 429 pause in Redis (see ratelimit.h).
 *
 * Both scripts (common/lua/ratelimit_*.lua) take the time from Redis, so
 * every process agrees on when the pause ends whatever its own clock
 * says. */
#include "ratelimit.h"

#include <stdio.h>
#include <stdlib.h>

#include "apistats.h"
#include "log.h"
#include "scripts.h"
#include "xmalloc.h"

static struct rconn_script pause_script = {
    "ratelimit_pause", lua_ratelimit_pause, ""};
static struct rconn_script remaining_script = {
    "ratelimit_remaining", lua_ratelimit_remaining, ""};

/* Runs s on P:ratelimit:until with arg (or none); the integer it returns,
 * or -1. */
static int64_t
run(struct rconn *rc, const char *prefix, struct rconn_script *s,
    const char *arg)
{
	char *key = xasprintf("%s:ratelimit:until", prefix);
	const char *argv[2] = {key, arg};
	redisReply *r = rconn_eval(rc, s, 1, arg != NULL ? 2 : 1, argv, NULL);
	int64_t ms = -1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		ms = r->integer < 0 ? 0 : (int64_t)r->integer;
	if (r != NULL)
		freeReplyObject(r);
	free(key);
	return ms;
}

int
ratelimit_pause(struct rconn *rc, const char *prefix, long retry_after_s)
{
	char ms[32];

	if (retry_after_s < 1)
		retry_after_s = 1;
	if (retry_after_s > RATELIMIT_MAX_S)
		retry_after_s = RATELIMIT_MAX_S;
	snprintf(ms, sizeof(ms), "%ld", retry_after_s * 1000);
	return run(rc, prefix, &pause_script, ms) < 0 ? -1 : 0;
}

int64_t
ratelimit_remaining_ms(struct rconn *rc, const char *prefix)
{
	return run(rc, prefix, &remaining_script, NULL);
}

static int64_t
gate_remaining(void *arg)
{
	struct ratelimit_gate *g = arg;

	return ratelimit_remaining_ms(g->rc, g->prefix);
}

static void
gate_paused(void *arg, long retry_after_s)
{
	struct ratelimit_gate *g = arg;

	if (ratelimit_pause(g->rc, g->prefix, retry_after_s) == -1)
		log_warnx(
		    "could not share the Carbon Black Cloud pause through Redis: only this %s waits",
		    g->who);
	else
		log_warnx(
		    "Carbon Black Cloud asked us to pause for %ld s (HTTP 429): every lrflow process waits",
		    retry_after_s);
}

/* Counts the answer by status, in memory: apistats_flush() adds it to
 * P:stats (api_responses_<status>) later, so an answer costs no round
 * trip. */
static void
gate_answered(void *arg, long status)
{
	(void)arg;
	apistats_count(status);
}

void
ratelimit_gate(struct ratelimit_gate *g, struct cbhttp_gate *out)
{
	out->remaining_ms = gate_remaining;
	out->paused = gate_paused;
	out->answered = gate_answered;
	out->arg = g;
}
