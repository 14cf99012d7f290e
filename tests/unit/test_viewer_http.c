/* test_viewer_http.c - the viewer end to end, in process: a throwaway
 * redis-server, the real server on port 0, and libevent's HTTP client on the
 * same event_base.  Checks routes, headers, auth, and 503 once Redis is
 * gone. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

/* NEEDSWORK: t.h's t_redis_start() trips -Wformat-truncation at -O2
 * (t_redis_url is 200 bytes for a 200-byte socket path); t.h is not ours. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/t.h"
#pragma GCC diagnostic pop
#include "common/config.h"
#include "common/log.h"
#include <hiredis/hiredis.h>
#include "common/xmalloc.h"
#include "viewer/viewer.h"

static struct event_base *base;
static struct viewer *viewer;      /* no auth */
static struct viewer *viewer_auth; /* with ana:s3cret */
static struct config cfg, cfg_auth;
static redisContext *rc; /* the test's own Redis connection */

/* The last response. */
static struct {
	int code;
	char *body;
	char csp[512];
	char ctype[128];
	char location[128];
	char www_auth[128];
	char disposition[256];
	char nosniff[64];
	char etag[64];
	char cache[128];
	char length[32];
	size_t len; /* body bytes */
} resp;

static void
copy_header(struct evkeyvalq *h, const char *name, char *dst, size_t len)
{
	const char *v = evhttp_find_header(h, name);

	snprintf(dst, len, "%s", v ? v : "");
}

static void
on_response(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq *h;
	struct evbuffer *b;
	size_t n;

	(void)arg;
	free(resp.body);
	memset(&resp, 0, sizeof(resp));
	if (req != NULL) {
		resp.code = evhttp_request_get_response_code(req);
		h = evhttp_request_get_input_headers(req);
		copy_header(
		    h, "Content-Security-Policy", resp.csp, sizeof(resp.csp));
		copy_header(h, "Content-Type", resp.ctype, sizeof(resp.ctype));
		copy_header(
		    h, "Location", resp.location, sizeof(resp.location));
		copy_header(h, "WWW-Authenticate", resp.www_auth,
		    sizeof(resp.www_auth));
		copy_header(h, "Content-Disposition", resp.disposition,
		    sizeof(resp.disposition));
		copy_header(h, "X-Content-Type-Options", resp.nosniff,
		    sizeof(resp.nosniff));
		copy_header(h, "ETag", resp.etag, sizeof(resp.etag));
		copy_header(h, "Cache-Control", resp.cache, sizeof(resp.cache));
		copy_header(
		    h, "Content-Length", resp.length, sizeof(resp.length));
		b = evhttp_request_get_input_buffer(req);
		n = evbuffer_get_length(b);
		resp.body = xmalloc(n + 1);
		evbuffer_remove(b, resp.body, n);
		resp.body[n] = '\0';
		resp.len = n;
	}
	event_base_loopbreak(base);
}

/* GETs path from v (with an Authorization header when auth != NULL);
 * returns the status code (0 on a transport error). */
