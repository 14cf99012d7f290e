/* test_queue.c - the job lifecycle scripts against a real redis-server:
 * dedupe and coalescing, claim, fenced updates, complete, cooldown,
 * release, malformed jobs, artifacts, heartbeats, Redis going away. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"
#include "rconn.h"
#include "util.h"
#include "../t.h"

static const char *url;
static struct rconn *rc;

static long long
num(const char *fmt, const char *arg)
{
	redisReply *r = rconn_command(rc, fmt, arg);
	long long v = -1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = atoll(r->str);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

/* A string reply (caller frees) or NULL. */
static char *
str(const char *fmt, const char *arg)
{
	redisReply *r = rconn_command(rc, fmt, arg);
	char *s = NULL;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		s = strdup(r->str);
	if (r != NULL)
		freeReplyObject(r);
	return s;
}

static void
flush(void)
{
	redisReply *r = rconn_command(rc, "FLUSHALL");

	if (r != NULL)
		freeReplyObject(r);
}

static int
test_enqueue_dedupes_and_coalesces(void)
{
	struct queue_alert a = {.device_id = 21212,
	    .alert_id = "A1",
	    .source = "notifications",
	    .alert_json = "{\"type\":\"THREAT\"}",
	    .device_name = "WIN-1"};
	char *s;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	a.alert_id = "A2";
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_COALESCED);
	CHECK(
	    queue_enqueue(rc, "lr", &a) == QUEUE_COALESCED); /* same id once */
	CHECK(num("LLEN %s", "lr:queue") == 1);
	CHECK(num("ZCARD %s", "lr:inflight") == 1);
	s = str("HGET %s alert_ids", "lr:result:21212");
	CHECK(s != NULL && strcmp(s, "[\"A1\",\"A2\"]") == 0);
	free(s);
	s = str("HGET %s status", "lr:result:21212");
	CHECK(s != NULL && strcmp(s, "queued") == 0);
	free(s);
	s = str("HGET %s device_name", "lr:result:21212");
	CHECK(s != NULL && strcmp(s, "WIN-1") == 0);
	free(s);
	CHECK(num("HGET %s enqueued", "lr:stats") == 1);
	CHECK(num("HGET %s coalesced", "lr:stats") == 2);
	CHECK(num("ZCARD %s", "lr:devices") == 1);
	CHECK(num("XLEN %s", "lr:events") == 3);
	/* The job JSON of design §2. */
	s = str("LINDEX %s 0", "lr:queue");
	CHECK(s != NULL && strstr(s, "\"device_id\":21212") != NULL);
	CHECK(strstr(s, "\"alert_ids\":[\"A1\"]") != NULL);
	CHECK(strstr(s, "\"source\":\"notifications\"") != NULL);
	CHECK(strstr(s, "\"attempts\":0") != NULL);
	CHECK(strstr(s, "\"enqueued_at\":\"20") != NULL);
	free(s);
	return 0;
}

static int
test_claim_update_complete(void)
{
	struct queue_alert a = {.device_id = 5, .source = "synthetic"};
	struct queue_job job;
	json_t *f;
	char *s;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	CHECK(job.device_id == 5 && job.attempts == 1 && job.token > 0);
	CHECK(strcmp(job.source, "synthetic") == 0 && strlen(job.id) == 36);
	CHECK(num("LLEN %s", "lr:queue") == 0);
	CHECK(num("LLEN %s", "lr:processing:w1") == 1);
	s = str("HGET %s status", "lr:result:5");
	CHECK(s != NULL && strcmp(s, "running") == 0);
	free(s);

	f = json_pack("{s:s, s:[{s:s}], s:i}", "step", "net start", "services",
	    "name", "DHCP Client", "count", 3);
	CHECK(queue_update(rc, "lr", &job, f) == 1);
	json_decref(f);
	s = str("HGET %s services", "lr:result:5");
	CHECK(s != NULL && strcmp(s, "[{\"name\":\"DHCP Client\"}]") == 0);
	free(s);
	CHECK(num("HGET %s count", "lr:result:5") == 3);

	f = json_pack("{s:[s]}", "users", "jdoe");
	CHECK(queue_complete(rc, "lr", &job, "done", f, 0) == 1);
	json_decref(f);
	s = str("HGET %s status", "lr:result:5");
	CHECK(s != NULL && strcmp(s, "done") == 0);
	free(s);
	s = str("HGET %s finished_at", "lr:result:5");
	CHECK(s != NULL && strlen(s) == 24 && s[23] == 'Z');
	free(s);
	CHECK(num("ZCARD %s", "lr:inflight") == 0);
	CHECK(num("LLEN %s", "lr:processing:w1") == 0);
	CHECK(num("HGET %s jobs_done", "lr:stats") == 1);
	CHECK(num("EXISTS %s", "lr:cooldown:5") == 0);
	/* A stale attempt can neither update nor complete again. */
	f = json_pack("{s:s}", "step", "late");
	CHECK(queue_update(rc, "lr", &job, f) == 0);
	CHECK(queue_complete(rc, "lr", &job, "done", f, 0) == 0);
	json_decref(f);
	s = str("HGET %s step", "lr:result:5");
	CHECK(s != NULL && strcmp(s, "finished") == 0);
	free(s);
	queue_job_release(&job);

	/* Done: the device can be queued again. */
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	return 0;
}

