/* test_queue.c - the job lifecycle scripts against a real redis-server:
 * dedupe and coalescing, claim, fenced updates, complete, cooldown,
 * release, deferral, run history, malformed jobs, artifacts, Redis going
 * away.  Leases and recovery are in test_lease.c. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "rconn.h"
#include "sha256.h"
#include "util.h"
#include "../t.h"
#include "../tr.h"

static const char *url;
static struct rconn *rc;

/* Shorthands on the test's connection. */
#define num(fmt, arg) tr_num(rc, fmt, arg)
#define str(fmt, arg) tr_str(rc, fmt, arg)
#define cmd(fmt, arg) tr_cmd(rc, fmt, arg)
#define flush() tr_cmd(rc, "FLUSHALL", NULL)

/* The device is in exactly one P:bystatus:<status> set: the one its
 * result's status names.  1 or 0. */
static int
indexed_as_status(const char *dev)
{
	static const char *const st[] = {
	    "queued", "running", "deferred", "done", "failed"};
	char key[64], fmt[64], *status;
	int in = 0, right = 0;

	snprintf(key, sizeof(key), "lr:result:%s", dev);
	status = tr_str(rc, "HGET %s status", key);
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		snprintf(fmt, sizeof(fmt), "ZSCORE lr:bystatus:%s %%s", st[i]);
		if (tr_num(rc, fmt, dev) > 0) {
			in++;
			right += status != NULL && strcmp(status, st[i]) == 0;
		}
	}
	free(status);
	return in == 1 && right == 1;
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
test_artifact(void)
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
	return 0;
}

/* Each claim is told apart: the same job JSON claimed twice (two
 * processes with one worker id) gives two entries, and the older
 * attempt's complete can neither drop the newer one's entry nor take the
 * device out of flight. */
/* A file goes to Redis a chunk at a time and appears whole or not at all;
 * the same bytes again are one copy. */
static int
test_artifact_from_a_file(void)
{
	char path[512], sha[65], sha2[65], want[65];
	size_t n = 3 * 1024 * 1024 + 17;
	unsigned char *data = malloc(n);
	FILE *f = util_tmpfile(path, sizeof(path));
	redisReply *r;

	flush();
	CHECK(data != NULL && f != NULL);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 31 + i / 977);
	CHECK(fwrite(data, 1, n, f) == n);
	sha256_hex(data, n, want);
	CHECK(queue_store_artifact_file(rc, "lr", f, 3600, sha) == 0);
	CHECK(strcmp(sha, want) == 0);
	r = rconn_command(rc, "GET lr:artifact:%s", sha);
	CHECK(r != NULL && r->type == REDIS_REPLY_STRING && r->len == n);
	CHECK(memcmp(r->str, data, n) == 0);
	freeReplyObject(r);
	CHECK(num("TTL lr:artifact:%s", sha) > 3500);
	CHECK(num("DBSIZE", NULL) == 1); /* no part left behind */
	CHECK(queue_store_artifact_file(rc, "lr", f, 7200, sha2) == 0);
	CHECK(strcmp(sha, sha2) == 0 && num("DBSIZE", NULL) == 1);
	CHECK(num("TTL lr:artifact:%s", sha) > 7000); /* renewed */
	fclose(f);
	unlink(path);
	free(data);
	return 0;
}

static int
test_claims_are_told_apart(void)
{
	struct queue_alert a = {.device_id = 16, .source = "manual"};
	struct queue_job j1, j2;
	char *raw;
	redisReply *r;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	raw = str("LINDEX %s 0", "lr:queue");
	CHECK(raw != NULL);
	CHECK(queue_claim(rc, "lr", "host:1", 1, &j1) == 1);
	/* The same job bytes come again (a duplicate hand-back). */
	r = rconn_command(rc, "RPUSH lr:queue %s", raw);
	freeReplyObject(r);
	CHECK(queue_claim(rc, "lr", "host:1", 1, &j2) == 1);
	CHECK(strcmp(j1.raw, raw) == 0 && strcmp(j2.raw, raw) == 0);
	CHECK(strcmp(j1.claim, j2.claim) != 0);
	CHECK(strstr(j1.claim, "\"worker\":\"host:1\"") != NULL);
	CHECK(num("LLEN %s", "lr:processing:host:1") == 2);
	CHECK(queue_complete(rc, "lr", &j1, "done", NULL, 0) == 0);
	CHECK(num("LLEN %s", "lr:processing:host:1") == 1);
	CHECK(num("ZCARD %s", "lr:inflight") == 1); /* j2 still runs */
	CHECK(queue_complete(rc, "lr", &j2, "done", NULL, 0) == 1);
	CHECK(num("ZCARD %s", "lr:inflight") == 0);
	CHECK(num("LLEN %s", "lr:processing:host:1") == 0);
	free(raw);
	queue_job_release(&j1);
	queue_job_release(&j2);
	return 0;
}

