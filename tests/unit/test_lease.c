/* test_lease.c - worker leases, the session budget and the reaper's
 * scripts against a real redis-server: a second holder of an id refused,
 * a dead worker's jobs given back (stalls counted, sessions to close
 * returned), dead-lettering after too many stalls, the reconcile of a
 * live worker's own list, the invariant audit and retention. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "log.h"
#include "queue.h"
#include "rconn.h"
#include "util.h"
#include "../t.h"
#include "../tr.h"

static struct rconn *rc;

/* Shorthands on the test's connection. */
#define num(fmt, arg) tr_num(rc, fmt, arg)
#define str(fmt, arg) tr_str(rc, fmt, arg)
#define cmd(fmt, arg) tr_cmd(rc, fmt, arg)
#define flush() tr_cmd(rc, "FLUSHALL", NULL)

/* Queues a job for device and claims it as worker; 0 or -1. */
static int
queued_and_claimed(int64_t device, const char *worker, struct queue_job *job)
{
	struct queue_alert a = {.device_id = device, .source = "manual"};

	if (queue_enqueue(rc, "lr", &a) != QUEUE_QUEUED)
		return -1;
	return queue_claim(rc, "lr", worker, 1, job) == 1 ? 0 : -1;
}

static int
test_heartbeat_refuses_a_second_instance(void)
{
	char holder[256];
	long long ttl;

	flush();
	CHECK(lease_heartbeat(rc, "lr", "host:1", "h/1/aaaa", 15000) == 1);
	CHECK(num("PTTL %s", "lr:worker:host:1") > 14000);
	CHECK(num("ZSCORE lr:workers %s", "host:1") > 0);
	/* The same id from another process: refused while the lease lives. */
	CHECK(lease_heartbeat(rc, "lr", "host:1", "h/2/bbbb", 15000) == 0);
	CHECK(lease_holder(rc, "lr", "host:1", holder, sizeof(holder), &ttl) ==
	      0);
	CHECK(strcmp(holder, "h/1/aaaa") == 0 && ttl > 14000);
	/* Renewal by the holder works; once it is gone, the id is free. */
	CHECK(lease_heartbeat(rc, "lr", "host:1", "h/1/aaaa", 15000) == 1);
	cmd("DEL %s", "lr:worker:host:1");
	CHECK(lease_heartbeat(rc, "lr", "host:1", "h/2/bbbb", 15000) == 1);
	CHECK(lease_holder(rc, "lr", "host:1", holder, sizeof(holder), &ttl) ==
	      0);
	CHECK(strcmp(holder, "h/2/bbbb") == 0);
	/* Unregistering in another's name leaves its lease alone. */
	CHECK(lease_unregister(rc, "lr", "host:1", "h/1/aaaa") == 0);
	CHECK(num("EXISTS %s", "lr:worker:host:1") == 1);
	CHECK(lease_unregister(rc, "lr", "host:1", "h/2/bbbb") == 0);
	CHECK(num("EXISTS %s", "lr:worker:host:1") == 0);
	CHECK(num("ZCARD %s", "lr:workers") == 0);
	return 0;
}

/* A worker that exits with jobs it could not record stays registered,
 * so the reaper finds them. */
static int
test_unregister_keeps_jobs_findable(void)
{
	struct queue_job job;

	flush();
	CHECK(lease_heartbeat(rc, "lr", "w1", "i1", 15000) == 1);
	CHECK(queued_and_claimed(20, "w1", &job) == 0);
	CHECK(lease_unregister(rc, "lr", "w1", "i1") == 1);
	CHECK(num("EXISTS %s", "lr:worker:w1") == 0);
	CHECK(num("ZSCORE lr:workers %s", "w1") > 0);
	queue_job_release(&job);
	return 0;
}

static int
test_session_budget(void)
{
	flush();
	CHECK(lease_session_acquire(rc, "lr", "w1/1", 2, 60000) == 1);
	CHECK(lease_session_acquire(rc, "lr", "w1/2", 2, 60000) == 1);
	CHECK(lease_session_acquire(rc, "lr", "w2/3", 2, 60000) == 0);
	/* Renewing a held slot is not blocked by the budget. */
	CHECK(lease_session_acquire(rc, "lr", "w1/1", 2, 60000) == 1);
	CHECK(num("ZCARD %s", "lr:sessions") == 2);
	CHECK(lease_session_release(rc, "lr", "w1/2") == 0);
	CHECK(lease_session_acquire(rc, "lr", "w2/3", 2, 60000) == 1);
	/* A dead worker's lease runs out and frees its slot. */
	cmd("ZADD lr:sessions 1 %s", "dead/9");
	CHECK(lease_session_release(rc, "lr", "w1/1") == 0);
	CHECK(lease_session_acquire(rc, "lr", "w3/4", 2, 60000) == 1);
	CHECK(num("ZSCORE lr:sessions %s", "dead/9") == -1);
	/* A renewal while the job runs: held while the claim is on record,
	 * given back once another attempt owns the job. */
	cmd("HSET lr:result:4 token %s", "17");
	CHECK(lease_session_renew(rc, "lr", "w3/4", 4, 17, 2, 60000) == 1);
	CHECK(num("ZSCORE lr:sessions %s", "w3/4") > 0);
	cmd("HSET lr:result:4 token %s", "18");
	CHECK(lease_session_renew(rc, "lr", "w3/4", 4, 17, 2, 60000) == 2);
	CHECK(num("ZSCORE lr:sessions %s", "w3/4") == -1);
	CHECK(lease_session_acquire(rc, "lr", "w4/5", 2, 60000) == 1);
	return 0;
}