static int
get(struct viewer *v, const char *path, const char *auth)
{
	struct evhttp_connection *conn;
	struct evhttp_request *req;

	conn = evhttp_connection_base_new(
	    base, NULL, "127.0.0.1", (unsigned short)viewer_port(v));
	req = evhttp_request_new(on_response, NULL);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	if (auth != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Authorization", auth);
	resp.code = -1;
	evhttp_make_request(conn, req, EVHTTP_REQ_GET, path);
	event_base_dispatch(base);
	evhttp_connection_free(conn);
	return resp.code;
}

/* Sends method path to v with extra headers ("Name: value" strings,
 * NULL-terminated) and body (or NULL); returns the status code. */
static int
request(struct viewer *v, enum evhttp_cmd_type method, const char *path,
    const char *const *headers, const char *body)
{
	struct evhttp_connection *conn;
	struct evhttp_request *req;
	struct evkeyvalq *out;

	conn = evhttp_connection_base_new(
	    base, NULL, "127.0.0.1", (unsigned short)viewer_port(v));
	req = evhttp_request_new(on_response, NULL);
	out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Host", "127.0.0.1");
	for (; headers != NULL && *headers != NULL; headers++) {
		char name[64];
		const char *colon = strchr(*headers, ':');

		snprintf(name, sizeof(name), "%.*s", (int)(colon - *headers),
		    *headers);
		evhttp_add_header(out, name, colon + 2);
	}
	if (body != NULL)
		evbuffer_add(
		    evhttp_request_get_output_buffer(req), body, strlen(body));
	resp.code = -1;
	evhttp_make_request(conn, req, method, path);
	event_base_dispatch(base);
	evhttp_connection_free(conn);
	return resp.code;
}

/* Waits (running the loop) until v answers /healthz with want. */
static bool
wait_health(struct viewer *v, int want)
{
	int i;

	for (i = 0; i < 100; i++) {
		struct timeval tv = {0, 50000};

		if (get(v, "/healthz", NULL) == want)
			return true;
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return false;
}

/* Runs one command on c; true unless it failed. */
static bool
cmd_ok(redisContext *c, redisReply *r)
{
	bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	(void)c;
	freeReplyObject(r);
	return ok;
}

static int
seed(const char *url)
{
	redisContext *c = redisConnectUnix(url + strlen("unix://"));
	int ok = 0;

	if (c == NULL || c->err) {
		redisFree(c);
		return -1;
	}
	ok += cmd_ok(c,
	    redisCommand(c,
		"HSET lr:result:21212 device_id 21212 "
		"device_name %s status done step finished alert %s services %s "
		"users %s browser_history %s",
		"<b>EVIL</b>",
		"{\"type\":\"THREAT\",\"threatInfo\":{\"score\":3}}",
		"[{\"name\":\"Spooler\"}]", "[\"alice\"]",
		"[{\"user\":\"alice\",\"browser\":\"chrome\",\"profile\":\"Default\","
		"\"sha256\":\"ab\",\"size\":1,\"visits\":[{\"url\":\"javascript:x\","
		"\"title\":\"<script>alert(1)</script>\",\"visit_time\":\"t\"}]}]"));
	ok += cmd_ok(c, redisCommand(c, "ZADD lr:devices 1795832708000 21212"));
	ok += cmd_ok(c, redisCommand(c, "RPUSH lr:queue a b c"));
	ok += cmd_ok(c, redisCommand(c, "HSET lr:stats jobs_done 4"));
	redisFree(c);
	return ok == 4 ? 0 : -1;
}

static int
test_start(void)
{
	const char *url = t_redis_start();

	CHECK(url != NULL);
	CHECK(seed(url) == 0);
	CHECK((base = event_base_new()) != NULL);
	config_init(&cfg, CONFIG_VIEWER);
	cfg.redis_url = xstrdup(url);
	cfg.prefix = xstrdup("lr");
	cfg.listen = xstrdup("127.0.0.1:0");
	config_init(&cfg_auth, CONFIG_VIEWER);
	cfg_auth.redis_url = xstrdup(url);
	cfg_auth.prefix = xstrdup("lr");
	cfg_auth.listen = xstrdup("127.0.0.1:0");
	cfg_auth.auth = xstrdup("ana:s3cret");
	rc = redisConnectUnix(url + strlen("unix://"));
	CHECK(rc != NULL && rc->err == 0);
	CHECK((viewer = viewer_new(&cfg, base)) != NULL);
	CHECK(viewer_listen(viewer) == 0);
	CHECK(viewer_port(viewer) > 0);
	CHECK((viewer_auth = viewer_new(&cfg_auth, base)) != NULL);
	CHECK(viewer_listen(viewer_auth) == 0);
	CHECK(wait_health(viewer, 200));
	CHECK(strcmp(resp.body, "ok\n") == 0);
	return 0;
}

static int
test_headers_on_every_response(void)
{
	CHECK(get(viewer, "/", NULL) == 200);
	CHECK(strstr(resp.csp, "default-src 'none'") != NULL);
	CHECK(strstr(resp.csp, "frame-ancestors 'none'") != NULL);
	CHECK(strcmp(resp.ctype, "text/html; charset=utf-8") == 0);
	CHECK(strstr(resp.body, "lrflow \xe2\x80\x94 Live Response results") !=
	      NULL);
	CHECK(strstr(resp.body, "&lt;b&gt;EVIL&lt;/b&gt;") != NULL);
	CHECK(get(viewer, "/nope", NULL) == 404);
	CHECK(resp.csp[0] != '\0');
	return 0;
}

/* HEAD answers carry the length and no body: a body would be read as the
 * start of the next response on a kept-alive connection. */
static int
test_head_has_no_body(void)
{
	struct evhttp_connection *conn = evhttp_connection_base_new(
	    base, NULL, "127.0.0.1", (unsigned short)viewer_port(viewer));
	struct evhttp_request *req;

	req = evhttp_request_new(on_response, NULL);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	resp.code = -1;
	evhttp_make_request(conn, req, EVHTTP_REQ_HEAD, "/healthz");
	event_base_dispatch(base);
	CHECK(resp.code == 200 && resp.body != NULL && resp.body[0] == '\0');
	/* The same connection answers the next request correctly. */
	req = evhttp_request_new(on_response, NULL);
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	resp.code = -1;
	evhttp_make_request(conn, req, EVHTTP_REQ_GET, "/healthz");
	event_base_dispatch(base);
	CHECK(resp.code == 200 && strcmp(resp.body, "ok\n") == 0);
	evhttp_connection_free(conn);
	return 0;
}

static int
test_device_page(void)
{
	CHECK(get(viewer, "/device/21212", NULL) == 200);
	CHECK(strstr(resp.body, "Spooler") != NULL);
	CHECK(strstr(resp.body, "<script>") == NULL);
	CHECK(get(viewer, "/device/21212/history", NULL) == 200);
	CHECK(
	    strstr(resp.body, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(resp.body, "<script>") == NULL);
	CHECK(get(viewer, "/device/42", NULL) == 404);
	CHECK(get(viewer, "/device/abc", NULL) == 400);
	CHECK(get(viewer, "/device/", NULL) == 400);
	return 0;
}

static int
test_json_routes(void)
{
	json_t *j;

	CHECK(get(viewer, "/api/devices/21212", NULL) == 200);
	CHECK(strcmp(resp.ctype, "application/json") == 0);
	j = json_loads(resp.body, 0, NULL);
	CHECK(j != NULL);
	CHECK(json_is_object(json_object_get(j, "alert")));
	CHECK(json_is_array(json_object_get(j, "browser_history")));
	json_decref(j);
	CHECK(get(viewer, "/api/devices/42", NULL) == 404);
	CHECK(get(viewer, "/api/devices", NULL) == 200);
	j = json_loads(resp.body, 0, NULL);
	CHECK(json_integer_value(json_object_get(j, "count")) == 1);
	json_decref(j);
	CHECK(get(viewer, "/api/stats", NULL) == 200);
	j = json_loads(resp.body, 0, NULL);
	CHECK(json_integer_value(json_object_get(j, "queue_depth")) == 3);
	CHECK(json_integer_value(json_object_get(
		  json_object_get(j, "status_counts"), "done")) == 1);
	json_decref(j);
	CHECK(get(viewer, "/metrics", NULL) == 200);
	CHECK(strstr(resp.body, "\nlrflow_queue_depth 3\n") != NULL);
	CHECK(strstr(resp.body, "\nlrflow_jobs_done_total 4\n") != NULL);
	return 0;
}

static int
test_seed_redirects(void)
{
	CHECK(get(viewer, "/sensor_result/21212", NULL) == 302);
	CHECK(strcmp(resp.location, "/device/21212") == 0);
	CHECK(get(viewer, "/browser_history/21212", NULL) == 302);
	CHECK(strcmp(resp.location, "/device/21212#history") == 0);
	CHECK(get(viewer, "/browser_history/x", NULL) == 400);
	return 0;
}

static int
test_basic_auth_required(void)
{
	CHECK(get(viewer_auth, "/", NULL) == 401);
	CHECK(strcmp(resp.www_auth, "Basic realm=\"lrflow\"") == 0);
	CHECK(get(viewer_auth, "/api/stats", "Basic YW5hOndyb25n") == 401);
	CHECK(get(viewer_auth, "/api/stats", "Basic YW5hOnMzY3JldA==") == 200);
	CHECK(get(viewer_auth, "/healthz", NULL) == 200);
	return 0;
}

/* Runs one command and returns its integer (or -1). */
static long long
rnum(const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(rc, fmt, arg);
	long long n =
	    r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	freeReplyObject(r);
	return n;
}

/* Runs the loop for ms (audit entries are written after the answer). */
static void
settle(int ms)
{
	struct timeval tv = {0, ms * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* The field name of the newest entry of stream key, copied into out. */
static const char *
newest(const char *key, const char *name, char *out, size_t size)
{
	redisReply *r = redisCommand(rc, "XREVRANGE %s + - COUNT 1", key);

	out[0] = '\0';
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
		redisReply *f = r->element[0]->element[1];

		for (size_t i = 0; i + 1 < f->elements; i += 2)
			if (strcmp(f->element[i]->str, name) == 0)
				snprintf(
				    out, size, "%s", f->element[i + 1]->str);
	}
	freeReplyObject(r);
	return out;
}

static int
test_static_files(void)
{
	char etag[64], path[64];
	const char *inm[] = {NULL, NULL};
	char hdr[96];

	CHECK(get(viewer, "/static/app.js", NULL) == 200);
	CHECK(strcmp(resp.ctype, "text/javascript; charset=utf-8") == 0);
	CHECK(strstr(resp.body, "\"use strict\"") != NULL);
	CHECK(strcmp(resp.cache, "no-cache") == 0);
	CHECK(resp.etag[0] == '"');
	snprintf(etag, sizeof(etag), "%s", resp.etag);
	snprintf(path, sizeof(path), "/static/app.css?v=%.12s", etag + 1);
	CHECK(get(viewer, path, NULL) == 200);
	CHECK(strcmp(resp.ctype, "text/css; charset=utf-8") == 0);
	CHECK(strstr(resp.cache, "immutable") != NULL);
	snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
	inm[0] = hdr;
	CHECK(request(viewer, EVHTTP_REQ_GET, "/static/app.css", inm, NULL) ==
	      304);
	CHECK(get(viewer, "/static/../viewer.c", NULL) == 404);
	CHECK(get(viewer, "/static/", NULL) == 404);
	/* no authentication for the static files, only for the rest */
	CHECK(get(viewer_auth, "/static/app.css", NULL) == 200);
	/* the page links them, and the CSP allows nothing else */
	CHECK(get(viewer, "/", NULL) == 200);
	CHECK(strstr(resp.body, path + 0) != NULL ||
	      strstr(resp.body, "/static/app.css?v=") != NULL);
	CHECK(strstr(resp.csp, "script-src 'self'") != NULL);
	CHECK(strstr(resp.csp, "style-src 'self'") != NULL);
	CHECK(strstr(resp.csp, "unsafe-inline") == NULL);
	CHECK(strstr(resp.csp, "form-action 'self'") != NULL);
	return 0;
}

static int
test_collect_now(void)
{
	char tok[80], th[120], field[64];
	json_t *j;
	const char *none[] = {NULL};
	const char *wrong[] = {"X-LRFlow-Token: 00", NULL};
	const char *foreign[] = {th, "Origin: http://evil.example", NULL};
	const char *api[] = {th, NULL};
	const char *form[] = {"Origin: http://127.0.0.1",
	    "Content-Type: application/x-www-form-urlencoded", NULL};
	const char *form_ref[] = {"Referer: http://127.0.0.1/device/21212",
	    "Content-Type: application/x-www-form-urlencoded", NULL};
	const char *form_bare[] = {
	    "Content-Type: application/x-www-form-urlencoded", NULL};
	char body[120];

	CHECK(get(viewer, "/api/token", NULL) == 200);
	j = json_loads(resp.body, 0, NULL);
	snprintf(tok, sizeof(tok), "%s",
	    json_string_value(json_object_get(j, "token")));
	json_decref(j);
	CHECK(strlen(tok) == 64);
	snprintf(th, sizeof(th), "X-LRFlow-Token: %s", tok);
	snprintf(body, sizeof(body), "token=%s", tok);

	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  none, NULL) == 403);
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  wrong, NULL) == 403);
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  foreign, NULL) == 403);
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  form_bare, body) == 403); /* a form must say its origin */
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  form, "token=0123") == 403);
	CHECK(rnum("XLEN %s", "lr:requests") == 0);

	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  api, NULL) == 202);
	j = json_loads(resp.body, 0, NULL);
	CHECK(json_is_true(json_object_get(j, "requested")));
	json_decref(j);
	CHECK(rnum("XLEN %s", "lr:requests") == 1);
	CHECK(strcmp(newest("lr:requests", "device_id", field, sizeof(field)),
		  "21212") == 0);
	CHECK(strcmp(newest("lr:requests", "who", field, sizeof(field)), "-") ==
	      0);
	CHECK(strcmp(newest("lr:requests", "source", field, sizeof(field)),
		  "manual") == 0);
	CHECK(newest("lr:requests", "at", field, sizeof(field))[4] == '-');

	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  form, body) == 303);
	CHECK(strcmp(resp.location, "/device/21212?collect=requested") == 0);
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212/collect",
		  form_ref, body) == 303);
	CHECK(rnum("XLEN %s", "lr:requests") == 3);
	settle(100);
	CHECK(strcmp(newest("lr:audit", "action", field, sizeof(field)),
		  "collect") == 0);

	/* the token is the user's: another viewer's (another secret, user
	 * "ana") is refused here, and this one's there */
	CHECK(request(viewer_auth, EVHTTP_REQ_POST,
		  "/api/devices/21212/collect", api, NULL) == 401);
	CHECK(get(viewer, "/api/devices/21212/collect", NULL) == 405);
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/x/collect", api,
		  NULL) == 400);
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/21212", api,
		  NULL) == 405);
	CHECK(request(viewer, EVHTTP_REQ_POST, "/", api, NULL) == 405);
	CHECK(rnum("XLEN %s", "lr:requests") == 3);
	return 0;
}

