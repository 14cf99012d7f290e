/* viewer.c - routes, handlers and the HTTP server of lr-viewer.
 *
 * Every handler ends in exactly one reply (viewer_reply).  Handlers that
 * need Redis send one batch (store.c) and reply from its callback; when
 * Redis is down the callback runs at once with NULL and the answer is 503.
 * libevent 2.1 keeps a request alive until it is answered even when the
 * client has gone away (evhttp_send_reply then just frees it), so a late
 * answer is always safe.  After evhttp_send_reply the evbuffer is empty but
 * still ours to free. */
#include "viewer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <jansson.h>

#include "api.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "page.h"
#include "rconn.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define VIEWER_MAX_HEADERS 8192
#define VIEWER_MAX_BODY 1024
#define VIEWER_TIMEOUT_S 10
#define VIEWER_COUNT_MAX 5000 /* devices read for the status counts */
#define VIEWER_LIVE_MS 30000  /* a worker heartbeat this recent is live */
#define VIEWER_RUNS_MAX 50    /* past runs shown on a device page */

static const char ct_html[] = "text/html; charset=utf-8";
static const char ct_json[] = "application/json";
static const char ct_text[] = "text/plain; charset=utf-8";
static const char ct_prom[] = "text/plain; version=0.0.4; charset=utf-8";

struct viewer {
	const struct config *cfg; /* borrowed */
	struct event_base *base;  /* borrowed */
	struct evhttp *http;
	struct http_server *srv; /* connection cap, deadlines (http.c) */
	struct store *store;
	char *auth_b64; /* base64 of user:password, or NULL */
	int port;       /* bound port, after viewer_listen */
};

/* What an overview (two Redis round trips) is for. */
enum view_kind {
	VIEW_DASHBOARD,
	VIEW_API_STATS,
	VIEW_API_DEVICES,
	VIEW_METRICS,
	VIEW_DEVICE_HTML,
	VIEW_DEVICE_JSON,
	VIEW_HEALTH,
};

/* One request waiting for Redis. */
struct view {
	struct viewer *v;
	struct evhttp_request *req; /* owned by evhttp until answered */
	enum view_kind kind;
	int64_t id;    /* device pages */
	json_t *first; /* overview: stage-1 replies */
	json_t *ids;   /* overview: device ids read */
};

/* ---------------------------------------------------------------- */
/* Replies */

/* Sends the one reply of req with our headers; body may be NULL. */
static void
viewer_reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_remove_header(h, "Content-Type");
	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	http_security_headers(h);
	log_debug("%s %.200s %d",
	    evhttp_request_get_command(req) == EVHTTP_REQ_HEAD ? "HEAD" : "GET",
	    evhttp_request_get_uri(req), code);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		/* libevent would send the body after a HEAD's headers, which
		 * breaks the framing of the next response on the connection:
		 * the length only, no body. */
		char len[32];

		snprintf(len, sizeof(len), "%zu",
		    body ? evbuffer_get_length(body) : (size_t)0);
		evhttp_remove_header(h, "Content-Length");
		evhttp_add_header(h, "Content-Length", len);
		evhttp_send_reply(req, code, reason, NULL);
		return;
	}
	evhttp_send_reply(req, code, reason, body);
}

static void
reply_text(
    struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, text, strlen(text));
	viewer_reply(req, code, reason, ct_text, b);
	evbuffer_free(b);
}

static void
reply_page(struct evhttp_request *req, int code, const char *reason,
    const char *title, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	page_message(b, title, text);
	viewer_reply(req, code, reason, ct_html, b);
	evbuffer_free(b);
}

/* Sends v (stolen) as JSON. */
static void
reply_json(struct evhttp_request *req, int code, const char *reason, json_t *v)
{
	struct evbuffer *b = evbuffer_new();
	char *s = api_dump(v);

	evbuffer_add(b, s, strlen(s));
	viewer_reply(req, code, reason, ct_json, b);
	evbuffer_free(b);
	free(s);
	json_decref(v);
}

static void
reply_json_error(
    struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}

