/* test_viewer_index.c - the viewer's device list at fleet scale, in
 * process: a throwaway redis-server with 10,050 devices (more than the
 * bounded scan reads), the real server on port 0, libevent's HTTP client
 * on the same event_base.
 *
 * With P:status_index the counts cover every device (a ZCARD per status
 * set) and a newest-first page, filtered by status or not, is read from
 * P:devices or P:bystatus:<status> alone; without it the viewer falls back
 * to the bounded scan of the newest 10,000.  And every accepted
 * connection has TCP_NODELAY. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/t.h"
#pragma GCC diagnostic pop
#include "common/config.h"
#include "common/log.h"
#include <hiredis/hiredis.h>
#include "common/xmalloc.h"
#include "common/util.h"
#include "viewer/page.h"
#include "viewer/viewer.h"

#define NDEV 10050 /* devices 1..NDEV; the higher the id, the newer */
#define T0 1790000000000LL

static struct event_base *base;
static struct viewer *viewer;
static struct config cfg;
static redisContext *rc;
static struct evhttp_connection *conn; /* kept alive between requests */
static int code;
static char *body;

static void
on_response(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b;
	size_t n;

	(void)arg;
	free(body);
	body = NULL;
	code = req ? evhttp_request_get_response_code(req) : 0;
	if (req != NULL) {
		b = evhttp_request_get_input_buffer(req);
		n = evbuffer_get_length(b);
		body = xmalloc(n + 1);
		evbuffer_remove(b, body, n);
		body[n] = '\0';
	}
	event_base_loopbreak(base);
}

/* GETs path on the kept-alive connection; returns the status code. */
static int
get(const char *path)
{
	struct evhttp_request *req = evhttp_request_new(on_response, NULL);

	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
	code = -1;
	evhttp_make_request(conn, req, EVHTTP_REQ_GET, path);
	event_base_dispatch(base);
	return code;
}

/* GETs path and parses the JSON answer (NULL if it is not 200 JSON). */
static json_t *
get_json(const char *path)
{
	return get(path) == 200 ? json_loads(body, 0, NULL) : NULL;
}

static const char *
status_of(int i)
{
	/* 70 % done, 20 % failed, 10 % queued */
	return i % 10 < 7 ? "done" : i % 10 < 9 ? "failed" : "queued";
}

/* NDEV result hashes, P:devices (score T0 + i s), and the index.  In
 * P:bystatus:failed the scores run the other way (the oldest device
 * changed status last), so a page read from it is told apart from the
 * same devices in P:devices order. */
static bool
seed(void)
{
	int n = 0;
	bool ok = true;

	for (int i = 1; i <= NDEV; i++) {
		const char *st = status_of(i);
		long long ms = T0 + i * 1000LL, sms = strcmp(st, "failed") == 0
							  ? T0 - i * 1000LL
							  : ms;

		redisAppendCommand(rc,
		    "HSET lr:result:%d device_id %d device_name dev-%05d "
		    "status %s users [\"user%d\"]",
		    i, i, i, st, i);
		redisAppendCommand(rc, "ZADD lr:devices %lld %d", ms, i);
		redisAppendCommand(
		    rc, "ZADD lr:bystatus:%s %lld %d", st, sms, i);
		n += 3;
	}
	redisAppendCommand(rc, "SET lr:status_index 1");
	n++;
	for (int i = 0; i < n; i++) {
		redisReply *r = NULL;

		if (redisGetReply(rc, (void **)&r) != REDIS_OK || r == NULL ||
		    r->type == REDIS_REPLY_ERROR)
			ok = false;
		freeReplyObject(r);
	}
	return ok;
}

static bool
index_on(bool on)
{
	redisReply *r = redisCommand(
	    rc, on ? "SET lr:status_index 1" : "DEL lr:status_index");
	bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	freeReplyObject(r);
	return ok;
}

static json_int_t
num(const json_t *j, const char *a, const char *b)
{
	const json_t *v = json_object_get(j, a);

	return json_integer_value(b ? json_object_get(v, b) : v);
}

/* The device_id of row i of an /api/devices answer. */
static json_int_t
row_id(const json_t *j, size_t i)
{
	return json_integer_value(json_object_get(
	    json_array_get(json_object_get(j, "devices"), i), "device_id"));
}

