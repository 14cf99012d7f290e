/* ratelimit.c - the shared 429 pause in Redis (see ratelimit.h).
 *
 * Both scripts take the time from redis.call('TIME'), so every process
 * agrees on when the pause ends whatever its own clock says. */
#include "ratelimit.h"

#include <stdio.h>
#include <stdlib.h>

#include "xmalloc.h"

#define LUA_NOW                          \
	"local t = redis.call('TIME')\n" \
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

/* KEYS: until   ARGV: pause_ms
 * Sets the end to now + pause_ms unless a later one is set; returns the
 * ms left of the pause in force. */
static struct rconn_script pause_script = {"ratelimit_pause",
    LUA_NOW "local want = now + tonumber(ARGV[1])\n"
	    "local cur = tonumber(redis.call('GET', KEYS[1]))\n"
	    "if cur and cur >= want then return cur - now end\n"
	    "redis.call('SET', KEYS[1], want, 'PX', want - now)\n"
	    "return want - now\n",
    ""};

/* KEYS: until   Returns the ms left of the pause, 0 if none. */
static struct rconn_script remaining_script = {"ratelimit_remaining",
    LUA_NOW "local cur = tonumber(redis.call('GET', KEYS[1]))\n"
	    "if not cur or cur <= now then return 0 end\n"
	    "return cur - now\n",
    ""};

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
