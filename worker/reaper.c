/* reaper.c - the worker's lease, and recovery by the other workers
 * (design §2.7, §2.8).
 *
 * One thread per worker process.  Every WORKER_HEARTBEAT_MS it renews the
 * lease; a lease another process took over means this one was taken for
 * dead (stopped, cut off): it stops at once, its claims already revoked.
 * Every worker runs the reaper, but only the holder of a short lock acts:
 * it gives back the jobs of workers whose lease ran out, closes the Live
 * Response sessions they had open, and now and then checks the queue's
 * invariants and removes results past --retention.  The thread also
 * hands back anything in its own processing list that no job thread
 * holds (a claim whose answer was lost), and adds the process's counts of
 * the cloud's answers to P:stats (apistats.h) on every heartbeat. */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apistats.h"
#include "lease.h"
#include "log.h"
#include "lr.h"
#include "util.h"
#include "worker.h"
#include "worker_int.h"
#include "xmalloc.h"

#define WORKER_LEASE_MS \
	15000                      /* a worker is dead this long after its
				     last heartbeat */
#define WORKER_HEARTBEAT_MS 5000   /* heartbeat and reaper period */
#define REAPER_LOCK_MS 10000       /* the reaper lock outlives a period */
#define RECONCILE_MS 30000         /* own processing list check */
#define RECONCILE_MIN_AGE_MS 60000 /* a claim younger may be in transit */
#define AUDIT_MS 60000             /* invariants check */
#define RETENTION_MS 600000        /* old results removed */
#define RETENTION_BATCH 500
/* Devices a step when the index by status is built (about 5 ms of Redis). */
#define STATUS_INDEX_BATCH 1000
/* A reaper judges others only after it has itself been heard by Redis
 * this long without a break: after Redis was away (a restart, a
 * failover) every lease has run out, and the live workers need a
 * heartbeat period to renew theirs before anyone can be taken for dead. */
#define REAPER_SETTLE_MS (WORKER_LEASE_MS + WORKER_HEARTBEAT_MS)

/* Closes the sessions a dead worker's jobs had open, so they do not hold
 * the org's budget until the cloud's idle timeout. */
static void
reaper_close_sessions(struct lr *lr, const struct lease_reaped *r)
{
	for (size_t i = 0; i < r->nsessions; i++) {
		if (lr_session_close(lr, r->sessions[i]) == 0)
			log_info(
			    "closed Live Response session %s of device %" PRId64
			    " left open by a dead worker",
			    r->sessions[i], r->devices[i]);
		else
			log_warnx(
			    "could not close session %s of device %" PRId64
			    " left by a dead worker: %s",
			    r->sessions[i], r->devices[i], lr_error(lr));
	}
}

/* Gives back the jobs of worker id (how: 0, or LEASE_REAP_FORCE for our
 * own at start), closing the sessions they had open first, so the next
 * attempt cannot start in a session about to be closed.  1 when it acted
 * (r filled), 0 when the worker is alive, -1. */
static int
reaper_give_back(struct worker *w, struct lr *lr, const char *id, int how,
    struct lease_reaped *r)
{
	const char *prefix = w->cfg->prefix;
	int k;

	if ((k = lease_reap(w->hb_rc, prefix, id, w->cfg->max_stalls,
		 how | LEASE_REAP_PEEK, r)) != 1)
		return k;
	reaper_close_sessions(lr, r);
	lease_reaped_release(r);
	return lease_reap(w->hb_rc, prefix, id, w->cfg->max_stalls, how, r);
}

/* One reaper pass over the workers whose heartbeat is stale. */
static void
reaper_reap(struct worker *w, struct lr *lr)
{
	char **ids = NULL;
	int n = lease_stale_workers(
	    w->hb_rc, w->cfg->prefix, WORKER_LEASE_MS, &ids);

	for (int i = 0; i < n; i++) {
		struct lease_reaped r;

		if (strcmp(ids[i], w->id) != 0 &&
		    reaper_give_back(w, lr, ids[i], 0, &r) == 1) {
			log_warnx(
			    "worker %s stopped answering: %d jobs back in the queue, %d failed after too many stalls, %zu sessions closed",
			    ids[i], r.requeued, r.dead, r.nsessions);
			lease_reaped_release(&r);
		}
		free(ids[i]);
	}
	free(ids);
}

static void
reaper_reconcile(struct worker *w)
{
	long long tokens[257];
	size_t n = worker_held_tokens(w, tokens, 256);

	lease_reconcile(
	    w->hb_rc, w->cfg->prefix, w->id, tokens, n, RECONCILE_MIN_AGE_MS);
}

