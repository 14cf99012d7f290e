/* test_queue_batch.c - the pipelined enqueue against a real redis-server:
 * the same results, counters, jobs and job order as queue_enqueue() one
 * alert at a time, across several pipelines; a flushed script cache; a
 * batch sent again (a reply lost after Redis acted) applied once; Redis
 * refusing the writes, then taking them when sent again; a pipeline cut
 * short by a lost connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "queue.h"
#include "queue_batch.h"
#include "rconn.h"
#include "../t.h"
#include "../tr.h"

static const char *url;
static struct rconn *rc;

#define num(fmt, arg) tr_num(rc, fmt, arg)
#define cmd(fmt, arg) tr_cmd(rc, fmt, arg)

/* More alerts than one pipeline holds: ids repeat (duplicates), devices
 * repeat (coalesced), some alerts have no id, one device cools down. */
#define N (2 * QUEUE_BATCH_MAX + 77)

static char idbuf[N][16];
static char json[N][48];
static struct queue_alert alerts[N];

static void
make_alerts(void)
{
	for (int i = 0; i < N; i++) {
		/* Every 7th alert repeats the id of the one 5 before it. */
		snprintf(
		    idbuf[i], sizeof(idbuf[i]), "A%d", i % 7 == 6 ? i - 5 : i);
		snprintf(json[i], sizeof(json[i]), "{\"n\":%d}", i);
		alerts[i] = (struct queue_alert){
		    .device_id = 1000 + (i * 37) % 300, /* each about twice */
		    .alert_id = i % 11 == 10 ? NULL : idbuf[i],
		    .source = "alerts",
		    .alert_json = json[i],
		    .device_name = i % 2 ? "WIN-ODD" : NULL,
		    .seen_ttl_s = i % 13 == 12 ? 0 : 3600,
		    .cooldown_s = 60,
		};
	}
}

/* The queue of prefix as "device:alert_ids:source" lines, head first
 * (ids and times differ between two runs; the rest must not). */
static char *
queue_shape(const char *prefix)
{
	redisReply *r = rconn_command(rc, "LRANGE %s:queue 0 -1", prefix);
	size_t cap = 64, len = 0;
	char *out = calloc(1, cap);

	for (size_t i = 0; r != NULL && i < r->elements; i++) {
		json_t *j = json_loads(r->element[i]->str, 0, NULL);
		char *ids = json_dumps(json_object_get(j, "alert_ids"), 0);
		char line[256];
		int n = snprintf(line, sizeof(line), "%lld:%s:%s\n",
		    (long long)json_integer_value(
			json_object_get(j, "device_id")),
		    ids ? ids : "?",
		    json_string_value(json_object_get(j, "source")));

		while (len + (size_t)n + 1 > cap)
			out = realloc(out, cap *= 2);
		memcpy(out + len, line, (size_t)n + 1);
		len += (size_t)n;
		free(ids);
		json_decref(j);
	}
	if (r != NULL)
		freeReplyObject(r);
	return out;
}

/* Whether the counter field of both prefixes' P:stats agree. */
static int
same_stat(const char *field)
{
	char a[64], b[64];

	snprintf(a, sizeof(a), "HGET one:stats %s", field);
	snprintf(b, sizeof(b), "HGET batch:stats %s", field);
	return tr_num(rc, a, NULL) == tr_num(rc, b, NULL);
}

/* Whether both prefixes' result hashes of device dev hold the same
 * alert_ids. */
static int
same_alert_ids(long long dev)
{
	char k[64];
	char *a, *b;
	int same;

	snprintf(k, sizeof(k), "one:result:%lld", dev);
	a = tr_str(rc, "HGET %s alert_ids", k);
	snprintf(k, sizeof(k), "batch:result:%lld", dev);
	b = tr_str(rc, "HGET %s alert_ids", k);
	same = a != NULL && b != NULL && strcmp(a, b) == 0;
	free(a);
	free(b);
	return same;
}