static int
test_start(void)
{
	const char *url = t_redis_start();

	CHECK(url != NULL);
	rc = redisConnectUnix(url + strlen("unix://"));
	CHECK(rc != NULL && rc->err == 0);
	CHECK(seed());
	CHECK((base = event_base_new()) != NULL);
	config_init(&cfg, CONFIG_VIEWER);
	cfg.redis_url = xstrdup(url);
	cfg.prefix = xstrdup("lr");
	cfg.listen = xstrdup("127.0.0.1:0");
	CHECK((viewer = viewer_new(&cfg, base)) != NULL);
	CHECK(viewer_listen(viewer) == 0);
	conn = evhttp_connection_base_new(
	    base, NULL, "127.0.0.1", (unsigned short)viewer_port(viewer));
	CHECK(conn != NULL);
	for (int i = 0; i < 100 && get("/healthz") != 200; i++) {
		struct timeval tv = {0, 50000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	CHECK(code == 200);
	return 0;
}

/* The viewer's end of our kept-alive connection (same process): the
 * socket whose peer is our local address.  Its TCP_NODELAY is on. */
static int
test_accepted_socket_has_nodelay(void)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(conn);
	struct sockaddr_in me, peer;
	socklen_t len = sizeof(me);
	int found = -1, on = 0;

	CHECK(get("/healthz") == 200);
	CHECK(bev != NULL && bufferevent_getfd(bev) >= 0);
	CHECK(getsockname(
		  bufferevent_getfd(bev), (struct sockaddr *)&me, &len) == 0);
	for (int fd = 0; fd < 4096 && found == -1; fd++) {
		len = sizeof(peer);
		if (fd != bufferevent_getfd(bev) &&
		    getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
		    peer.sin_family == AF_INET &&
		    peer.sin_port == me.sin_port &&
		    peer.sin_addr.s_addr == me.sin_addr.s_addr)
			found = fd;
	}
	CHECK(found >= 0);
	len = sizeof(on);
	CHECK(getsockopt(found, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0);
	CHECK(on == 1);
	/* ours, for contrast: the option is not on by default */
	len = sizeof(on);
	CHECK(getsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &on,
		  &len) == 0);
	CHECK(on == 0);
	return 0;
}

/* With the index: counts over every device, the page from P:devices. */
static int
test_index_counts_every_device(void)
{
	json_t *j = get_json("/api/stats");

	CHECK(j != NULL);
	CHECK(num(j, "devices_total", NULL) == NDEV);
	CHECK(num(j, "devices_counted", NULL) == NDEV);
	CHECK(num(j, "status_counts", "done") == NDEV * 7 / 10);
	CHECK(num(j, "status_counts", "failed") == NDEV * 2 / 10);
	CHECK(num(j, "status_counts", "queued") == NDEV / 10);
	CHECK(num(j, "status_counts", "other") == 0);
	json_decref(j);

	j = get_json("/api/devices?per=10&page=2");
	CHECK(j != NULL);
	CHECK(num(j, "matched", NULL) == NDEV);
	CHECK(num(j, "scanned", NULL) == NDEV);
	CHECK(num(j, "total", NULL) == NDEV);
	CHECK(num(j, "count", NULL) == 10);
	CHECK(row_id(j, 0) == NDEV - 10);
	CHECK(row_id(j, 9) == NDEV - 19);
	CHECK(strcmp(json_string_value(json_object_get(
			 json_array_get(json_object_get(j, "devices"), 0),
			 "device_name")),
		  "dev-10040") == 0);
	json_decref(j);

	/* the last page, past the scan's 10,000 */
	j = get_json("/api/devices?per=100&page=101");
	CHECK(j != NULL);
	CHECK(num(j, "count", NULL) == 50);
	CHECK(row_id(j, 49) == 1);
	json_decref(j);

	CHECK(get("/") == 200);
	CHECK(strstr(body, "<b data-count=\"done\">7035</b>") != NULL);
	CHECK(strstr(body, "most recently updated") == NULL);
	return 0;
}

/* A status page is read from its set, in its order, and shows when each
 * device took that status (the set's score). */
static int
test_index_status_page(void)
{
	json_t *j = get_json("/api/devices?status=failed&per=5");
	const json_t *d;

	CHECK(j != NULL);
	CHECK(num(j, "matched", NULL) == NDEV * 2 / 10);
	/* failed: i % 10 == 7 or 8; the set's newest is the oldest device */
	CHECK(row_id(j, 0) == 7);
	CHECK(row_id(j, 1) == 8);
	CHECK(row_id(j, 2) == 17);
	d = json_array_get(json_object_get(j, "devices"), 0);
	CHECK(strcmp(json_string_value(json_object_get(d, "status")),
		  "failed") == 0);
	CHECK(json_integer_value(json_object_get(d, "updated_at_ms")) ==
	      T0 - 7000);
	json_decref(j);

	CHECK(get("/?status=queued&per=25&page=2") == 200);
	CHECK(strstr(body, "<span data-matched>1005</span>") != NULL);
	/* queued: i % 10 == 9, newest first: 10049, 10039, ...; page 2
	 * starts with the 26th */
	CHECK(strstr(body, "href=\"/device/9799\"") != NULL);
	CHECK(strstr(body, "href=\"/device/10049\"") == NULL);
	return 0;
}

/* A search still reads the bounded scan, with the index's counts. */
static int
test_search_keeps_the_scan(void)
{
	json_t *j = get_json("/api/devices?q=USER1004");

	CHECK(j != NULL);
	/* user1004 and user10040..user10049: all among the newest 10,000 */
	CHECK(num(j, "matched", NULL) == 11);
	CHECK(num(j, "scanned", NULL) == 10000);
	CHECK(num(j, "total", NULL) == NDEV);
	json_decref(j);
	j = get_json("/api/devices?q=dev-00042");
	CHECK(j != NULL);
	CHECK(num(j, "matched", NULL) == 0); /* older than the scan reaches */
	json_decref(j);
	CHECK(get("/?q=dev") == 200);
	CHECK(strstr(body, "<b data-count=\"done\">7035</b>") != NULL);
	CHECK(strstr(body, "Only the 10000 most recently updated of 10050") !=
	      NULL);
	return 0;
}

/* Without P:status_index: the bounded scan, as before the index. */
static int
test_no_index_falls_back_to_the_scan(void)
{
	json_t *j;

	CHECK(index_on(false));
	j = get_json("/api/stats");
	CHECK(j != NULL);
	CHECK(num(j, "devices_total", NULL) == NDEV);
	CHECK(num(j, "devices_counted", NULL) == 10000);
	/* devices 51..10050: 7000 done */
	CHECK(num(j, "status_counts", "done") == 7000);
	json_decref(j);

	j = get_json("/api/devices?status=failed&per=5");
	CHECK(j != NULL);
	CHECK(num(j, "matched", NULL) == 2000);
	CHECK(row_id(j, 0) == 10048); /* P:devices order */
	json_decref(j);

	j = get_json("/api/devices?per=10&page=2");
	CHECK(j != NULL);
	CHECK(num(j, "scanned", NULL) == 10000);
	CHECK(row_id(j, 0) == NDEV - 10);
	json_decref(j);
	CHECK(index_on(true));
	return 0;
}

/* Identical requests while a read is in flight share it. */
#define NJOIN 5
static char *joined_body[NJOIN + 1];
static int joined_n;

static void
on_joined(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b;
	size_t n;
	int i = (int)(intptr_t)arg;

	if (req != NULL && evhttp_request_get_response_code(req) == 200) {
		b = evhttp_request_get_input_buffer(req);
		n = evbuffer_get_length(b);
		joined_body[i] = xmalloc(n + 1);
		evbuffer_remove(b, joined_body[i], n);
		joined_body[i][n] = '\0';
	}
	if (++joined_n == NJOIN + 1)
		event_base_loopbreak(base);
}

/* The calls of cmd Redis counted since CONFIG RESETSTAT. */
static long
calls(const char *cmd)
{
	redisReply *r = redisCommand(rc, "INFO commandstats");
	char key[64];
	const char *p;
	long n = -1;

	snprintf(key, sizeof(key), "cmdstat_%s:calls=", cmd);
	if (r != NULL && r->type == REDIS_REPLY_STRING &&
	    (p = strstr(r->str, key)) != NULL)
		n = atol(p + strlen(key));
	freeReplyObject(r);
	return n;
}

static int
test_identical_requests_share_a_read(void)
{
	struct evhttp_connection *c[NJOIN + 1];
	redisReply *r;
	json_t *j;
	int i;

	r = redisCommand(rc, "CONFIG RESETSTAT");
	freeReplyObject(r);
	/* Redis holds every command for 300 ms: the requests all come
	 * while the first read waits */
	r = redisCommand(rc, "CLIENT PAUSE 300 ALL");
	CHECK(r != NULL && r->type == REDIS_REPLY_STATUS);
	freeReplyObject(r);
	joined_n = 0;
	for (i = 0; i <= NJOIN; i++) {
		struct evhttp_request *req =
		    evhttp_request_new(on_joined, (void *)(intptr_t)i);

		c[i] = evhttp_connection_base_new(base, NULL, "127.0.0.1",
		    (unsigned short)viewer_port(viewer));
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Host", "127.0.0.1");
		/* the last one asks for another page: a read of its own */
		evhttp_make_request(c[i], req, EVHTTP_REQ_GET,
		    i < NJOIN ? "/api/devices?per=7" : "/api/devices?per=8");
	}
	event_base_dispatch(base);
	for (i = 0; i <= NJOIN; i++)
		evhttp_connection_free(c[i]);
	CHECK(joined_n == NJOIN + 1);
	for (i = 0; i <= NJOIN; i++)
		CHECK(joined_body[i] != NULL);
	for (i = 1; i < NJOIN; i++)
		CHECK(strcmp(joined_body[i], joined_body[0]) == 0);
	j = json_loads(joined_body[0], 0, NULL);
	CHECK(num(j, "count", NULL) == 7);
	CHECK(row_id(j, 0) == NDEV);
	json_decref(j);
	j = json_loads(joined_body[NJOIN], 0, NULL);
	CHECK(num(j, "count", NULL) == 8);
	json_decref(j);
	/* one GET P:status_index and one ZREVRANGE per read: two reads */
	CHECK(calls("get") == 2);
	CHECK(calls("zrevrange") == 2);
	CHECK(calls("hmget") == 7 + 8);
	for (i = 0; i <= NJOIN; i++)
		free(joined_body[i]);
	return 0;
}

/* The rows' fast ISO time is util_iso8601's text, to the millisecond. */
static int
test_row_times_are_util_iso8601(void)
{
	static const int64_t fixed[] = {0, 1, 999, 86399999, 86400000,
	    951782400000LL /* 2000-02-29 */, 951868799999LL,
	    4107542399999LL /* 2100-02-28 */, 4107542400000LL, T0 + 123,
	    253402300799999LL /* 9999-12-31 */,
	    253402300800000LL /* year 10000 */, -5};
	char a[64], b[64];
	uint64_t x = 88172645463325252ULL;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		page_iso_ms(fixed[i], a, sizeof(a));
		util_iso8601(fixed[i], b, sizeof(b));
		if (strcmp(a, b) != 0)
			printf("#   %lld: %s, want %s\n", (long long)fixed[i],
			    a, b);
		CHECK(strcmp(a, b) == 0);
	}
	for (int i = 0; i < 100000; i++) {
		int64_t ms;

		x ^= x << 13; /* xorshift: any time up to year 9999 */
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % 253402300800000ULL);
		page_iso_ms(ms, a, sizeof(a));
		util_iso8601(ms, b, sizeof(b));
		CHECK(strcmp(a, b) == 0);
	}
	return 0;
}

