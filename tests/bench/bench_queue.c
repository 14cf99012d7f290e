/* bench_queue.c - the job queue's cost against the plain Redis floor,
 * measured in one run on this machine (ratios, not absolute numbers).
 *
 *   cycle ratio:   claim (one script: promote, move, start) + complete
 *                  (one script), two round trips
 *                  / BLMOVE + a Lua ack (LREM), the two-round-trip
 *                  reliable-queue loop.  Target 0.8.
 *   enqueue ratio: queue_enqueue() (dedupe, coalescing, result hash, one
 *                  script) / plain LPUSH, one round trip each.
 *
 * The two sides run in alternating rounds, so a burst of load elsewhere
 * on a shared machine slows both.  Also printed: the round trip (PING)
 * and each side's time inside Redis (INFO commandstats), which together
 * say where a cycle's time goes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"
#include "rconn.h"
#include "util.h"
#include "../t.h"
#include "bench.h"

#define N 20000
#define ROUNDS 4

/* Per second, for n in ms milliseconds. */
static double
rate(int n, int64_t ms)
{
	return ms > 0 ? n * 1000.0 / (double)ms : n * 1000.0;
}

static void
cmd(struct rconn *rc, const char *fmt, long long v)
{
	redisReply *r = rconn_command(rc, fmt, v);

	if (r == NULL)
		fatalx("redis went away");
	freeReplyObject(r);
}

/* A job's claim and complete, the raw way and ours. */
static struct rconn_script ack = {
    "ack", "return redis.call('LREM', KEYS[1], -1, ARGV[1])", ""};

static void
raw_cycles(struct rconn *rc, int n)
{
	for (int i = 0; i < n; i++) {
		redisReply *r = rconn_command(
		    rc, "BLMOVE base:queue base:proc RIGHT LEFT 1");
		const char *argv[2] = {"base:proc", NULL};
		size_t len[2] = {9, 0};
		redisReply *a;

		if (r == NULL || r->type != REDIS_REPLY_STRING)
			fatalx("baseline BLMOVE failed");
		argv[1] = r->str;
		len[1] = r->len;
		if ((a = rconn_eval(rc, &ack, 1, 2, argv, len)) == NULL ||
		    a->type != REDIS_REPLY_INTEGER || a->integer != 1)
			fatalx("baseline ack failed");
		freeReplyObject(a);
		freeReplyObject(r);
	}
}

static void
our_cycles(struct rconn *rc, int n)
{
	for (int i = 0; i < n; i++) {
		struct queue_job job;

		if (queue_claim(rc, "lr", "bench", 1, &job) != 1)
			fatalx("claim failed");
		if (queue_complete(rc, "lr", &job, "done", NULL, 0) != 1)
			fatalx("complete failed");
		queue_job_release(&job);
	}
}

int
main(int argc, char **argv)
{
	struct rconn *rc;
	const char *url;
	int n = argc > 1 ? atoi(argv[1]) : N;
	int64_t t_lpush = 0, t_enq = 0, t_raw = 0, t_ours = 0, t_ping = 0, t0;
	double us_raw = 0, us_ours = 0, us_lpush = 0, us_enq = 0;

	log_init("bench_queue", LOG_ERROR, LOG_TEXT);
	if ((url = t_redis_start()) == NULL)
		fatalx("cannot start redis-server");
	rc = rconn_new(url, 5000);
	if (rconn_wait(rc, NULL) == -1)
		fatalx("cannot reach redis-server");

	n -= n % ROUNDS;
	for (int k = 0; k < ROUNDS; k++) {
		int m = n / ROUNDS, base = k * m;

		bench_redis_us(rc, NULL);
		t0 = util_mono_ms();
		for (int i = 0; i < m; i++)
			cmd(rc, "LPUSH base:queue {\"device_id\":%lld}",
			    base + i + 1);
		t_lpush += util_mono_ms() - t0;
		us_lpush += bench_redis_us(rc, NULL);
		t0 = util_mono_ms();
		for (int i = 0; i < m; i++) {
			struct queue_alert a = {
			    .device_id = base + i + 1, .source = "bench"};

			if (queue_enqueue(rc, "lr", &a) != QUEUE_QUEUED)
				fatalx("enqueue failed");
		}
		t_enq += util_mono_ms() - t0;
		us_enq += bench_redis_us(rc, NULL);
		t0 = util_mono_ms();
		raw_cycles(rc, m);
		t_raw += util_mono_ms() - t0;
		us_raw += bench_redis_us(rc, NULL);
		t0 = util_mono_ms();
		our_cycles(rc, m);
		t_ours += util_mono_ms() - t0;
		us_ours += bench_redis_us(rc, NULL);
		t0 = util_mono_ms();
		for (int i = 0; i < m; i++)
			cmd(rc, "PING", 0);
		t_ping += util_mono_ms() - t0;
		bench_redis_us(rc, NULL);
	}

	double lpush = rate(n, t_lpush), enq = rate(n, t_enq);

	us_lpush /= n;
	us_enq /= n;
	us_raw /= n;
	us_ours /= n;
	double raw = rate(n, t_raw), ours = rate(n, t_ours);
	double rtt = t_ping * 1000.0 / n;

	printf("queue benchmark, %d jobs in %d alternating rounds, one "
	       "connection, redis-server on a unix socket; a round trip "
	       "(PING) %.0f us\n",
	    n, ROUNDS, rtt);
	printf("  cycle         ratio %.2f (target >= 0.8)  claim + complete "
	       "%.0f/s (%.0f us inside Redis), BLMOVE + Lua ack %.0f/s "
	       "(%.0f us inside Redis)\n",
	    ours / raw, ours, us_ours, raw, us_raw);
	printf("  enqueue       ratio %.2f (target >= 0.5)  queue_enqueue "
	       "%.0f/s (%.0f us inside Redis), LPUSH %.0f/s (%.1f us)\n",
	    enq / lpush, enq, us_enq, lpush, us_lpush);
	bench_row("1",
	    "queue cycle: claim + complete through the scripts, over "
	    "BLMOVE + Lua ack",
	    ">= 0.8",
	    "%.2f|%.0f/s against %.0f/s; both two round trips of %.0f us; "
	    "%.0f us inside Redis a cycle against %.0f us",
	    ours / raw, ours, raw, rtt, us_ours, us_raw);
	bench_row("1b", "enqueue through the script, over LPUSH", ">= 0.5",
	    "%.2f|%.0f/s against %.0f/s; %.0f us inside Redis against %.1f us",
	    enq / lpush, enq, lpush, us_enq, us_lpush);
	rconn_free(rc);
	t_redis_stop();
	return 0;
}
