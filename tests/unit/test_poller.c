/* test_poller.c - the poller against a scripted Carbon Black Cloud (evhttp
 * on loopback, in a thread) and a real redis-server: every poll reads a
 * few minutes behind its cursor so a late alert is still taken, without
 * counting anything twice; a 429 pauses every poller through Redis and
 * loses nothing; collect-now requests become manual jobs, and one read
 * but never acked is read again by the next poller. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "poller/poller.h"
#include "rconn.h"
#include "util.h"
#include "../t.h"

#define TOKEN "TESTSECRETTOKEN0002/TESTID"
#define SEARCH "/api/alerts/v7/orgs/ABCD1234/alerts/_search"
#define NOTIFY "/integrationServices/v3/notification"
#define OVERLAP_MS (5 * 60 * 1000)

struct sim_alert {
	char id[40];
	int64_t device;
	int64_t ms; /* backend_timestamp */
	int severity;
};

static struct event_base *base;
static int port;
static struct sim_alert alerts[64]; /* sorted by ms */
static int nalerts;
static int searches, notifications;
static int fail429;             /* answer this many requests 429 */
static char retry_after[16];    /* their Retry-After */
static int64_t last_start = -1; /* time_range of the last search */
static volatile sig_atomic_t stop, server_stop;
static struct rconn *rc;
static const char *redis_url;

static void
add_alert(const char *id, int64_t device, int64_t ms, int severity)
{
	int i = nalerts++;

	while (i > 0 && alerts[i - 1].ms > ms) {
		alerts[i] = alerts[i - 1];
		i--;
	}
	snprintf(alerts[i].id, sizeof(alerts[i].id), "%s", id);
	alerts[i].device = device;
	alerts[i].ms = ms;
	alerts[i].severity = severity;
}

