/* worker.c - claim loop and job handling of lr-worker.
 *
 * A job thread: claim (one script), collect (collect.c), then one of
 * complete, defer or hand back, retried until Redis takes it: a worker
 * never abandons a job it holds.  The Redis side of a collection
 * (progress, artifacts, counters, the session slot) is the sink below, on
 * the thread's own connection.  The lease, the reaper and the reconcile
 * run on their own thread (reaper.c); the main thread only supervises the
 * shutdown, so its deadlines hold while Redis is away. */
#include "worker.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apistats.h"
#include "collect.h"
#include "lease.h"
#include "log.h"
#include "lr.h"
#include "queue.h"
#include "rconn.h"
#include "util.h"
#include "worker_int.h"
#include "xmalloc.h"

#define WORKER_CLAIM_S 2     /* idle wait: how soon stop is seen */
#define WORKER_REDIS_MS 5000 /* Redis command timeout */
#define WORKER_SLOT_LEASE_MS \
	60000                      /* a session slot outlives its holder
				      by at most this */
#define WORKER_SLOT_RENEW_MS 15000 /* renewed this often while held */
#define WORKER_SLOT_POLL_MS 250 /* a job waiting for a slot asks this often */
#define WORKER_ABORT_GRACE_MS 15000 /* after abort: close, hand back */
#define WORKER_EXIT_GRACE_MS 5000   /* then threads still busy are left */

struct worker *
worker_new(const struct config *cfg, const struct cb_cred *cred,
    enum config_api api, volatile sig_atomic_t *stop,
    volatile sig_atomic_t *abort)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	char host[256], rnd[9];

	w->cfg = cfg;
	w->cred = cred;
	w->api = api;
	w->stop = stop;
	w->abort = abort;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (cfg->worker_id != NULL)
		w->id = xstrdup(cfg->worker_id);
	else
		w->id = xasprintf("%s:%ld", host, (long)getpid());
	/* Unique to this process: tells two holders of one id apart. */
	util_random_alnum(rnd, 8);
	snprintf(w->instance, sizeof(w->instance), "%.180s/%ld/%s", host,
	    (long)getpid(), rnd);
	w->threads = xcalloc((size_t)cfg->concurrency, sizeof(*w->threads));
	pthread_mutex_init(&w->lock, NULL);
	{
		const char *crash = getenv("LRFLOW_TEST_CRASH_DEVICE");

		w->crash_device = crash ? strtoll(crash, NULL, 10) : 0;
	}
	return w;
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w->threads);
	free(w->id);
	free(w);
}

const char *
worker_id(const struct worker *w)
{
	return w->id;
}

size_t
worker_held_tokens(struct worker *w, long long *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < w->cfg->concurrency && n < max; i++)
		if (w->threads[i].held != 0)
			out[n++] = w->threads[i].held;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static void
worker_hold(struct worker_thread *t, long long token)
{
	pthread_mutex_lock(&t->w->lock);
	t->held = token;
	pthread_mutex_unlock(&t->w->lock);
}

/* ------------------------------------------------------------------ */
/* The sink: collection progress into Redis */

/* Renews the session slot's lease, at most every WORKER_SLOT_RENEW_MS:
 * called from progress and, through lr_set_tick, while the cloud is
 * waited on (check-in, commands, downloads). */
static void
worker_tick(void *arg)
{
	struct worker_thread *t = arg;
	int r;

	if (t->slot[0] == '\0' ||
	    util_mono_ms() - t->slot_renewed < WORKER_SLOT_RENEW_MS)
		return;
	t->slot_renewed = util_mono_ms();
	r = t->job == NULL
		? lease_session_acquire(t->rc, t->w->cfg->prefix, t->slot,
		      t->w->cfg->session_limit, WORKER_SLOT_LEASE_MS)
		: lease_session_renew(t->rc, t->w->cfg->prefix, t->slot,
		      t->job->device_id, t->job->token,
		      t->w->cfg->session_limit, WORKER_SLOT_LEASE_MS);
	if (r == 2) {
		/* Its job runs elsewhere now: the budget gets the slot back
		 * at once; the attempt stops when it next writes. */
		log_warnx(
		    "device %" PRId64
		    ": another attempt owns the job; gave its session slot back",
		    t->job->device_id);
		t->slot[0] = '\0';
	} else if (r == 0)
		log_warnx(
		    "session slot %s was lost (its lease ran out) and the budget is full: %d sessions may be open for a while",
		    t->slot, t->w->cfg->session_limit + 1);
	else if (r == -1)
		log_debug("could not renew session slot %s", t->slot);
}

