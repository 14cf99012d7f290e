/* test_cbhttp.c - the Carbon Black HTTP client against a scripted HTTP
 * server (libevent, in a thread, on loopback): the token header, JSON,
 * retries on 5xx, no retry on 4xx, Retry-After, redirects that must not
 * carry the token to another host, size caps, timeouts, refused
 * connections; the 429 pause and its gate, POSTs that are never sent
 * twice blindly, downloads to a file, the tick.  A raw TCP server beside
 * the HTTP one does what evhttp will not: hang up after reading a
 * request, or in the middle of an answer. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "cbhttp.h"
#include "log.h"
#include "util.h"
#include "../t.h"

#define TOKEN "TESTSECRETTOKEN0001/TESTID"

static struct event_base *base;
static int port_a,
    port_b;          /* our "cloud" on 127.0.0.1, a storage host on 127.0.0.2 */
static int port_raw; /* the raw TCP server, on 127.0.0.1 */
static int hits_flaky, hits_bad;
static int hits_a;                      /* every request our "cloud" received */
static int hits_ra1, hits_502;          /* /ra1, /flaky502 and /post503 */
static int hits_close, hits_hello;      /* raw: /close, /hello */
static int hits_partial;                /* raw: /partial */
static struct bufferevent *trickle_bev; /* raw: /trickle, being answered */
static struct event *trickle_ev;        /* its byte every 2 s */

#define BLOB_LEN 200000    /* /big-blob on the storage host */
#define PARTIAL_LEN 100000 /* raw /partial */