static void
reply(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer *b = evbuffer_new();
	char *text = json_dumps(body, JSON_COMPACT);

	evbuffer_add(b, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_send_reply(req, code, "x", b);
	evbuffer_free(b);
	free(text);
	json_decref(body);
}

/* Alerts v7 search: backend_timestamp in [start, end], oldest first. */
static void
search(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char *text = malloc(len + 1);
	json_t *q, *res = json_array();
	int64_t start = 0, end = 0;
	int rows, offset, found = 0;
	char iso[32];

	evbuffer_remove(in, text, len);
	q = json_loadb(text, len, 0, NULL);
	free(text);
	util_parse_iso8601(json_string_value(json_object_get(
			       json_object_get(q, "time_range"), "start")),
	    &start);
	util_parse_iso8601(json_string_value(json_object_get(
			       json_object_get(q, "time_range"), "end")),
	    &end);
	last_start = start;
	rows = (int)json_integer_value(json_object_get(q, "rows"));
	offset = json_object_get(q, "start")
		     ? (int)json_integer_value(json_object_get(q, "start"))
		     : 1;
	for (int i = 0; i < nalerts; i++) {
		if (alerts[i].ms < start || alerts[i].ms > end)
			continue;
		if (++found >= offset && found < offset + rows)
			json_array_append_new(res,
			    json_pack("{s:s, s:I, s:s, s:s, s:i, s:s}", "id",
				alerts[i].id, "device_id",
				(json_int_t)alerts[i].device,
				"backend_timestamp",
				util_iso8601(alerts[i].ms, iso, sizeof(iso)),
				"type", "CB_ANALYTICS", "severity",
				alerts[i].severity, "device_name", "WIN-TEST"));
	}
	json_decref(q);
	reply(req, 200,
	    json_pack("{s:o, s:i}", "results", res, "num_found", found));
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	bool is_search = strcmp(uri, SEARCH) == 0;

	(void)arg;
	if (is_search)
		searches++;
	else if (strcmp(uri, NOTIFY) == 0)
		notifications++;
	if (fail429 > 0 && (is_search || strcmp(uri, NOTIFY) == 0)) {
		fail429--;
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", retry_after);
		reply(req, 429, json_pack("{s:s}", "message", "slow down"));
	} else if (is_search) {
		search(req);
	} else if (strcmp(uri, NOTIFY) == 0) {
		reply(req, 200,
		    json_pack("{s:b, s:[]}", "success", 1, "notifications"));
	} else {
		reply(req, 404, json_pack("{s:s}", "message", "nope"));
	}
}

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

/* A poller for source (alerts or notifications), only severity >= 3. */
static struct poller *
make_poller(struct config *cfg, const char *source)
{
	char url[64], err[512];
	char *argv[] = {(char *)"lr-poller", (char *)"--redis",
	    (char *)redis_url, (char *)"--cburl", url, (char *)"--apitoken",
	    (char *)TOKEN, (char *)"--org-key", (char *)"ABCD1234",
	    (char *)"--source", (char *)source, (char *)"--alert-lag",
	    (char *)"0", (char *)"--lookback", (char *)"3600",
	    (char *)"--min-severity", (char *)"3", NULL};
	struct poller *p;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	config_init(cfg, CONFIG_POLLER);
	if (config_parse(cfg, (int)(sizeof(argv) / sizeof(argv[0])) - 1, argv,
		err, sizeof(err)) != 0) {
		printf("#   config: %s\n", err);
		return NULL;
	}
	if ((p = poller_new(cfg, &stop, err, sizeof(err))) == NULL)
		printf("#   poller: %s\n", err);
	return p;
}

static void
drop_poller(struct poller *p, struct config *cfg)
{
	poller_free(p);
	config_release(cfg);
}

static long long
stat_of(const char *field)
{
	redisReply *r = rconn_command(rc, "HGET lr:stats %s", field);
	long long v = 0;

	if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = strtoll(r->str, NULL, 10);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

/* The cursor in ms, -1 if none. */
static int64_t
cursor(void)
{
	redisReply *r = rconn_command(rc, "GET lr:poller:cursor");
	int64_t ms = -1;

	if (r != NULL && r->type == REDIS_REPLY_STRING &&
	    util_parse_iso8601(r->str, &ms) == -1)
		ms = -2;
	if (r != NULL)
		freeReplyObject(r);
	return ms;
}

/* An integer command on one key: "EXISTS", "lr:result:1". */
static long long
int_cmd(const char *verb, const char *key)
{
	redisReply *r = rconn_command(rc, "%s %s", verb, key);
	long long v = -100;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

static void
reset(void)
{
	redisReply *r = rconn_command(rc, "FLUSHALL");

	if (r != NULL)
		freeReplyObject(r);
	nalerts = 0;
	fail429 = 0;
}

static int
test_overlap_takes_late_alerts_once(void)
{
	struct config cfg;
	struct poller *p;
	int64_t now = util_now_ms(), c1, c2;

	reset();
	add_alert("a1", 101, now - 60000, 5);
	add_alert("a2", 102, now - 30000, 5);
	add_alert("f1", 103, now - 20000, 1); /* below --min-severity */
	CHECK((p = make_poller(&cfg, "alerts")) != NULL);
	CHECK(poller_poll_once(p) == 2);
	CHECK(stat_of("enqueued") == 2 && stat_of("alerts_received") == 3);
	CHECK(stat_of("alerts_filtered") == 1);
	CHECK((c1 = cursor()) >= now - 30000);

	/* One alert the cloud indexed late, behind the cursor but inside
	 * the overlap, and one new alert. */
	add_alert("late", 104, c1 - 120000, 5);
	add_alert("new", 105, c1 + 1, 5);
	util_sleep_ms(20, NULL);
	CHECK(poller_poll_once(p) == 2);
	CHECK(last_start == c1 - OVERLAP_MS); /* read 5 min behind */
	CHECK(int_cmd("EXISTS", "lr:result:104") == 1);
	CHECK(int_cmd("EXISTS", "lr:result:105") == 1);
	/* Counted once: a1, a2 and f1 were read again but not counted. */
	CHECK(stat_of("enqueued") == 4 && stat_of("alerts_received") == 5);
	CHECK(stat_of("alerts_filtered") == 1);
	CHECK(stat_of("alerts_duplicate") == 0 && stat_of("coalesced") == 0);
	CHECK((c2 = cursor()) > c1);

	/* Nothing new: nothing counted, the cursor never moves back. */
	util_sleep_ms(20, NULL);
	CHECK(poller_poll_once(p) == 0);
	CHECK(last_start == c2 - OVERLAP_MS);
	CHECK(stat_of("enqueued") == 4 && stat_of("alerts_received") == 5);
	CHECK(stat_of("alerts_filtered") == 1 &&
	      stat_of("alerts_duplicate") == 0);
	CHECK(cursor() >= c2);
	drop_poller(p, &cfg);
	return 0;
}

static int
test_429_pauses_every_poller(void)
{
	struct config cfg, cfg2;
	struct poller *p, *p2;
	int64_t now = util_now_ms(), c1;
	long long left;
	int n;

	reset();
	add_alert("b1", 201, now - 10000, 5);
	CHECK((p = make_poller(&cfg, "alerts")) != NULL);
	CHECK(poller_poll_once(p) == 1);
	CHECK((c1 = cursor()) > 0);

	add_alert("b2", 202, c1 + 1, 5);
	util_sleep_ms(20, NULL);
	fail429 = 1;
	snprintf(retry_after, sizeof(retry_after), "120");
	n = searches;
	CHECK(poller_poll_once(p) == -1);
	CHECK(searches == n + 1); /* asked once; 120 s is too long to wait */
	CHECK(cursor() == c1);    /* nothing lost */
	CHECK(stat_of("alerts_received") == 1 && stat_of("enqueued") == 1);
	/* The pause is shared through Redis. */
	left = int_cmd("PTTL", "lr:ratelimit:until");
	CHECK(left > 110000 && left <= 120000);

	/* The next poll does not even ask; nor does another poller. */
	CHECK(poller_poll_once(p) == -1 && searches == n + 1);
	CHECK((p2 = make_poller(&cfg2, "alerts")) != NULL);
	CHECK(poller_poll_once(p2) == -1 && searches == n + 1);
	CHECK(cursor() == c1);

	/* Once the shared pause is gone, the other poller goes on from the
	 * cursor and counts b2 once; the first keeps its own pause. */
	CHECK(int_cmd("DEL", "lr:ratelimit:until") == 1);
	CHECK(poller_poll_once(p2) == 1);
	CHECK(int_cmd("EXISTS", "lr:result:202") == 1);
	CHECK(stat_of("alerts_received") == 2 && stat_of("enqueued") == 2);
	CHECK(stat_of("alerts_duplicate") == 0);
	CHECK(cursor() > c1);
	n = searches;
	CHECK(poller_poll_once(p) == -1 && searches == n);
	drop_poller(p2, &cfg2);
	drop_poller(p, &cfg);
	return 0;
}

static int
test_short_429_waited_out(void)
{
	struct config cfg;
	struct poller *p;
	int64_t t0;
	int n;

	reset();
	add_alert("c1", 301, util_now_ms() - 5000, 5);
	CHECK((p = make_poller(&cfg, "alerts")) != NULL);
	fail429 = 1;
	snprintf(retry_after, sizeof(retry_after), "1");
	n = searches;
	t0 = util_mono_ms();
	CHECK(poller_poll_once(p) == 1); /* within the same poll */
	CHECK(util_mono_ms() - t0 >= 900);
	CHECK(searches == n + 2);
	CHECK(stat_of("alerts_received") == 1 && stat_of("enqueued") == 1);
	drop_poller(p, &cfg);
	return 0;
}

static int
test_429_on_notifications(void)
{
	struct config cfg;
	struct poller *p;
	long long left;
	int n;

	reset();
	CHECK((p = make_poller(&cfg, "notifications")) != NULL);
	CHECK(poller_poll_once(p) == 0 && notifications >= 1);
	fail429 = 1;
	snprintf(retry_after, sizeof(retry_after), "90");
	n = notifications;
	CHECK(poller_poll_once(p) == -1 && notifications == n + 1);
	left = int_cmd("PTTL", "lr:ratelimit:until");
	CHECK(left > 80000 && left <= 90000);
	CHECK(poller_poll_once(p) == -1 && notifications == n + 1);
	CHECK(stat_of("notifications_received") == 0);
	drop_poller(p, &cfg);
	return 0;
}

/* A string command on one key and field: "HGET", "lr:result:1", "x";
 * the answer copied into out ("" if none). */
static const char *
str_cmd(const char *verb, const char *key, const char *field, char *out,
    size_t size)
{
	redisReply *r = rconn_command(rc, "%s %s %s", verb, key, field);

	out[0] = '\0';
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		snprintf(out, size, "%s", r->str);
	if (r != NULL)
		freeReplyObject(r);
	return out;
}

/* Adds a collect request for device (any text) by who. */
static void
request(const char *device, const char *who)
{
	redisReply *r = rconn_command(rc,
	    "XADD lr:requests MAXLEN ~ 10000 * device_id %s who %s at "
	    "2026-11-28T00:00:00Z source manual",
	    device, who);

	if (r != NULL)
		freeReplyObject(r);
}

/* Entries read by the group but not acked. */
static long long
pending(void)
{
	redisReply *r = rconn_command(rc, "XPENDING lr:requests lrflow-poller");
	long long n = -1;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER)
		n = r->element[0]->integer;
	if (r != NULL)
		freeReplyObject(r);
	return n;
}

/* A collect request becomes a manual job through the enqueue script; a
 * device in flight is not queued twice; a request that names no device
 * is acked and counted, never queued. */
static int
test_requests_become_manual_jobs(void)
{
	struct config cfg;
	struct poller *p;
	char v[256];

	reset();
	request("4242", "ana");
	CHECK((p = make_poller(&cfg, "alerts")) != NULL);
	CHECK(poller_requests(p, 0) == 1);
	CHECK(int_cmd("LLEN", "lr:queue") == 1);
	CHECK(strcmp(str_cmd("HGET", "lr:result:4242", "source", v, sizeof(v)),
		  "manual") == 0);
	CHECK(strcmp(str_cmd("HGET", "lr:result:4242", "status", v, sizeof(v)),
		  "queued") == 0);
	CHECK(strstr(str_cmd("LINDEX", "lr:queue", "0", v, sizeof(v)),
		  "\"source\":\"manual\"") != NULL);
	CHECK(pending() == 0);
	/* again, while in flight: coalesced, not queued */
	request("4242", "bob");
	request("not-a-device", "eve");
	request("0", "eve");
	CHECK(poller_requests(p, 0) == 1);
	CHECK(int_cmd("LLEN", "lr:queue") == 1);
	CHECK(stat_of("coalesced") == 1 && stat_of("enqueued") == 1);
	CHECK(stat_of("requests_malformed") == 2);
	CHECK(stat_of("requests_received") == 2);
	CHECK(pending() == 0);
	/* nothing waiting: a short block returns with nothing */
	CHECK(poller_requests(p, 50) == 0);
	drop_poller(p, &cfg);
	return 0;
}

/* A poller that read a request and died before its XACK: the next one
 * reads it again from the pending list and queues it. */
static int
test_pending_request_read_again(void)
{
	struct config cfg;
	struct poller *p;
	redisReply *r;

	reset();
	request("4343", "ana");
	r = rconn_command(
	    rc, "XGROUP CREATE lr:requests lrflow-poller 0 MKSTREAM");
	if (r != NULL)
		freeReplyObject(r);
	/* what a poller does before it dies: read, no ack */
	r = rconn_command(rc, "XREADGROUP GROUP lrflow-poller lr-poller "
			      "COUNT 10 STREAMS lr:requests >");
	CHECK(r != NULL && r->type == REDIS_REPLY_ARRAY);
	freeReplyObject(r);
	CHECK(pending() == 1);
	CHECK(int_cmd("EXISTS", "lr:result:4343") == 0);
	CHECK((p = make_poller(&cfg, "alerts")) != NULL);
	CHECK(poller_requests(p, 0) == 1);
	CHECK(int_cmd("EXISTS", "lr:result:4343") == 1);
	CHECK(int_cmd("LLEN", "lr:queue") == 1);
	CHECK(pending() == 0);
	drop_poller(p, &cfg);
	return 0;
}

int
main(void)
{
	static const char *const vars[] = {"CBC_URL", "CBC_TOKEN",
	    "CBC_ORG_KEY", "CBAPI_URL", "CBAPI_TOKEN", "CBAPI_ORG_KEY"};
	struct evhttp *h;
	struct evhttp_bound_socket *s;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct timeval tick = {0, 50000};
	struct event *t;
	pthread_t tid;

	log_init("test_poller", LOG_ERROR, LOG_TEXT);
	signal(SIGPIPE, SIG_IGN);
	/* No credentials but the flags'. */
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", "/nonexistent-lrflow-test-home", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((redis_url = t_redis_start()) == NULL) {
		printf("not ok 1 - cannot start redis-server\n");
		return 1;
	}
	rc = rconn_new(redis_url, 2000);
	base = event_base_new();
	h = evhttp_new(base);
	evhttp_set_gencb(h, on_request, NULL);
	if ((s = evhttp_bind_socket_with_handle(h, "127.0.0.1", 0)) == NULL) {
		printf("not ok 1 - cannot bind the test server\n");
		return 1;
	}
	getsockname(
	    evhttp_bound_socket_get_fd(s), (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	t = event_new(base, -1, EV_PERSIST, on_tick, base);
	event_add(t, &tick);
	pthread_create(&tid, NULL, serve, NULL);
	RUN(test_overlap_takes_late_alerts_once);
	RUN(test_429_pauses_every_poller);
	RUN(test_short_429_waited_out);
	RUN(test_429_on_notifications);
	RUN(test_requests_become_manual_jobs);
	RUN(test_pending_request_read_again);
	server_stop = 1;
	pthread_join(tid, NULL);
	event_free(t);
	evhttp_free(h);
	event_base_free(base);
	rconn_free(rc);
	curl_global_cleanup();
	return t_done();
}