static int
test_collect_with_auth(void)
{
	char tok[80], th[120], field[64];
	const char *api[] = {th, "Authorization: Basic YW5hOnMzY3JldA==", NULL};
	json_t *j;

	CHECK(get(viewer_auth, "/api/token", "Basic YW5hOnMzY3JldA==") == 200);
	j = json_loads(resp.body, 0, NULL);
	snprintf(tok, sizeof(tok), "%s",
	    json_string_value(json_object_get(j, "token")));
	json_decref(j);
	snprintf(th, sizeof(th), "X-LRFlow-Token: %s", tok);
	CHECK(request(viewer_auth, EVHTTP_REQ_POST, "/api/devices/777/collect",
		  api, NULL) == 202);
	CHECK(strcmp(newest("lr:requests", "who", field, sizeof(field)),
		  "ana") == 0);
	/* this token means nothing to the other viewer */
	CHECK(request(viewer, EVHTTP_REQ_POST, "/api/devices/777/collect", api,
		  NULL) == 403);
	return 0;
}

static int
test_artifact_download(void)
{
	static char data[600000];
	const char *sha =
	    "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999";
	const char *other =
	    "9999888877776666555544443333222211110000ffffeeeeddddccccbbbbaaaa";
	const char *gone =
	    "1234123412341234123412341234123412341234123412341234123412341234";
	char path[160], hist[600], field[64];
	redisReply *r;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 % 251); /* NULs and invalid UTF-8 */
	r = redisCommand(rc, "SET lr:artifact:%s %b", sha, data, sizeof(data));
	freeReplyObject(r);
	r = redisCommand(rc, "SET lr:artifact:%s x", other);
	freeReplyObject(r);
	snprintf(hist, sizeof(hist),
	    "[{\"user\":\"al/ice\\\"\",\"browser\":\"chrome\",\"profile\":"
	    "\"Profile 1\",\"sha256\":\"%s\"},{\"user\":\"b\",\"sha256\":"
	    "\"%s\"}]",
	    sha, gone);
	r = redisCommand(rc,
	    "HSET lr:result:31313 device_id 31313 status done browser_history %s",
	    hist);
	freeReplyObject(r);

	snprintf(path, sizeof(path), "/device/31313/artifact/%s", sha);
	CHECK(get(viewer, path, NULL) == 200);
	CHECK(
	    resp.len == sizeof(data) && memcmp(resp.body, data, resp.len) == 0);
	CHECK(strcmp(resp.ctype, "application/octet-stream") == 0);
	CHECK(strcmp(resp.nosniff, "nosniff") == 0);
	CHECK(strcmp(resp.disposition,
		  "attachment; filename=\"History-al_ice_-chrome-Profile_1."
		  "sqlite\"") == 0);
	settle(100);
	CHECK(strcmp(newest("lr:audit", "action", field, sizeof(field)),
		  "artifact") == 0);
	/* in Redis, but not named by this device */
	snprintf(path, sizeof(path), "/device/31313/artifact/%s", other);
	CHECK(get(viewer, path, NULL) == 404);
	/* named by another device only */
	snprintf(path, sizeof(path), "/device/21212/artifact/%s", sha);
	CHECK(get(viewer, path, NULL) == 404);
	/* named, but no longer kept */
	snprintf(path, sizeof(path), "/device/31313/artifact/%s", gone);
	CHECK(get(viewer, path, NULL) == 404);
	/* not a sha256 */
	CHECK(get(viewer, "/device/31313/artifact/AAAA", NULL) == 404);
	CHECK(get(viewer, "/device/31313/artifact/../../x", NULL) == 404);
	return 0;
}

