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

/* The last response. */
static struct {
	int code;
	char *body;
	char csp[512];
	char ctype[128];
	char location[128];
	char www_auth[128];
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
		b = evhttp_request_get_input_buffer(req);
		n = evbuffer_get_length(b);
		resp.body = xmalloc(n + 1);
		evbuffer_remove(b, resp.body, n);
		resp.body[n] = '\0';
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
		RUN(test_redis_gone_is_503);
	}
	viewer_free(viewer);
	viewer_free(viewer_auth);
	if (base != NULL)
		event_base_free(base);
	config_release(&cfg);
	config_release(&cfg_auth);
	free(resp.body);
	return t_done();
}
