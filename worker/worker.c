/* worker.c - claim loop, job handling and heartbeat of lr-worker.
 *
 * A job thread: claim (BLMOVE, 2 s), collect (collect.c), complete.  The
 * Redis side of a collection (progress, artifacts, counters) is the sink
 * below, on the thread's own connection. */
#include "worker.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect.h"
#include "log.h"
#include "lr.h"
#include "queue.h"
#include "rconn.h"
#include "util.h"
#include "xmalloc.h"

#define WORKER_CLAIM_S 2            /* BLMOVE timeout: how soon stop is seen */
#define WORKER_REDIS_MS 5000        /* Redis command timeout */
#define WORKER_LEASE_MS 15000       /* heartbeat lease */
#define WORKER_HEARTBEAT_MS 5000    /* heartbeat period */
#define WORKER_FINISH_TRIES 10      /* queue_complete attempts */
#define WORKER_SLOT_LEASE_MS 600000 /* a session slot, renewed on progress */

struct worker_thread {
	struct worker *w;
	int n; /* thread number, for logs */
	pthread_t tid;
	bool started;
	struct rconn *rc;      /* this thread's Redis */
	struct lr *lr;         /* this thread's Live Response client */
	struct queue_job *job; /* the job in hand, for the sink */
	char slot[200];        /* held session budget member, or "" */
	int64_t slot_renewed;  /* util_mono_ms() of the last lease renewal */
};

struct worker {
	const struct config *cfg;
	const struct cb_cred *cred;
	enum config_api api;
	volatile sig_atomic_t *stop;   /* shutdown: stop claiming */
	volatile sig_atomic_t *abort;  /* give up the jobs in hand */
	volatile sig_atomic_t hb_stop; /* set once all jobs are done */
	char *id;                      /* worker id; owned */
	struct rconn *hb_rc;           /* the heartbeat's Redis */
	pthread_t hb_tid;
	struct worker_thread *threads; /* owned array of cfg->concurrency */
};

struct worker *
worker_new(const struct config *cfg, const struct cb_cred *cred,
    enum config_api api, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *abort)
{
	struct worker *w = xcalloc(1, sizeof(*w));

	w->cfg = cfg;
	w->cred = cred;
	w->api = api;
	w->stop = stop;
	w->abort = abort;
	if (cfg->worker_id != NULL)
		w->id = xstrdup(cfg->worker_id);
	else {
		char host[256];

		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		w->id = xasprintf("%s:%ld", host, (long)getpid());
	}
	w->threads = xcalloc((size_t)cfg->concurrency, sizeof(*w->threads));
	return w;
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	free(w->threads);
	free(w->id);
	free(w);
}

const char *
worker_id(const struct worker *w)
{
	return w->id;
}

/* ------------------------------------------------------------------ */
/* The sink: collection progress into Redis */

static int
worker_sink_progress(void *arg, json_t *fields)
{
	struct worker_thread *t = arg;
	int r = queue_update(t->rc, t->w->cfg->prefix, t->job, fields);

	/* Progress renews the slot's lease, at most once a minute: one Redis
	 * round trip per step would be twice the writes for nothing. */
	if (t->slot[0] != '\0' &&
	    util_mono_ms() - t->slot_renewed > WORKER_SLOT_LEASE_MS / 10) {
		queue_session_acquire(t->rc, t->w->cfg->prefix, t->slot,
		    t->w->cfg->session_limit, WORKER_SLOT_LEASE_MS);
		t->slot_renewed = util_mono_ms();
	}

	if (r == 0)
		log_warnx("job for device %" PRId64
			  " was taken over by another attempt",
		    t->job->device_id);
	return r == 0 ? -1 : 0; /* a Redis error is not a reason to stop */
}

static int
worker_sink_store(void *arg, const void *data, size_t len, char sha[65])
{
	struct worker_thread *t = arg;

	return queue_store_artifact(t->rc, t->w->cfg->prefix, data, len,
	    t->w->cfg->artifact_ttl_s, sha);
}

