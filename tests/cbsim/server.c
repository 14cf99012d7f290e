/* server.c - evhttp glue: routing, authentication, statistics, latency.
 *
 * libevent 2.1 lifetime rules used here: the evhttp_request belongs to
 * evhttp, and stays valid until we answer it even if the client goes
 * away meanwhile (evhttp then frees it inside evhttp_send_reply).  So an
 * answer delayed by a timer is safe; on shutdown pending answers are sent
 * before evhttp_free().  After evhttp_send_reply() the evbuffer is empty
 * but still ours to free. */
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "faults.h"
#include "sessions.h"

#define SERVER_MAX_TABLES 8 /* route tables (API versions + admin) */
#define SERVER_MAX_SEGS 16  /* path segments considered */

/* An answer waiting for the scenario's latency to pass. */
struct server_delay {
	struct server *srv;
	struct event *ev;           /* one-shot timer; owned */
	struct evhttp_request *req; /* borrowed from evhttp */
	int code;
	struct evbuffer *buf; /* body; owned */
	struct server_delay *prev, *next;
};

struct server {
	struct event_base *base; /* borrowed */
	struct evhttp *http;     /* owned */
	struct sim *sim;         /* borrowed */
	const struct route *tables[SERVER_MAX_TABLES];
	size_t ntables;
	struct server_delay *delays; /* pending delayed answers */
};

/* ---------------------------------------------------------------- replies */

/* Drops any answer already set on r. */
static void
server_reply_clear(struct server_req *r)
{
	json_decref(r->json);
	vfs_blob_unref(r->blob);
	free(r->location);
	r->json = NULL;
	r->blob = NULL;
	r->ctype = NULL;
	r->location = NULL;
	r->retry_after = 0;
}

void
server_reply_json(struct server_req *r, int code, json_t *body)
{
	server_reply_clear(r);
	r->code = code;
	r->json = body;
}

void
server_reply_error(struct server_req *r, int code, const char *msg)
{
	server_reply_json(
	    r, code, json_pack("{s:b, s:s}", "success", 0, "message", msg));
}

void
server_reply_blob(struct server_req *r, int code, struct vfs_blob *b)
{
	server_reply_clear(r);
	r->code = code;
	r->blob = vfs_blob_ref(b);
}

void
server_reply_cbc(
    struct server_req *r, int code, const char *code_name, const char *msg)
{
	server_reply_json(r, code,
	    json_pack("{s:s, s:s}", "error_code", code_name, "message", msg));
}

void
server_reply_raw(struct server_req *r, int code, const char *ctype,
    const void *data, size_t len)
{
	struct vfs_blob *b = vfs_blob_new(data, len);

	server_reply_blob(r, code, b);
	vfs_blob_unref(b);
	r->ctype = ctype;
}

void
server_reply_empty(struct server_req *r, int code)
{
	server_reply_clear(r);
	r->code = code;
}

void
server_reply_redirect(struct server_req *r, const char *url)
{
	server_reply_clear(r);
	r->code = 302;
	r->location = xstrdup(url);
}

/* Answers fault f (a lost one the same way: the client cannot tell). */
static void
server_fault_answer(struct server_req *r, const struct sim_fault *f)
{
	static const char junk[] = "{\"results\": [{\"id\": \"<html>502 Bad";

	if (f->malformed) {
		server_reply_raw(
		    r, 200, "application/json", junk, sizeof(junk) - 1);
		return;
	}
	server_reply_cbc(
	    r, f->status, "INJECTED_FAULT", "fault injected by lr-cbsim");
	if (f->status == 429)
		r->retry_after = f->retry_after;
}

bool
server_fault(struct sim *s, struct server_req *r, enum sim_fault_route route)
{
	struct sim_fault f;

	if (!faults_take(s, route, &f))
		return false;
	if (f.lost) {
		r->lost = true;
		r->fault = f;
		return false;
	}
	server_fault_answer(r, &f);
	return true;
}