static bool
run(const char *cmd)
{
	redisReply *r = redisCommand(rc, cmd);
	bool ok = r != NULL && r->type != REDIS_REPLY_ERROR;

	freeReplyObject(r);
	return ok;
}

/* A page read again sends its last ids' HMGETs with its ids: one round
 * trip when they are still the page's ids, two (and the right rows) when
 * they changed. */
static int
test_a_page_read_again_takes_one_round_trip(void)
{
	json_t *j;

	CHECK(get("/api/devices?per=5&page=3") == 200); /* the guess */
	CHECK(run("CONFIG RESETSTAT"));
	j = get_json("/api/devices?per=5&page=3");
	CHECK(j != NULL && row_id(j, 0) == NDEV - 10);
	json_decref(j);
	CHECK(calls("hmget") == 5); /* stage 1 only: no stage 2 */
	CHECK(calls("zrevrange") == 1);

	/* a newer device moves the page: the guess is wrong */
	CHECK(run("HSET lr:result:20001 device_id 20001 device_name new-one "
		  "status done"));
	CHECK(run("ZADD lr:devices 1800000000000 20001"));
	CHECK(run("ZADD lr:bystatus:done 1800000000000 20001"));
	CHECK(run("CONFIG RESETSTAT"));
	j = get_json("/api/devices?per=5&page=3");
	CHECK(j != NULL && row_id(j, 0) == NDEV - 9);
	CHECK(row_id(j, 4) == NDEV - 13);
	CHECK(num(j, "total", NULL) == NDEV + 1);
	json_decref(j);
	CHECK(calls("hmget") == 10); /* the guess's, then the right ones */
	CHECK(run("CONFIG RESETSTAT"));
	j = get_json("/api/devices?per=5&page=3");
	CHECK(j != NULL && row_id(j, 0) == NDEV - 9);
	json_decref(j);
	CHECK(calls("hmget") == 5);
	/* the same ids, a changed row: the answer is made anew */
	CHECK(run("HSET lr:result:10041 device_name renamed"));
	j = get_json("/api/devices?per=5&page=3");
	CHECK(j != NULL && row_id(j, 0) == NDEV - 9);
	CHECK(strcmp(json_string_value(json_object_get(
			 json_array_get(json_object_get(j, "devices"), 0),
			 "device_name")),
		  "renamed") == 0);
	json_decref(j);
	CHECK(get("/?per=5&page=3") == 200);
	CHECK(get("/?per=5&page=3") == 200);
	CHECK(strstr(body, ">renamed<") != NULL);
	CHECK(run("HSET lr:result:10041 device_name dev-10041"));
	CHECK(get("/?per=5&page=3") == 200);
	CHECK(strstr(body, ">renamed<") == NULL);
	CHECK(strstr(body, ">dev-10041<") != NULL);
	CHECK(get("/api/devices?per=5&page=3") == 200);
	CHECK(strstr(body, "\"dev-10041\"") != NULL);

	/* the dashboard guesses P:dead's type too: a list, then a set */
	CHECK(run("RPUSH lr:dead {\"job\":\"{}\",\"error\":\"e1\"}"));
	CHECK(get("/") == 200);
	CHECK(strstr(body, "<b data-count=\"dead\">1</b>") != NULL);
	CHECK(run("DEL lr:dead"));
	CHECK(run("ZADD lr:dead 1 a 2 b"));
	CHECK(get("/") == 200);
	CHECK(strstr(body, "<b data-count=\"dead\">2</b>") != NULL);
	CHECK(get("/") == 200);
	CHECK(strstr(body, "<b data-count=\"dead\">2</b>") != NULL);
	CHECK(run("DEL lr:dead lr:result:20001"));
	CHECK(run("ZREM lr:devices 20001"));
	CHECK(run("ZREM lr:bystatus:done 20001"));
	return 0;
}

int
main(void)
{
	log_init("test_viewer_index", LOG_WARN, LOG_TEXT);
	RUN(test_row_times_are_util_iso8601);
	RUN(test_start);
	if (t_failed == 0) {
		RUN(test_accepted_socket_has_nodelay);
		RUN(test_index_counts_every_device);
		RUN(test_index_status_page);
		RUN(test_search_keeps_the_scan);
		RUN(test_no_index_falls_back_to_the_scan);
		RUN(test_identical_requests_share_a_read);
		RUN(test_a_page_read_again_takes_one_round_trip);
	}
	if (conn != NULL)
		evhttp_connection_free(conn);
	viewer_free(viewer);
	if (rc != NULL)
		redisFree(rc);
	if (base != NULL)
		event_base_free(base);
	config_release(&cfg);
	free(body);
	return t_done();
}
