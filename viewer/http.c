/* http.c - the connection layer under the viewer's evhttp server.
 *
 * libevent 2.1's evhttp accepts while the kernel hands it sockets, bounds
 * a request only by an inactivity timeout (a client sending a byte every
 * few seconds keeps its connection for ever), and answers malformed
 * requests itself (400, 413, 417) through evhttp_send_page_(), which clears
 * the response headers first.  It has no hook for any of these, so this
 * file works from the outside, through public APIs only:
 *
 * Counting.  evhttp_set_bevcb() makes us create each accepted connection's
 * bufferevent (a plain socket one, as evhttp's own); in the same loop
 * iteration, before any byte is read, we find the evhttp_connection evhttp
 * built on it (the bufferevent's callback argument) and set its close
 * callback, which is called exactly once for an incoming connection
 * (evhttp_connection_free).  At the cap the listener is disabled; the kernel
 * keeps the next clients in its backlog until a connection closes.
 *
 * Small writes.  Every accepted socket gets TCP_NODELAY when it is
 * claimed, before any byte is read: a response is queued whole, and with
 * Nagle's algorithm its last segment would wait for the client's delayed
 * ACK (40 ms on Linux) whenever the one before it is unacknowledged, which
 * on a kept-alive connection is every large answer.
 *
 * Accept errors.  Without an error callback libevent logs each failed
 * accept() and leaves the listening socket readable: out of descriptors,
 * the loop spins and logs without end.  evconnlistener_set_error_cb()
 * disables the listener for an interval that doubles from 50 ms to 2 s
 * and logs at most one line a second.
 *
 * Deadline.  A timer per connection, armed at accept and when a response
 * has been written out, closes the connection unless a whole request came
 * in time.  A request evhttp has handed to the viewer has reading disabled
 * (evhttp_handle_request) and is never cut: the viewer still owns it.
 *
 * Security headers.  A callback on the socket bufferevent's output buffer
 * sees every byte evhttp queues, synchronously, before any is written.
 * evhttp queues a whole response at once (status line, headers, blank
 * line, body) and queues the next only after the previous one has drained,
 * so a response begins when data lands in an empty buffer and its header
 * block ends at the first blank line; the headers the block lacks are put
 * in before that line.  Framing never depends on Content-Length (a HEAD
 * answer carries one without a body).  A bufferevent filter would be the
 * textbook tool, but a filter reports output as written once it has passed
 * it to the socket bufferevent, so evhttp would close a "Connection: close"
 * response before it is sent. */
#include "http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define HTTP_BACKOFF_MIN_MS 50
#define HTTP_BACKOFF_MAX_MS 2000
#define HTTP_LOG_EVERY_MS 1000
#define HTTP_MAX_BLOCK 65536 /* a header block we inspect, at most */

static const struct {
	const char *name;
	const char *value;
} security_headers[] = {
    {"Content-Security-Policy",
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Cache-Control", "no-store"},
};
#define NHEADERS (sizeof(security_headers) / sizeof(security_headers[0]))

/* Where a connection's output is in the current response. */
enum out_state {
	OUT_IDLE, /* nothing queued */
	OUT_HEAD, /* a header block is being queued */
	OUT_BODY, /* its header block is done; until the buffer drains */
};

struct conn {
	struct http_server *srv;
	struct bufferevent *bev;         /* owned by evhttp once claimed */
	struct evhttp_connection *evcon; /* NULL until claimed */
	struct event *timer;             /* the claim, then the deadline */
	struct conn *prev, *next;
	enum out_state out;
	size_t hstart;  /* offset of the pending header block in the buffer */
	size_t seen;    /* bytes of it searched already for its end */
	bool answered;  /* a final header block is queued for this request */
	bool inserting; /* our own changes to the buffer: not new output */
};

struct http_server {
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *lev;
	struct event *resume; /* ends an accept back-off */
	struct conn *conns;
	int open, cap, deadline_s;
	bool paused;    /* in an accept back-off */
	bool listening; /* the listener is enabled */
	int backoff_ms;
	unsigned long failures; /* accept errors not logged yet */
	int64_t logged_ms;      /* when the last accept error was logged */
	struct http_server *next_srv;
};

/* Every server, to find one from its listener (the listener's callback
 * argument belongs to evhttp). */
static struct http_server *servers;

void
http_security_headers(struct evkeyvalq *h)
{
	for (size_t i = 0; i < NHEADERS; i++) {
		/* a route may make its answer cacheable (/static/) */
		if (strcmp(security_headers[i].name, "Cache-Control") == 0 &&
		    evhttp_find_header(h, "Cache-Control") != NULL)
			continue;
		evhttp_remove_header(h, security_headers[i].name);
		evhttp_add_header(
		    h, security_headers[i].name, security_headers[i].value);
	}
}

/* True when the header block blk has a line "name:" (any case). */
static bool
block_has(const char *blk, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i + 2 + n < len; i++) {
		if (blk[i] == '\r' && blk[i + 1] == '\n' &&
		    strncasecmp(blk + i + 2, name, n) == 0 &&
		    blk[i + 2 + n] == ':')
			return true;
	}
	return false;
}

