/* overview.c - the dashboard, /api/stats, /api/devices and /metrics: the
 * pipeline's counts and the device list, searched, filtered, sorted and
 * paged.
 *
 * Two Redis round trips, whatever the number of devices.
 * Stage 1: TIME, the device ids to list (ZREVRANGE ... WITHSCORES: one
 * page of P:devices or of P:bystatus:<status> from the index, or the
 * newest OVERVIEW_SCAN_MAX for the bounded scan; see overview_int.h),
 * their number, LLEN queue, ZCARD inflight, HGETALL stats, TYPE dead,
 * ZCARD retry, INFO memory, PTTL ratelimit:until, the next deferred jobs
 * (ZRANGE retry 0 9 WITHSCORES), GET status_index and a ZCARD per
 * status set.
 * Stage 2: live workers and sessions (ZCOUNT from Redis's time), the
 * length and the latest entries of dead, and one HMGET of a few short
 * fields per device read (never a whole result).  Only one page of rows
 * is rendered.  Without the index a page that wanted it reads the scan's
 * ids between the two (one more round trip). */
#include "overview_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "api.h"
#include "config.h"
#include "page.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

/* Returns the P:stats hash as a new object, numbers as integers. */
static json_t *
stats_object(const json_t *reply)
{
	json_t *obj = store_pairs(reply);
	const char *k;
	json_t *val;
	long long n;

	json_object_foreach(obj, k, val)
	{
		if (json_is_string(val) &&
		    util_parse_int(
			json_string_value(val), INT64_MIN, INT64_MAX, &n) == 0)
			json_object_set_new(obj, k, json_integer(n));
	}
	return obj;
}

/* The device id of a job's JSON text, or 0. */
static int64_t
job_device(const char *raw)
{
	json_t *j = raw ? json_loads(raw, 0, NULL) : NULL;
	json_int_t id = json_integer_value(json_object_get(j, "device_id"));

	json_decref(j);
	return id > 0 ? (int64_t)id : 0;
}

/* The next deferred jobs: [{device_id, due_ms, attempts, source}]. */
static json_t *
deferred_list(const json_t *reply)
{
	json_t *out = json_array();

	for (size_t i = 0; i + 1 < json_array_size(reply) &&
			   json_array_size(out) < PAGE_MAX_DEAD;
	     i += 2) {
		const char *raw = json_string_value(json_array_get(reply, i));
		const char *score =
		    json_string_value(json_array_get(reply, i + 1));
		json_t *j = raw ? json_loads(raw, 0, NULL) : NULL;
		double due = score ? strtod(score, NULL) : 0;
		json_t *e = json_pack("{s:I, s:I}", "device_id",
		    (json_int_t)job_device(raw), "due_ms",
		    (json_int_t)(due > 0 && due < 1e15 ? due : 0));

		if (json_object_get(j, "attempts") != NULL)
			json_object_set(
			    e, "attempts", json_object_get(j, "attempts"));
		if (json_is_string(json_object_get(j, "source")))
			json_object_set(
			    e, "source", json_object_get(j, "source"));
		json_array_append_new(out, e);
		json_decref(j);
	}
	return out;
}

/* The latest dead jobs: [{device_id, error, at}] from {job, error, at}. */
static json_t *
dead_list(const json_t *reply)
{
	json_t *out = json_array();
	const json_t *e;
	size_t i;

	json_array_foreach(reply, i, e)
	{
		json_t *d = json_is_string(e)
				? json_loads(json_string_value(e), 0, NULL)
				: NULL;
		const json_t *job = json_object_get(d, "job");
		json_t *o;

		if (i >= PAGE_MAX_DEAD)
			break;
		o = json_pack("{s:I}", "device_id",
		    (json_int_t)job_device(
			json_is_string(job) ? json_string_value(job)
			: json_is_object(d) ? NULL
					    : json_string_value(e)));
		json_object_set_new(o, "error",
		    json_string(
			json_is_string(json_object_get(d, "error"))
			    ? json_string_value(json_object_get(d, "error"))
			    : "(not a dead-letter entry)"));
		if (json_is_string(json_object_get(d, "at")))
			json_object_set(o, "at", json_object_get(d, "at"));
		json_array_append_new(out, o);
		json_decref(d);
	}
	return out;
}

/* Says how the pipeline is doing, from the overview's numbers. */
static json_t *
health(const json_t *o, long long pause_ms)
{
	json_int_t queue =
	    json_integer_value(json_object_get(o, "queue_depth"));
	json_int_t live =
	    json_integer_value(json_object_get(o, "workers_live"));
	json_int_t sess =
	    json_integer_value(json_object_get(o, "sessions_in_use"));
	json_int_t lim =
	    json_integer_value(json_object_get(o, "session_limit"));
	const char *state = "ok",
		   *why = "Workers are live and Redis takes writes.";

	if (json_is_true(
		json_object_get(json_object_get(o, "redis_memory"), "full"))) {
		state = "down";
		why = "Redis is out of memory and refuses writes.";
	} else if (live == 0 &&
		   (queue > 0 || json_integer_value(
				     json_object_get(o, "inflight")) > 0)) {
		state = "down";
		why = "Jobs are waiting and no worker is live.";
	} else if (pause_ms > 0) {
		state = "degraded";
		why =
		    "Carbon Black Cloud asked every process to pause (HTTP 429).";
	} else if (lim > 0 && sess >= lim) {
		state = "degraded";
		why =
		    "Every Live Response session of the budget is in use: jobs wait for a slot.";
	} else if (live == 0) {
		state = "degraded";
		why = "No worker is live (nothing is waiting).";
	}
	return json_pack("{s:s, s:s}", "state", state, "why", why);
}