int
server_body_json(struct server_req *r, json_t **out)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in);
	json_error_t err;
	unsigned char *p;

	*out = NULL;
	if (len == 0)
		return 0;
	p = evbuffer_pullup(in, -1);
	if ((*out = json_loadb((const char *)p, len, 0, &err)) == NULL) {
		log_debug("request body: %s", err.text);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- routing */

/* Splits path in place into non-empty segments; returns their count, or
 * SERVER_MAX_SEGS + 1 if there are too many. */
static size_t
server_split(char *path, char **segs)
{
	char *save = NULL, *tok;
	size_t n = 0;

	for (tok = strtok_r(path, "/", &save); tok != NULL;
	     tok = strtok_r(NULL, "/", &save)) {
		if (n == SERVER_MAX_SEGS)
			return n + 1;
		segs[n++] = tok;
	}
	return n;
}

/* Matches pattern against segs, capturing "*" segments into r->args. */
static bool
server_match(
    const char *pattern, char **segs, size_t nsegs, struct server_req *r)
{
	const char *p = pattern, *end;
	size_t i = 0, len;

	r->nargs = 0;
	while (*p == '/')
		p++;
	while (*p != '\0') {
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (i == nsegs)
			return false;
		if (len == 1 && *p == '*') {
			if (r->nargs == SERVER_MAX_ARGS)
				return false;
			r->args[r->nargs++] = segs[i];
		} else if (strlen(segs[i]) != len ||
			   strncmp(segs[i], p, len) != 0)
			return false;
		i++;
		p += len;
		while (*p == '/')
			p++;
	}
	return i == nsegs;
}

/* Returns the route for this request, or NULL. */
static const struct route *
server_route(struct server *srv, enum evhttp_cmd_type method, char **segs,
    size_t nsegs, struct server_req *r)
{
	const struct route *rt;
	size_t t;

	for (t = 0; t < srv->ntables; t++)
		for (rt = srv->tables[t]; rt->pattern != NULL; rt++)
			if (rt->method == method &&
			    server_match(rt->pattern, segs, nsegs, r))
				return rt;
	return NULL;
}

/* True if the request carries the key the route needs. */
static bool
server_authorized(const struct server *srv, const struct route *rt,
    struct evhttp_request *req)
{
	const char *tok = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "X-Auth-Token");

	if (rt->flags & ROUTE_ADMIN)
		return true;
	if (tok == NULL)
		return false;
	if (rt->flags & ROUTE_SIEM)
		return strcmp(tok, srv->sim->siem_token) == 0;
	return strcmp(tok, srv->sim->token) == 0;
}

/* ---------------------------------------------------------------- sending */

/* jansson dump callback appending to an evbuffer. */
static int
server_dump(const char *buf, size_t size, void *data)
{
	return evbuffer_add(data, buf, size);
}

/* Sends d's answer and frees d. */
static void
server_delay_fire(evutil_socket_t fd, short what, void *arg)
{
	struct server_delay *d = arg;

	(void)fd;
	(void)what;
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		d->srv->delays = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	evhttp_send_reply(d->req, d->code, NULL, d->buf);
	evbuffer_free(d->buf);
	event_free(d->ev);
	free(d);
}

/* Sends r's answer now, or after delay_ms. */
static void
server_send(struct server *srv, struct server_req *r, int64_t delay_ms)
{
	struct evkeyvalq *hdrs = evhttp_request_get_output_headers(r->req);
	struct evbuffer *buf = evbuffer_new();
	struct server_delay *d;
	struct timeval tv;

	if (buf == NULL)
		fatalx("evbuffer_new failed");
	if (r->location != NULL)
		evhttp_add_header(hdrs, "Location", r->location);
	if (r->retry_after > 0) {
		char ra[24];

		snprintf(ra, sizeof(ra), "%d", r->retry_after);
		evhttp_add_header(hdrs, "Retry-After", ra);
	}
	if (r->blob != NULL) {
		evhttp_add_header(hdrs, "Content-Type",
		    r->ctype ? r->ctype : "application/octet-stream");
		evbuffer_add(buf, r->blob->data, r->blob->len);
	} else if (r->json == NULL && (r->code == 204 || r->code == 302)) {
		/* no body */
	} else {
		evhttp_add_header(hdrs, "Content-Type", "application/json");
		if (r->json != NULL)
			json_dump_callback(r->json, server_dump, buf,
			    JSON_COMPACT | JSON_ENCODE_ANY);
	}
	if (delay_ms <= 0) {
		evhttp_send_reply(r->req, r->code, NULL, buf);
		evbuffer_free(buf);
		return;
	}
	d = xcalloc(1, sizeof(*d));
	d->srv = srv;
	d->req = r->req;
	d->code = r->code;
	d->buf = buf;
	if ((d->ev = evtimer_new(srv->base, server_delay_fire, d)) == NULL)
		fatalx("evtimer_new failed");
	d->next = srv->delays;
	if (d->next != NULL)
		d->next->prev = d;
	srv->delays = d;
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(d->ev, &tv);
}

/* Runs rt's handler for an authorized request, with the "any" fault
 * first unless the handler places faults itself, and a lost fault's
 * answer last. */
static void
server_dispatch(struct sim *s, const struct route *rt, struct server_req *r)
{
	if (!(rt->flags & (ROUTE_FAULT | ROUTE_ADMIN)) &&
	    server_fault(s, r, SIM_FAULT_ANY))
		return;
	rt->handler(s, r);
	if (r->lost)
		server_fault_answer(r, &r->fault);
}