static int
test_reap_dead_worker(void)
{
	struct queue_job j1, j2, again;
	struct lease_reaped r;
	json_t *f;
	char **ids;
	char *s;
	int n;

	flush();
	CHECK(lease_heartbeat(rc, "lr", "dead", "d/1/x", 15000) == 1);
	CHECK(lease_heartbeat(rc, "lr", "live", "l/1/y", 15000) == 1);
	CHECK(queued_and_claimed(21, "dead", &j1) == 0);
	CHECK(queued_and_claimed(22, "dead", &j2) == 0);
	f = json_pack("{s:s}", "session_id", "7:21");
	CHECK(queue_update(rc, "lr", &j1, f) == 1);
	json_decref(f);
	CHECK(lease_session_acquire(rc, "lr", "dead/21", 10, 60000) == 1);
	CHECK(lease_session_acquire(rc, "lr", "live/23", 10, 60000) == 1);
	/* Alive: nothing happens. */
	CHECK(lease_reap(rc, "lr", "dead", 3, 0, &r) == 0);
	CHECK(num("LLEN %s", "lr:processing:dead") == 2);
	/* Its lease runs out; only its heartbeat is stale. */
	cmd("DEL %s", "lr:worker:dead");
	cmd("ZADD lr:workers 1 %s", "dead");
	n = lease_stale_workers(rc, "lr", 15000, &ids);
	CHECK(n == 1 && strcmp(ids[0], "dead") == 0);
	free(ids[0]);
	free(ids);
	/* A peek lists the sessions and changes nothing. */
	CHECK(lease_reap(rc, "lr", "dead", 3, LEASE_REAP_PEEK, &r) == 1);
	CHECK(r.requeued == 0 && r.nsessions == 1 &&
	      strcmp(r.sessions[0], "7:21") == 0);
	lease_reaped_release(&r);
	CHECK(num("LLEN %s", "lr:processing:dead") == 2);
	CHECK(num("HGET %s stalls", "lr:result:21") == -1);
	CHECK(lease_reap(rc, "lr", "dead", 3, 0, &r) == 1);
	CHECK(r.requeued == 2 && r.dead == 0);
	CHECK(r.nsessions == 1 && r.devices[0] == 21 &&
	      strcmp(r.sessions[0], "7:21") == 0);
	lease_reaped_release(&r);
	CHECK(num("LLEN %s", "lr:queue") == 2);
	CHECK(num("EXISTS %s", "lr:processing:dead") == 0);
	CHECK(num("ZSCORE lr:workers %s", "dead") == -1);
	CHECK(num("ZSCORE lr:sessions %s", "dead/21") == -1);
	CHECK(num("ZSCORE lr:sessions %s", "live/23") > 0);
	CHECK(num("ZCARD %s", "lr:inflight") == 2);
	CHECK(num("HGET %s stalls", "lr:result:21") == 1);
	CHECK(num("HGET %s jobs_recovered", "lr:stats") == 2);
	s = str("HGET %s status", "lr:result:21");
	CHECK(s != NULL && strcmp(s, "queued") == 0);
	free(s);
	/* The dead worker's claim is revoked: fencing. */
	f = json_pack("{s:s}", "step", "late");
	CHECK(queue_update(rc, "lr", &j1, f) == 0);
	CHECK(queue_complete(rc, "lr", &j1, "done", f, 0) == 0);
	json_decref(f);
	/* The job runs again, first in line. */
	CHECK(queue_claim(rc, "lr", "live", 1, &again) == 1);
	CHECK(again.device_id == 21 || again.device_id == 22);
	CHECK(again.attempts == 2);
	queue_job_release(&again);
	queue_job_release(&j1);
	queue_job_release(&j2);
	return 0;
}

