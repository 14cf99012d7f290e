/* test_cbhttp.c - the Carbon Black HTTP client against a scripted HTTP
 * server (libevent, in a thread, on loopback): the token header, JSON,
 * retries on 5xx, no retry on 4xx, Retry-After, redirects that must not
 * carry the token to another host, size caps, timeouts, refused
 * connections. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "cbhttp.h"
#include "log.h"
#include "../t.h"

#define TOKEN "TESTSECRETTOKEN0001/TESTID"

static struct event_base *base;
static int port_a,
    port_b; /* our "cloud" on 127.0.0.1, a storage host on 127.0.0.2 */
static int hits_flaky, hits_bad;
static char seen_token_b[256]; /* X-Auth-Token the storage host received */
static char seen_token_a[256];
static char seen_body[512];

static void
reply(struct evhttp_request *req, int code, const char *type, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, body, strlen(body));
	if (type != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", type);
	evhttp_send_reply(req, code, "x", b);
	evbuffer_free(b);
}

static void
on_a(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	const char *tok = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "X-Auth-Token");
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	char loc[128];

	(void)arg;
	snprintf(seen_token_a, sizeof(seen_token_a), "%s", tok ? tok : "");
	if (tok == NULL || strcmp(tok, TOKEN) != 0) {
		reply(req, 401, "application/json",
		    "{\"success\":false,\"message\":\"Unauthorized\"}");
		return;
	}
	if (strcmp(uri, "/ok") == 0) {
		reply(req, 200, "application/json",
		    "{\"success\":true,\"n\":42}");
	} else if (strcmp(uri, "/echo") == 0) {
		size_t n = evbuffer_get_length(in);

		if (n >= sizeof(seen_body))
			n = sizeof(seen_body) - 1;
		evbuffer_remove(in, seen_body, n);
		seen_body[n] = '\0';
		reply(req, 200, "application/json", "{}");
	} else if (strcmp(uri, "/flaky") == 0) {
		reply(req, ++hits_flaky <= 2 ? 503 : 200, "application/json",
		    "{\"try\":1}");
	} else if (strcmp(uri, "/bad") == 0) {
		hits_bad++;
		reply(req, 400, "application/json",
		    "{\"message\":\"bad request\"}");
	} else if (strcmp(uri, "/garbage") == 0) {
		reply(req, 200, "application/json", "{not json");
	} else if (strcmp(uri, "/slow429") == 0) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Retry-After", "7");
		reply(req, 429, "application/json", "{}");
	} else if (strcmp(uri, "/big") == 0) {
		static char big[70000];

		memset(big, 'x', sizeof(big) - 1);
		reply(req, 200, "application/octet-stream", big);
	} else if (strcmp(uri, "/redirect-away") == 0) {
		snprintf(loc, sizeof(loc), "http://127.0.0.2:%d/blob", port_b);
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Location", loc);
		reply(req, 302, NULL, "");
	} else if (strcmp(uri, "/redirect-home") == 0) {
		snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/ok", port_a);
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Location", loc);
		reply(req, 302, NULL, "");
	} else if (strcmp(uri, "/hang") == 0) {
		return; /* never answered: the client's timeout must fire */
	} else {
		reply(req, 404, "application/json", "{\"message\":\"nope\"}");
	}
}

static void
on_b(struct evhttp_request *req, void *arg)
{
	const char *tok = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "X-Auth-Token");

	(void)arg;
	snprintf(
	    seen_token_b, sizeof(seen_token_b), "%s", tok ? tok : "(none)");
	reply(req, 200, "application/octet-stream", "SQLite format 3");
}

static int
bind_http(struct evhttp *h, const char *addr)
{
	struct evhttp_bound_socket *s =
	    evhttp_bind_socket_with_handle(h, addr, 0);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (s == NULL)
		return -1;
	getsockname(
	    evhttp_bound_socket_get_fd(s), (struct sockaddr *)&sin, &len);
	return ntohs(sin.sin_port);
}

static volatile sig_atomic_t server_stop;

/* Stops the loop from its own thread (no evthread locking needed). */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	if (server_stop)
		event_base_loopbreak(arg);
}

static void *
serve(void *arg)
{
	(void)arg;
	event_base_dispatch(base);
	return NULL;
}

static struct cbhttp *
client(int port, long timeout_ms)
{
	struct cb_cred cred = {0};
	char url[64];
	struct cbhttp *c;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	cred.url = url;
	cred.token = (char *)TOKEN;
	cred.ssl_verify = cred.ssl_verify_hostname = true;
	c = cbhttp_new(&cred, timeout_ms);
	return c;
}