static int
test_batch_same_as_one_at_a_time(void)
{
	enum queue_enqueue_result one[N], batch[N];
	int counts[3] = {0, 0, 0};
	char *qa, *qb;

	cmd("FLUSHALL", NULL);
	make_alerts();
	/* Device 1005 is cooling down in both. */
	cmd("SET one:cooldown:1005 1 EX 60", NULL);
	cmd("SET batch:cooldown:1005 1 EX 60", NULL);
	for (int i = 0; i < N; i++)
		one[i] = queue_enqueue(rc, "one", &alerts[i]);
	CHECK(queue_enqueue_batch(rc, "batch", alerts, N, batch) == N);
	for (int i = 0; i < N; i++) {
		CHECK(one[i] != QUEUE_ERROR);
		CHECK(batch[i] == one[i]);
		counts[one[i]]++;
	}
	/* The mix exercised every outcome. */
	CHECK(counts[QUEUE_QUEUED] > 200 && counts[QUEUE_COALESCED] > 100 &&
	      counts[QUEUE_DUPLICATE] > 40);
	CHECK(num("LLEN %s", "batch:queue") == counts[QUEUE_QUEUED]);
	qa = queue_shape("one");
	qb = queue_shape("batch");
	CHECK(
	    strlen(qa) > 0 && strcmp(qa, qb) == 0); /* same jobs, same order */
	free(qa);
	free(qb);
	CHECK(same_stat("enqueued") && same_stat("coalesced") &&
	      same_stat("alerts_duplicate"));
	CHECK(
	    num("HGET %s coalesced", "batch:stats") == counts[QUEUE_COALESCED]);
	CHECK(same_alert_ids(1000) && same_alert_ids(1005) &&
	      same_alert_ids(1111) && same_alert_ids(1299));
	CHECK(num("XLEN %s", "batch:events") == num("XLEN %s", "one:events"));
	CHECK(queue_enqueue_batch(rc, "batch", alerts, 0, batch) == 0);
	return 0;
}

static int
test_batch_after_script_flush(void)
{
	enum queue_enqueue_result res[3];
	struct queue_alert a[3] = {
	    {.device_id = 1,
		.alert_id = "F1",
		.source = "alerts",
		.seen_ttl_s = 60},
	    {.device_id = 2,
		.alert_id = "F2",
		.source = "alerts",
		.seen_ttl_s = 60},
	    {.device_id = 1,
		.alert_id = "F3",
		.source = "alerts",
		.seen_ttl_s = 60},
	};

	cmd("FLUSHALL", NULL);
	CHECK(queue_enqueue_batch(rc, "f", a, 1, res) == 1); /* loaded */
	cmd("SCRIPT FLUSH", NULL); /* the cache is gone: NOSCRIPT */
	CHECK(queue_enqueue_batch(rc, "f", a + 1, 2, res + 1) == 2);
	CHECK(res[0] == QUEUE_QUEUED && res[1] == QUEUE_QUEUED &&
	      res[2] == QUEUE_COALESCED);
	CHECK(num("LLEN %s", "f:queue") == 2);
	CHECK(num("HGET %s coalesced", "f:stats") == 1);
	return 0;
}

static int
test_batch_sent_again_applies_once(void)
{
	enum queue_enqueue_result res[N];
	long long len, enq;

	cmd("FLUSHALL", NULL);
	make_alerts();
	CHECK(queue_enqueue_batch(rc, "r", alerts, N, res) == N);
	len = num("LLEN %s", "r:queue");
	enq = num("HGET %s enqueued", "r:stats");
	/* As if every reply had been lost and the poller sent it all again. */
	CHECK(queue_enqueue_batch(rc, "r", alerts, N, res) == N);
	CHECK(num("LLEN %s", "r:queue") == len);
	CHECK(num("HGET %s enqueued", "r:stats") == enq);
	for (int i = 0; i < N; i++) {
		/* An id remembered answers duplicate; without one, the device
		 * is in flight: coalesced.  Never queued twice. */
		if (alerts[i].alert_id != NULL && alerts[i].seen_ttl_s > 0)
			CHECK(res[i] == QUEUE_DUPLICATE);
		else
			CHECK(res[i] == QUEUE_COALESCED);
	}
	return 0;
}