/* The idle wait moves nothing: a job that arrives while a worker waits
 * is claimed by the script, and a lost BLMOVE answer cannot strand it. */
static int
test_wait_moves_nothing(void)
{
	struct queue_alert a = {.device_id = 17, .source = "manual"};
	struct queue_job job;
	redisReply *r;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	r = rconn_command(rc, "BLMOVE lr:queue lr:queue RIGHT RIGHT 1");
	CHECK(r != NULL && r->type == REDIS_REPLY_STRING);
	freeReplyObject(r);
	CHECK(num("LLEN %s", "lr:queue") == 1);
	CHECK(num("EXISTS %s", "lr:processing:w1") == 0);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	CHECK(job.device_id == 17 && job.enqueued_ms > 0);
	queue_job_release(&job);
	return 0;
}

/* Design §2.5: a deferred job waits in P:retry with the device in
 * flight; new alerts join it; once due, the next claim promotes it. */
static int
test_defer_and_promote(void)
{
	struct queue_alert a = {
	    .device_id = 18, .alert_id = "C1", .source = "alerts"};
	struct queue_job job, again;
	json_t *f;
	char *s;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	f = json_pack("{s:s}", "device_name", "WIN-18");
	CHECK(
	    queue_defer(rc, "lr", &job, 1500, "device 18 is offline", f) == 1);
	json_decref(f);
	CHECK(queue_defer(rc, "lr", &job, 1500, "again", NULL) == 0);
	CHECK(num("ZCARD %s", "lr:retry") == 1);
	CHECK(num("LLEN %s", "lr:processing:w1") == 0);
	CHECK(num("ZCARD %s", "lr:inflight") == 1);
	s = str("HGET %s status", "lr:result:18");
	CHECK(s != NULL && strcmp(s, "deferred") == 0);
	free(s);
	s = str("HGET %s error", "lr:result:18");
	CHECK(s != NULL && strcmp(s, "device 18 is offline") == 0);
	free(s);
	s = str("HGET %s next_attempt_at", "lr:result:18");
	CHECK(s != NULL && strlen(s) == 24);
	free(s);
	s = str("HGET %s device_name", "lr:result:18");
	CHECK(s != NULL && strcmp(s, "WIN-18") == 0);
	free(s);
	a.alert_id = "C2";
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_COALESCED);
	/* Not due yet: nothing to claim. */
	CHECK(queue_claim(rc, "lr", "w1", 0, &again) == 0);
	util_sleep_ms(1600, NULL);
	CHECK(queue_claim(rc, "lr", "w1", 0, &again) == 1);
	CHECK(again.device_id == 18 && again.attempts == 2);
	CHECK(strcmp(again.raw, job.raw) == 0);
	CHECK(num("ZCARD %s", "lr:retry") == 0);
	s = str("HGET %s error", "lr:result:18");
	CHECK(s == NULL); /* an attempt starts clean */
	free(s);
	queue_job_release(&job);
	queue_job_release(&again);
	return 0;
}

/* Every status a job goes through is mirrored in P:bystatus:<status>,
 * the viewer's counts and filtered pages. */
static int
test_status_index(void)
{
	struct queue_alert a = {.device_id = 41, .source = "alerts"};
	struct queue_alert b = {.device_id = 42, .source = "alerts"};
	struct queue_job job, again;
	json_t *f;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(indexed_as_status("41"));
	CHECK(num("ZCARD %s", "lr:bystatus:queued") == 1);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	CHECK(indexed_as_status("41"));
	CHECK(num("ZCARD %s", "lr:bystatus:queued") == 0);
	CHECK(num("ZCARD %s", "lr:bystatus:running") == 1);
	/* A progress update naming the status keeps the index too. */
	f = json_pack("{s:s,s:s}", "status", "running", "step", "listing");
	CHECK(queue_update(rc, "lr", &job, f) == 1);
	json_decref(f);
	CHECK(indexed_as_status("41"));
	CHECK(queue_defer(rc, "lr", &job, 1, "offline", NULL) == 1);
	CHECK(indexed_as_status("41"));
	CHECK(num("ZCARD %s", "lr:bystatus:deferred") == 1);
	util_sleep_ms(20, NULL);
	/* Promoted (queued) and claimed (running) in one script. */
	CHECK(queue_claim(rc, "lr", "w1", 1, &again) == 1);
	CHECK(indexed_as_status("41"));
	CHECK(num("ZCARD %s", "lr:bystatus:running") == 1);
	CHECK(queue_complete(rc, "lr", &again, "done", NULL, 0) == 1);
	CHECK(indexed_as_status("41"));
	CHECK(num("ZCARD %s", "lr:bystatus:done") == 1);
	queue_job_release(&again);
	/* A new run, which fails. */
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(indexed_as_status("41"));
	CHECK(num("ZCARD %s", "lr:bystatus:done") == 0);
	CHECK(queue_claim(rc, "lr", "w1", 1, &again) == 1);
	CHECK(queue_complete(rc, "lr", &again, "failed", NULL, 0) == 1);
	CHECK(indexed_as_status("41"));
	CHECK(num("ZCARD %s", "lr:bystatus:failed") == 1);
	queue_job_release(&again);
	/* Released back to the queue at shutdown. */
	CHECK(queue_enqueue(rc, "lr", &b) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &again) == 1);
	CHECK(again.device_id == 42);
	CHECK(queue_release(rc, "lr", &again) == 1);
	CHECK(indexed_as_status("42"));
	CHECK(num("ZCARD %s", "lr:bystatus:queued") == 1);
	CHECK(num("ZCARD %s", "lr:bystatus:running") == 0);
	queue_job_release(&again);
	queue_job_release(&job);
	return 0;
}

