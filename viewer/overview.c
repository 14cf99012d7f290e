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
 * (ZRANGE retry 0 9 WITHSCORES), EXISTS status_index and a ZCARD per
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

#define OVERVIEW_LIVE_MS 30000 /* a worker heartbeat this recent is live */

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
		break;
	case VIEW_METRICS:
		api_metrics(b, overview);
		ctype = viewer_ct_prom;
		break;
	default:
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
	    viewer_int_at(replies, S2_WORKERS), "sessions_in_use",
	    viewer_int_at(replies, S2_SESSIONS), "session_limit",
	    (json_int_t)w->v->cfg->session_limit, "dead",
	    viewer_int_at(replies, S2_DEAD), "devices_total",
	    viewer_int_at(first, S1_NDEVICES), "devices_counted",
	    json_object_get(list, "scanned"), "stats",
	    stats_object(json_array_get(first, S1_STATS)), "deferred",
	    deferred_list(json_array_get(first, S1_RETRY_NEXT)), "dead_recent",
	    dead_list(json_array_get(replies, S2_DEAD_RECENT)), "durations",
	    dur, "prefix", w->v->cfg->prefix);
	json_object_set_new(overview, "health",
	    health(overview, (long long)json_integer_value(
				 json_array_get(first, S1_PAUSE))));
	overview_reply(w, overview, list); /* frees w */
	json_decref(overview);
	json_decref(list);
}

/* Stage 2's first commands: live workers and sessions from Redis's
 * time, the dead jobs. */
static void
pipeline_numbers(struct view *w, struct store_batch *b)
{
	struct viewer *v = w->v;
	const json_t *time = json_array_get(w->first, S1_TIME);
	const char *deadtype =
	    json_string_value(json_array_get(w->first, S1_DEADTYPE));
	json_int_t now_ms =
	    viewer_int_at(time, 0) * 1000 + viewer_int_at(time, 1) / 1000;
	char min[32], now[32], *k;

	if (now_ms <= 0)
		now_ms = util_now_ms();
	snprintf(min, sizeof(min), "%" JSON_INTEGER_FORMAT,
	    now_ms - OVERVIEW_LIVE_MS);
	snprintf(now, sizeof(now), "%" JSON_INTEGER_FORMAT, now_ms);
	k = viewer_key(v, "workers", NULL);
	store_batch_add(b, "ZCOUNT", k, min, "+inf", NULL);
	free(k);
	/* a session slot whose lease ran out is not in use */
	k = viewer_key(v, "sessions", NULL);
	store_batch_add(b, "ZCOUNT", k, now, "+inf", NULL);
	free(k);
	k = viewer_key(v, "dead", NULL);
	if (deadtype && strcmp(deadtype, "zset") == 0) {
		store_batch_add(b, "ZCARD", k, NULL);
		store_batch_add(b, "ZREVRANGE", k, "0", "9", NULL);
	} else {
		store_batch_add(b, "LLEN", k, NULL);
		store_batch_add(b, "LRANGE", k, "0", "9", NULL);
	}
	free(k);
}

/* Writes n (> 0) in decimal at out; returns out. */
static char *
decimal(int64_t n, char *out)
{
	char buf[24];
	size_t i = sizeof(buf), len;

	do
		buf[--i] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	len = sizeof(buf) - i;
	memcpy(out, buf + i, len);
	out[len] = '\0';
	return out;
}

/* A P:devices score as ms.  A score is anything a writer put there
 * ("inf", "nan", "1e400"): only a plausible time converts to an integer,
 * else 0.  Plain digits, the usual case, skip strtod. */
static int64_t
score_ms(const char *s)
{
	int64_t v = 0;
	double d;
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < 16 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (s[i] - '0');
	if (i > 0 && i < 16 && s[i] == '\0')
		return v;
	d = strtod(s, NULL);
	return d >= 0 && d < 1e15 ? (int64_t)d : 0;
}

/* Stage 2: the numbers that need Redis's time, and one HMGET per device
 * read (then, for a status page from the index, one ZSCORE each). */
