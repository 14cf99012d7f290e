/* bench_queue.c - the job queue's cost against the plain Redis floor,
 * measured in one run on this machine (ratios, not absolute numbers).
 *
 *   enqueue ratio: queue_enqueue() (dedupe + result hash, one script)
 *                  / plain LPUSH, one round trip each
 *   cycle ratio:   claim (one script: promote, move, start) + complete
 *                  (our 2 round trips)
 *                  / BLMOVE + LREM (the 2-round-trip reliable-queue floor)
 *
 * Targets (queues.md §7.3): cycle ratio >= 0.5, enqueue ratio >= 0.5. */
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

static double
rate(int n, int64_t t0)
{
	int64_t ms = util_mono_ms() - t0;

	return ms > 0 ? n * 1000.0 / (double)ms : n * 1000.0;
}

/* Redis's own time per EVALSHA since the last call (then reset): what
 * the scripts cost inside Redis, apart from round trips and our CPU. */
static double
script_us(struct rconn *rc)
{
	redisReply *r = rconn_command(rc, "INFO commandstats");
	const char *p;
	double us = 0;

	if (r != NULL && r->type == REDIS_REPLY_STRING &&
	    (p = strstr(r->str, "cmdstat_evalsha:")) != NULL &&
	    (p = strstr(p, "usec_per_call=")) != NULL)
		us = strtod(p + 14, NULL);
	if (r != NULL)
		freeReplyObject(r);
	r = rconn_command(rc, "CONFIG RESETSTAT");
	if (r != NULL)
		freeReplyObject(r);
	return us;
}

static void
cmd(struct rconn *rc, const char *fmt, long long v)
{
	redisReply *r = rconn_command(rc, fmt, v);

	if (r == NULL)
		fatalx("redis went away");
	freeReplyObject(r);
}

int
main(int argc, char **argv)
{
	struct rconn *rc;
	const char *url;
	double lpush, enq, floor_cycle, cycle, enq_us, cycle_us;
	int n = argc > 1 ? atoi(argv[1]) : N;
	int64_t t0;

	log_init("bench_queue", LOG_ERROR, LOG_TEXT);
	if ((url = t_redis_start()) == NULL)
		fatalx("cannot start redis-server");
	rc = rconn_new(url, 5000);
	if (rconn_wait(rc, NULL) == -1)
		fatalx("cannot reach redis-server");

	/* Baselines: the plain commands a hand-written queue would use. */
	t0 = util_mono_ms();
	for (int i = 0; i < n; i++)
		cmd(rc, "LPUSH base:queue {\"device_id\":%lld}", i + 1);
	lpush = rate(n, t0);
	t0 = util_mono_ms();
	for (int i = 0; i < n; i++) {
		redisReply *r = rconn_command(
		    rc, "BLMOVE base:queue base:proc RIGHT LEFT 1");

		if (r == NULL || r->type != REDIS_REPLY_STRING)
			fatalx("baseline BLMOVE failed");
		redisReply *a =
		    rconn_command(rc, "LREM base:proc -1 %b", r->str, r->len);

		freeReplyObject(a);
		freeReplyObject(r);
	}
	floor_cycle = rate(n, t0);

	/* Ours. */
	script_us(rc);
	t0 = util_mono_ms();
	for (int i = 0; i < n; i++) {
		struct queue_alert a = {.device_id = i + 1, .source = "bench"};

		if (queue_enqueue(rc, "lr", &a) != QUEUE_QUEUED)
			fatalx("enqueue failed");
	}
	enq = rate(n, t0);
	enq_us = script_us(rc);
	t0 = util_mono_ms();
	for (int i = 0; i < n; i++) {
		struct queue_job job;

		if (queue_claim(rc, "lr", "bench", 1, &job) != 1)
			fatalx("claim failed");
		if (queue_complete(rc, "lr", &job, "done", NULL, 0) != 1)
			fatalx("complete failed");
		queue_job_release(&job);
	}
	cycle = rate(n, t0);
	cycle_us = script_us(rc);

	printf(
	    "queue benchmark, %d jobs, one connection, redis-server on a unix socket\n",
	    n);
	printf("  baseline LPUSH            %9.0f /s\n", lpush);
	printf(
	    "  queue_enqueue             %9.0f /s   ratio %.2f (target >= 0.50)\n",
	    enq, enq / lpush);
	printf("  baseline BLMOVE+LREM      %9.0f /s\n", floor_cycle);
	printf(
	    "  claim+complete            %9.0f /s   ratio %.2f (target >= 0.50)\n",
	    cycle, cycle / floor_cycle);
	printf("  inside Redis: enqueue script %.1f us, claim+complete scripts "
	       "%.1f us a job\n",
	    enq_us, 2 * cycle_us);
	bench_row("1",
	    "queue cycle: claim + complete through the scripts, over BLMOVE + LREM",
	    ">= 0.8",
	    "%.2f|%.0f/s against %.0f/s; scripts %.1f us a job inside Redis",
	    cycle / floor_cycle, cycle, floor_cycle, 2 * cycle_us);
	bench_row("1b", "enqueue through the script, over LPUSH", ">= 0.5",
	    "%.2f|%.0f/s against %.0f/s; script %.1f us inside Redis",
	    enq / lpush, enq, lpush, enq_us);
	rconn_free(rc);
	t_redis_stop();
	return enq / lpush >= 0.5 && cycle / floor_cycle >= 0.5 ? 0 : 1;
}