static int
test_fencing_token(void)
{
	struct queue_alert a = {.device_id = 6, .source = "manual"};
	struct queue_job j1, j2;
	json_t *f = json_pack("{s:s}", "step", "x");

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &j1) == 1);
	/* The job comes back (a reaper would do this) and w2 takes it. */
	CHECK(queue_release(rc, "lr", &j1) == 1);
	CHECK(queue_claim(rc, "lr", "w2", 1, &j2) == 1);
	CHECK(j2.token > j1.token);
	CHECK(queue_update(rc, "lr", &j1, f) == 0);
	CHECK(queue_complete(rc, "lr", &j1, "done", f, 0) == 0);
	CHECK(queue_update(rc, "lr", &j2, f) == 1);
	CHECK(queue_complete(rc, "lr", &j2, "done", f, 0) == 1);
	json_decref(f);
	queue_job_release(&j1);
	queue_job_release(&j2);
	return 0;
}

static int
test_failed_and_cooldown(void)
{
	struct queue_alert a = {
	    .device_id = 7, .alert_id = "B1", .source = "manual"};
	struct queue_job job;
	json_t *f;
	char *s;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	f = json_pack("{s:s}", "error", "device 7 did not check in within 5 s");
	CHECK(queue_complete(rc, "lr", &job, "failed", f, 60) == 1);
	json_decref(f);
	s = str("HGET %s status", "lr:result:7");
	CHECK(s != NULL && strcmp(s, "failed") == 0);
	free(s);
	CHECK(num("LLEN %s", "lr:dead") == 1);
	s = str("LINDEX %s 0", "lr:dead");
	CHECK(s != NULL && strstr(s, "did not check in") != NULL);
	free(s);
	CHECK(num("TTL %s", "lr:cooldown:7") > 50);
	/* Within the cooldown, a new alert is coalesced, not queued. */
	a.alert_id = "B2";
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_COALESCED);
	CHECK(num("LLEN %s", "lr:queue") == 0);
	s = str("HGET %s alert_ids", "lr:result:7");
	CHECK(s != NULL && strstr(s, "B2") != NULL);
	free(s);
	queue_job_release(&job);
	return 0;
}

static int
test_release_puts_job_first(void)
{
	struct queue_alert a = {.device_id = 8, .source = "manual"};
	struct queue_job job, next;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	a.device_id = 9;
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	CHECK(job.device_id == 8); /* FIFO */
	CHECK(queue_release(rc, "lr", &job) == 1);
	CHECK(queue_release(rc, "lr", &job) == 0); /* not ours any more */
	CHECK(num("HGET %s attempts", "lr:result:8") == 0);
	CHECK(queue_claim(rc, "lr", "w1", 1, &next) == 1);
	CHECK(next.device_id == 8); /* handed back to the front */
	CHECK(num("ZCARD %s", "lr:inflight") == 2);
	queue_job_release(&job);
	queue_job_release(&next);
	return 0;
}