static void *
reaper_main(void *arg)
{
	struct worker *w = arg;
	const char *prefix = w->cfg->prefix;
	/* Closing a dead worker's sessions must work while we shut down. */
	struct lr *lr =
	    lr_new(w->cred, w->api, w->cfg->command_timeout_s, NULL);
	int64_t last_reconcile = util_mono_ms(), last_audit = 0;
	int64_t last_retention = 0, heard_since = util_mono_ms();
	bool indexed = false;
	struct cbhttp_gate g;

	w->hb_gate = (struct ratelimit_gate){w->hb_rc, prefix, "worker"};
	ratelimit_gate(&w->hb_gate, &g);
	lr_set_gate(lr, &g);
	while (!w->hb_stop) {
		int r;

		util_sleep_ms(WORKER_HEARTBEAT_MS, &w->hb_stop);
		if (w->hb_stop)
			break;
		r = lease_heartbeat(
		    w->hb_rc, prefix, w->id, w->instance, WORKER_LEASE_MS);
		if (r == 0) {
			log_error(
			    "worker id %s was taken over by another process while this one was not answering; stopping without touching its jobs",
			    w->id);
			w->fenced = 1;
			*w->stop = 1;
			*w->abort = 1;
			break;
		}
		if (r == -1) {
			heard_since = 0; /* Redis away: leases may run out */
			continue;
		}
		if (heard_since == 0) {
			heard_since = util_mono_ms();
			log_info(
			    "Redis is back: renewing the lease; no worker is taken for dead for %d s",
			    REAPER_SETTLE_MS / 1000);
		}
		/* The cloud's answers counted since the last tick, in one
		 * call; a failed flush keeps them for the next tick. */
		apistats_flush(w->hb_rc, prefix);
		/* Safe from any number of workers at once: no lock. */
		if (!indexed)
			indexed = lease_status_index(w->hb_rc, prefix,
				      STATUS_INDEX_BATCH) >= 0;
		if (util_mono_ms() - last_reconcile >= RECONCILE_MS) {
			reaper_reconcile(w);
			last_reconcile = util_mono_ms();
		}
		if (util_mono_ms() - heard_since < REAPER_SETTLE_MS ||
		    lease_reaper_lock(
			w->hb_rc, prefix, w->instance, REAPER_LOCK_MS) != 1)
			continue;
		reaper_reap(w, lr);
		if (last_audit == 0 ||
		    util_mono_ms() - last_audit >= AUDIT_MS) {
			lease_audit(w->hb_rc, prefix, NULL);
			last_audit = util_mono_ms();
		}
		if (last_retention == 0 ||
		    util_mono_ms() - last_retention >= RETENTION_MS) {
			int k = lease_retention(w->hb_rc, prefix,
			    w->cfg->retention_s, RETENTION_BATCH);

			if (k > 0)
				log_info(
				    "removed %d results older than %d s (--retention)",
				    k, w->cfg->retention_s);
			last_retention = util_mono_ms();
		}
	}
	lr_free(lr);
	return NULL;
}

/* Says whether the other holder of our id is alive: watches its lease
 * for up to one lease period.  1 alive (renewed), 0 gone, -1 stopped. */
static int
reaper_holder_alive(struct worker *w, const char *holder)
{
	const char *prefix = w->cfg->prefix;
	int64_t end = util_mono_ms() + WORKER_LEASE_MS + 2000;
	long long last = -1;

	log_warnx(
	    "worker id %s is held by %s; watching its lease (up to %d s) to see whether it is alive",
	    w->id, holder, (WORKER_LEASE_MS + 2000) / 1000);
	while (util_mono_ms() < end) {
		char cur[256];
		long long ttl;

		if (*w->stop)
			return -1;
		if (lease_holder(
			w->hb_rc, prefix, w->id, cur, sizeof(cur), &ttl) == 0) {
			if (cur[0] == '\0' || strcmp(cur, holder) != 0)
				return 0;
			if (last >= 0 && ttl > last + 1000)
				return 1; /* renewed: a live process */
			last = ttl;
		}
		util_sleep_ms(500, w->stop);
	}
	return 1;
}

int
reaper_register(struct worker *w)
{
	const char *prefix = w->cfg->prefix;
	struct lease_reaped r;
	struct lr *lr;

	while (!*w->stop) {
		char holder[256];
		long long ttl;
		int k;

		if (rconn_wait(w->hb_rc, w->stop) == -1)
			return -1;
		k = lease_heartbeat(
		    w->hb_rc, prefix, w->id, w->instance, WORKER_LEASE_MS);
		if (k == 1)
			break;
		if (k == 0 &&
		    lease_holder(w->hb_rc, prefix, w->id, holder,
			sizeof(holder), &ttl) == 0 &&
		    holder[0] != '\0') {
			int alive = reaper_holder_alive(w, holder);

			if (alive == 1) {
				log_error(
				    "another live worker (%s) uses the id %s: give each worker its own --id",
				    holder, w->id);
				return -2;
			}
			if (alive == -1)
				return -1;
			continue;
		}
		util_sleep_ms(1000, w->stop);
	}
	if (*w->stop)
		return -1;
	/* Jobs an earlier process with our id held when it died. */
	lr = lr_new(w->cred, w->api, w->cfg->command_timeout_s, NULL);
	if (reaper_give_back(w, lr, w->id, LEASE_REAP_FORCE, &r) == 1) {
		if (r.requeued + r.dead > 0)
			log_info(
			    "recovered %d job%s left by an earlier %s (%d failed after too many stalls)",
			    r.requeued + r.dead,
			    r.requeued + r.dead == 1 ? "" : "s", w->id, r.dead);
		lease_reaped_release(&r);
	}
	lr_free(lr);
	return 0;
}

int
reaper_start(struct worker *w)
{
	return pthread_create(&w->hb_tid, NULL, reaper_main, w) == 0 ? 0 : -1;
}

void
reaper_stop(struct worker *w)
{
	w->hb_stop = 1;
	pthread_join(w->hb_tid, NULL);
}