static int
test_batch_refused_then_taken(void)
{
	enum queue_enqueue_result res[4];
	struct queue_alert a[4] = {
	    {.device_id = 7,
		.alert_id = "O1",
		.source = "alerts",
		.alert_json = "{\"x\":1}",
		.seen_ttl_s = 60},
	    {.device_id = 8,
		.alert_id = "O2",
		.source = "alerts",
		.seen_ttl_s = 60},
	    {.device_id = 7,
		.alert_id = "O3",
		.source = "alerts",
		.seen_ttl_s = 60},
	    {.device_id = 9, .source = "manual"},
	};

	cmd("FLUSHALL", NULL);
	/* Over maxmemory, Redis refuses every script's first write (OOM):
	 * nothing is known to have landed, nothing did. */
	cmd("CONFIG SET maxmemory 1", NULL);
	CHECK(queue_enqueue_batch(rc, "o", a, 4, res) == 0);
	for (int i = 0; i < 4; i++)
		CHECK(res[i] == QUEUE_ERROR);
	cmd("CONFIG SET maxmemory 0", NULL);
	CHECK(num("EXISTS %s", "o:queue") == 0);
	CHECK(num("EXISTS %s", "o:alert:O1") == 0);
	CHECK(queue_enqueue_batch(rc, "o", a, 4, res) == 4);
	CHECK(res[0] == QUEUE_QUEUED && res[1] == QUEUE_QUEUED &&
	      res[2] == QUEUE_COALESCED && res[3] == QUEUE_QUEUED);
	CHECK(num("LLEN %s", "o:queue") == 3);
	return 0;
}

/* A connection lost part way through a pipeline: the replies read are
 * kept, the rest are unknown (NULL), and the commands after the loss did
 * not run. */
static int
test_pipeline_cut_short(void)
{
	redisReply *rep[5];
	const char *incr[2] = {"INCR", "pipe:n"};
	const char *quit[1] = {"QUIT"}; /* answers, then closes */
	const char *const *argv[5] = {incr, incr, quit, incr, incr};
	int argc[5] = {2, 2, 1, 2, 2};

	cmd("DEL pipe:n", NULL);
	CHECK(rconn_pipeline(rc, 5, argc, argv, rep) == 3);
	CHECK(rep[0] != NULL && rep[0]->integer == 1);
	CHECK(rep[1] != NULL && rep[1]->integer == 2);
	CHECK(rep[3] == NULL && rep[4] == NULL);
	for (int i = 0; i < 3; i++)
		if (rep[i] != NULL)
			freeReplyObject(rep[i]);
	CHECK(num("GET %s", "pipe:n") == 2); /* reconnected; 2 ran */
	return 0;
}

static int
test_batch_without_redis(void)
{
	enum queue_enqueue_result res[2] = {QUEUE_QUEUED, QUEUE_QUEUED};
	struct queue_alert a[2] = {{.device_id = 1}, {.device_id = 2}};
	struct rconn *gone = rconn_new("unix:///nonexistent/redis.sock", 200);

	CHECK(queue_enqueue_batch(gone, "x", a, 2, res) == 0);
	CHECK(res[0] == QUEUE_ERROR && res[1] == QUEUE_ERROR);
	rconn_free(gone);
	return 0;
}

int
main(void)
{
	if ((rc = tr_connect("test_queue_batch", &url)) == NULL)
		return 1;
	RUN(test_batch_same_as_one_at_a_time);
	RUN(test_batch_after_script_flush);
	RUN(test_batch_sent_again_applies_once);
	RUN(test_batch_refused_then_taken);
	RUN(test_pipeline_cut_short);
	RUN(test_batch_without_redis);
	rconn_free(rc);
	return t_done();
}