static int
test_exports_and_audit(void)
{
	char field[64];

	CHECK(get(viewer, "/device/21212/services.csv", NULL) == 200);
	CHECK(strcmp(resp.ctype, "text/csv; charset=utf-8") == 0);
	CHECK(strcmp(resp.disposition,
		  "attachment; filename=\"device-21212-services.csv\"") == 0);
	CHECK(strncmp(resp.body, "name,key,", 9) == 0);
	CHECK(strstr(resp.body, "\r\nSpooler,") != NULL);
	settle(100);
	CHECK(strcmp(newest("lr:audit", "action", field, sizeof(field)),
		  "export") == 0);
	CHECK(strcmp(newest("lr:audit", "device_id", field, sizeof(field)),
		  "21212") == 0);
	CHECK(strcmp(newest("lr:audit", "addr", field, sizeof(field)),
		  "127.0.0.1") == 0);
	CHECK(get(viewer, "/device/21212/nope.csv", NULL) == 404);
	CHECK(get(viewer, "/device/42/visits.csv", NULL) == 404);
	CHECK(get(viewer, "/api/devices/21212?download=1", NULL) == 200);
	CHECK(strcmp(resp.disposition,
		  "attachment; filename=\"device-21212.json\"") == 0);
	CHECK(strchr(resp.body, '\n') == resp.body + strlen(resp.body) - 1);
	CHECK(get(viewer, "/device/21212", NULL) == 200);
	settle(100);
	CHECK(strcmp(newest("lr:audit", "action", field, sizeof(field)),
		  "view_device") == 0);
	CHECK(get(viewer, "/device/21212/history", NULL) == 200);
	settle(100);
	CHECK(strcmp(newest("lr:audit", "action", field, sizeof(field)),
		  "view_history") == 0);
	CHECK(
	    strcmp(newest("lr:audit", "who", field, sizeof(field)), "-") == 0);
	return 0;
}