char *
http_missing_headers(const char *blk, size_t len)
{
	size_t cap = 1, used = 0;
	char *out;

	for (size_t i = 0; i < NHEADERS; i++)
		cap += strlen(security_headers[i].name) +
		       strlen(security_headers[i].value) + 4;
	out = xmalloc(cap);
	out[0] = '\0';
	for (size_t i = 0; i < NHEADERS; i++) {
		if (block_has(blk, len, security_headers[i].name))
			continue;
		used += (size_t)snprintf(out + used, cap - used, "%s: %s\r\n",
		    security_headers[i].name, security_headers[i].value);
	}
	return out;
}

/* ---------------------------------------------------------------- */
/* The listener: enabled while under the cap and not backing off */

static void
listener_update(struct http_server *srv)
{
	bool want = !srv->paused && srv->open < srv->cap;

	if (srv->lev == NULL || want == srv->listening)
		return;
	if (want)
		evconnlistener_enable(srv->lev);
	else
		evconnlistener_disable(srv->lev);
	srv->listening = want;
}

static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *srv = arg;

	(void)fd;
	(void)what;
	srv->paused = false;
	listener_update(srv);
}

/* accept() failed with something else than "try again": most often out of
 * descriptors (EMFILE, ENFILE), which stays so until a connection closes.
 * Retrying at once would spin. */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct http_server *srv;
	struct timeval tv;
	int64_t now = util_now_ms();

	(void)arg; /* evhttp's */
	for (srv = servers; srv != NULL && srv->lev != lev;)
		srv = srv->next_srv;
	if (srv == NULL) {
		evconnlistener_disable(lev);
		return;
	}
	srv->failures++;
	srv->backoff_ms = srv->backoff_ms == 0 ? HTTP_BACKOFF_MIN_MS
			  : srv->backoff_ms * 2 > HTTP_BACKOFF_MAX_MS
			      ? HTTP_BACKOFF_MAX_MS
			      : srv->backoff_ms * 2;
	srv->paused = true;
	listener_update(srv);
	tv.tv_sec = srv->backoff_ms / 1000;
	tv.tv_usec = (srv->backoff_ms % 1000) * 1000;
	evtimer_add(srv->resume, &tv);
	if (now - srv->logged_ms >= HTTP_LOG_EVERY_MS) {
		log_warnx("cannot accept connections: %s (%d open, %lu "
			  "failed accepts); pausing accepts for %d ms",
		    strerror(err), srv->open, srv->failures, srv->backoff_ms);
		srv->failures = 0;
		srv->logged_ms = now;
	}
}

/* ---------------------------------------------------------------- */
/* Connections */

static void conn_output(
    struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);

static void
conn_free(struct conn *c)
{
	struct http_server *srv = c->srv;

	if (c->bev != NULL)
		evbuffer_remove_cb(
		    bufferevent_get_output(c->bev), conn_output, c);
	event_free(c->timer);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->open--;
	free(c);
	listener_update(srv);
}

/* Starts the deadline of the next request. */
static void
conn_arm(struct conn *c)
{
	struct timeval tv = {c->srv->deadline_s, 0};

	c->answered = false;
	evtimer_add(c->timer, &tv);
}

static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	conn_free(arg);
}

/* Sends each write at once (see the top of the file).  Not every socket
 * takes the option (a Unix socket does not): then nothing changes. */
static void
conn_nodelay(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int one = 1;

	if (fd >= 0 &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 &&
	    errno != EOPNOTSUPP && errno != ENOPROTOOPT)
		log_debug("TCP_NODELAY on a connection: %s", strerror(errno));
}

