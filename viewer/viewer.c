/* viewer.c - the HTTP server of lr-viewer: replies, the routes table,
 * authentication and the life cycle.  The routes themselves live in
 * overview.c, detail.c, blob.c, manual.c and assets.c (viewer_int.h).
 *
 * Every handler ends in exactly one reply (viewer_reply, or a streamed
 * one in blob.c).  Handlers that need Redis send one batch (store.c) and
 * reply from its callback; when Redis is down the callback runs at once
 * with NULL and the answer is 503.  libevent 2.1 keeps a request alive
 * until it is answered even when the client has gone away
 * (evhttp_send_reply then just frees it), so a late answer is always
 * safe.  After evhttp_send_reply the evbuffer is empty but still ours to
 * free. */
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
#include "blob.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "page.h"
#include "rconn.h"
#include "store.h"
#include "util.h"
#include "viewer_int.h"
#include "xmalloc.h"

#define VIEWER_MAX_HEADERS 8192
#define VIEWER_MAX_BODY 1024
#define VIEWER_TIMEOUT_S 10

const char viewer_ct_html[] = "text/html; charset=utf-8";
const char viewer_ct_json[] = "application/json";
const char viewer_ct_text[] = "text/plain; charset=utf-8";
const char viewer_ct_prom[] = "text/plain; version=0.0.4; charset=utf-8";
const char viewer_ct_csv[] = "text/csv; charset=utf-8";

/* ---------------------------------------------------------------- */
/* Replies */

static const char *
method_name(enum evhttp_cmd_type m)
{
	return m == EVHTTP_REQ_HEAD   ? "HEAD"
	       : m == EVHTTP_REQ_POST ? "POST"
				      : "GET";
}

void
viewer_headers(struct evhttp_request *req, const char *ctype)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_remove_header(h, "Content-Type");
	if (ctype != NULL)
		evhttp_add_header(h, "Content-Type", ctype);
	http_security_headers(h);
}

void
viewer_reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	viewer_headers(req, ctype);
	log_debug("%s %.200s %d", method_name(evhttp_request_get_command(req)),
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

void
viewer_reply_text(
    struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, text, strlen(text));
	viewer_reply(req, code, reason, viewer_ct_text, b);
	evbuffer_free(b);
}

void
viewer_reply_page(struct evhttp_request *req, int code, const char *reason,
    const char *title, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	page_message(b, title, text);
	viewer_reply(req, code, reason, viewer_ct_html, b);
	evbuffer_free(b);
}

void
viewer_reply_json(
    struct evhttp_request *req, int code, const char *reason, json_t *v)
{
	struct evbuffer *b = evbuffer_new();
	char *s = api_dump(v);

	evbuffer_add(b, s, strlen(s));
	viewer_reply(req, code, reason, viewer_ct_json, b);
	evbuffer_free(b);
	free(s);
	json_decref(v);
}

void
viewer_reply_json_error(
    struct evhttp_request *req, int code, const char *reason, const char *msg)
{
	viewer_reply_json(req, code, reason, json_pack("{s:s}", "error", msg));
}

void
viewer_unavailable(struct view *w)
{
	switch (w->kind) {
	case VIEW_API_STATS:
	case VIEW_API_DEVICES:
	case VIEW_DEVICE_JSON:
	case VIEW_COLLECT:
		viewer_reply_json_error(
		    w->req, 503, "Service Unavailable", "redis unavailable");
		break;
	case VIEW_METRICS:
	case VIEW_HEALTH:
	case VIEW_CSV:
	case VIEW_ARTIFACT:
		viewer_reply_text(
		    w->req, 503, "Service Unavailable", "redis unavailable\n");
		break;
	default:
		viewer_reply_page(w->req, 503, "Service Unavailable",
		    "Redis unavailable",
		    "The results store (Redis) is not "
		    "reachable right now. The viewer keeps retrying; reload "
		    "this page in a few seconds.");
		break;
	}
}

struct view *
viewer_view_new(struct viewer *v, struct evhttp_request *req,
    enum view_kind kind, int per_default, int per_max)
{
	struct view *w = xcalloc(1, sizeof(*w));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);

	w->v = v;
	w->req = req;
	w->kind = kind;
	query_parse(uri ? evhttp_uri_get_query(uri) : NULL, per_default,
	    per_max, &w->q);
	viewer_peer(req, w->addr, sizeof(w->addr));
	return w;
}

void
viewer_view_free(struct view *w)
{
	if (w == NULL)
		return;
	json_decref(w->first);
	json_decref(w->ids);
	json_decref(w->ctx);
	free(w);
}

char *
viewer_key(const struct viewer *v, const char *name, const char *id)
{
	if (id != NULL)
		return xasprintf("%s:%s:%s", v->cfg->prefix, name, id);
	return xasprintf("%s:%s", v->cfg->prefix, name);
}

json_int_t
viewer_int_at(const json_t *arr, size_t i)
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

void
viewer_peer(struct evhttp_request *req, char *buf, size_t size)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, &host, &port);
	snprintf(buf, size, "%s", host != NULL && *host != '\0' ? host : "-");
}

/* ---------------------------------------------------------------- */
/* Small routes */