/* 503 in the shape the route speaks. */
static void
reply_unavailable(struct view *w)
{
	switch (w->kind) {
	case VIEW_API_STATS:
	case VIEW_API_DEVICES:
	case VIEW_DEVICE_JSON:
		reply_json_error(
		    w->req, 503, "Service Unavailable", "redis unavailable");
		break;
	case VIEW_METRICS:
	case VIEW_HEALTH:
		reply_text(
		    w->req, 503, "Service Unavailable", "redis unavailable\n");
		break;
	default:
		reply_page(w->req, 503, "Service Unavailable",
		    "Redis unavailable",
		    "The results store (Redis) is not "
		    "reachable right now. The viewer keeps retrying; reload "
		    "this page in a few seconds.");
		break;
	}
}

static struct view *
view_new(struct viewer *v, struct evhttp_request *req, enum view_kind kind)
{
	struct view *w = xcalloc(1, sizeof(*w));

	w->v = v;
	w->req = req;
	w->kind = kind;
	return w;
}

static void
view_free(struct view *w)
{
	if (w == NULL)
		return;
	json_decref(w->first);
	json_decref(w->ids);
	free(w);
}

/* Returns a new "P:name" or "P:name:id" key. */
static char *
key(const struct viewer *v, const char *name, const char *id)
{
	if (id != NULL)
		return xasprintf("%s:%s:%s", v->cfg->prefix, name, id);
	return xasprintf("%s:%s", v->cfg->prefix, name);
}

static json_int_t
int_at(const json_t *arr, size_t i)
{
	const json_t *j = json_array_get(arr, i);

	if (json_is_string(j)) {
		long long n;

		if (util_parse_int(json_string_value(j), 0, INT64_MAX, &n) == 0)
			return n;
		return 0;
	}
	return json_is_integer(j) ? json_integer_value(j) : 0;
}

/* ---------------------------------------------------------------- */
/* Overview: dashboard, /api/stats, /api/devices, /metrics
 *
 * Stage 1: TIME, ZREVRANGE devices, ZCARD devices, LLEN queue, ZCARD
 * inflight, ZCARD sessions, HGETALL stats, TYPE dead, ZCARD retry, INFO
 * memory.
 * Stage 2: ZCOUNT workers (live since Redis time - 30 s), the length of
 * dead, and HMGET of the newest VIEWER_COUNT_MAX result hashes. */

enum {
	S1_TIME,
	S1_DEVICES,
	S1_NDEVICES,
	S1_QUEUE,
	S1_INFLIGHT,
	S1_SESSIONS,
	S1_STATS,
	S1_DEADTYPE,
	S1_RETRY,
	S1_MEMORY
};
enum { S2_WORKERS, S2_DEAD, S2_FIRST_DEVICE };

static const char *const hmget_fields[] = {
    "device_name", "status", "step", "error", "os", NULL};

/* Reads "name:value" from an INFO answer: the value, or -1. */
static long long
info_field(const char *info, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = info; p != NULL && *p != '\0';) {
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return -1;
}

/* Redis's memory from INFO memory: {"used", "max", "full"}; full when a
 * maxmemory is set and reached, so writes are refused (noeviction). */
static json_t *
redis_memory(const json_t *reply)
{
	const char *info = json_string_value(reply);
	long long used = info ? info_field(info, "used_memory") : -1;
	long long max = info ? info_field(info, "maxmemory") : -1;

	return json_pack("{s:I, s:I, s:b}", "used", (json_int_t)used, "max",
	    (json_int_t)max, "full", max > 0 && used >= max);
}

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