/* A job that kills its worker every time ends in P:dead. */
static int
test_poison_job_is_dead_lettered(void)
{
	struct queue_job job;
	struct lease_reaped r;
	char *s;

	flush();
	for (int i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof(id), "w%d", i);
		if (i == 0)
			CHECK(queued_and_claimed(24, id, &job) == 0);
		else
			CHECK(queue_claim(rc, "lr", id, 1, &job) == 1);
		CHECK(job.device_id == 24);
		CHECK(lease_reap(rc, "lr", id, 2, 0, &r) == 1);
		CHECK(r.requeued + r.dead == 1);
		CHECK(r.dead == (i == 2));
		lease_reaped_release(&r);
		queue_job_release(&job);
	}
	s = str("HGET %s status", "lr:result:24");
	CHECK(s != NULL && strcmp(s, "failed") == 0);
	free(s);
	s = str("HGET %s error", "lr:result:24");
	CHECK(s != NULL && strstr(s, "stalled 3 times") != NULL);
	free(s);
	CHECK(num("ZCARD %s", "lr:inflight") == 0);
	CHECK(num("LLEN %s", "lr:queue") == 0);
	CHECK(num("LLEN %s", "lr:dead") == 1);
	s = str("LINDEX %s 0", "lr:dead");
	CHECK(s != NULL && strstr(s, "stalled") != NULL &&
	      strstr(s, "device_id") != NULL);
	free(s);
	return 0;
}

/* A worker restarted with its id recovers its own list (force). */
static int
test_recover_own_list(void)
{
	struct queue_job job, again;
	struct lease_reaped r;

	flush();
	CHECK(lease_heartbeat(rc, "lr", "w9", "new", 15000) == 1);
	CHECK(queued_and_claimed(25, "w9", &job) == 0);
	cmd("LPUSH lr:processing:w9 %s", "{broken");
	CHECK(lease_reap(rc, "lr", "w9", 3, LEASE_REAP_FORCE, &r) == 1);
	CHECK(r.requeued == 1);
	lease_reaped_release(&r);
	CHECK(num("LLEN %s", "lr:processing:w9") == 0);
	CHECK(num("LLEN %s", "lr:dead") == 1);
	CHECK(num("ZSCORE lr:workers %s", "w9") > 0); /* still registered */
	CHECK(queue_claim(rc, "lr", "w9", 1, &again) == 1);
	CHECK(again.device_id == 25 && again.attempts == 2);
	queue_job_release(&job);
	queue_job_release(&again);
	return 0;
}

/* A live worker hands back what no thread of it holds, once old enough. */
static int
test_reconcile(void)
{
	struct queue_job held, lost;
	long long tokens[1];

	flush();
	CHECK(queued_and_claimed(26, "w1", &held) == 0);
	CHECK(queued_and_claimed(27, "w1", &lost) == 0);
	tokens[0] = held.token;
	/* Too young: a claim's answer may still be on its way. */
	CHECK(lease_reconcile(rc, "lr", "w1", tokens, 1, 60000) == 0);
	CHECK(num("LLEN %s", "lr:processing:w1") == 2);
	util_sleep_ms(20, NULL);
	CHECK(lease_reconcile(rc, "lr", "w1", tokens, 1, 10) == 1);
	CHECK(num("LLEN %s", "lr:processing:w1") == 1);
	CHECK(num("LLEN %s", "lr:queue") == 1);
	CHECK(queue_complete(rc, "lr", &lost, "done", NULL, 0) == 0);
	CHECK(queue_complete(rc, "lr", &held, "done", NULL, 0) == 1);
	queue_job_release(&held);
	queue_job_release(&lost);
	return 0;
}

static int
test_audit_repairs(void)
{
	struct queue_job job;
	json_t *rep = NULL;
	char *raw;

	flush();
	CHECK(lease_heartbeat(rc, "lr", "w1", "i", 15000) == 1);
	CHECK(queued_and_claimed(28, "w1", &job) == 0);
	CHECK(lease_audit(rc, "lr", NULL) == 0);
	/* In flight with no job anywhere (a lost write). */
	cmd("ZADD lr:inflight 1 %s", "29");
	/* A job whose device is not in flight. */
	{
		struct queue_alert a = {.device_id = 30, .source = "manual"};

		CHECK(queue_enqueue(rc, "lr", &a) == QUEUE_QUEUED);
	}
	cmd("ZREM lr:inflight %s", "30");
	/* A second waiting job for the running device 28. */
	raw = strdup(job.raw);
	cmd("LPUSH lr:queue %s", raw);
	CHECK(lease_audit(rc, "lr", &rep) == 3);
	CHECK(json_array_size(rep) == 3);
	json_decref(rep);
	CHECK(num("ZSCORE lr:inflight %s", "30") > 0);
	CHECK(num("LLEN %s", "lr:queue") == 2); /* 30, and 29 again */
	CHECK(num("HGET %s repairs_lost", "lr:stats") == 1);
	CHECK(num("HGET %s repairs_unflown", "lr:stats") == 1);
	CHECK(num("HGET %s repairs_duplicate", "lr:stats") == 1);
	/* Repaired: nothing more to do. */
	CHECK(lease_audit(rc, "lr", NULL) == 0);
	free(raw);
	queue_job_release(&job);
	return 0;
}

