/* test_ratelimit.c - the shared 429 pause against a real redis-server: a
 * pause is seen by everyone, is never shortened, and vanishes by itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ratelimit.h"
#include "rconn.h"
#include "util.h"
#include "../t.h"

static struct rconn *rc;

/* The value of key as a number, -1 if absent. */
static long long
get_num(const char *key)
{
	redisReply *r = rconn_command(rc, "GET %s", key);
	long long v = -1;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

static long long
int_cmd(const char *fmt, const char *key)
{
	redisReply *r = rconn_command(rc, fmt, key);
	long long v = -100;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

static int
test_pause_and_remaining(void)
{
	int64_t left, now;
	long long until;

	CHECK(ratelimit_remaining_ms(rc, "t1") == 0); /* no pause yet */
	now = util_now_ms();
	CHECK(ratelimit_pause(rc, "t1", 3) == 0);
	left = ratelimit_remaining_ms(rc, "t1");
	CHECK(left > 0 && left <= 3000);
	CHECK(left > 2000); /* not half gone already */
	/* The key holds the end in ms since the epoch (same host: same clock
	 * as ours, give or take) and carries a TTL. */
	until = get_num("t1:ratelimit:until");
	CHECK(until >= now + 2900 && until <= util_now_ms() + 3100);
	left = int_cmd("PTTL %s", "t1:ratelimit:until");
	CHECK(left > 0 && left <= 3000);
	/* Another prefix is another pause. */
	CHECK(ratelimit_remaining_ms(rc, "t2") == 0);
	return 0;
}

static int
test_never_shortened(void)
{
	long long until;
	int64_t left;

	CHECK(ratelimit_pause(rc, "s", 30) == 0);
	until = get_num("s:ratelimit:until");
	CHECK(until > 0);
	CHECK(ratelimit_pause(rc, "s", 2) == 0); /* shorter: ignored */
	CHECK(get_num("s:ratelimit:until") == until);
	left = ratelimit_remaining_ms(rc, "s");
	CHECK(left > 25000 && left <= 30000);
	CHECK(int_cmd("PTTL %s", "s:ratelimit:until") > 25000);
	/* A longer one extends it. */
	CHECK(ratelimit_pause(rc, "s", 60) == 0);
	CHECK(get_num("s:ratelimit:until") > until + 25000);
	CHECK(ratelimit_remaining_ms(rc, "s") > 55000);
	/* Absurd values are clamped: never more than an hour, never 0. */
	CHECK(ratelimit_pause(rc, "big", 86400 * 365) == 0);
	left = ratelimit_remaining_ms(rc, "big");
	CHECK(left > 3590000 && left <= RATELIMIT_MAX_S * 1000);
	CHECK(ratelimit_pause(rc, "neg", -5) == 0);
	left = ratelimit_remaining_ms(rc, "neg");
	CHECK(left > 0 && left <= 1000);
	return 0;
}

static int
test_expires_by_itself(void)
{
	CHECK(ratelimit_pause(rc, "e", 1) == 0);
	CHECK(int_cmd("EXISTS %s", "e:ratelimit:until") == 1);
	util_sleep_ms(1300, NULL);
	CHECK(int_cmd("EXISTS %s", "e:ratelimit:until") == 0);
	CHECK(ratelimit_remaining_ms(rc, "e") == 0);
	/* A stale value without a TTL (written by hand) counts as no pause. */
	freeReplyObject(rconn_command(
	    rc, "SET %s %s", "old:ratelimit:until", "1000000000000"));
	CHECK(ratelimit_remaining_ms(rc, "old") == 0);
	CHECK(ratelimit_pause(rc, "old", 2) == 0);
	CHECK(ratelimit_remaining_ms(rc, "old") > 1000);
	return 0;
}

static int
test_redis_down(void)
{
	struct rconn *dead = rconn_new("unix:///nonexistent/redis.sock", 200);

	CHECK(ratelimit_remaining_ms(dead, "x") == -1);
	CHECK(ratelimit_pause(dead, "x", 5) == -1);
	rconn_free(dead);
	return 0;
}

int
main(void)
{
	const char *url;

	log_init("test_ratelimit", LOG_ERROR, LOG_TEXT);
	if ((url = t_redis_start()) == NULL) {
		printf("not ok 1 - cannot start redis-server\n");
		return 1;
	}
	rc = rconn_new(url, 2000);
	RUN(test_pause_and_remaining);
	RUN(test_never_shortened);
	RUN(test_expires_by_itself);
	RUN(test_redis_down);
	rconn_free(rc);
	return t_done();
}