/* The byte at offset i of every generated body. */
static unsigned char
pattern(size_t i)
{
	return (unsigned char)((i * 7 + i / 251) & 0xff);
}
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
slow_reply(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reply(arg, 200, "application/json", "{\"slow\":true}");
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
	hits_a++;
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
	} else if (strcmp(uri, "/ra1") == 0) {
		if (++hits_ra1 == 1) {
			evhttp_add_header(
			    evhttp_request_get_output_headers(req),
			    "Retry-After", "1");
			reply(req, 429, "application/json", "{}");
		} else {
			reply(req, 200, "application/json", "{\"n\":1}");
		}
	} else if (strcmp(uri, "/429-none") == 0) {
		reply(req, 429, "application/json", "{}");
	} else if (strcmp(uri, "/429-huge") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "999999");
		reply(req, 429, "application/json", "{}");
	} else if (strcmp(uri, "/429-date") == 0) {
		time_t t = time(NULL) + 10;
		struct tm tm;
		char date[64];

		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
		    gmtime_r(&t, &tm));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", date);
		reply(req, 429, "application/json", "{}");
	} else if (strcmp(uri, "/flaky502") == 0) {
		reply(
		    req, ++hits_502 == 1 ? 502 : 200, "application/json", "{}");
	} else if (strcmp(uri, "/post502") == 0) {
		hits_502++;
		reply(req, 502, "text/html", "<html>bad gateway</html>");
	} else if (strcmp(uri, "/post503") == 0) {
		reply(req, ++hits_502 == 1 ? 503 : 201, "application/json",
		    "{\"id\":7}");
	} else if (strcmp(uri, "/slow") == 0) {
		struct timeval two = {2, 0};

		/* Answered in 2 s, from the loop (slow_reply). */
		event_base_once(base, -1, EV_TIMEOUT, slow_reply, req, &two);
	} else if (strcmp(uri, "/redirect-big") == 0) {
		snprintf(
		    loc, sizeof(loc), "http://127.0.0.2:%d/big-blob", port_b);
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Location", loc);
		reply(req, 302, NULL, "");
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
	if (strcmp(evhttp_request_get_uri(req), "/big-blob") == 0) {
		struct evbuffer *b = evbuffer_new();
		unsigned char *blob = malloc(BLOB_LEN);

		for (size_t i = 0; i < BLOB_LEN; i++)
			blob[i] = pattern(i);
		evbuffer_add(b, blob, BLOB_LEN);
		free(blob);
		evhttp_send_reply(req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	reply(req, 200, "application/octet-stream", "SQLite format 3");
}

/* ------------------------------------------------------------------ */
/* The raw server: reads whole requests, then answers as told by the
 * path, or hangs up. */

static void
raw_drop(struct bufferevent *bev, void *arg)
{
	(void)arg;
	if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_free(bev);
}

static void
raw_send(struct bufferevent *bev, const char *status, size_t clen, size_t n,
    bool hang_up)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	unsigned char *body = malloc(n + 1);

	evbuffer_add_printf(out,
	    "HTTP/1.1 %s\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    status, clen);
	for (size_t i = 0; i < n; i++)
		body[i] = pattern(i);
	evbuffer_add(out, body, n);
	free(body);
	if (hang_up) /* once the bytes are out */
		bufferevent_setcb(bev, NULL, raw_drop, NULL, NULL);
}

static void
raw_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	(void)arg;
	for (;;) {
		struct evbuffer_ptr end =
		    evbuffer_search(in, "\r\n\r\n", 4, NULL);
		size_t hlen, clen = 0, len = evbuffer_get_length(in);
		char head[2048], path[256] = "", *cl;

		if (end.pos < 0)
			return; /* headers incomplete */
		hlen = (size_t)end.pos + 4;
		if (hlen >= sizeof(head)) {
			bufferevent_free(bev);
			return;
		}
		evbuffer_copyout(in, head, hlen);
		head[hlen] = '\0';
		if ((cl = strcasestr(head, "\r\nContent-Length:")) != NULL)
			clen = strtoul(cl + 17, NULL, 10);
		if (len < hlen + clen)
			return; /* body incomplete */
		evbuffer_drain(in, hlen + clen);
		sscanf(head, "%*s %255s", path);
		if (strcmp(path, "/close") == 0) {
			hits_close++;
			bufferevent_free(bev); /* read it all, then hang up */
			return;
		} else if (strcmp(path, "/partial") == 0) {
			if (++hits_partial == 1) {
				raw_send(bev, "200 OK", PARTIAL_LEN,
				    PARTIAL_LEN / 2, true);
				return;
			}
			raw_send(
			    bev, "200 OK", PARTIAL_LEN, PARTIAL_LEN, false);
		} else if (strcmp(path, "/trickle") == 0) {
			/* 100 bytes promised, one every 2 s. */
			struct timeval two = {2, 0};

			raw_send(bev, "200 OK", 100, 0, false);
			trickle_bev = bev;
			event_add(trickle_ev, &two);
		} else {
			hits_hello++;
			raw_send(bev, "200 OK", 2, 2, false);
		}
	}
}

static void
trickle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (trickle_bev != NULL)
		bufferevent_write(trickle_bev, "x", 1);
}

static void
raw_event(struct bufferevent *bev, short what, void *arg)
{
	(void)arg;
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (bev == trickle_bev) {
		trickle_bev = NULL;
		event_del(trickle_ev);
	}
	bufferevent_free(bev);
}

static void
raw_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct bufferevent *bev =
	    bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	bufferevent_setcb(bev, raw_read, NULL, raw_event, NULL);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
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
	struct cbhttp *c = client(port_a, 5000), *other = client(port_a, 5000);
	struct cbhttp_resp r;
	int hits;

	CHECK(cbhttp_request(c, "GET", "/garbage", NULL, &r) == 0);
	CHECK(r.status == 200 && r.json == NULL);
	CHECK(strstr(r.err, "malformed JSON") != NULL);
	cbhttp_resp_release(&r);
	/* A pause of 7 s is longer than this client will wait. */
	cbhttp_set_max_wait(c, 1000);
	hits = hits_a;
	CHECK(cbhttp_request(c, "GET", "/slow429", NULL, &r) == 0);
	CHECK(r.status == 429 && r.retry_after == 7);
	CHECK(
	    strstr(r.err, "asked us to pause (HTTP 429) for 7 more s") != NULL);
	CHECK(hits_a == hits + 1);
	cbhttp_resp_release(&r);
	/* Without a gate the pause is this client's: its next request is
	 * not sent, another client's is. */
	CHECK(cbhttp_request(c, "GET", "/ok", NULL, &r) == 0);
	CHECK(r.status == 429 && r.retry_after >= 6 && r.retry_after <= 7);
	CHECK(hits_a == hits + 1);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_request(other, "GET", "/ok", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_a == hits + 2);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	cbhttp_free(other);
	return 0;
}