static int
test_json_and_token(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct cbhttp_resp r;
	json_t *body = json_pack("{s:i}", "sensor_id", 21212);

	CHECK(cbhttp_request(c, "GET", "/ok", NULL, &r) == 0);
	CHECK(r.status == 200);
	CHECK(json_integer_value(json_object_get(r.json, "n")) == 42);
	CHECK(strcmp(seen_token_a, TOKEN) == 0);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_request(c, "POST", "/echo", body, &r) == 0);
	CHECK(strcmp(seen_body, "{\"sensor_id\":21212}") == 0);
	cbhttp_resp_release(&r);
	json_decref(body);
	CHECK(cbhttp_request(c, "GET", "/missing", NULL, &r) == 0);
	CHECK(r.status == 404 && strstr(r.err, "HTTP 404") != NULL);
	CHECK(strstr(r.err, "nope") != NULL);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_request(c, "GET", "no-slash", NULL, &r) == -1);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_retries_5xx_not_4xx(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct cbhttp_resp r;

	hits_flaky = hits_bad = 0;
	CHECK(cbhttp_request(c, "GET", "/flaky", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_flaky == 3);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_request(c, "GET", "/bad", NULL, &r) == 0);
	CHECK(r.status == 400 && hits_bad == 1);
	CHECK(strstr(r.err, "bad request") != NULL);
	cbhttp_resp_release(&r);
	hits_flaky = 0;
	cbhttp_set_retries(c, 1);
	CHECK(cbhttp_request(c, "GET", "/flaky", NULL, &r) == 0);
	CHECK(r.status == 503 && hits_flaky == 2);
	CHECK(cbhttp_transient(r.status));
	cbhttp_resp_release(&r);
	CHECK(!cbhttp_transient(404) && cbhttp_transient(429) &&
	      cbhttp_transient(0));
	cbhttp_free(c);
	return 0;
}

static int
test_retry_after_and_malformed(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct cbhttp_resp r;

	CHECK(cbhttp_request(c, "GET", "/slow429", NULL, &r) == 0);
	CHECK(r.status == 429 && r.retry_after == 7);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_request(c, "GET", "/garbage", NULL, &r) == 0);
	CHECK(r.status == 200 && r.json == NULL);
	CHECK(strstr(r.err, "malformed JSON") != NULL);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_redirect_keeps_token_home(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct cbhttp_resp r;

	seen_token_b[0] = '\0';
	CHECK(cbhttp_download(c, "/redirect-away", 1 << 20, &r) == 0);
	CHECK(r.status == 200 && r.len == 15);
	CHECK(memcmp(r.body, "SQLite format 3", 15) == 0);
	CHECK(strcmp(seen_token_b, "(none)") == 0); /* never leaked */
	cbhttp_resp_release(&r);
	seen_token_a[0] = '\0';
	CHECK(cbhttp_download(c, "/redirect-home", 1 << 20, &r) == 0);
	CHECK(r.status == 200 && strcmp(seen_token_a, TOKEN) == 0);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_size_cap(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct cbhttp_resp r;

	CHECK(cbhttp_download(c, "/big", 1000, &r) == -1);
	CHECK(r.too_large && strstr(r.err, "larger than 1000") != NULL);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_download(c, "/big", 100000, &r) == 0);
	CHECK(r.len == 69999);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_timeout_and_refused(void)
{
	struct cbhttp *c = client(port_a, 300);
	struct cbhttp_resp r;

	cbhttp_set_retries(c, 0);
	CHECK(cbhttp_request(c, "GET", "/hang", NULL, &r) == -1);
	CHECK(r.status == 0 && strstr(r.err, "timed out") != NULL);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	/* Nothing listens on port 1: refused, retried, then -1. */
	c = client(1, 1000);
	cbhttp_set_retries(c, 1);
	CHECK(cbhttp_request(c, "GET", "/ok", NULL, &r) == -1);
	CHECK(r.status == 0 && r.err[0] != '\0');
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_token_not_logged(void)
{
	char buf[256] = "X-Auth-Token: " TOKEN " and TESTSECRETTOKEN0001 alone";

	log_redact(buf, sizeof(buf));
	CHECK(strstr(buf, "TESTSECRET") == NULL);
	return 0;
}

int
main(void)
{
	struct evhttp *a, *b;
	pthread_t tid;
	int rc;

	log_init("test_cbhttp", LOG_ERROR, LOG_TEXT);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	base = event_base_new();
	a = evhttp_new(base);
	b = evhttp_new(base);
	evhttp_set_gencb(a, on_a, NULL);
	evhttp_set_gencb(b, on_b, NULL);
	port_a = bind_http(a, "127.0.0.1");
	port_b = bind_http(b, "127.0.0.2");
	if (port_a <= 0 || port_b <= 0) {
		printf("not ok 1 - cannot bind the test servers\n");
		return 1;
	}
	{
		struct timeval tick = {0, 50000};
		struct event *t =
		    event_new(base, -1, EV_PERSIST, on_tick, base);

		event_add(t, &tick);
		pthread_create(&tid, NULL, serve, NULL);
		RUN(test_json_and_token);
		RUN(test_retries_5xx_not_4xx);
		RUN(test_retry_after_and_malformed);
		RUN(test_redirect_keeps_token_home);
		RUN(test_size_cap);
		RUN(test_timeout_and_refused);
		RUN(test_token_not_logged);
		server_stop = 1;
		pthread_join(tid, NULL);
		event_free(t);
	}
	evhttp_free(a);
	evhttp_free(b);
	event_base_free(base);
	curl_global_cleanup();
	rc = t_done();
	return rc;
}