static int
test_claim_timeout_and_malformed(void)
{
	struct queue_job job;
	int64_t t0;
	redisReply *r;

	flush();
	t0 = util_mono_ms();
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 0);
	CHECK(util_mono_ms() - t0 >= 900);
	r = rconn_command(rc, "LPUSH lr:queue %s", "{not json");
	freeReplyObject(r);
	r = rconn_command(rc, "LPUSH lr:queue %s", "{\"device_id\":\"abc\"}");
	freeReplyObject(r);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 0);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 0);
	CHECK(num("LLEN %s", "lr:dead") == 2);
	CHECK(num("LLEN %s", "lr:processing:w1") == 0);
	CHECK(num("HGET %s jobs_malformed", "lr:stats") == 2);
	return 0;
}

static int
test_artifact_and_heartbeat(void)
{
	char sha[65];
	const char data[] = "SQLite format 3\0binary\xff";
	redisReply *r;

	flush();
	CHECK(
	    queue_store_artifact(rc, "lr", data, sizeof(data), 3600, sha) == 0);
	CHECK(strlen(sha) == 64);
	r = rconn_command(rc, "GET lr:artifact:%s", sha);
	CHECK(r != NULL && r->type == REDIS_REPLY_STRING &&
	      r->len == sizeof(data));
	CHECK(memcmp(r->str, data, sizeof(data)) == 0);
	freeReplyObject(r);
	r = rconn_command(rc, "TTL lr:artifact:%s", sha);
	CHECK(r != NULL && r->integer > 3500);
	freeReplyObject(r);

	CHECK(queue_heartbeat(rc, "lr", "host:1", 15000) == 0);
	CHECK(num("PTTL %s", "lr:worker:host:1") > 14000);
	CHECK(num("ZSCORE lr:workers %s", "host:1") > 0);
	CHECK(queue_unregister(rc, "lr", "host:1") == 0);
	CHECK(num("EXISTS %s", "lr:worker:host:1") == 0);
	CHECK(num("ZCARD %s", "lr:workers") == 0);
	return 0;
}

static int
test_recover_after_restart(void)
{
	struct queue_alert a = {.device_id = 13, .source = "manual"};
	struct queue_job job, again;
	redisReply *r;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w9", 1, &job) == 1);
	/* w9 "dies" here; its next incarnation recovers the job. */
	r = rconn_command(rc, "LPUSH lr:processing:w9 %s", "{broken");
	freeReplyObject(r);
	CHECK(queue_recover(rc, "lr", "w9") == 1);
	CHECK(num("LLEN %s", "lr:processing:w9") == 0);
	CHECK(num("LLEN %s", "lr:dead") == 1);
	CHECK(num("HGET %s attempts", "lr:result:13") == 1);
	CHECK(queue_recover(rc, "lr", "w9") == 0);
	CHECK(queue_claim(rc, "lr", "w9", 1, &again) == 1);
	CHECK(again.device_id == 13 && again.attempts == 2);
	queue_job_release(&job);
	queue_job_release(&again);
	return 0;
}

static int
test_alert_seen_once(void)
{
	struct queue_alert a = {.device_id = 14,
	    .alert_id = "uuid-1",
	    .source = "alerts",
	    .seen_ttl_s = 3600};

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_DUPLICATE);
	CHECK(num("TTL %s", "lr:alert:uuid-1") > 3500);
	a.alert_id = "uuid-2";
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_COALESCED);
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_DUPLICATE);
	CHECK(num("HGET %s alerts_duplicate", "lr:stats") == 2);
	CHECK(num("LLEN %s", "lr:queue") == 1);
	/* Without a TTL nothing is remembered (notifications, synthetic). */
	a.seen_ttl_s = 0;
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_COALESCED);
	return 0;
}

static int
test_cooldown_rides_in_the_job(void)
{
	struct queue_alert a = {
	    .device_id = 15, .source = "alerts", .cooldown_s = 90};
	struct queue_job job;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	CHECK(job.cooldown_s == 90);
	CHECK(
	    queue_complete(rc, "lr", &job, "done", NULL, job.cooldown_s) == 1);
	CHECK(num("TTL %s", "lr:cooldown:15") > 80);
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_COALESCED);
	queue_job_release(&job);
	return 0;
}