/* Counts an API answer in the statistics; a 429 also starts a pause,
 * from when the answer leaves (after the scenario's latency). */
static void
server_count(struct sim *s, const struct server_req *r, int64_t now_ms)
{
	s->stats.requests++;
	if (r->code == 401)
		s->stats.unauthorized++;
	if (r->code >= 400)
		s->stats.errors++;
	if (r->code == 429)
		faults_note_429(s, now_ms + s->latency_ms, r->retry_after);
}

/* The evhttp callback for every request. */
static void
server_handle(struct evhttp_request *req, void *arg)
{
	static const char *const methods[] = {"GET", "POST", "HEAD", "PUT",
	    "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH"};
	struct server *srv = arg;
	struct sim *s = srv->sim;
	struct server_req r = {.req = req};
	int64_t now = util_now_ms();
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *mname = "?";
	const struct route *rt = NULL;
	char *path, *segs[SERVER_MAX_SEGS];
	size_t nsegs, i;
	bool admin;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if ((unsigned)method == 1u << i)
			mname = methods[i];
	if ((path = evhttp_uridecode(raw && *raw ? raw : "/", 0, NULL)) == NULL)
		fatalx("evhttp_uridecode failed");
	admin = strncmp(path, "/_sim/", 6) == 0;
	log_debug("%s %s", mname, path);
	nsegs = server_split(path, segs);
	if (nsegs <= SERVER_MAX_SEGS)
		rt = server_route(srv, method, segs, nsegs, &r);
	if (rt != NULL)
		admin = (rt->flags & ROUTE_ADMIN) != 0;
	/* The cloud's idle timeout runs before anyone can look. */
	sessions_expire(s, now);
	if (!admin && faults_in_pause(s, now)) {
		s->stats.requests_in_pause++;
		log_warnx(
		    "%s %s arrived inside a 429 pause", mname, raw ? raw : "/");
	}
	if (rt == NULL)
		server_reply_json(&r, 404,
		    json_pack(
			"{s:b, s:s}", "success", 0, "message", "Not found"));
	else if (!server_authorized(srv, rt, req))
		server_reply_error(&r, 401, "Unauthorized");
	else if ((rt->flags & ROUTE_ORG) &&
		 (r.nargs == 0 || strcmp(r.args[0], s->org_key) != 0))
		server_reply_error(
		    &r, 403, "Organization key not found or not permitted");
	else
		server_dispatch(s, rt, &r);
	if (r.code == 0)
		server_reply_error(&r, 500, "handler set no answer");
	if (!admin)
		server_count(s, &r, now);
	log_debug("%s %s -> %d", mname, raw ? raw : "/", r.code);
	server_send(srv, &r, admin ? 0 : s->latency_ms);
	server_reply_clear(&r);
	free(path);
}

/* ------------------------------------------------------------ life cycle */

struct server *
server_new(struct event_base *base, struct sim *s)
{
	struct server *srv = xcalloc(1, sizeof(*srv));

	srv->base = base;
	srv->sim = s;
	if ((srv->http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_max_headers_size(srv->http, 8192);
	evhttp_set_max_body_size(srv->http, 10240);
	evhttp_set_timeout(srv->http, 10);
	evhttp_set_allowed_methods(srv->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
		EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(srv->http, server_handle, srv);
	return srv;
}

void
server_add_routes(struct server *srv, const struct route *table)
{
	if (srv->ntables == SERVER_MAX_TABLES)
		fatalx("too many route tables");
	srv->tables[srv->ntables++] = table;
}

int
server_listen(struct server *srv, const char *addr, unsigned port, char *bound,
    size_t boundsize)
{
	struct evhttp_bound_socket *h;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	unsigned bport;

	if ((h = evhttp_bind_socket_with_handle(
		 srv->http, addr, (ev_uint16_t)port)) == NULL)
		return log_error("cannot listen on '%s:%u'", addr, port);
	if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&ss,
		&len) == -1)
		return log_error("getsockname failed");
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    host, sizeof(host));
		bport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(bound, boundsize, "[%s]:%u", host, bport);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
		    sizeof(host));
		bport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		snprintf(bound, boundsize, "%s:%u", host, bport);
	}
	return 0;
}

void
server_free(struct server *srv)
{
	if (srv == NULL)
		return;
	/* Answer what is still waiting (firing unlinks each delay), and give
	 * the loop one non-blocking turn to write those answers out. */
	if (srv->delays != NULL) {
		while (srv->delays != NULL)
			server_delay_fire(-1, 0, srv->delays);
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
	}
	evhttp_free(srv->http);
	free(srv);
}