/* The seed's routes: 302 to the new pages. */
static void
redirect(struct evhttp_request *req, const char *rest, const char *anchor)
{
	struct evbuffer *b;
	char loc[64];
	int64_t id;

	if (util_parse_device_id(rest, &id) == -1) {
		viewer_reply_page(req, 400, "Bad Request", "Bad device id",
		    "A device id is a decimal number.");
		return;
	}
	snprintf(loc, sizeof(loc), "/device/%" PRId64 "%s", id, anchor);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Location", loc);
	b = evbuffer_new();
	evbuffer_add_printf(b,
	    "<!DOCTYPE html>\n<p>Moved to <a href=\"%s\">"
	    "%s</a>.</p>\n",
	    loc, loc);
	viewer_reply(req, 302, "Found", viewer_ct_html, b);
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

json_t *
viewer_redis_memory(const json_t *reply)
{
	const char *info = json_string_value(reply);
	long long used = info ? info_field(info, "used_memory") : -1;
	long long max = info ? info_field(info, "maxmemory") : -1;

	return json_pack("{s:I, s:I, s:b}", "used", (json_int_t)used, "max",
	    (json_int_t)max, "full", max > 0 && used >= max);
}

static void
health_done(json_t *replies, void *arg)
{
	struct view *w = arg;
	const char *pong = json_string_value(json_array_get(replies, 0));
	json_t *mem = viewer_redis_memory(json_array_get(replies, 1));

	if (pong == NULL || strcmp(pong, "PONG") != 0)
		viewer_unavailable(w);
	else if (json_is_true(json_object_get(mem, "full")))
		viewer_reply_text(w->req, 503, "Service Unavailable",
		    "redis is out of memory (maxmemory reached): it refuses writes, so no job can start or finish\n");
	else
		viewer_reply_text(w->req, 200, "OK", "ok\n");
	json_decref(mem);
	viewer_view_free(w);
}

static void
handle_healthz(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	struct view *w = viewer_view_new(v, req, VIEW_HEALTH, 1, 1);
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

/* The collect-now token of the signed-in user, for API clients. */
static void
handle_api_token(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	(void)rest;
	viewer_reply_json(req, 200, "OK",
	    json_pack(
		"{s:s, s:s}", "token", v->token, "header", "X-LRFlow-Token"));
}

/* ---------------------------------------------------------------- */
/* Routing and authentication */

#define M_GET (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD)

static const struct route {
	const char *path; /* exact path, or prefix when prefix */
	bool prefix;      /* path is followed by an id */
	bool open;        /* no authentication (probes, static files) */
	int methods;      /* EVHTTP_REQ_* it answers */
	viewer_handler *handler;
} routes[] = {
    {"/", false, false, M_GET, overview_dashboard},
    {"/device/", true, false, M_GET, detail_route},
    {"/api/devices", false, false, M_GET, overview_api_devices},
    /* GET a device's JSON; POST .../collect (checked by the route) */
    {"/api/devices/", true, false, M_GET | EVHTTP_REQ_POST, detail_api_route},
    {"/api/stats", false, false, M_GET, overview_api_stats},
    {"/api/token", false, false, M_GET, handle_api_token},
    {"/metrics", false, false, M_GET, overview_metrics},
    {"/sensor_result/", true, false, M_GET, handle_sensor_result},
    {"/browser_history/", true, false, M_GET, handle_browser_history},
    {"/healthz", false, true, M_GET, handle_healthz},
    {"/favicon.ico", false, true, M_GET, handle_favicon},
    {"/static/", true, true, M_GET, assets_route},
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
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct route *r = NULL;
	const char *rest = "";
	size_t i;

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
	if (!((r != NULL ? r->methods : M_GET) & (int)m)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		viewer_reply_page(req, 405, "Method Not Allowed",
		    "Method not allowed",
		    "This page only reads: GET and HEAD.");
		return;
	}
	if ((r == NULL || !r->open) &&
	    !viewer_auth_ok(v->auth_b64,
		evhttp_find_header(
		    evhttp_request_get_input_headers(req), "Authorization"))) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Basic realm=\"lrflow\"");
		viewer_reply_page(req, 401, "Unauthorized",
		    "Authentication required",
		    "This viewer needs a user name and password.");
		return;
	}
	if (r == NULL) {
		if (strncmp(path, "/api/", 5) == 0)
			viewer_reply_json_error(
			    req, 404, "Not Found", "no such route");
		else
			viewer_reply_page(req, 404, "Not Found", "Not found",
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
	char err[256], hex[2 * CSRF_SECRET_LEN + 1];

	if (rconn_parse_url(cfg->redis_url, &addr, err, sizeof(err)) == -1) {
		log_error("%s", err);
		return NULL;
	}
	v = xcalloc(1, sizeof(*v));
	v->cfg = cfg;
	v->base = base;
	snprintf(v->user, sizeof(v->user), "-");
	if (cfg->auth != NULL) {
		const char *colon = strchr(cfg->auth, ':');

		v->auth_b64 = viewer_base64(cfg->auth);
		snprintf(v->user, sizeof(v->user), "%.*s",
		    (int)(colon ? colon - cfg->auth : 0), cfg->auth);
	}
	/* the key of this process's collect tokens: never stored, never
	 * logged; a restart makes every token in open pages stale */
	util_random_hex(hex, CSRF_SECRET_LEN);
	for (int i = 0; i < CSRF_SECRET_LEN; i++) {
		unsigned int byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		v->secret[i] = (unsigned char)byte;
	}
	csrf_token(v->secret, v->user, v->token);
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
	evhttp_set_default_content_type(v->http, viewer_ct_html);
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
	blob_abort_all(v);
	/* the store first: waiting requests are answered (503) while the
	 * server still exists */
	store_free(v->store);
	http_server_free(v->srv);
	if (v->http != NULL)
		evhttp_free(v->http);
	free(v->auth_b64);
	explicit_bzero(v->secret, sizeof(v->secret));
	free(v);
}