static void
overview_second(struct view *w)
{
	struct viewer *v = w->v;
	const json_t *list;
	struct store_batch *b;
	char *rkey, *devices;
	size_t klen;
	/* the run's times only for the scan's durations, users only to
	 * search */
	size_t i, nf = !(w->flags & OVERVIEW_SCAN) ? 4
		       : w->q.q[0] != '\0'         ? 7
						   : 6;
	bool zscore = !(w->flags & OVERVIEW_SCAN) && w->q.status[0] != '\0';

	b = store_batch_new(v->store, overview_done, w);
	if (w->kind != VIEW_API_DEVICES)
		pipeline_numbers(w, b);

	/* ZREVRANGE ... WITHSCORES: member, score, member, score... */
	list = json_array_get(w->first, S1_DEVICES);
	w->idv = xcalloc(json_array_size(list) / 2 + 1, sizeof(*w->idv));
	rkey = xasprintf("%s:result:", v->cfg->prefix);
	klen = strlen(rkey);
	rkey = xrealloc(rkey, klen + 24);
	for (i = 0; i + 1 < json_array_size(list); i += 2) {
		const char *id = json_string_value(json_array_get(list, i));
		const char *score =
		    json_string_value(json_array_get(list, i + 1));
		struct overview_id *d = &w->idv[w->nids];

		if (util_parse_device_id(id, &d->id) == -1)
			continue; /* not ours; never trust a member */
		d->ms = score_ms(score);
		w->nids++;
		decimal(d->id, rkey + klen);
		if (nf == 4)
			store_batch_add(b, "HMGET", rkey, overview_fields[0],
			    overview_fields[1], overview_fields[2],
			    overview_fields[3], NULL);
		else if (nf == 7)
			store_batch_add(b, "HMGET", rkey, overview_fields[0],
			    overview_fields[1], overview_fields[2],
			    overview_fields[3], overview_fields[4],
			    overview_fields[5], overview_fields[6], NULL);
		else
			store_batch_add(b, "HMGET", rkey, overview_fields[0],
			    overview_fields[1], overview_fields[2],
			    overview_fields[3], overview_fields[4],
			    overview_fields[5], NULL);
	}
	free(rkey);
	devices = viewer_key(v, "devices", NULL);
	for (i = 0; zscore && i < w->nids; i++) {
		char id[24];

		store_batch_add(
		    b, "ZSCORE", devices, decimal(w->idv[i].id, id), NULL);
	}
	free(devices);
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
	overview_second(w);
}

static void
overview_first_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	struct store_batch *b;
	char stop[32], *k;

	if (replies == NULL) {
		overview_fail(w);
		return;
	}
	w->first = json_incref(replies);
	if (viewer_int_at(replies, S1_INDEX) == 1)
		w->flags |= OVERVIEW_INDEX;
	if (w->flags & (OVERVIEW_SCAN | OVERVIEW_INDEX)) {
		overview_second(w);
		return;
	}
	w->flags |= OVERVIEW_SCAN;
	b = store_batch_new(w->v->store, overview_scan_done, w);
	snprintf(stop, sizeof(stop), "%d", OVERVIEW_SCAN_MAX - 1);
	k = viewer_key(w->v, "devices", NULL);
	store_batch_add(b, "ZREVRANGE", k, "0", stop, "WITHSCORES", NULL);
	free(k);
	store_batch_run(b);
}

/* Stage 1's pipeline numbers (all but /api/devices). */
static void
pipeline_first(struct viewer *v, struct store_batch *b)
{
	char *k;

	store_batch_add(b, "TIME", NULL);
	k = viewer_key(v, "queue", NULL);
	store_batch_add(b, "LLEN", k, NULL);
	free(k);
	k = viewer_key(v, "inflight", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	k = viewer_key(v, "stats", NULL);
	store_batch_add(b, "HGETALL", k, NULL);
	free(k);
	k = viewer_key(v, "dead", NULL);
	store_batch_add(b, "TYPE", k, NULL);
	free(k);
	k = viewer_key(v, "retry", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	store_batch_add(b, "INFO", "memory", NULL);
	free(k);
	k = viewer_key(v, "ratelimit:until", NULL);
	store_batch_add(b, "PTTL", k, NULL);
	free(k);
	k = viewer_key(v, "retry", NULL);
	store_batch_add(b, "ZRANGE", k, "0", "9", "WITHSCORES", NULL);
	free(k);
}

static void
overview_start(
    struct viewer *v, struct evhttp_request *req, enum view_kind kind)
{
	struct view *w =
	    viewer_view_new(v, req, kind, QUERY_LIST_PER, QUERY_LIST_PER_MAX);
	struct store_batch *b;
	char start[32], stop[32], *k;

	if (overview_join(w))
		return;
	b = store_batch_new(v->store, overview_first_done, w);
	if (overview_needs_scan(w)) {
		w->flags |= OVERVIEW_SCAN;
		snprintf(start, sizeof(start), "0");
		snprintf(stop, sizeof(stop), "%d", OVERVIEW_SCAN_MAX - 1);
		k = viewer_key(v, "devices", NULL);
	} else {
		overview_page_range(w, start, stop, sizeof(start));
		k = w->q.status[0] != '\0'
			? viewer_key(v, "bystatus", w->q.status)
			: viewer_key(v, "devices", NULL);
	}
	store_batch_add(b, "ZREVRANGE", k, start, stop, "WITHSCORES", NULL);
	free(k);
	k = viewer_key(v, "devices", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	k = viewer_key(v, "status_index", NULL);
	store_batch_add(b, "EXISTS", k, NULL);
	free(k);
	for (int s = 0; s < OVERVIEW_NSTATUS; s++) {
		k = viewer_key(v, "bystatus", page_statuses[s]);
		store_batch_add(b, "ZCARD", k, NULL);
		free(k);
	}
	if (w->kind != VIEW_API_DEVICES)
		pipeline_first(v, b);
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