/* Finds the evhttp_connection built on our bufferevent.  Runs in the loop
 * iteration that accepted the connection, after evhttp_get_request()
 * returned and before any I/O on it; evhttp keeps the connection as its
 * bufferevent's callback argument.  Until now we held a reference on the
 * bufferevent, so it is still valid even if evhttp gave up on it. */
static void
conn_claim(struct conn *c)
{
	bufferevent_event_cb eventcb = NULL;
	void *arg = NULL;

	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, &arg);
	if (eventcb == NULL || arg == NULL) {
		/* evhttp failed to set the connection up (out of memory) and
		 * freed it: ours was the last reference. */
		bufferevent_decref(c->bev);
		c->bev = NULL;
		conn_free(c);
		return;
	}
	c->evcon = arg;
	evhttp_connection_set_closecb(c->evcon, conn_closed, c);
	conn_nodelay(c);
	bufferevent_decref(c->bev);
	conn_arm(c);
}

static void
conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->evcon == NULL) {
		conn_claim(c);
		return;
	}
	/* The request is with the viewer (reading is off) or answered: the
	 * client is not the one we wait for. */
	if (c->answered || !(bufferevent_get_enabled(c->bev) & EV_READ))
		return;
	log_debug("closing a connection: no whole request within %d s",
	    c->srv->deadline_s);
	evhttp_connection_free(c->evcon); /* calls conn_closed: c is gone */
}

/* Puts s (n bytes) at offset at of buf. */
static void
conn_insert(struct conn *c, struct evbuffer *buf, size_t at, const char *s)
{
	struct evbuffer *head = evbuffer_new();

	if (head == NULL)
		fatalx("out of memory");
	c->inserting = true;
	evbuffer_remove_buffer(buf, head, at);
	evbuffer_add(head, s, strlen(s));
	evbuffer_prepend_buffer(buf, head);
	c->inserting = false;
	evbuffer_free(head);
}

/* The response's status code from the start of a header block, or -1 when
 * it does not start like one. */
static int
status_code(const char *blk, size_t len)
{
	if (len < 12 || strncmp(blk, "HTTP/1.", 7) != 0 || blk[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++)
		if (blk[i] < '0' || blk[i] > '9')
			return -1;
	return (blk[9] - '0') * 100 + (blk[10] - '0') * 10 + (blk[11] - '0');
}

/* A final header block is queued (or we gave up on it). */
static void
conn_answered(struct conn *c)
{
	c->out = OUT_BODY;
	c->answered = true;
	evtimer_del(c->timer);
}

/* Looks for the end of the pending header block(s) in buf. */
static void
conn_scan(struct conn *c, struct evbuffer *buf)
{
	for (;;) {
		struct evbuffer_ptr start, end;
		size_t n;
		char *blk, *missing;
		int code;

		/* evhttp queues a block a line at a time: each search
		 * resumes where the last one stopped (3 bytes back, for a
		 * "\r\n\r\n" split between two additions) */
		size_t from = c->seen > 3 ? c->seen - 3 : 0;

		if (evbuffer_ptr_set(buf, &start, c->hstart + from,
			EVBUFFER_PTR_SET) == -1) {
			conn_answered(c);
			return;
		}
		end = evbuffer_search(buf, "\r\n\r\n", 4, &start);
		if (end.pos == -1) {
			c->seen = evbuffer_get_length(buf) - c->hstart;
			if (c->seen > HTTP_MAX_BLOCK)
				conn_answered(c); /* not one of evhttp's */
			return;
		}
		c->seen = 0;
		if (evbuffer_ptr_set(
			buf, &start, c->hstart, EVBUFFER_PTR_SET) == -1) {
			conn_answered(c);
			return;
		}
		n = (size_t)end.pos + 4 - c->hstart;
		if (n > HTTP_MAX_BLOCK) {
			conn_answered(c);
			return;
		}
		blk = xmalloc(n);
		evbuffer_copyout_from(buf, &start, blk, n);
		code = status_code(blk, n);
		if (code >= 100 && code < 200) {
			/* 100 Continue: the final answer follows */
			c->hstart += n;
			free(blk);
			continue;
		}
		missing =
		    code == -1 ? xstrdup("") : http_missing_headers(blk, n);
		if (*missing != '\0')
			conn_insert(c, buf, (size_t)end.pos + 2, missing);
		free(missing);
		free(blk);
		conn_answered(c);
		return;
	}
}

/* Called on every change to the connection's output buffer. */
static void
conn_output(
    struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;

	if (c->inserting || c->evcon == NULL)
		return;
	if (info->n_deleted > 0 && c->out == OUT_HEAD) {
		if (info->n_deleted > c->hstart)
			conn_answered(c); /* a partial block went out */
		else
			c->hstart -= info->n_deleted;
	}
	if (info->n_added > 0 && info->orig_size == 0 && c->out == OUT_IDLE) {
		c->out = OUT_HEAD;
		c->hstart = 0;
		c->seen = 0;
	}
	if (info->n_added > 0 && c->out == OUT_HEAD)
		conn_scan(c, buf);
	if (info->n_deleted > 0 && evbuffer_get_length(buf) == 0 &&
	    c->out == OUT_BODY) {
		/* written out: the next request's time starts now */
		c->out = OUT_IDLE;
		conn_arm(c);
	}
}

/* evhttp's bufferevent factory: called once per accepted connection. */
static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct http_server *srv = arg;
	struct conn *c = xcalloc(1, sizeof(*c));

	c->srv = srv;
	if ((c->bev = bufferevent_socket_new(base, -1, 0)) == NULL ||
	    (c->timer = evtimer_new(base, conn_timer, c)) == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(c->bev), conn_output, c) ==
		NULL)
		fatalx("out of memory");
	bufferevent_incref(c->bev); /* until conn_claim */
	c->next = srv->conns;
	if (c->next != NULL)
		c->next->prev = c;
	srv->conns = c;
	srv->open++;
	srv->backoff_ms = 0; /* accepting works */
	listener_update(srv);
	event_active(c->timer, EV_TIMEOUT, 1);
	return c->bev;
}