/* A result shows only its own run's evidence: a new job moves the last
 * finished run to P:runs:<id>, and a retry starts without the evidence
 * of the attempt before it. */
static int
test_run_history(void)
{
	struct queue_alert a = {.device_id = 19, .source = "manual"};
	struct queue_job job;
	json_t *f, *run;
	char *s;

	flush();
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	f = json_pack("{s:[{s:s}],s:[s]}", "services", "name", "DHCP Client",
	    "users", "jdoe");
	CHECK(queue_complete(rc, "lr", &job, "done", f, 0) == 1);
	json_decref(f);
	queue_job_release(&job);
	/* A new run that fails early shows no services of the old one. */
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	s = str("HGET %s services", "lr:result:19");
	CHECK(s == NULL);
	free(s);
	CHECK(num("LLEN %s", "lr:runs:19") == 1);
	s = str("LINDEX %s 0", "lr:runs:19");
	run = s ? json_loads(s, 0, NULL) : NULL;
	CHECK(run != NULL);
	CHECK(strcmp(json_string_value(json_object_get(run, "status")),
		  "done") == 0);
	CHECK(strstr(json_string_value(json_object_get(run, "services")),
		  "DHCP Client") != NULL);
	CHECK(json_object_get(run, "finished_at") != NULL);
	json_decref(run);
	free(s);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	f = json_pack("{s:s}", "error", "could not open a session");
	CHECK(queue_complete(rc, "lr", &job, "failed", f, 0) == 1);
	json_decref(f);
	s = str("HGET %s users", "lr:result:19");
	CHECK(s == NULL);
	free(s);
	queue_job_release(&job);
	/* The history is capped. */
	for (int i = 0; i < 25; i++) {
		CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
		CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
		CHECK(queue_complete(rc, "lr", &job, "done", NULL, 0) == 1);
		queue_job_release(&job);
	}
	CHECK(num("LLEN %s", "lr:runs:19") == 20);
	return 0;
}

/* A run is archived as a summary: the parsed History rows stay out of
 * P:runs:<id> (20 runs of them would be megabytes), the artifact each
 * profile came from and its row counts stay in. */
