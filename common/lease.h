/* lease.h - leases and recovery (design §2.2, §2.7, §2.8): worker
 * leases, the global Live Response session budget, and the reaper's
 * scripts that give a dead worker's jobs back, keep the invariants and
 * bound what Redis holds.
 *
 * Keys (prefix P): P:worker:<id> (the lease: the holder's instance id,
 * with a PX TTL), P:workers (zset worker -> last heartbeat ms),
 * P:sessions (zset "<worker>/<device>" -> slot lease expiry ms),
 * P:reaper (the reaper's lock). */
#ifndef LR_LEASE_H
#define LR_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rconn.h"

/* Takes or renews the worker's lease for ttl_ms, in the name of instance
 * (a string unique to this process).  Returns 1 when the lease is ours,
 * 0 when another live instance holds it, -1 on error. */
int lease_heartbeat(struct rconn *rc, const char *prefix, const char *worker_id,
    const char *instance, int ttl_ms);
/* Reads who holds the worker's lease: copies the holder's instance into
 * holder (or "" if none) and its ms left into *ttl_ms.  0 or -1. */
int lease_holder(struct rconn *rc, const char *prefix, const char *worker_id,
    char *holder, size_t size, long long *ttl_ms);
/* A clean exit: drops the lease (if still ours) and, when no job is left
 * in the processing list, the registration.  Returns the number of jobs
 * left behind, or -1. */
int lease_unregister(struct rconn *rc, const char *prefix,
    const char *worker_id, const char *instance);

/* The global Live Response session budget, P:sessions.  Takes or renews
 * a slot for member while fewer than limit live leases exist; expired
 * leases (a dead worker's) are dropped.  Returns 1 when held, 0 when the
 * budget is spent, -1 on error. */
/* The same while the job of claim token on device runs: 2 (and the slot
 * given back) when the claim is no longer the attempt on record. */
int lease_session_renew(struct rconn *rc, const char *prefix,
    const char *member, int64_t device, long long token, int limit,
    int lease_ms);
int lease_session_acquire(struct rconn *rc, const char *prefix,
    const char *member, int limit, int lease_ms);
/* Gives the slot back.  0 or -1. */
int lease_session_release(
    struct rconn *rc, const char *prefix, const char *member);

/* The reaper's lock: SET P:reaper instance NX PX ttl_ms, or renewal when
 * instance already holds it.  1 held, 0 someone else holds it, -1. */
int lease_reaper_lock(
    struct rconn *rc, const char *prefix, const char *instance, int ttl_ms);

/* Workers whose last heartbeat is older than stale_ms by Redis's clock:
 * a new array of new strings in *ids (free each and the array).  Returns
 * how many, or -1. */
int lease_stale_workers(
    struct rconn *rc, const char *prefix, int stale_ms, char ***ids);

/* What a reap did. */
struct lease_reaped {
	int requeued;     /* jobs back in the queue */
	int dead;         /* jobs that stalled too often: failed */
	size_t nsessions; /* Live Response sessions left open */
	int64_t *devices; /* their devices; owned */
	char **sessions;  /* their session ids; owned strings */
};

/* How lease_reap() goes about it. */
enum {
	LEASE_REAP_FORCE = 1, /* do not check the lease (a worker recovering
				 its own list at start) */
	LEASE_REAP_PEEK = 2,  /* write nothing: only list the sessions */
};

/* Gives back every job of worker_id if its lease is gone (or
 * unconditionally with LEASE_REAP_FORCE): each is counted as a stall and
 * requeued, or failed once it stalled more than max_stalls times; its
 * session slots are freed.  out lists the Live Response sessions its
 * jobs had open; with LEASE_REAP_PEEK only that is done, so the caller
 * can close them before the jobs can run again.  Returns 1 (out filled),
 * 0 when the worker is alive, -1. */
int lease_reap(struct rconn *rc, const char *prefix, const char *worker_id,
    int max_stalls, int how, struct lease_reaped *out);
void lease_reaped_release(struct lease_reaped *r);

/* Hands back the jobs in worker_id's processing list whose claim token is
 * not among tokens[0..n) and that were claimed more than min_age_ms ago.
 * Returns how many, or -1. */
int lease_reconcile(struct rconn *rc, const char *prefix, const char *worker_id,
    const long long *tokens, size_t n, int min_age_ms);

/* Checks design §2.8 over the queue, the retry set and every registered
 * worker's processing list, and repairs what it finds.  *repairs (or
 * NULL) gets a new array of {"kind", "device"} objects.  Returns the
 * number of repairs, or -1. */
int lease_audit(struct rconn *rc, const char *prefix, json_t **repairs);

/* Removes results, run histories and device entries not updated for
 * retention_s (devices in flight are kept), at most batch.  Returns how
 * many, or -1. */
int lease_retention(
    struct rconn *rc, const char *prefix, long long retention_s, int batch);

/* Builds the per-status index of the devices (P:bystatus:<status>) when
 * P:status_index says it is not whole yet: results written before it
 * existed.  A batch of devices per script call, so Redis is never held
 * long.  1 built now, 0 it already was, -1 error (try again later). */
int lease_status_index(struct rconn *rc, const char *prefix, int batch);

#endif