static int
worker_sink_slot(void *arg, bool take)
{
	struct worker_thread *t = arg;
	const char *prefix = t->w->cfg->prefix;
	bool said = false;
	int r;

	if (!take) {
		if (t->slot[0] != '\0')
			queue_session_release(t->rc, prefix, t->slot);
		t->slot[0] = '\0';
		return 0;
	}
	snprintf(t->slot, sizeof(t->slot), "%s/%" PRId64, t->w->id,
	    t->job->device_id);
	while ((r = queue_session_acquire(t->rc, prefix, t->slot,
		    t->w->cfg->session_limit, WORKER_SLOT_LEASE_MS)) != 1) {
		if (*t->w->abort) {
			t->slot[0] = '\0';
			return -1;
		}
		if (r == 0 && !said) {
			json_t *f = json_pack("{s:s}", "step",
			    "waiting for a Live Response session slot");

			log_info(
			    "device %" PRId64
			    ": all %d Live Response sessions in use, waiting",
			    t->job->device_id, t->w->cfg->session_limit);
			queue_update(t->rc, prefix, t->job, f);
			json_decref(f);
			said = true;
		}
		util_sleep_ms(1000, t->w->abort);
	}
	t->slot_renewed = util_mono_ms();
	return 0;
}

static void
worker_sink_count(void *arg, const char *name, long long n)
{
	struct worker_thread *t = arg;

	if (n != 0)
		queue_count(t->rc, t->w->cfg->prefix, name, n);
}

/* ------------------------------------------------------------------ */
/* Jobs */

/* Completes the job, retrying while Redis is away: a job left in the
 * processing list of a live worker would never be recovered. */
static void
worker_complete(struct worker_thread *t, struct queue_job *job,
    const char *status, json_t *fields)
{
	const struct config *cfg = t->w->cfg;
	int r = -1;

	for (int i = 0; i < WORKER_FINISH_TRIES && r == -1; i++) {
		if (i > 0)
			util_sleep_ms(1000, NULL);
		/* The poller's --cooldown rides in the job; the longer wins. */
		r = queue_complete(t->rc, cfg->prefix, job, status, fields,
		    job->cooldown_s > cfg->cooldown_s ? job->cooldown_s
						      : cfg->cooldown_s);
	}
	if (r == -1)
		log_error(
		    "could not record the result for device %" PRId64
		    " in Redis; it will be retried when this worker restarts",
		    job->device_id);
	else if (r == 0)
		log_warnx("result for device %" PRId64
			  " dropped: a newer attempt owns the job",
		    job->device_id);
	/* queue_complete() counts jobs_done / jobs_failed and sets step. */
}

static void
worker_job(struct worker_thread *t, struct queue_job *job)
{
	const struct config *cfg = t->w->cfg;
	struct collect_sink sink = {worker_sink_progress, worker_sink_store,
	    worker_sink_count, worker_sink_slot, t};
	struct collect_opts opts = {.prefix = cfg->prefix,
	    .checkin_timeout_s = cfg->checkin_timeout_s,
	    .max_file_size = (size_t)cfg->max_file_size,
	    .offline_after_s = cfg->offline_after_s,
	    .stop = t->w->abort};
	json_t *result;

	log_debug("thread %d: job %s for device %" PRId64 " (attempt %d)", t->n,
	    job->id, job->device_id, job->attempts);
	t->job = job;
	result = json_object();
	if (job->attempts > cfg->max_attempts) {
		json_object_set_new(result, "error",
		    json_sprintf(
			"gave up after %d attempts", job->attempts - 1));
		worker_complete(t, job, "failed", result);
		goto out;
	}
	switch (collect_device(t->lr, &opts, &sink, job->device_id, result)) {
	case COLLECT_UNSTARTED:
		if (queue_release(t->rc, cfg->prefix, job) == 1)
			log_info("handed back the job for device %" PRId64,
			    job->device_id);
		break;
	case COLLECT_DONE:
		worker_complete(t, job, "done", result);
		break;
	case COLLECT_FAILED:
		/* Cut short by shutdown: another worker will do it again. */
		if (*t->w->abort &&
		    queue_release(t->rc, cfg->prefix, job) == 1) {
			log_info(
			    "handed back the interrupted job for device %" PRId64,
			    job->device_id);
			break;
		}
		worker_complete(t, job, "failed", result);
		break;
	}
out:
	json_decref(result);
	t->job = NULL;
}