static int
test_retention(void)
{
	flush();
	cmd("ZADD lr:devices 1 %s", "31");
	cmd("HSET lr:result:31 status %s", "done");
	cmd("LPUSH lr:runs:31 %s", "{}");
	cmd("ZADD lr:devices 1 %s", "32");
	cmd("ZADD lr:inflight 1 %s", "32");
	cmd("HSET lr:result:32 status %s", "queued");
	cmd("ZADD lr:devices 99999999999999 %s", "33");
	cmd("HSET lr:result:33 status %s", "done");
	CHECK(lease_retention(rc, "lr", 86400, 100) == 1);
	CHECK(num("EXISTS %s", "lr:result:31") == 0);
	CHECK(num("EXISTS %s", "lr:runs:31") == 0);
	CHECK(num("EXISTS %s", "lr:result:32") == 1); /* in flight */
	CHECK(num("EXISTS %s", "lr:result:33") == 1); /* recent */
	CHECK(num("ZCARD %s", "lr:devices") == 2);
	return 0;
}

/* Results written before the index by status existed are indexed in
 * steps; a stale entry in another status's set goes; a second call sees
 * the marker and does nothing; retention takes devices out of it. */
static int
test_status_index_built(void)
{
	char dev[32];

	flush();
	for (int i = 1; i <= 2500; i++) {
		snprintf(dev, sizeof(dev), "%d", i);
		tr_cmd(rc, "ZADD lr:devices 1 %s", dev);
		snprintf(dev, sizeof(dev), "lr:result:%d", i);
		tr_cmd(rc,
		    i % 3 == 0   ? "HSET %s status queued"
		    : i % 3 == 1 ? "HSET %s status done"
				 : "HSET %s status failed",
		    dev);
	}
	cmd("ZADD lr:devices 1 %s", "9999");       /* no result: not indexed */
	cmd("ZADD lr:bystatus:running 5 %s", "3"); /* stale */
	CHECK(lease_status_index(rc, "lr", 1000) == 1);
	CHECK(num("GET %s", "lr:status_index") == 1);
	CHECK(num("ZCARD %s", "lr:bystatus:queued") == 833);
	CHECK(num("ZCARD %s", "lr:bystatus:done") == 834);
	CHECK(num("ZCARD %s", "lr:bystatus:failed") == 833);
	CHECK(num("ZCARD %s", "lr:bystatus:running") == 0);
	CHECK(num("ZSCORE lr:bystatus:queued %s", "3") == 1);
	CHECK(num("ZSCORE lr:bystatus:done %s", "9999") == -1);
	CHECK(lease_status_index(rc, "lr", 1000) == 0);
	/* Retention: every device is old and none in flight. */
	CHECK(lease_retention(rc, "lr", 1, 10000) == 2501);
	CHECK(num("EXISTS %s", "lr:bystatus:queued") == 0);
	CHECK(num("EXISTS %s", "lr:bystatus:done") == 0);
	CHECK(num("EXISTS %s", "lr:bystatus:failed") == 0);
	return 0;
}

static int
test_reaper_lock(void)
{
	flush();
	CHECK(lease_reaper_lock(rc, "lr", "a", 10000) == 1);
	CHECK(lease_reaper_lock(rc, "lr", "b", 10000) == 0);
	CHECK(lease_reaper_lock(rc, "lr", "a", 10000) == 1); /* renewed */
	cmd("DEL %s", "lr:reaper");
	CHECK(lease_reaper_lock(rc, "lr", "b", 10000) == 1);
	return 0;
}

int
main(void)
{
	const char *url;

	if ((rc = tr_connect("test_lease", &url)) == NULL)
		return 1;
	RUN(test_heartbeat_refuses_a_second_instance);
	RUN(test_unregister_keeps_jobs_findable);
	RUN(test_session_budget);
	RUN(test_reap_dead_worker);
	RUN(test_poison_job_is_dead_lettered);
	RUN(test_recover_own_list);
	RUN(test_reconcile);
	RUN(test_audit_repairs);
	RUN(test_retention);
	RUN(test_status_index_built);
	RUN(test_reaper_lock);
	rconn_free(rc);
	return t_done();
}
