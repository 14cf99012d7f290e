/* intake_redis.c - the Redis side of figure 6 (tests/bench/intake.sh):
 * given a Redis where lr-poller has just queued N jobs under PREFIX, it
 * times, on that Redis,
 *
 *   raw     the same N job JSONs pushed with a plain pipelined LPUSH (a
 *           bare hiredis connection, QUEUE_BATCH_MAX commands a pipeline;
 *           the best of three): the floor any queue on Redis pays;
 *   batch   the same N alerts (device, alert id, alert JSON, device name,
 *           read back from PREFIX:result:<id>) through the poller's
 *           enqueue path, queue_enqueue_batch(), on a fresh prefix;
 *   one     the same through queue_enqueue(), one round trip each (the
 *           poller before pipelining), on another fresh prefix;
 *
 * and Redis's own time per call (INFO commandstats, usec_per_call) of the
 * raw LPUSH and of the enqueue script.  Prints one line of key=value.
 *
 *   intake_redis REDIS_URL PREFIX */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis.h>
#include <jansson.h>

#include "log.h"
#include "queue.h"
#include "queue_batch.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"
#include "bench.h"

/* The poller's alert id memory (source_alerts.c). */
#define SEEN_TTL_S (7 * 86400)

/* A bare hiredis connection to the Redis of addr. */
static redisContext *
bare_connect(const struct rconn_addr *addr)
{
	redisContext *c = addr->kind == RCONN_UNIX
			      ? redisConnectUnix(addr->path)
			      : redisConnect(addr->host, addr->port);

	if (c == NULL || c->err)
		fatalx(
		    "cannot connect to Redis: %s", c ? c->errstr : "no memory");
	return c;
}

/* A monotonic clock in microseconds: the raw pushes take a few ms. */
static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Pushes jobs[0..n) onto key, QUEUE_BATCH_MAX to a pipeline.  us taken. */
static int64_t
raw_lpush(redisContext *c, const char *key, char **jobs, size_t n)
{
	int64_t t0 = mono_us();
	void *r;

	for (size_t done = 0; done < n;) {
		size_t m =
		    n - done < QUEUE_BATCH_MAX ? n - done : QUEUE_BATCH_MAX;

		for (size_t i = 0; i < m; i++)
			redisAppendCommand(
			    c, "LPUSH %s %s", key, jobs[done + i]);
		for (size_t i = 0; i < m; i++) {
			if (redisGetReply(c, &r) != REDIS_OK ||
			    ((redisReply *)r)->type != REDIS_REPLY_INTEGER)
				fatalx("raw LPUSH failed");
			freeReplyObject(r);
		}
		done += m;
	}
	return mono_us() - t0;
}

/* The alert behind each job, as the poller queued it.  Fills a[i] with
 * strings owned by *keep (json_decref it when done). */
static void
alerts_of(struct rconn *rc, const char *prefix, char **jobs, size_t n,
    struct queue_alert *a, json_t *keep)
{
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_loads(jobs[i], 0, NULL), *ids;
		long long dev =
		    json_integer_value(json_object_get(j, "device_id"));
		redisReply *r = rconn_command(
		    rc, "HMGET %s:result:%lld alert device_name", prefix, dev);

		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING)
			fatalx("no alert for device %lld", dev);
		ids = json_object_get(j, "alert_ids");
		if (!json_is_string(json_array_get(ids, 0)))
			fatalx("no alert id on the job of device %lld", dev);
		json_array_append_new(keep, json_string(r->element[0]->str));
		json_array_append(keep, json_array_get(ids, 0));
		json_array_append_new(
		    keep, json_string(r->element[1]->type == REDIS_REPLY_STRING
					  ? r->element[1]->str
					  : ""));
		a[i] = (struct queue_alert){
		    .device_id = dev,
		    .alert_id =
			json_string_value(json_array_get(keep, 3 * i + 1)),
		    .source = "alerts",
		    .alert_json =
			json_string_value(json_array_get(keep, 3 * i)),
		    .device_name =
			json_string_value(json_array_get(keep, 3 * i + 2)),
		    .seen_ttl_s = SEEN_TTL_S,
		};
		freeReplyObject(r);
		json_decref(j);
	}
}

int
main(int argc, char **argv)
{
	struct rconn_addr addr;
	struct rconn *rc;
	redisContext *bare;
	redisReply *r;
	struct queue_alert *a;
	enum queue_enqueue_result *res;
	json_t *keep = json_array();
	char **jobs, err[256];
	int64_t raw_us = 0, batch_ms, one_ms, t0;
	double lpush_us, batch_us, one_us;
	size_t n;

	log_init("intake_redis", LOG_ERROR, LOG_TEXT);
	if (argc != 3)
		fatalx("usage: intake_redis REDIS_URL PREFIX");
	if (rconn_parse_url(argv[1], &addr, err, sizeof(err)) == -1)
		fatalx("%s", err);
	rc = rconn_new(argv[1], 30000);
	if (rconn_wait(rc, NULL) == -1)
		fatalx("cannot reach Redis");
	bare = bare_connect(&addr);

	/* The jobs as queued, oldest first (LPUSH put the newest at 0). */
	r = rconn_command(rc, "LRANGE %s:queue 0 -1", argv[2]);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0)
		fatalx("no jobs in %s:queue", argv[2]);
	n = r->elements;
	jobs = xcalloc(n, sizeof(*jobs));
	for (size_t i = 0; i < n; i++)
		jobs[i] = xstrdup(r->element[n - 1 - i]->str);
	freeReplyObject(r);
	a = xcalloc(n, sizeof(*a));
	res = xcalloc(n, sizeof(*res));
	alerts_of(rc, argv[2], jobs, n, a, keep);

	/* The best of three: a few ms are at the mercy of the scheduler. */
	bench_redis_us(rc, "lpush");
	for (int k = 0; k < 3; k++) {
		int64_t us = raw_lpush(bare, "intake:raw", jobs, n);

		if (k == 0 || us < raw_us)
			raw_us = us;
		r = rconn_command(rc, "DEL intake:raw");
		if (r != NULL)
			freeReplyObject(r);
	}
	lpush_us = bench_redis_us(rc, "lpush");

	t0 = util_mono_ms();
	if (queue_enqueue_batch(rc, "intake:batch", a, n, res) != n)
		fatalx("the pipelined enqueue failed");
	batch_ms = util_mono_ms() - t0;
	batch_us = bench_redis_us(rc, "evalsha");
	for (size_t i = 0; i < n; i++)
		if (res[i] != QUEUE_QUEUED)
			fatalx("alert %zu was not queued (%d)", i, (int)res[i]);

	t0 = util_mono_ms();
	for (size_t i = 0; i < n; i++)
		if (queue_enqueue(rc, "intake:one", &a[i]) != QUEUE_QUEUED)
			fatalx("alert %zu was not queued one at a time", i);
	one_ms = util_mono_ms() - t0;
	one_us = bench_redis_us(rc, "evalsha");

	printf("n=%zu raw_us=%lld lpush_us=%.2f batch_ms=%lld batch_us=%.2f "
	       "one_ms=%lld one_us=%.2f\n",
	    n, (long long)raw_us, lpush_us, (long long)batch_ms, batch_us,
	    (long long)one_ms, one_us);
	for (size_t i = 0; i < n; i++)
		free(jobs[i]);
	free(jobs);
	free(a);
	free(res);
	json_decref(keep);
	redisFree(bare);
	rconn_free(rc);
	return 0;
}