static void *
worker_thread_main(void *arg)
{
	struct worker_thread *t = arg;
	struct worker *w = t->w;

	while (!*w->stop) {
		struct queue_job job;
		int r;

		if (!rconn_connected(t->rc) && rconn_wait(t->rc, w->stop) == -1)
			break;
		memset(&job, 0, sizeof(job));
		r = queue_claim(
		    t->rc, w->cfg->prefix, w->id, WORKER_CLAIM_S, &job);
		if (r == -1) {
			util_sleep_ms(1000, w->stop);
			continue;
		}
		if (r == 0)
			continue;
		worker_job(t, &job);
		queue_job_release(&job);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Heartbeat */

static void *
worker_heartbeat_main(void *arg)
{
	struct worker *w = arg;
	int64_t drain_end = 0;

	while (!w->hb_stop) {
		util_sleep_ms(
		    *w->stop ? 500 : WORKER_HEARTBEAT_MS, &w->hb_stop);
		if (w->hb_stop)
			break;
		/* Draining: jobs in hand get --drain-timeout to finish. */
		if (*w->stop && drain_end == 0) {
			drain_end = util_mono_ms() +
				    (int64_t)w->cfg->drain_timeout_s * 1000;
			log_info(
			    "stopping: no new jobs; finishing the jobs in hand (up to %d s)",
			    w->cfg->drain_timeout_s);
		}
		if (drain_end != 0 && !*w->abort &&
		    util_mono_ms() >= drain_end) {
			log_warnx(
			    "drain timeout: closing sessions and handing jobs back");
			*w->abort = 1;
		}
		if (queue_heartbeat(w->hb_rc, w->cfg->prefix, w->id,
			WORKER_LEASE_MS) == -1 &&
		    rconn_wait(w->hb_rc, &w->hb_stop) == 0)
			queue_heartbeat(
			    w->hb_rc, w->cfg->prefix, w->id, WORKER_LEASE_MS);
	}
	return NULL;
}

/* Registers the worker (before its first claim), retrying until Redis
 * answers or the worker is stopped.  0 or -1. */
static int
worker_register(struct worker *w)
{
	while (!*w->stop) {
		if (rconn_wait(w->hb_rc, w->stop) == -1)
			return -1;
		if (queue_heartbeat(
			w->hb_rc, w->cfg->prefix, w->id, WORKER_LEASE_MS) == 0)
			return 0;
		util_sleep_ms(1000, w->stop);
	}
	return -1;
}

int
worker_run(struct worker *w)
{
	const struct config *cfg = w->cfg;
	int ret = -1, nstarted = 0;

	w->hb_rc = rconn_new(cfg->redis_url, WORKER_REDIS_MS);
	if (worker_register(w) == -1) {
		ret = 0; /* stopped before Redis came */
		goto out;
	}
	/* Jobs an earlier process with our id held when it died. */
	queue_recover(w->hb_rc, cfg->prefix, w->id);
	log_info(
	    "worker %s ready: %d threads, Redis %s, Live Response %s at %s",
	    w->id, cfg->concurrency, rconn_describe(w->hb_rc),
	    w->api == CONFIG_API_V6 ? "v6" : "v3", w->cred->url);
	if (pthread_create(&w->hb_tid, NULL, worker_heartbeat_main, w) != 0) {
		log_error("cannot start the heartbeat thread");
		goto out_unregister;
	}
	for (int i = 0; i < cfg->concurrency; i++) {
		struct worker_thread *t = &w->threads[i];

		t->w = w;
		t->n = i;
		t->rc = rconn_new(cfg->redis_url, WORKER_REDIS_MS);
		t->lr =
		    lr_new(w->cred, w->api, cfg->command_timeout_s, w->abort);
		if (pthread_create(&t->tid, NULL, worker_thread_main, t) != 0) {
			log_error("cannot start job thread %d", i);
			lr_free(t->lr);
			rconn_free(t->rc);
			*w->stop = 1;
			break;
		}
		t->started = true;
		nstarted++;
	}
	for (int i = 0; i < cfg->concurrency; i++) {
		struct worker_thread *t = &w->threads[i];

		if (!t->started)
			continue;
		pthread_join(t->tid, NULL);
		lr_free(t->lr);
		rconn_free(t->rc);
	}
	ret = nstarted == cfg->concurrency ? 0 : -1;
	w->hb_stop = 1;
	pthread_join(w->hb_tid, NULL);
out_unregister:
	queue_unregister(w->hb_rc, cfg->prefix, w->id);
	log_info("worker %s stopped", w->id);
out:
	rconn_free(w->hb_rc);
	w->hb_rc = NULL;
	return ret;
}