static void
overview_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	json_t *counts, *devices, *overview, *ids = w->ids, *first = w->first;
	struct evbuffer *b;
	size_t i;
	int k;

	if (replies == NULL) {
		reply_unavailable(w);
		view_free(w);
		return;
	}
	counts = json_object();
	for (k = 0; page_statuses[k] != NULL; k++)
		json_object_set_new(counts, page_statuses[k], json_integer(0));
	json_object_set_new(counts, "other", json_integer(0));
	devices = json_array();
	for (i = 0; i < json_array_size(ids); i++) {
		const json_t *row =
		    json_array_get(replies, S2_FIRST_DEVICE + i);
		const json_t *dev = json_array_get(ids, i);
		const char *status = json_string_value(json_array_get(row, 1));
		json_t *c, *d;
		char iso[32];
		int f;

		c = status ? json_object_get(counts, status) : NULL;
		if (c == NULL || strcmp(status, "other") == 0)
			c = json_object_get(counts, "other");
		json_integer_set(c, json_integer_value(c) + 1);
		if (i >= PAGE_MAX_DEVICES)
			continue;
		d = json_pack("{s:O}", "device_id", json_object_get(dev, "id"));
		for (f = 0; hmget_fields[f] != NULL; f++) {
			json_t *fv = json_array_get(row, (size_t)f);

			json_object_set(
			    d, hmget_fields[f], fv ? fv : json_null());
		}
		json_object_set_new(d, "updated_at",
		    json_string(util_iso8601(
			json_integer_value(json_object_get(dev, "ms")), iso,
			sizeof(iso))));
		json_object_set(d, "updated_at_ms", json_object_get(dev, "ms"));
		json_array_append_new(devices, d);
	}
	overview =
	    json_pack("{s:o, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"status_counts", counts, "queue_depth", int_at(first, S1_QUEUE),
		"retry_depth", int_at(first, S1_RETRY), "redis_memory",
		redis_memory(json_array_get(first, S1_MEMORY)), "inflight",
		int_at(first, S1_INFLIGHT), "workers_live",
		int_at(replies, S2_WORKERS), "sessions_in_use",
		int_at(first, S1_SESSIONS), "dead", int_at(replies, S2_DEAD),
		"devices_total", int_at(first, S1_NDEVICES), "devices_counted",
		(json_int_t)json_array_size(ids), "stats",
		stats_object(json_array_get(first, S1_STATS)));

	switch (w->kind) {
	case VIEW_API_STATS:
		reply_json(w->req, 200, "OK", json_incref(overview));
		break;
	case VIEW_API_DEVICES:
		reply_json(w->req, 200, "OK",
		    api_devices(devices, int_at(first, S1_NDEVICES)));
		break;
	case VIEW_METRICS:
		b = evbuffer_new();
		api_metrics(b, overview);
		viewer_reply(w->req, 200, "OK", ct_prom, b);
		evbuffer_free(b);
		break;
	default:
		b = evbuffer_new();
		page_dashboard(b, overview, devices);
		viewer_reply(w->req, 200, "OK", ct_html, b);
		evbuffer_free(b);
		break;
	}
	json_decref(overview);
	json_decref(devices);
	view_free(w);
}

static void
overview_first_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	struct viewer *v = w->v;
	const json_t *time = NULL, *list;
	const char *deadtype;
	struct store_batch *b;
	char min[32], *k;
	json_int_t now_ms;
	size_t i;

	if (replies == NULL) {
		reply_unavailable(w);
		view_free(w);
		return;
	}
	w->first = json_incref(replies);
	time = json_array_get(replies, S1_TIME);
	now_ms = int_at(time, 0) * 1000 + int_at(time, 1) / 1000;
	if (now_ms <= 0)
		now_ms = util_now_ms();
	deadtype = json_string_value(json_array_get(replies, S1_DEADTYPE));

	b = store_batch_new(v->store, overview_done, w);
	snprintf(
	    min, sizeof(min), "%" JSON_INTEGER_FORMAT, now_ms - VIEWER_LIVE_MS);
	k = key(v, "workers", NULL);
	store_batch_add(b, "ZCOUNT", k, min, "+inf", NULL);
	free(k);
	k = key(v, "dead", NULL);
	store_batch_add(b,
	    deadtype && strcmp(deadtype, "zset") == 0 ? "ZCARD" : "LLEN", k,
	    NULL);
	free(k);

	/* ZREVRANGE ... WITHSCORES: member, score, member, score... */
	w->ids = json_array();
	list = json_array_get(replies, S1_DEVICES);
	for (i = 0; i + 1 < json_array_size(list); i += 2) {
		const char *id = json_string_value(json_array_get(list, i));
		const char *score =
		    json_string_value(json_array_get(list, i + 1));
		int64_t dev;
		char canon[32];
		double ms;

		if (util_parse_device_id(id, &dev) == -1)
			continue; /* not ours; never trust a member */
		ms = score ? strtod(score, NULL) : 0;
		/* A score is anything a writer put there ("inf", "nan"):
		 * only a plausible time converts to an integer. */
		if (!(ms >= 0 && ms < 1e15))
			ms = 0;
		snprintf(canon, sizeof(canon), "%" PRId64, dev);
		json_array_append_new(
		    w->ids, json_pack("{s:I, s:I}", "id", (json_int_t)dev, "ms",
				(json_int_t)ms));
		k = key(v, "result", canon);
		store_batch_add(b, "HMGET", k, hmget_fields[0], hmget_fields[1],
		    hmget_fields[2], hmget_fields[3], hmget_fields[4], NULL);
		free(k);
	}
	store_batch_run(b);
}