static int
worker_sink_progress(void *arg, json_t *fields)
{
	struct worker_thread *t = arg;
	int r = queue_update(t->rc, t->w->cfg->prefix, t->job, fields);

	worker_tick(t);
	if (r == 0)
		log_warnx("job for device %" PRId64
			  " was taken over by another attempt",
		    t->job->device_id);
	/* A Redis error is not a reason to stop, but not a yes either. */
	return r == 0 ? -1 : r == -1 ? 1 : 0;
}

static int
worker_sink_store(void *arg, FILE *f, char sha[65])
{
	struct worker_thread *t = arg;

	return queue_store_artifact_file(
	    t->rc, t->w->cfg->prefix, f, t->w->cfg->artifact_ttl_s, sha);
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
			lease_session_release(t->rc, prefix, t->slot);
		t->slot[0] = '\0';
		return 0;
	}
	snprintf(t->slot, sizeof(t->slot), "%s/%" PRId64, t->w->id,
	    t->job->device_id);
	while ((r = lease_session_acquire(t->rc, prefix, t->slot,
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
		util_sleep_ms(WORKER_SLOT_POLL_MS, t->w->abort);
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

/* The services of a run entry of P:runs:<device> (JSON text) when it is
 * a done run whose services came with registry keys: a new array, else
 * NULL; *fin: its finished_at (borrowed from *run, which the caller
 * frees). */
static json_t *
worker_run_services(
    const char *text, size_t len, json_t **run, const char **fin)
{
	json_t *list = NULL, *e;
	const char *st;
	size_t i;

	*run = json_loadb(text, len, 0, NULL);
	st = json_string_value(json_object_get(*run, "status"));
	*fin = json_string_value(json_object_get(*run, "finished_at"));
	if (st == NULL || strcmp(st, "done") != 0 || *fin == NULL ||
	    !json_is_string(json_object_get(*run, "services")))
		return NULL;
	list = json_loads(
	    json_string_value(json_object_get(*run, "services")), 0, NULL);
	json_array_foreach(list, i, e)
	{
		if (json_is_string(json_object_get(e, "key")))
			return list;
	}
	json_decref(list);
	return NULL;
}

/* The latest done run in P:runs:<device> (newest first) whose services
 * came with registry keys: one LRANGE.  A run that read no registry
 * (failed, a device without one) is no baseline, so an older one is. */
static int
worker_sink_previous(void *arg, json_t **services, char *at, size_t size)
{
	struct worker_thread *t = arg;
	redisReply *r;

	*services = NULL;
	r = rconn_command(t->rc, "LRANGE %s:runs:%" PRId64 " 0 -1",
	    t->w->cfg->prefix, t->job->device_id);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	for (size_t i = 0; i < r->elements && *services == NULL; i++) {
		json_t *run = NULL;
		const char *fin;

		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		*services = worker_run_services(
		    r->element[i]->str, r->element[i]->len, &run, &fin);
		if (*services != NULL)
			snprintf(at, size, "%s", fin);
		json_decref(run);
	}
	freeReplyObject(r);
	return *services != NULL;
}

/* The alert that asked for this run, as the poller stored it in the
 * result hash: a new reference, or NULL (none, or Redis did not answer:
 * the run goes on without a timeline). */
static json_t *
worker_job_alert(struct worker_thread *t, const struct queue_job *job)
{
	redisReply *r = rconn_command(t->rc, "HGET %s:result:%" PRId64 " alert",
	    t->w->cfg->prefix, job->device_id);
	json_t *alert = NULL;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		alert = json_loadb(r->str, r->len, 0, NULL);
	if (r != NULL)
		freeReplyObject(r);
	return alert;
}

/* ------------------------------------------------------------------ */
/* Ending a job */

enum finish_kind { FINISH_DONE, FINISH_FAILED, FINISH_DEFER, FINISH_RELEASE };

/* One try at ending the job.  1, 0 (the claim was revoked), -1. */
static int
worker_finish_once(struct worker_thread *t, const struct queue_job *job,
    enum finish_kind k, json_t *fields, int64_t delay_ms, const char *reason)
{
	const struct config *cfg = t->w->cfg;
	/* The poller's --cooldown rides in the job; the longer wins. */
	int cd = job->cooldown_s > cfg->cooldown_s ? job->cooldown_s
						   : cfg->cooldown_s;

	switch (k) {
	case FINISH_DONE:
		return queue_complete(
		    t->rc, cfg->prefix, job, "done", fields, cd);
	case FINISH_FAILED:
		return queue_complete(
		    t->rc, cfg->prefix, job, "failed", fields, cd);
	case FINISH_DEFER:
		return queue_defer(
		    t->rc, cfg->prefix, job, delay_ms, reason, fields);
	case FINISH_RELEASE:
		return queue_release(t->rc, cfg->prefix, job);
	}
	return -1;
}

/* Ends the job, trying until Redis takes it (a failover, an AOF reload):
 * a job left in the processing list of a live worker would stay there.
 * Gives up only when the process is past its shutdown deadline; the
 * reaper then hands the job on once the lease is gone. */
static int
worker_finish(struct worker_thread *t, const struct queue_job *job,
    enum finish_kind k, json_t *fields, int64_t delay_ms, const char *reason)
{
	int64_t wait = 250;
	int r;

	for (int i = 0;; i++) {
		if ((r = worker_finish_once(
			 t, job, k, fields, delay_ms, reason)) != -1)
			break;
		if (t->w->give_up) {
			log_error(
			    "could not record the result for device %" PRId64
			    " before exiting; another worker will run it again",
			    job->device_id);
			return -1;
		}
		if (i == 0)
			log_warnx(
			    "Redis is not answering: holding the result for device %" PRId64
			    " until it is back",
			    job->device_id);
		util_sleep_ms(wait, &t->w->give_up);
		wait = wait * 2 > 5000 ? 5000 : wait * 2;
	}
	if (r == 0)
		log_warnx("result for device %" PRId64
			  " dropped: a newer attempt owns the job",
		    job->device_id);
	return r;
}

/* The wait before retry n (1-based) of a transient failure: an
 * exponential ceiling (--retry-base doubling up to --retry-max), of which
 * half is fixed and half random, so a burst of failures (a 429 for
 * everyone) spreads out yet never comes back sooner than half the
 * ceiling; never sooner than the cloud's Retry-After either. */
static int64_t
worker_backoff_ms(const struct config *cfg, int n, long retry_after_s)
{
	int64_t cap = (int64_t)cfg->retry_max_s * 1000;
	int64_t ceil = (int64_t)cfg->retry_base_s * 1000;
	char rnd[5];
	uint32_t x = 0;
	int64_t ms;

	for (int i = 1; i < n && ceil < cap; i++)
		ceil *= 2;
	if (ceil > cap)
		ceil = cap;
	util_random_alnum(rnd, 4);
	for (int i = 0; i < 4; i++)
		x = x * 62 + (uint32_t)rnd[i];
	ms = ceil / 2 + (int64_t)(x % (uint32_t)(ceil / 2 + 1));
	if (retry_after_s > 0 && ms < retry_after_s * 1000)
		ms = retry_after_s * 1000;
	return ms;
}

/* A transient failure: deferred, or failed once its budget is spent
 * (--offline-ttl for an offline device, --max-attempts otherwise). */
static void
worker_retry_later(struct worker_thread *t, const struct queue_job *job,
    json_t *result, bool offline)
{
	const struct config *cfg = t->w->cfg;
	const char *e = json_string_value(json_object_get(result, "error"));
	char *err = xstrdup(e != NULL ? e : "a transient failure"), *why;
	int64_t delay;

	if (offline && job->enqueued_ms > 0 &&
	    util_now_ms() - job->enqueued_ms >
		(int64_t)cfg->offline_ttl_s * 1000) {
		why = xasprintf(
		    "gave up: the device stayed offline for longer than --offline-ttl (%d s) after the alert; last: %s",
		    cfg->offline_ttl_s, err);
		json_object_set_new(result, "error", json_string(why));
		free(why);
		worker_finish(t, job, FINISH_FAILED, result, 0, NULL);
	} else if (!offline && job->attempts >= cfg->max_attempts) {
		why = xasprintf(
		    "gave up after %d attempts; last: %s", job->attempts, err);
		json_object_set_new(result, "error", json_string(why));
		free(why);
		worker_finish(t, job, FINISH_FAILED, result, 0, NULL);
	} else {
		delay = worker_backoff_ms(
		    cfg, job->attempts, lr_retry_after(t->lr));
		log_info("device %" PRId64 ": %s; trying again in %" PRId64
			 " s",
		    job->device_id, err, (delay + 999) / 1000);
		json_object_del(result, "error");
		worker_finish(t, job, FINISH_DEFER, result, delay, err);
	}
	free(err);
}

static void
worker_job(struct worker_thread *t, struct queue_job *job)
{
	const struct config *cfg = t->w->cfg;
	struct collect_sink sink = {worker_sink_progress, worker_sink_store,
	    worker_sink_count, worker_sink_slot, worker_sink_previous, t};
	json_t *alert = worker_job_alert(t, job);
	struct collect_opts opts = {.prefix = cfg->prefix,
	    .checkin_timeout_s = cfg->checkin_timeout_s,
	    .max_file_size = (size_t)cfg->max_file_size,
	    .offline_after_s = cfg->offline_after_s,
	    .adopt = job->attempts > 1,
	    .alert = alert,
	    .timeline_window_s = cfg->timeline_window_s,
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
		worker_finish(t, job, FINISH_FAILED, result, 0, NULL);
		goto out;
	}
	switch (collect_device(t->lr, &opts, &sink, job->device_id, result)) {
	case COLLECT_DONE:
		worker_finish(t, job, FINISH_DONE, result, 0, NULL);
		break;
	case COLLECT_FAILED:
		worker_finish(t, job, FINISH_FAILED, result, 0, NULL);
		break;
	case COLLECT_RETRY:
		worker_retry_later(t, job, result, false);
		break;
	case COLLECT_OFFLINE:
		worker_retry_later(t, job, result, true);
		break;
	case COLLECT_UNSTARTED:
	case COLLECT_STOPPED:
		/* Cut short by shutdown: another worker will do it again. */
		if (worker_finish(t, job, FINISH_RELEASE, NULL, 0, NULL) == 1)
			log_info("handed back the job for device %" PRId64,
			    job->device_id);
		break;
	case COLLECT_REVOKED:
		log_warnx("device %" PRId64
			  ": another attempt owns the job; this one stops here",
		    job->device_id);
		break;
	}
out:
	json_decref(result);
	json_decref(alert);
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
		r = queue_claim(
		    t->rc, w->cfg->prefix, w->id, WORKER_CLAIM_S, &job);
		if (r == -1) {
			util_sleep_ms(1000, w->stop);
			continue;
		}
		if (r == 0)
			continue;
		worker_hold(t, job.token);
		if (w->crash_device != 0 && job.device_id == w->crash_device) {
			/* Test hook: a job that crashes its worker. */
			log_error(
			    "LRFLOW_TEST_CRASH_DEVICE: crashing on device %" PRId64,
			    job.device_id);
			raise(SIGKILL);
		}
		worker_job(t, &job);
		worker_hold(t, 0);
		queue_job_release(&job);
	}
	pthread_mutex_lock(&w->lock);
	w->running--;
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Start and shutdown */

/* Waits for the job threads, enforcing --drain-timeout and the abort
 * grace on the clock alone (never on Redis).  Returns false when threads
 * were still running at the very end (they are left behind). */
static bool
worker_supervise(struct worker *w)
{
	int64_t drain_end = 0, abort_end = 0;

	for (;;) {
		int running;

		pthread_mutex_lock(&w->lock);
		running = w->running;
		pthread_mutex_unlock(&w->lock);
		if (running == 0)
			return true;
		util_sleep_ms(100, NULL);
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
		if (*w->abort && abort_end == 0)
			abort_end = util_mono_ms() + WORKER_ABORT_GRACE_MS;
		if (abort_end != 0 && !w->give_up &&
		    util_mono_ms() >= abort_end) {
			log_error(
			    "%d job threads still busy %d s after the abort; exiting without them",
			    running, WORKER_ABORT_GRACE_MS / 1000);
			w->give_up = 1;
		}
		if (w->give_up &&
		    util_mono_ms() >= abort_end + WORKER_EXIT_GRACE_MS)
			return false;
	}
}

int
worker_run(struct worker *w)
{
	const struct config *cfg = w->cfg;
	int ret = -1, nstarted = 0;
	bool joined;

	w->hb_rc = rconn_new(cfg->redis_url, WORKER_REDIS_MS);
	rconn_set_name(w->hb_rc, "lrflow-worker:%s/hb", w->id);
	switch (reaper_register(w)) {
	case -1:
		ret = 0; /* stopped before Redis came */
		goto out;
	case -2:
		ret = -2; /* the id is taken */
		goto out;
	}
	log_info(
	    "worker %s ready: %d threads, Redis %s, Live Response %s at %s",
	    w->id, cfg->concurrency, rconn_describe(w->hb_rc),
	    w->api == CONFIG_API_V6 ? "v6" : "v3", w->cred->url);
	if (reaper_start(w) == -1) {
		log_error("cannot start the heartbeat thread");
		goto out_unregister;
	}
	for (int i = 0; i < cfg->concurrency; i++) {
		struct worker_thread *t = &w->threads[i];

		t->w = w;
		t->n = i;
		t->rc = rconn_new(cfg->redis_url, WORKER_REDIS_MS);
		rconn_set_name(t->rc, "lrflow-worker:%s/%d", w->id, i);
		t->lr =
		    lr_new(w->cred, w->api, cfg->command_timeout_s, w->abort);
		lr_set_tick(t->lr, worker_tick, t);
		t->gate = (struct ratelimit_gate){t->rc, cfg->prefix, "worker"};
		{
			struct cbhttp_gate g;

			ratelimit_gate(&t->gate, &g);
			lr_set_gate(t->lr, &g);
		}
		pthread_mutex_lock(&w->lock);
		w->running++;
		pthread_mutex_unlock(&w->lock);
		if (pthread_create(&t->tid, NULL, worker_thread_main, t) != 0) {
			log_error("cannot start job thread %d", i);
			pthread_mutex_lock(&w->lock);
			w->running--;
			pthread_mutex_unlock(&w->lock);
			lr_free(t->lr);
			rconn_free(t->rc);
			*w->stop = 1;
			break;
		}
		t->started = true;
		nstarted++;
	}
	joined = worker_supervise(w);
	if (!joined) {
		/* Threads stuck in a call: leave them.  The lease ends with
		 * the process and another worker's reaper hands their jobs
		 * on; nothing here may be freed under them. */
		log_error("worker %s exits with jobs in hand", w->id);
		_exit(1);
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
	reaper_stop(w);
	/* Every thread is done: the answers counted since the last
	 * heartbeat. */
	if (apistats_flush(w->hb_rc, cfg->prefix) == -1)
		log_warnx("could not add the last counts of Carbon Black "
			  "answers to %s:stats",
		    cfg->prefix);
out_unregister:
	if (!w->fenced) {
		int left =
		    lease_unregister(w->hb_rc, cfg->prefix, w->id, w->instance);

		if (left > 0)
			log_warnx(
			    "%d jobs could not be recorded; they stay registered to %s for the reaper",
			    left, w->id);
	}
	log_info("worker %s stopped", w->id);
out:
	rconn_free(w->hb_rc);
	w->hb_rc = NULL;
	return ret;
}