/* A gate backed by test variables instead of Redis. */
struct fake_gate {
	int64_t until;   /* util_mono_ms() the pause ends; 0: none */
	bool broken;     /* remaining_ms answers -1 */
	int asked;       /* remaining_ms calls */
	int npaused;     /* paused calls */
	long paused_for; /* the last paused() value */
};

static int64_t
fake_remaining(void *arg)
{
	struct fake_gate *g = arg;
	int64_t left = g->until - util_mono_ms();

	g->asked++;
	if (g->broken)
		return -1;
	return left > 0 ? left : 0;
}

static void
fake_paused(void *arg, long s)
{
	struct fake_gate *g = arg;

	g->npaused++;
	g->paused_for = s;
}

static int ticks;

static void
count_tick(void *arg)
{
	(void)arg;
	ticks++;
}

static int
test_429_then_ok(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct fake_gate fg = {0};
	struct cbhttp_gate g = {fake_remaining, fake_paused, &fg, NULL};
	struct cbhttp_resp r;
	int64_t t0;

	cbhttp_set_gate(c, &g);
	cbhttp_set_tick(c, count_tick, NULL);
	hits_ra1 = ticks = 0;
	t0 = util_mono_ms();
	CHECK(cbhttp_request(c, "GET", "/ra1", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_ra1 == 2);
	CHECK(util_mono_ms() - t0 >= 950); /* waited out Retry-After: 1 */
	CHECK(fg.npaused == 1 && fg.paused_for == 1);
	CHECK(fg.asked >= 2); /* before each of the two transfers */
	CHECK(ticks >= 1);    /* the pause ticked */
	CHECK(!r.maybe_acted);
	cbhttp_resp_release(&r);
	/* The same for a POST: a 429 means the server did not act. */
	hits_ra1 = 0;
	CHECK(cbhttp_request(c, "POST", "/ra1", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_ra1 == 2 && fg.npaused == 2);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_429_gives_up(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct fake_gate fg = {0};
	struct cbhttp_gate g = {fake_remaining, fake_paused, &fg, NULL};
	struct cbhttp_resp r;
	int hits = hits_a;

	/* No Retry-After: 30 s, longer than we wait; sent once. */
	cbhttp_set_gate(c, &g);
	cbhttp_set_max_wait(c, 10000);
	CHECK(cbhttp_request(c, "GET", "/429-none", NULL, &r) == 0);
	CHECK(r.status == 429 && r.retry_after == 30);
	CHECK(fg.npaused == 1 && fg.paused_for == 30);
	CHECK(hits_a == hits + 1);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	/* Absurd values are clamped to an hour. */
	c = client(port_a, 5000);
	cbhttp_set_gate(c, &g);
	CHECK(cbhttp_request(c, "GET", "/429-huge", NULL, &r) == 0);
	CHECK(r.status == 429 && r.retry_after == 3600);
	CHECK(fg.npaused == 2 && fg.paused_for == 3600);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	/* An HTTP date 10 s ahead is a pause of about 10 s. */
	c = client(port_a, 5000);
	cbhttp_set_gate(c, &g);
	cbhttp_set_max_wait(c, 1000);
	CHECK(cbhttp_request(c, "GET", "/429-date", NULL, &r) == 0);
	CHECK(r.status == 429 && r.retry_after >= 8 && r.retry_after <= 11);
	CHECK(fg.npaused == 3 && fg.paused_for >= 8 && fg.paused_for <= 11);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_gate_holds_requests(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct fake_gate fg = {0};
	struct cbhttp_gate g = {fake_remaining, fake_paused, &fg, NULL};
	struct cbhttp_resp r;
	int hits = hits_a;
	int64_t t0;

	cbhttp_set_gate(c, &g);
	cbhttp_set_max_wait(c, 1000);
	/* Another process's pause of 5 s: nothing reaches the server. */
	fg.until = util_mono_ms() + 5000;
	t0 = util_mono_ms();
	CHECK(cbhttp_request(c, "GET", "/ok", NULL, &r) == 0);
	CHECK(r.status == 429 && r.retry_after == 5);
	CHECK(strstr(r.err, "pause (HTTP 429) for 5 more s") != NULL);
	CHECK(util_mono_ms() - t0 < 500); /* did not wait for nothing */
	CHECK(hits_a == hits && fg.npaused == 0);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_download(c, "/big", 100000, &r) == 0);
	CHECK(r.status == 429 && hits_a == hits);
	cbhttp_resp_release(&r);
	/* A pause that fits in max_wait is waited out, then sent. */
	fg.until = util_mono_ms() + 600;
	t0 = util_mono_ms();
	CHECK(cbhttp_request(c, "GET", "/ok", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_a == hits + 1);
	CHECK(util_mono_ms() - t0 >= 550);
	cbhttp_resp_release(&r);
	/* A gate that cannot tell (Redis down) does not hold anything. */
	fg.until = util_mono_ms() + 5000;
	fg.broken = true;
	CHECK(cbhttp_request(c, "GET", "/ok", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_a == hits + 2);
	cbhttp_resp_release(&r);
	/* Without the gate nothing holds it either. */
	fg.broken = false;
	cbhttp_set_gate(c, NULL);
	CHECK(cbhttp_request(c, "GET", "/ok", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_a == hits + 3);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
test_stop_cuts_pause_short(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct fake_gate fg = {0};
	struct cbhttp_gate g = {fake_remaining, fake_paused, &fg, NULL};
	volatile sig_atomic_t stop = 1;
	struct cbhttp_resp r;
	int hits = hits_a;
	int64_t t0 = util_mono_ms();

	cbhttp_set_gate(c, &g);
	cbhttp_set_stop(c, &stop);
	fg.until = util_mono_ms() + 3000;
	CHECK(cbhttp_request(c, "DELETE", "/ok", NULL, &r) == 0);
	CHECK(r.status == 429 && hits_a == hits);
	CHECK(util_mono_ms() - t0 < 500);
	cbhttp_resp_release(&r);
	/* Stopping alone does not hold a request (sessions are closed at
	 * shutdown). */
	fg.until = 0;
	CHECK(cbhttp_request(c, "DELETE", "/ok", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_a == hits + 1);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	return 0;
}

static int
raw_url_client(struct cbhttp **c)
{
	*c = client(port_raw, 3000);
	return *c != NULL ? 0 : -1;
}

static int
test_post_never_blindly_retried(void)
{
	struct cbhttp *c;
	struct cbhttp_resp r;
	json_t *body = json_pack("{s:i}", "device_id", 21212);

	CHECK(raw_url_client(&c) == 0);
	/* A kept-alive connection first: libcurl would resend a request on
	 * a reused connection that died, by itself. */
	hits_close = hits_hello = 0;
	CHECK(cbhttp_request(c, "GET", "/hello", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_hello == 1);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_request(c, "POST", "/close", body, &r) == -1);
	CHECK(hits_close == 1); /* the server saw it once */
	CHECK(r.status == 0 && r.maybe_acted);
	cbhttp_resp_release(&r);
	/* A GET is retried as before (libcurl itself may send it once more
	 * on a reused connection), and never "maybe acted". */
	hits_close = 0;
	cbhttp_set_retries(c, 1);
	CHECK(cbhttp_request(c, "GET", "/close", NULL, &r) == -1);
	CHECK(hits_close >= 2 && !r.maybe_acted);
	cbhttp_resp_release(&r);
	cbhttp_free(c);

	/* 502 to a POST: the server may have acted; 503: it did not. */
	c = client(port_a, 5000);
	hits_502 = 0;
	CHECK(cbhttp_request(c, "POST", "/post502", body, &r) == 0);
	CHECK(r.status == 502 && hits_502 == 1 && r.maybe_acted);
	cbhttp_resp_release(&r);
	hits_502 = 0;
	CHECK(cbhttp_request(c, "POST", "/post503", body, &r) == 0);
	CHECK(r.status == 201 && hits_502 == 2 && !r.maybe_acted);
	CHECK(json_integer_value(json_object_get(r.json, "id")) == 7);
	cbhttp_resp_release(&r);
	/* A GET 502 then 200 is still retried. */
	hits_502 = 0;
	CHECK(cbhttp_request(c, "GET", "/flaky502", NULL, &r) == 0);
	CHECK(r.status == 200 && hits_502 == 2 && !r.maybe_acted);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	json_decref(body);
	return 0;
}

static int
test_post_to_closed_port(void)
{
	struct cbhttp *c = client(1, 1000); /* nothing listens on port 1 */
	struct cbhttp_resp r;
	json_t *body = json_pack("{s:i}", "device_id", 21212);
	int64_t t0 = util_mono_ms();

	cbhttp_set_retries(c, 1);
	CHECK(cbhttp_request(c, "POST", "/sessions", body, &r) == -1);
	CHECK(r.status == 0 && !r.maybe_acted && r.err[0] != '\0');
	/* Retried: one backoff (at least 250 ms) before the second try. */
	CHECK(util_mono_ms() - t0 >= 250);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	json_decref(body);
	return 0;
}

/* Reads all of f into a new buffer; *n gets its size. */
static unsigned char *
slurp(FILE *f, size_t *n)
{
	unsigned char *buf;
	long size;

	fflush(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size + 1);
	*n = fread(buf, 1, (size_t)size, f);
	return buf;
}

static bool
is_pattern(const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] != pattern(i))
			return false;
	return true;
}

static int
test_download_file(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct cbhttp_resp r;
	FILE *f = tmpfile();
	unsigned char *buf;
	size_t n;

	CHECK(f != NULL);
	fputs("left over from before", f); /* must not survive */
	seen_token_b[0] = '\0';
	seen_token_a[0] = '\0';
	CHECK(cbhttp_download_file(c, "/redirect-big", 1 << 20, f, &r) == 0);
	CHECK(r.status == 200 && r.len == BLOB_LEN && r.body == NULL);
	CHECK(strcmp(seen_token_a, TOKEN) == 0);
	CHECK(strcmp(seen_token_b, "(none)") == 0); /* never leaked */
	cbhttp_resp_release(&r);
	buf = slurp(f, &n);
	CHECK(n == BLOB_LEN && is_pattern(buf, n));
	free(buf);
	/* An error answer stays in memory, out of the file. */
	CHECK(cbhttp_download_file(c, "/missing", 1 << 20, f, &r) == 0);
	CHECK(r.status == 404 && r.body != NULL);
	CHECK(strstr(r.body, "nope") != NULL && strstr(r.err, "404") != NULL);
	cbhttp_resp_release(&r);
	buf = slurp(f, &n);
	CHECK(n == 0);
	free(buf);
	/* Over the cap: too large, -1. */
	CHECK(cbhttp_download_file(c, "/big", 1000, f, &r) == -1);
	CHECK(r.too_large && strstr(r.err, "larger than 1000") != NULL);
	cbhttp_resp_release(&r);
	CHECK(cbhttp_download_file(c, "/redirect-big", BLOB_LEN - 1, f, &r) ==
	      -1);
	CHECK(r.too_large);
	cbhttp_resp_release(&r);
	cbhttp_free(c);

	/* Cut off halfway, then whole: the retry does not append. */
	c = client(port_raw, 5000);
	hits_partial = 0;
	CHECK(cbhttp_download_file(c, "/partial", 1 << 20, f, &r) == 0);
	CHECK(hits_partial == 2);
	CHECK(r.status == 200 && r.len == PARTIAL_LEN);
	cbhttp_resp_release(&r);
	buf = slurp(f, &n);
	CHECK(n == PARTIAL_LEN && is_pattern(buf, n));
	free(buf);
	/* The in-memory download gets the same retry. */
	hits_partial = 0;
	CHECK(cbhttp_download(c, "/partial", 1 << 20, &r) == 0);
	CHECK(hits_partial == 2 && r.len == PARTIAL_LEN);
	CHECK(is_pattern((unsigned char *)r.body, r.len));
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	fclose(f);
	return 0;
}

/* 100 bytes at one every 2 s: over the 3 s (the base, shortened from 30
 * s for the test, plus 100 bytes at 50 KB/s) a download may take, though
 * too fast for the low-speed abort. */
static int
test_download_time_limit(void)
{
	struct cbhttp *c = client(port_raw, 5000);
	struct cbhttp_resp r;
	FILE *f = tmpfile();
	int64_t t0 = util_mono_ms(), took;

	CHECK(f != NULL);
	cbhttp_set_retries(c, 0);
	cbhttp_set_download_base(c, 3000);
	CHECK(cbhttp_download_file(c, "/trickle", 1 << 20, f, &r) == -1);
	took = util_mono_ms() - t0;
	CHECK(r.status == 0 && !r.too_large);
	CHECK(strstr(r.err, "timed out after 3 s (the limit for 100 bytes") !=
	      NULL);
	CHECK(took >= 3000 && took < 8000);
	cbhttp_resp_release(&r);
	cbhttp_free(c);
	fclose(f);
	return 0;
}

static int
test_tick_during_slow_answer(void)
{
	struct cbhttp *c = client(port_a, 5000);
	struct cbhttp_resp r;
	int64_t t0 = util_mono_ms();

	cbhttp_set_tick(c, count_tick, NULL);
	ticks = 0;
	CHECK(cbhttp_request(c, "GET", "/slow", NULL, &r) == 0);
	CHECK(r.status == 200 && util_mono_ms() - t0 >= 1900);
	CHECK(ticks >= 1);
	cbhttp_resp_release(&r);
	/* Without a tick nothing is called. */
	cbhttp_set_tick(c, NULL, NULL);
	ticks = 0;
	CHECK(cbhttp_request(c, "GET", "/slow", NULL, &r) == 0);
	CHECK(r.status == 200 && ticks == 0);
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
	struct evconnlistener *raw = NULL;
	pthread_t tid;
	int rc;

	log_init("test_cbhttp", LOG_ERROR, LOG_TEXT);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	base = event_base_new();
	trickle_ev = event_new(base, -1, EV_PERSIST, trickle, NULL);
	a = evhttp_new(base);
	b = evhttp_new(base);
	evhttp_set_gencb(a, on_a, NULL);
	evhttp_set_gencb(b, on_b, NULL);
	port_a = bind_http(a, "127.0.0.1");
	port_b = bind_http(b, "127.0.0.2");
	{
		struct sockaddr_in sin = {.sin_family = AF_INET};
		socklen_t len = sizeof(sin);

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		raw = evconnlistener_new_bind(base, raw_accept, NULL,
		    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, -1,
		    (struct sockaddr *)&sin, sizeof(sin));
		if (raw != NULL && getsockname(evconnlistener_get_fd(raw),
				       (struct sockaddr *)&sin, &len) == 0)
			port_raw = ntohs(sin.sin_port);
	}
	if (port_a <= 0 || port_b <= 0 || port_raw <= 0) {
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
		RUN(test_429_then_ok);
		RUN(test_429_gives_up);
		RUN(test_gate_holds_requests);
		RUN(test_stop_cuts_pause_short);
		RUN(test_post_never_blindly_retried);
		RUN(test_post_to_closed_port);
		RUN(test_download_file);
		RUN(test_tick_during_slow_answer);
		RUN(test_download_time_limit);
		server_stop = 1;
		pthread_join(tid, NULL);
		event_free(t);
	}
	evconnlistener_free(raw);
	event_free(trickle_ev);
	evhttp_free(a);
	evhttp_free(b);
	event_base_free(base);
	curl_global_cleanup();
	rc = t_done();
	return rc;
}