/* Renders the answer once, for w and the requests joined to it. */
static void
overview_reply(struct view *w, json_t *overview, json_t *list)
{
	struct viewer *v = w->v;
	struct evbuffer *b = evbuffer_new();
	struct page_ctx ctx = {
	    util_now_ms(), v->cfg->prefix, v->token, NULL, NULL, 30};
	const json_t *h = overview ? json_object_get(overview, "health") : NULL;
	const char *ctype = viewer_ct_json;
	char *s = NULL;

	switch (w->kind) {
	case VIEW_API_STATS:
		json_object_del(overview, "durations");
		s = api_dump(overview);
		break;
	case VIEW_API_DEVICES:
		s = api_dump(list);
		overview_keep(w, s, strlen(s));
		break;
	case VIEW_METRICS:
		api_metrics(b, overview);
		ctype = viewer_ct_prom;
		break;
	default:
		evbuffer_expand(b, 32768); /* one chain, not one per 4 KB */
		ctx.health = json_string_value(json_object_get(h, "state"));
		ctx.health_why = json_string_value(json_object_get(h, "why"));
		page_dashboard(b, &ctx, overview, list, &w->q);
		ctype = viewer_ct_html;
		break;
	}
	if (s != NULL)
		evbuffer_add(b, s, strlen(s));
	free(s);
	overview_answer(w, ctype, b);
	evbuffer_free(b);
}

static void
overview_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	json_t *counts, *overview, *list, *dur, *first = w->first;
	size_t i;
	int k;

	if (replies == NULL) {
		overview_fail(w);
		return;
	}
	if (w->kind == VIEW_API_DEVICES && overview_unchanged(w, replies))
		return; /* answered with the same bytes as last time */
	counts = json_object();
	for (k = 0; page_statuses[k] != NULL; k++)
		json_object_set_new(counts, page_statuses[k], json_integer(0));
	json_object_set_new(counts, "other", json_integer(0));
	dur = json_pack(
	    "{s:[], s:I, s:f}", "buckets", "over", (json_int_t)0, "sum", 0.0);
	for (i = 0; i < API_NBUCKETS; i++)
		json_array_append_new(
		    json_object_get(dur, "buckets"), json_integer(0));
	list = overview_list(w, replies, counts, dur);
	if (w->kind == VIEW_API_DEVICES) { /* the list alone */
		json_decref(counts);
		json_decref(dur);
		overview_reply(w, NULL, list); /* frees w */
		json_decref(list);
		return;
	}

	overview = json_pack(
	    "{s:o, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:o, s:o, s:o, s:o, s:s}",
	    "status_counts", counts, "queue_depth",
	    viewer_int_at(first, S1_QUEUE), "retry_depth",
	    viewer_int_at(first, S1_RETRY), "redis_memory",
	    viewer_redis_memory(json_array_get(first, S1_MEMORY)), "inflight",
	    viewer_int_at(first, S1_INFLIGHT), "workers_live",
	    viewer_int_at(replies, w->s2 + S2_WORKERS), "sessions_in_use",
	    viewer_int_at(replies, w->s2 + S2_SESSIONS), "session_limit",
	    (json_int_t)w->v->cfg->session_limit, "dead",
	    viewer_int_at(replies, w->s2 + S2_DEAD), "devices_total",
	    viewer_int_at(first, S1_NDEVICES), "devices_counted",
	    json_object_get(list, "scanned"), "stats",
	    stats_object(json_array_get(first, S1_STATS)), "deferred",
	    deferred_list(json_array_get(first, S1_RETRY_NEXT)), "dead_recent",
	    dead_list(json_array_get(replies, w->s2 + S2_DEAD_RECENT)),
	    "durations", dur, "prefix", w->v->cfg->prefix);
	json_object_set_new(overview, "health",
	    health(overview, (long long)json_integer_value(
				 json_array_get(first, S1_PAUSE))));
	overview_reply(w, overview, list); /* frees w */
	json_decref(overview);
	json_decref(list);
}

/* Stage 2: the numbers that need Redis's time, and one HMGET per device
 * read. */
static void
overview_second(struct view *w)
{
	struct store_batch *b = store_batch_new(w->v->store, overview_done, w);

	w->s2 = 0;
	w->row0 = w->kind == VIEW_API_DEVICES ? 0 : S2_FIRST_DEVICE;
	if (w->kind != VIEW_API_DEVICES)
		overview_cmds_numbers(
		    w->v, b, overview_redis_ms(w->first), w->v->dead_zset);
	overview_cmds_rows(w, b, w->idv, w->nids);
	store_batch_run(b);
}

