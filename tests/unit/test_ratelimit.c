/* test_ratelimit.c - the shared 429 pause against a real redis-server: a
 * pause is seen by everyone, is never shortened, and vanishes by itself.
 * And the counts of the cloud's answers: kept in memory, added to P:stats
 * by a flush, kept by a flush that fails and added once by the next. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apistats.h"
#include "log.h"
#include "ratelimit.h"
#include "rconn.h"
#include "scripts.h"
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

/* P:stats api_responses_<code> as a number, -1 if absent. */
static long long
answers(const char *prefix, int code)
{
	redisReply *r =
	    rconn_command(rc, "HGET %s:stats api_responses_%d", prefix, code);
	long long v = -1;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

static int
test_answers_counted_in_memory(void)
{
	struct ratelimit_gate rg = {rc, "c", "test"};
	struct cbhttp_gate g;

	ratelimit_gate(&rg, &g);
	CHECK(g.answered != NULL);
	for (int i = 0; i < 3; i++)
		g.answered(g.arg, 200);
	g.answered(g.arg, 404);
	g.answered(g.arg, 99); /* not a status: ignored */
	g.answered(g.arg, 600);
	apistats_count(503);
	/* Nothing in Redis yet: counting costs no round trip. */
	CHECK(int_cmd("EXISTS %s", "c:stats") == 0);
	CHECK(apistats_pending(200) == 3);
	CHECK(apistats_pending(404) == 1);
	CHECK(apistats_pending(99) == 0);
	CHECK(apistats_flush(rc, "c") == 0);
	CHECK(answers("c", 200) == 3);
	CHECK(answers("c", 404) == 1);
	CHECK(answers("c", 503) == 1);
	CHECK(int_cmd("HLEN %s", "c:stats") == 3);
	CHECK(apistats_pending(200) == 0);
	/* Counts add up across flushes; an empty flush sends nothing. */
	apistats_count(200);
	CHECK(apistats_flush(rc, "c") == 0);
	CHECK(apistats_flush(rc, "c") == 0);
	CHECK(answers("c", 200) == 4);
	CHECK(answers("c", 404) == 1);
	return 0;
}

/* Redis away: the counts wait, and the next flush adds them once. */
static int
test_failed_flush_kept(void)
{
	struct rconn *dead = rconn_new("unix:///nonexistent/redis.sock", 200);

	apistats_count(200);
	apistats_count(429);
	CHECK(apistats_flush(dead, "k") == -1);
	CHECK(apistats_flush(dead, "k") == -1);
	CHECK(apistats_pending(200) == 1);
	CHECK(apistats_pending(429) == 1);
	apistats_count(200); /* counted while Redis is away */
	CHECK(apistats_pending(200) == 2);
	CHECK(int_cmd("EXISTS %s", "k:stats") == 0);
	CHECK(apistats_flush(rc, "k") == 0);
	CHECK(answers("k", 200) == 2);
	CHECK(answers("k", 429) == 1);
	CHECK(apistats_pending(200) == 0);
	CHECK(apistats_flush(rc, "k") == 0);
	CHECK(answers("k", 200) == 2);
	rconn_free(dead);
	return 0;
}

/* Redis stopped while it holds a flush: the answer is lost (the client
 * times out), Redis may act on it once it runs again, and the next flush
 * sends the batch again; either way each answer is counted once. */
static int
test_lost_reply_counted_once(void)
{
	struct rconn *quick = rconn_new(t_redis_url, 300);

	CHECK(rconn_wait(quick, NULL) == 0);
	for (int i = 0; i < 5; i++)
		apistats_count(201);
	CHECK(kill(t_redis_pid, SIGSTOP) == 0);
	CHECK(apistats_flush(quick, "l") == -1);
	apistats_count(201);
	CHECK(kill(t_redis_pid, SIGCONT) == 0);
	util_sleep_ms(300, NULL); /* Redis reads what was sent, if anything */
	/* Redis acted on the lost flush, or did not (it usually does) */
	CHECK(answers("l", 201) == 5 || answers("l", 201) == -1);
	CHECK(apistats_pending(201) == 6);
	CHECK(apistats_flush(quick, "l") == 0);
	CHECK(answers("l", 201) == 6);
	CHECK(apistats_pending(201) == 0);
	rconn_free(quick);
	return 0;
}

/* The script itself: a batch id seen before is not added again, and the
 * id is kept with a TTL. */
static int
test_batch_added_once(void)
{
	static struct rconn_script s = {"stats_add", lua_stats_add, ""};
	const char *argv[] = {"o:stats", "o:stats:flushed:p1", "1", "60",
	    "api_responses_200", "7", "api_responses_500", "2"};
	redisReply *r;
	long long v[2];

	for (int i = 0; i < 2; i++) {
		r = rconn_eval(rc, &s, 2, 8, argv, NULL);
		v[i] = r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer
								   : -1;
		if (r != NULL)
			freeReplyObject(r);
	}
	CHECK(v[0] == 1 && v[1] == 0);
	CHECK(answers("o", 200) == 7);
	CHECK(answers("o", 500) == 2);
	CHECK(int_cmd("TTL %s", "o:stats:flushed:p1") > 0);
	argv[2] = "2";
	r = rconn_eval(rc, &s, 2, 8, argv, NULL);
	CHECK(r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
	if (r != NULL)
		freeReplyObject(r);
	CHECK(answers("o", 200) == 14);
	/* Another process's ids are its own. */
	argv[1] = "o:stats:flushed:p2";
	argv[2] = "1";
	r = rconn_eval(rc, &s, 2, 8, argv, NULL);
	CHECK(r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
	if (r != NULL)
		freeReplyObject(r);
	CHECK(answers("o", 200) == 21);
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
	RUN(test_answers_counted_in_memory);
	RUN(test_failed_flush_kept);
	RUN(test_lost_reply_counted_once);
	RUN(test_batch_added_once);
	rconn_free(rc);
	return t_done();
}
