/* viewer.c - the HTTP server of lr-viewer: the routes table, dispatch
 * (the route, its methods, authentication, then one handler), the small
 * routes, and the life cycle.  The replies are viewer_reply.c,
 * authentication viewer_auth.c; the routes themselves live in
 * overview.c, detail.c, blob.c, manual.c and assets.c (viewer_int.h).
 *
 * Every handler ends in exactly one reply (viewer_reply, or a streamed
 * one in blob.c).  Handlers that need Redis send one batch (store.c) and
 * reply from its callback; when Redis is down the callback runs at once
 * with NULL and the answer is 503. */
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
#include "overview_int.h"
#include "xmalloc.h"

#define VIEWER_MAX_HEADERS 8192
#define VIEWER_MAX_BODY 1024
#define VIEWER_TIMEOUT_S 10

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
	overview_guess_free(v);
	explicit_bzero(v->secret, sizeof(v->secret));
	free(v);
}
