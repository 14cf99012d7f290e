/* queue.h - the job lifecycle of design §2 as Lua scripts on Redis.
 *
 * Keys (prefix P, default "lr"): P:queue (list of job JSON), P:inflight
 * (zset device -> enqueue ms), P:processing:<worker> (list of claims),
 * P:retry (zset job JSON -> due ms), P:result:<id> (hash, design §3),
 * P:runs:<id> (list of past runs, newest first, capped), P:devices (zset
 * device -> last update ms), P:cooldown:<id> (string with TTL), P:stats
 * (hash of counters), P:events (capped stream), P:dead (capped list of
 * {job, error, at}), P:alert:<id> (an alert id already handled, with a
 * TTL), P:seq (claim tokens).  Leases and recovery are in lease.h.
 *
 * Every change to more than one key is one script (in common/lua/),
 * with the time taken from Redis's clock.  A claim puts an envelope in
 * the worker's processing list, {"claim":<token>,"worker":..,"at":..,
 * "job":<job JSON>}, so two claims of one job never look alike; every
 * later write of that attempt presents the token (fencing). */
#ifndef LR_QUEUE_H
#define LR_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
 * and counted (stats field "coalesced").  A new job starts a new run: the
 * last finished run's evidence moves to P:runs:<id>. */
enum queue_enqueue_result queue_enqueue(
    struct rconn *rc, const char *prefix, const struct queue_alert *a);

struct queue_job {
	char *raw;   /* the job JSON as queued */
	char *claim; /* our envelope in the processing list (LREM needs it) */
	char id[40]; /* job uuid */
	int64_t device_id;
	char source[32];
	char worker[128];    /* the worker id that claimed it */
	int attempts;        /* including this one */
	int cooldown_s;      /* the poller's --cooldown, 0 if none */
	long long token;     /* fencing token of this attempt */
	int64_t enqueued_ms; /* when the job was queued, 0 if unknown */
	json_t *json;        /* parsed raw; owned */
};

/* Claims a job: promotes due retries, takes the oldest job and starts it
 * (status running, worker, started_at, attempts, a new token), all in one
 * script.  When the queue is empty, waits up to timeout_s for one
 * (BLMOVE of the queue onto itself: it moves nothing) and tries once
 * more.  Returns 1 with *job filled, 0 when nothing came (a malformed job
 * is dead-lettered and also gives 0), -1 on error. */
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

/* A transient failure: the job waits in P:retry for delay_ms, status
 * deferred with reason as the error and next_attempt_at; the device stays
 * in flight.  fields (or NULL) are written too.  Returns 1, 0 when the
 * claim was revoked, -1. */
int queue_defer(struct rconn *rc, const char *prefix,
    const struct queue_job *job, int64_t delay_ms, const char *reason,
    json_t *fields);

/* Puts a claimed job back at the head of the queue untouched (shutdown
 * before it finished); the attempt is not counted.  Returns 1, 0 if not
 * ours, -1. */
int queue_release(
    struct rconn *rc, const char *prefix, const struct queue_job *job);

/* Adds n to counter name in P:stats (best effort). */
void queue_count(
    struct rconn *rc, const char *prefix, const char *name, long long n);

/* Stores bytes as P:artifact:<sha256hex> with ttl_s, unless present.
 * sha256hex receives 65 chars.  0 or -1. */
int queue_store_artifact(struct rconn *rc, const char *prefix, const void *data,
    size_t len, int ttl_s, char sha256hex[65]);

/* The same from a file (read from its start, a chunk at a time, so it
 * need not fit in memory), unless present (its TTL is renewed then).
 * 0 or -1. */
int queue_store_artifact_file(struct rconn *rc, const char *prefix, FILE *f,
    int ttl_s, char sha256hex[65]);

/* Returns the integer of an integer reply, else -1 (NULL too). */
long long queue_int_reply(const redisReply *r);

#endif