static int
test_run_summary(void)
{
	struct queue_alert a = {.device_id = 23, .source = "manual"};
	struct queue_job job;
	json_t *f, *visits = json_array(), *run, *arts, *a0, *svc;
	char *s;

	flush();
	for (int i = 0; i < 5000; i++)
		json_array_append_new(visits,
		    json_pack("{s:s,s:s,s:s}", "url",
			"https://example.com/a/long/enough/path/to/weigh/something",
			"title", "A page title of some length", "visit_time",
			"2026-11-27T10:00:00.000Z"));
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	f = json_pack(
	    "{s:[{s:s,s:s,s:b}],s:[s],s:s,s:s,s:[{s:s,s:s,s:s,s:i,s:s,s:s,s:o,s:i,s:[],s:i},{s:s,s:s,s:s,s:s}],s:[],s:i}",
	    "services", "name", "DHCP Client", "key", "Dhcp", "running", 1,
	    "users", "jdoe", "services_baseline", "2026-11-27T09:00:00.000Z",
	    "session_id", "1:23", "browser_history", "user", "jdoe", "browser",
	    "chrome", "profile", "Default", "size", 123456, "sha256", "ab12",
	    "artifact", "lr:artifact:ab12", "visits", visits, "visits_total",
	    12345, "downloads", "search_terms_total", 7, "user", "asmith",
	    "browser", "edge", "profile", "Default", "error", "no History file",
	    "timeline", "timeline_total", 0);
	CHECK(queue_complete(rc, "lr", &job, "done", f, 0) == 1);
	json_decref(f);
	queue_job_release(&job);
	CHECK(num("HSTRLEN %s browser_history", "lr:result:23") > 500000);
	/* The next run archives this one. */
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	s = str("LINDEX %s 0", "lr:runs:23");
	CHECK(s != NULL && strlen(s) < 2000);
	run = s ? json_loads(s, 0, NULL) : NULL;
	free(s);
	CHECK(json_is_object(run));
	CHECK(json_object_get(run, "browser_history") == NULL);
	CHECK(json_object_get(run, "timeline") == NULL);
	CHECK(strcmp(json_string_value(json_object_get(run, "session_id")),
		  "1:23") == 0);
	CHECK(strcmp(json_string_value(json_object_get(run, "worker")), "w1") ==
	      0);
	CHECK(json_is_string(json_object_get(run, "started_at")));
	CHECK(json_is_string(json_object_get(run, "finished_at")));
	CHECK(json_is_string(json_object_get(run, "alert_ids")));
	svc = json_loads(
	    json_string_value(json_object_get(run, "services")), 0, NULL);
	CHECK(strcmp(json_string_value(
			 json_object_get(json_array_get(svc, 0), "key")),
		  "Dhcp") == 0);
	json_decref(svc);
	arts = json_object_get(run, "artifacts");
	CHECK(json_array_size(arts) == 2);
	a0 = json_array_get(arts, 0);
	CHECK(strcmp(json_string_value(json_object_get(a0, "artifact")),
		  "lr:artifact:ab12") == 0);
	CHECK(strcmp(json_string_value(json_object_get(a0, "sha256")),
		  "ab12") == 0);
	CHECK(strcmp(json_string_value(json_object_get(a0, "profile")),
		  "Default") == 0);
	CHECK(json_integer_value(json_object_get(a0, "size")) == 123456);
	CHECK(json_integer_value(json_object_get(a0, "visits_total")) == 12345);
	CHECK(json_integer_value(json_object_get(a0, "downloads_total")) == 0);
	CHECK(
	    json_integer_value(json_object_get(a0, "search_terms_total")) == 7);
	CHECK(json_object_get(a0, "visits") == NULL);
	CHECK(strcmp(json_string_value(
			 json_object_get(json_array_get(arts, 1), "browser")),
		  "edge") == 0);
	CHECK(json_object_get(json_array_get(arts, 1), "visits_total") == NULL);
	json_decref(run);
	/* The hash starts the new run clean. */
	CHECK(num("HEXISTS %s services_baseline", "lr:result:23") == 0);
	CHECK(num("HEXISTS %s timeline", "lr:result:23") == 0);
	CHECK(num("HEXISTS %s browser_history", "lr:result:23") == 0);
	/* A run without history archives an empty list, not an object. */
	CHECK(queue_claim(rc, "lr", "w1", 1, &job) == 1);
	CHECK(queue_complete(rc, "lr", &job, "failed", NULL, 0) == 1);
	queue_job_release(&job);
	CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	s = str("LINDEX %s 0", "lr:runs:23");
	run = s ? json_loads(s, 0, NULL) : NULL;
	free(s);
	CHECK(json_is_array(json_object_get(run, "artifacts")));
	CHECK(json_array_size(json_object_get(run, "artifacts")) == 0);
	CHECK(strcmp(json_string_value(json_object_get(run, "status")),
		  "failed") == 0);
	json_decref(run);
	CHECK(num("LLEN %s", "lr:runs:23") == 2);
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
	if ((rc = tr_connect("test_queue", &url)) == NULL)
		return 1;
	RUN(test_enqueue_dedupes_and_coalesces);
	RUN(test_claim_update_complete);
	RUN(test_fencing_token);
	RUN(test_failed_and_cooldown);
	RUN(test_release_puts_job_first);
	RUN(test_claim_timeout_and_malformed);
	RUN(test_artifact);
	RUN(test_artifact_from_a_file);
	RUN(test_claims_are_told_apart);
	RUN(test_wait_moves_nothing);
	RUN(test_defer_and_promote);
	RUN(test_status_index);
	RUN(test_run_history);
	RUN(test_run_summary);
	RUN(test_alert_seen_once);
	RUN(test_cooldown_rides_in_the_job);
	RUN(test_custom_prefix);
	RUN(test_concurrent_enqueue_one_job_per_device);
	RUN(test_script_flush_is_survived);
	RUN(test_redis_gone);
	rconn_free(rc);
	return t_done();
}