static void
overview_start(
    struct viewer *v, struct evhttp_request *req, enum view_kind kind)
{
	struct view *w = view_new(v, req, kind);
	struct store_batch *b =
	    store_batch_new(v->store, overview_first_done, w);
	char stop[32], *k;

	snprintf(stop, sizeof(stop), "%d", VIEWER_COUNT_MAX - 1);
	store_batch_add(b, "TIME", NULL);
	k = key(v, "devices", NULL);
	store_batch_add(b, "ZREVRANGE", k, "0", stop, "WITHSCORES", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	k = key(v, "queue", NULL);
	store_batch_add(b, "LLEN", k, NULL);
	free(k);
	k = key(v, "inflight", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	k = key(v, "sessions", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	k = key(v, "stats", NULL);
	store_batch_add(b, "HGETALL", k, NULL);
	free(k);
	k = key(v, "dead", NULL);
	store_batch_add(b, "TYPE", k, NULL);
	free(k);
	k = key(v, "retry", NULL);
	store_batch_add(b, "ZCARD", k, NULL);
	free(k);
	store_batch_add(b, "INFO", "memory", NULL);
	store_batch_run(b);
}

/* ---------------------------------------------------------------- */
/* Device: HGETALL result, LRANGE runs */

static void
device_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	json_t *fields;
	const json_t *runs;
	struct evbuffer *b;

	if (replies == NULL) {
		reply_unavailable(w);
		view_free(w);
		return;
	}
	fields = store_pairs(json_array_get(replies, 0));
	runs = json_array_get(replies, 1);
	if (json_object_size(fields) == 0) {
		if (w->kind == VIEW_DEVICE_JSON)
			reply_json_error(
			    w->req, 404, "Not Found", "unknown device");
		else
			reply_page(w->req, 404, "Not Found", "Unknown device",
			    "There is no result for this device.");
	} else if (w->kind == VIEW_DEVICE_JSON) {
		reply_json(w->req, 200, "OK", api_device(fields));
	} else {
		b = evbuffer_new();
		page_device(
		    b, w->id, fields, json_is_array(runs) ? runs : NULL);
		viewer_reply(w->req, 200, "OK", ct_html, b);
		evbuffer_free(b);
	}
	json_decref(fields);
	view_free(w);
}

static void
device_start(struct viewer *v, struct evhttp_request *req, enum view_kind kind,
    int64_t id)
{
	struct view *w = view_new(v, req, kind);
	struct store_batch *b = store_batch_new(v->store, device_done, w);
	char canon[32], stop[16], *k;

	w->id = id;
	snprintf(canon, sizeof(canon), "%" PRId64, id);
	snprintf(stop, sizeof(stop), "%d", VIEWER_RUNS_MAX - 1);
	k = key(v, "result", canon);
	store_batch_add(b, "HGETALL", k, NULL);
	free(k);
	k = key(v, "runs", canon);
	store_batch_add(b, "LRANGE", k, "0", stop, NULL);
	free(k);
	store_batch_run(b);
}

/* ---------------------------------------------------------------- */
/* Handlers */

/* Parses the id after a route prefix; answers 400 and returns -1 when it
 * is not a device id. */
static int
parse_id(struct evhttp_request *req, const char *rest, bool json, int64_t *id)
{
	if (util_parse_device_id(rest, id) == 0)
		return 0;
	if (json)
		reply_json_error(
		    req, 400, "Bad Request", "a device id is a decimal number");
	else
		reply_page(req, 400, "Bad Request", "Bad device id",
		    "A device id is a decimal number.");
	return -1;
}

static void
handle_dashboard(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_DASHBOARD);
}

static void
handle_api_stats(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_API_STATS);
}

static void
handle_api_devices(
    struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_API_DEVICES);
}

static void
handle_metrics(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	overview_start(v, req, VIEW_METRICS);
}

static void
handle_device(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	int64_t id;

	if (parse_id(req, rest, false, &id) == 0)
		device_start(v, req, VIEW_DEVICE_HTML, id);
}