static int
test_session_budget(void)
{
	redisReply *r;

	flush();
	CHECK(queue_session_acquire(rc, "lr", "w1/1", 2, 60000) == 1);
	CHECK(queue_session_acquire(rc, "lr", "w1/2", 2, 60000) == 1);
	CHECK(queue_session_acquire(rc, "lr", "w2/3", 2, 60000) == 0);
	/* Renewing a held slot is not blocked by the budget. */
	CHECK(queue_session_acquire(rc, "lr", "w1/1", 2, 60000) == 1);
	CHECK(num("ZCARD %s", "lr:sessions") == 2);
	CHECK(queue_session_release(rc, "lr", "w1/2") == 0);
	CHECK(queue_session_acquire(rc, "lr", "w2/3", 2, 60000) == 1);
	/* A dead worker's lease runs out and frees its slot. */
	r = rconn_command(rc, "ZADD lr:sessions 1 dead/9");
	freeReplyObject(r);
	CHECK(queue_session_release(rc, "lr", "w1/1") == 0);
	CHECK(queue_session_acquire(rc, "lr", "w3/4", 2, 60000) == 1);
	CHECK(num("ZSCORE lr:sessions %s", "dead/9") == -1);
	return 0;
}

static int
test_custom_prefix(void)
{
	struct queue_alert a = {.device_id = 10, .source = "manual"};

	flush();
	CHECK(queue_enqueue(rc, "other", &a) == QUEUE_QUEUED);
	CHECK(num("LLEN %s", "other:queue") == 1);
	CHECK(num("EXISTS %s", "lr:queue") == 0);
	return 0;
}

struct racer {
	int n;
	int queued;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct rconn *c = rconn_new(url, 5000);

	for (int i = 0; i < 200; i++) {
		struct queue_alert a = {
		    .device_id = 1 + i % 50, .source = "manual"};

		if (queue_enqueue(c, "lr", &a) == QUEUE_QUEUED)
			r->queued++;
	}
	rconn_free(c);
	return NULL;
}

static int
test_concurrent_enqueue_one_job_per_device(void)
{
	pthread_t tid[4];
	struct racer r[4];
	int total = 0;

	flush();
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){i, 0};
		CHECK(pthread_create(&tid[i], NULL, race, &r[i]) == 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		total += r[i].queued;
	}
	CHECK(total == 50);
	CHECK(num("LLEN %s", "lr:queue") == 50);
	CHECK(num("ZCARD %s", "lr:inflight") == 50);
	CHECK(num("HGET %s coalesced", "lr:stats") == 750);
	return 0;
}

static int
test_script_flush_is_survived(void)
{
	struct queue_alert a = {.device_id = 11, .source = "manual"};
	redisReply *r;

	flush();
	r = rconn_command(rc, "SCRIPT FLUSH");
	freeReplyObject(r);
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	return 0;
}

static int
test_redis_gone(void)
{
	struct queue_alert a = {.device_id = 12, .source = "manual"};
	struct queue_job job;

	t_redis_stop();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_ERROR);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == -1);
	CHECK(!rconn_connected(rc));
	return 0;
}

int
main(void)
{
	log_init("test_queue", LOG_ERROR, LOG_TEXT);
	signal(SIGPIPE, SIG_IGN); /* as every daemon does */
	if ((url = t_redis_start()) == NULL) {
		printf("not ok 1 - redis-server did not start\n");
		return 1;
	}
	rc = rconn_new(url, 5000);
	if (rconn_wait(rc, NULL) == -1)
		return 1;
	RUN(test_enqueue_dedupes_and_coalesces);
	RUN(test_claim_update_complete);
	RUN(test_fencing_token);
	RUN(test_failed_and_cooldown);
	RUN(test_release_puts_job_first);
	RUN(test_claim_timeout_and_malformed);
	RUN(test_artifact_and_heartbeat);
	RUN(test_recover_after_restart);
	RUN(test_alert_seen_once);
	RUN(test_cooldown_rides_in_the_job);
	RUN(test_session_budget);
	RUN(test_custom_prefix);
	RUN(test_concurrent_enqueue_one_job_per_device);
	RUN(test_script_flush_is_survived);
	RUN(test_redis_gone);
	rconn_free(rc);
	return t_done();
}
