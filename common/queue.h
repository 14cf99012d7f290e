/* queue.h - the job lifecycle of design §2 as Lua scripts on Redis.
 *
 * Keys (prefix P, default "lr"): P:queue (list of job JSON), P:inflight
 * (zset device -> enqueue ms), P:processing:<worker> (list), P:result:<id>
 * (hash, design §3), P:devices (zset device -> last update ms),
 * P:cooldown:<id> (string with TTL), P:workers (zset worker -> heartbeat
 * ms), P:worker:<id> (string with TTL), P:stats (hash of counters),
 * P:events (capped stream), P:dead (capped list of failed job JSON),
 * P:alert:<id> (an alert id already handled, with a TTL).
 * Every change to more than one key is one script, with the time taken
 * from Redis's clock. */
#ifndef LR_QUEUE_H
#define LR_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "rconn.h"

enum queue_enqueue_result {
	QUEUE_ERROR = -1,
	QUEUE_COALESCED = 0, /* device already in flight or cooling down */
	QUEUE_QUEUED = 1,
	QUEUE_DUPLICATE = 2, /* this alert id was handled before */
};

struct queue_alert {
	int64_t device_id;
	const char *alert_id; /* may be NULL (synthetic) */
	const char
	    *source; /* "notifications", "alerts", "synthetic", "manual" */
	const char *alert_json; /* the triggering alert as JSON text, or NULL */
	const char *device_name; /* may be NULL */
	int seen_ttl_s; /* > 0: remember alert_id this long (P:alert:<id>)
				  * and drop it when it comes again */
	int cooldown_s; /* > 0: after the job, coalesce this long */
};

/* Enqueues a job for a->device_id unless the device is in flight or in
 * cooldown, in which case the alert id is added to the device's alert_ids
 * and counted (stats field "coalesced"). */
enum queue_enqueue_result queue_enqueue(
    struct rconn *rc, const char *prefix, const struct queue_alert *a);

struct queue_job {
	char *raw;   /* the job JSON exactly as stored (LREM needs it) */
	char id[40]; /* job uuid */
	int64_t device_id;
	char source[32];
	char worker[128]; /* the worker id that claimed it */
	int attempts;     /* including this one */
	int cooldown_s;   /* the poller's --cooldown, 0 if none */
	long long token;  /* fencing token of this attempt */
	json_t *json;     /* parsed raw; owned */
};

/* Registers the worker and renews its lease (ttl_ms).  0 or -1. */
int queue_heartbeat(
    struct rconn *rc, const char *prefix, const char *worker_id, int ttl_ms);
/* Removes the worker's registration (clean exit).  0 or -1. */
int queue_unregister(
    struct rconn *rc, const char *prefix, const char *worker_id);

/* Waits up to timeout_s for a job (BLMOVE into P:processing:<worker>),
 * then starts it: status running, worker, started_at, attempts.  Returns
 * 1 with *job filled, 0 when nothing came, -1 on error.  A malformed job
 * is moved to P:dead and 0 is returned. */
int queue_claim(struct rconn *rc, const char *prefix, const char *worker_id,
    int timeout_s, struct queue_job *job);
void queue_job_release(struct queue_job *job);

/* Writes fields (a JSON object of string values, or values that are
 * serialised to JSON text) into the result hash, if this attempt still owns
 * the job.  Returns 1, 0 when a newer attempt owns it, -1 on error. */
int queue_update(struct rconn *rc, const char *prefix,
    const struct queue_job *job, json_t *fields);

/* Finishes the job: writes fields plus status (done|failed), finished_at,
 * removes the job from the processing list and the device from P:inflight,
 * sets P:cooldown:<id> for cooldown_s (if > 0), appends to P:dead when
 * failed.  Returns 1, 0 when the claim was revoked (result dropped), -1. */
int queue_complete(struct rconn *rc, const char *prefix,
    const struct queue_job *job, const char *status, json_t *fields,
    int cooldown_s);

/* Puts a claimed job back at the head of the queue untouched (shutdown
 * before it started).  Returns 1, 0 if not ours, -1. */
int queue_release(
    struct rconn *rc, const char *prefix, const struct queue_job *job);

/* The global Live Response session budget, P:sessions (zset member ->
 * lease expiry ms).  Takes or renews a slot for member while fewer than
 * limit live leases exist; expired leases (a dead worker's) are dropped.
 * Returns 1 when held, 0 when the budget is spent, -1 on error. */
int queue_session_acquire(struct rconn *rc, const char *prefix,
    const char *member, int limit, int lease_ms);
/* Gives the slot back.  0 or -1. */
int queue_session_release(
    struct rconn *rc, const char *prefix, const char *member);

/* Hands back every job left in P:processing:<worker> by an earlier
 * process with the same worker id (it died without draining).  Call it
 * before the first claim.  Returns the number handed back, or -1. */
int queue_recover(struct rconn *rc, const char *prefix, const char *worker_id);

/* Adds n to counter name in P:stats (best effort). */
void queue_count(
    struct rconn *rc, const char *prefix, const char *name, long long n);

/* Stores bytes as P:artifact:<sha256hex> with ttl_s, unless present.
 * sha256hex receives 65 chars.  0 or -1. */
int queue_store_artifact(struct rconn *rc, const char *prefix, const void *data,
    size_t len, int ttl_s, char sha256hex[65]);

#endif