static int
test_device_list_paging(void)
{
	json_t *j;
	redisReply *r;

	for (int i = 0; i < 30; i++) {
		r = redisCommand(rc,
		    "HSET lr:result:%d device_id %d device_name dev-%d status %s "
		    "users [\"user%d\"]",
		    5000 + i, 5000 + i, i, i % 3 == 0 ? "failed" : "done", i);
		freeReplyObject(r);
		r = redisCommand(
		    rc, "ZADD lr:devices %d %d", 1795800000 + i, 5000 + i);
		freeReplyObject(r);
	}
	CHECK(get(viewer, "/api/devices?per=10&page=2", NULL) == 200);
	j = json_loads(resp.body, 0, NULL);
	CHECK(json_array_size(json_object_get(j, "devices")) == 10);
	CHECK(json_integer_value(json_object_get(j, "matched")) >= 30);
	json_decref(j);
	CHECK(get(viewer, "/api/devices?per=1000000000&page=-1", NULL) == 200);
	j = json_loads(resp.body, 0, NULL);
	CHECK(json_integer_value(json_object_get(j, "per")) == 200);
	CHECK(json_integer_value(json_object_get(j, "page")) == 1);
	json_decref(j);
	CHECK(get(viewer, "/api/devices?q=USER17", NULL) == 200);
	j = json_loads(resp.body, 0, NULL);
	CHECK(json_integer_value(json_object_get(j, "matched")) == 1);
	CHECK(json_integer_value(json_object_get(
		  json_array_get(json_object_get(j, "devices"), 0),
		  "device_id")) == 5017);
	json_decref(j);
	CHECK(get(viewer, "/api/devices?status=failed&sort=name&per=3", NULL) ==
	      200);
	j = json_loads(resp.body, 0, NULL);
	CHECK(json_integer_value(json_object_get(j, "matched")) == 10);
	CHECK(strcmp(json_string_value(json_object_get(
			 json_array_get(json_object_get(j, "devices"), 0),
			 "device_name")),
		  "dev-0") == 0);
	CHECK(strcmp(json_string_value(json_object_get(
			 json_array_get(json_object_get(j, "devices"), 1),
			 "device_name")),
		  "dev-12") == 0);
	json_decref(j);
	CHECK(get(viewer, "/?q=%3Cscript%3E&page=-1&per=1000000000", NULL) ==
	      200);
	CHECK(strstr(resp.body, "value=\"&lt;script&gt;\"") != NULL);
	return 0;
}