/* Without the index, a page that wanted it: the scan's ids instead. */
static void
overview_scan_done(json_t *replies, void *arg)
{
	struct view *w = arg;

	if (replies == NULL) {
		overview_fail(w);
		return;
	}
	json_array_set(w->first, S1_DEVICES, json_array_get(replies, 0));
	overview_parse_ids(w);
	overview_second(w);
}

/* Whether the guessed time and P:dead's type were right (overview_read.c):
 * within 250 ms of Redis's TIME. */
static bool
numbers_held(const struct view *w, const json_t *replies)
{
	int64_t now = overview_redis_ms(replies);

	if (w->kind == VIEW_API_DEVICES)
		return true;
	return w->v->dead_zset == ((w->flags & OVERVIEW_DEADZ) != 0) &&
	       now > 0 && now - w->now_guess < 250 && w->now_guess - now < 250;
}

static void
overview_first_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	struct viewer *v = w->v;
	struct overview_id *sent = w->idv;
	size_t nsent = w->nids;
	struct store_batch *b;
	char stop[32], *k;

	if (replies == NULL) {
		overview_fail(w);
		return;
	}
	w->first = json_incref(replies);
	if (w->kind != VIEW_API_DEVICES) {
		int64_t now = overview_redis_ms(replies);
		const char *t =
		    json_string_value(json_array_get(replies, S1_DEADTYPE));

		if (now > 0) {
			v->skew_ms = now - util_now_ms();
			v->skew_known = true;
		}
		v->dead_zset = t != NULL && strcmp(t, "zset") == 0;
	}
	if (viewer_int_at(replies, S1_INDEX) == 1)
		w->flags |= OVERVIEW_INDEX;
	w->idv = NULL;
	w->nids = 0;
	if (w->flags & (OVERVIEW_SCAN | OVERVIEW_INDEX)) {
		overview_parse_ids(w);
		if ((w->flags & OVERVIEW_GUESS) &&
		    !(w->flags & OVERVIEW_SCAN) &&
		    overview_guess_held(w, sent, nsent) &&
		    numbers_held(w, replies)) {
			/* one round trip: stage 2's replies follow */
			free(sent);
			w->s2 = w->kind == VIEW_API_DEVICES ? S1_TIME
							    : S1_RETRY_NEXT + 1;
			w->row0 = w->kind == VIEW_API_DEVICES
				      ? S1_TIME
				      : w->s2 + S2_FIRST_DEVICE;
			overview_done(replies, w);
			return;
		}
		free(sent);
		if (!(w->flags & OVERVIEW_SCAN) && json_is_string(w->ctx))
			overview_guess_keep(
			    v, json_string_value(w->ctx), w->idv, w->nids);
		overview_second(w);
		return;
	}
	free(sent);
	w->flags |= OVERVIEW_SCAN;
	b = store_batch_new(v->store, overview_scan_done, w);
	snprintf(stop, sizeof(stop), "%d", OVERVIEW_SCAN_MAX - 1);
	k = viewer_key(v, "devices", NULL);
	store_batch_add(b, "ZREVRANGE", k, "0", stop, "WITHSCORES", NULL);
	free(k);
	store_batch_run(b);
}

static void
overview_start(
    struct viewer *v, struct evhttp_request *req, enum view_kind kind)
{
	struct view *w =
	    viewer_view_new(v, req, kind, QUERY_LIST_PER, QUERY_LIST_PER_MAX);
	const struct overview_id *g;
	struct store_batch *b;
	char *what;
	size_t n;

	if (overview_join(w))
		return;
	if (overview_needs_scan(w))
		w->flags |= OVERVIEW_SCAN;
	b = store_batch_new(v->store, overview_first_done, w);
	what = overview_cmds_list(w, b);
	if (kind != VIEW_API_DEVICES)
		overview_cmds_first(v, b);
	if (!(w->flags & OVERVIEW_SCAN) &&
	    (g = overview_guess(v, what, &n)) != NULL &&
	    (kind == VIEW_API_DEVICES || v->skew_known)) {
		w->flags |= OVERVIEW_GUESS;
		if (kind != VIEW_API_DEVICES) {
			w->now_guess = util_now_ms() + v->skew_ms;
			if (v->dead_zset)
				w->flags |= OVERVIEW_DEADZ;
			overview_cmds_numbers(v, b, w->now_guess, v->dead_zset);
		}
		w->idv = xcalloc(n + 1, sizeof(*w->idv));
		memcpy(w->idv, g, n * sizeof(*g));
		w->nids = n;
		overview_cmds_rows(w, b, w->idv, n);
	}
	w->ctx = json_string(what);
	free(what);
	store_batch_run(b);
}

void
overview_dashboard(
    struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_DASHBOARD);
}

void
overview_api_stats(
    struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_API_STATS);
}

void
overview_api_devices(
    struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_API_DEVICES);
}

void
overview_metrics(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_METRICS);
}