static void
handle_api_device(
    struct viewer *v, struct evhttp_request *req, const char *rest)
{
	int64_t id;

	if (parse_id(req, rest, true, &id) == 0)
		device_start(v, req, VIEW_DEVICE_JSON, id);
}

/* The seed's routes: 302 to the new pages. */
static void
redirect(struct evhttp_request *req, const char *rest, const char *anchor)
{
	struct evbuffer *b;
	char loc[64];
	int64_t id;

	if (parse_id(req, rest, false, &id) == -1)
		return;
	snprintf(loc, sizeof(loc), "/device/%" PRId64 "%s", id, anchor);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Location", loc);
	b = evbuffer_new();
	evbuffer_add_printf(b,
	    "<!DOCTYPE html>\n<p>Moved to <a href=\"%s\">"
	    "%s</a>.</p>\n",
	    loc, loc);
	viewer_reply(req, 302, "Found", ct_html, b);
	evbuffer_free(b);
}

static void
handle_sensor_result(
    struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)v;
	redirect(req, rest, "");
}

static void
handle_browser_history(
    struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)v;
	redirect(req, rest, "#history");
}

static void
health_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	const char *pong = json_string_value(json_array_get(replies, 0));
	json_t *mem = redis_memory(json_array_get(replies, 1));

	if (pong == NULL || strcmp(pong, "PONG") != 0)
		reply_unavailable(w);
	else if (json_is_true(json_object_get(mem, "full")))
		reply_text(w->req, 503, "Service Unavailable",
		    "redis is out of memory (maxmemory reached): it refuses writes, so no job can start or finish\n");
	else
		reply_text(w->req, 200, "OK", "ok\n");
	json_decref(mem);
	view_free(w);
}

static void
handle_healthz(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	struct view *w = view_new(v, req, VIEW_HEALTH);
	struct store_batch *b = store_batch_new(v->store, health_done, w);

	(void)rest;
	store_batch_add(b, "PING", NULL);
	store_batch_add(b, "INFO", "memory", NULL);
	store_batch_run(b);
}

static void
handle_favicon(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)v;
	(void)rest;
	viewer_reply(req, 204, "No Content", NULL, NULL);
}

/* ---------------------------------------------------------------- */
/* Routing and authentication */

static const struct route {
	const char *path; /* exact path, or prefix when prefix */
	bool prefix;      /* path is followed by an id */
	bool open;        /* no authentication (probes) */
	void (*handler)(struct viewer *, struct evhttp_request *, const char *);
} routes[] = {
    {"/", false, false, handle_dashboard},
    {"/device/", true, false, handle_device},
    {"/api/devices", false, false, handle_api_devices},
    {"/api/devices/", true, false, handle_api_device},
    {"/api/stats", false, false, handle_api_stats},
    {"/metrics", false, false, handle_metrics},
    {"/sensor_result/", true, false, handle_sensor_result},
    {"/browser_history/", true, false, handle_browser_history},
    {"/healthz", false, true, handle_healthz},
    {"/favicon.ico", false, true, handle_favicon},
};