/* ---------------------------------------------------------------- */
/* Life cycle */

/* max_conns, lowered to what RLIMIT_NOFILE leaves beside the reserve. */
static int
cap_for_limit(int max_conns)
{
	struct rlimit rl;
	long long room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return max_conns;
	room = (long long)rl.rlim_cur - HTTP_FD_RESERVE;
	if (room < 1)
		room = 1;
	if (room >= max_conns)
		return max_conns;
	log_warnx("--max-connections %d lowered to %lld: the descriptor limit "
		  "(ulimit -n) is %llu and %d are kept for the server itself",
	    max_conns, room, (unsigned long long)rl.rlim_cur, HTTP_FD_RESERVE);
	return (int)room;
}

struct http_server *
http_server_new(struct event_base *base, struct evhttp *http,
    struct evhttp_bound_socket *bound, int max_conns, int deadline_s)
{
	struct http_server *srv;
	struct evconnlistener *lev = evhttp_bound_socket_get_listener(bound);

	if (lev == NULL) {
		log_error("the server has no listener");
		return NULL;
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->base = base;
	srv->http = http;
	srv->lev = lev;
	srv->cap = cap_for_limit(max_conns > 0 ? max_conns : 1);
	srv->deadline_s = deadline_s;
	srv->listening = true; /* evhttp enables it */
	if ((srv->resume = evtimer_new(base, on_resume, srv)) == NULL)
		fatalx("out of memory");
	evconnlistener_set_error_cb(lev, on_accept_error);
	evhttp_set_bevcb(http, conn_new, srv);
	srv->next_srv = servers;
	servers = srv;
	return srv;
}

int
http_server_open(const struct http_server *srv)
{
	return srv->open;
}

int
http_server_cap(const struct http_server *srv)
{
	return srv->cap;
}

void
http_server_free(struct http_server *srv)
{
	struct http_server **pp;

	if (srv == NULL)
		return;
	for (pp = &servers; *pp != NULL; pp = &(*pp)->next_srv) {
		if (*pp == srv) {
			*pp = srv->next_srv;
			break;
		}
	}
	evhttp_set_bevcb(srv->http, NULL, NULL);
	evconnlistener_set_error_cb(srv->lev, NULL);
	while (srv->conns != NULL) {
		struct conn *c = srv->conns;

		evbuffer_remove_cb(
		    bufferevent_get_output(c->bev), conn_output, c);
		if (c->evcon != NULL)
			evhttp_connection_set_closecb(c->evcon, NULL, NULL);
		else
			bufferevent_decref(c->bev);
		c->bev = NULL;
		conn_free(c);
	}
	event_free(srv->resume);
	free(srv);
}