static int
test_redis_gone_is_503(void)
{
	t_redis_stop();
	CHECK(wait_health(viewer, 503));
	CHECK(strcmp(resp.body, "redis unavailable\n") == 0);
	CHECK(get(viewer, "/", NULL) == 503);
	CHECK(strstr(resp.body, "Redis unavailable") != NULL);
	CHECK(get(viewer, "/api/devices/21212", NULL) == 503);
	CHECK(get(viewer, "/device/21212", NULL) == 503);
	CHECK(get(viewer, "/metrics", NULL) == 503);
	return 0;
}

int
main(void)
{
	log_init("test_viewer_http", LOG_WARN, LOG_TEXT);
	RUN(test_start);
	if (t_failed == 0) {
		RUN(test_headers_on_every_response);
		RUN(test_head_has_no_body);
		RUN(test_device_page);
		RUN(test_json_routes);
		RUN(test_seed_redirects);
		RUN(test_basic_auth_required);
		RUN(test_static_files);
		RUN(test_collect_now);
		RUN(test_collect_with_auth);
		RUN(test_artifact_download);
		RUN(test_exports_and_audit);
		RUN(test_device_list_paging);
		RUN(test_redis_gone_is_503);
	}
	viewer_free(viewer);
	viewer_free(viewer_auth);
	if (rc != NULL)
		redisFree(rc);
	if (base != NULL)
		event_base_free(base);
	config_release(&cfg);
	config_release(&cfg_auth);
	free(resp.body);
	return t_done();
}