char *
viewer_base64(const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i, o = 0;
	char *out = xmalloc((len + 2) / 3 * 4 + 1);

	for (i = 0; i + 2 < len; i += 3) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = tab[p[i + 2] & 63];
	}
	if (len - i == 1) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[(p[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = tab[(p[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

bool
viewer_auth_ok(const char *expected_b64, const char *header)
{
	size_t la, lb, i;
	unsigned char diff;

	if (expected_b64 == NULL)
		return true;
	if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
		return false;
	header += 6;
	while (*header == ' ')
		header++;
	/* constant time in the secret: always walk all of it */
	la = strlen(header);
	lb = strlen(expected_b64);
	diff = la != lb;
	for (i = 0; i < lb; i++)
		diff |= (unsigned char)expected_b64[i] ^
			(unsigned char)(i < la ? header[i] : 0);
	return diff == 0;
}

static void
viewer_dispatch(struct evhttp_request *req, void *arg)
{
	struct viewer *v = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const struct route *r = NULL;
	const char *rest = "";
	size_t i;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		reply_page(req, 405, "Method Not Allowed", "Method not allowed",
		    "This viewer only reads: GET and HEAD.");
		return;
	}
	if (path == NULL || *path == '\0')
		path = "/";
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);

		if (!routes[i].prefix && strcmp(path, routes[i].path) == 0) {
			r = &routes[i];
			break;
		}
		if (routes[i].prefix && strncmp(path, routes[i].path, n) == 0) {
			r = &routes[i];
			rest = path + n;
			break;
		}
	}
	if ((r == NULL || !r->open) &&
	    !viewer_auth_ok(v->auth_b64,
		evhttp_find_header(
		    evhttp_request_get_input_headers(req), "Authorization"))) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Basic realm=\"lrflow\"");
		reply_page(req, 401, "Unauthorized", "Authentication required",
		    "This viewer needs a user name and password.");
		return;
	}
	if (r == NULL) {
		if (strncmp(path, "/api/", 5) == 0)
			reply_json_error(
			    req, 404, "Not Found", "no such route");
		else
			reply_page(req, 404, "Not Found", "Not found",
			    "There is no such page.");
		return;
	}
	r->handler(v, req, rest);
}

/* ---------------------------------------------------------------- */
/* Life cycle */

struct viewer *
viewer_new(const struct config *cfg, struct event_base *base)
{
	struct viewer *v;
	struct rconn_addr addr;
	char err[256];

	if (rconn_parse_url(cfg->redis_url, &addr, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return NULL;
	}
	v = xcalloc(1, sizeof(*v));
	v->cfg = cfg;
	v->base = base;
	if (cfg->auth != NULL)
		v->auth_b64 = viewer_base64(cfg->auth);
	if ((v->http = evhttp_new(base)) == NULL) {
		log_error("evhttp_new failed");
		goto out_free;
	}
	/* Every method, even one libevent does not know, reaches
	 * viewer_dispatch, which answers all but GET and HEAD with 405 and
	 * Allow (libevent's own refusal is a 501 without Allow).  Bodies
	 * stay capped. */
	evhttp_set_allowed_methods(v->http, HTTP_ALL_METHODS);
	evhttp_set_max_headers_size(v->http, VIEWER_MAX_HEADERS);
	evhttp_set_max_body_size(v->http, VIEWER_MAX_BODY);
	evhttp_set_timeout(v->http, VIEWER_TIMEOUT_S);
	evhttp_set_default_content_type(v->http, ct_html);
	evhttp_set_gencb(v->http, viewer_dispatch, v);
	v->store = store_new(base, &addr);
	return v;

out_free:
	viewer_free(v);
	return NULL;
}

int
viewer_listen(struct viewer *v)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char host[256], addr[INET6_ADDRSTRLEN];
	const char *colon = strrchr(v->cfg->listen, ':');
	long long port;
	int p;

	if (colon == NULL || util_parse_int(colon + 1, 0, 65535, &port) == -1)
		return log_error(
		    "--listen '%s': not ADDR:PORT", v->cfg->listen);
	snprintf(host, sizeof(host), "%.*s", (int)(colon - v->cfg->listen),
	    v->cfg->listen);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	bound =
	    evhttp_bind_socket_with_handle(v->http, host, (ev_uint16_t)port);
	if (bound == NULL)
		return log_error("cannot listen on '%s': %s", v->cfg->listen,
		    strerror(errno));
	v->srv = http_server_new(
	    v->base, v->http, bound, v->cfg->max_connections, VIEWER_TIMEOUT_S);
	if (v->srv == NULL)
		return -1;
	if (getsockname(evhttp_bound_socket_get_fd(bound),
		(struct sockaddr *)&ss, &sslen) == -1)
		return log_error("getsockname failed");
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		evutil_inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		p = ntohs(s6->sin6_port);
		snprintf(host, sizeof(host), "[%s]", addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		evutil_inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		p = ntohs(s4->sin_port);
		snprintf(host, sizeof(host), "%s", addr);
	}
	v->port = p;
	log_info("listening on http://%s:%d/", host, p);
	printf("listening on http://%s:%d/\n", host, p);
	fflush(stdout);
	return 0;
}

int
viewer_port(const struct viewer *v)
{
	return v->port;
}

void
viewer_free(struct viewer *v)
{
	if (v == NULL)
		return;
	/* the store first: waiting requests are answered (503) while the
	 * server still exists */
	store_free(v->store);
	http_server_free(v->srv);
	if (v->http != NULL)
		evhttp_free(v->http);
	free(v->auth_b64);
	free(v);
}
