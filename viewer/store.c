/* store.c - asynchronous Redis for the viewer (hiredis 0.14.1 async API on
 * the viewer's libevent base).
 *
 * hiredis 0.14.1 rules, restated where they bite:
 * - a reply is valid only for the duration of its callback: every reply is
 *   converted to JSON inside the callback (store_reply_json);
 * - a context whose connect callback reports failure is freed by hiredis
 *   after that callback; a context returned with ac->err set must be freed
 *   by us (no callback will ever run for it);
 * - the disconnect callback runs only for a context that was connected;
 *   after it returns hiredis frees the context, so a reconnect means a new
 *   redisAsyncConnect (here: from a timer, with backoff);
 * - redisAsyncFree() first runs every pending callback with a NULL reply,
 *   which is how waiting HTTP requests learn that Redis went away;
 * - 0.14 has no command timeout and the libevent adapter adds its events
 *   without one, so a watchdog timer drops a connection that has left a
 *   command unanswered (or a connect unfinished) for STORE_STALL_MS. */
#include "store.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define STORE_BACKOFF_MIN_MS 100
#define STORE_BACKOFF_MAX_MS 5000
#define STORE_STALL_MS 3000 /* no reply for this long: reconnect */
#define STORE_WATCHDOG_MS 500

struct store {
	struct event_base *base; /* borrowed */
	struct rconn_addr addr;  /* where Redis is (sentinel: re-resolved) */
	redisAsyncContext *ac;   /* NULL while disconnected */
	bool ready;              /* ac connected */
	bool warned;             /* "redis unavailable" already logged */
	bool stopping;           /* store_free() running: no reconnect */
	int backoff_ms;          /* next reconnect delay */
	int64_t since_ms;        /* connect start, or last progress */
	int pending;             /* commands sent, not answered */
	struct event *retry;     /* reconnect timer */
	struct event *watchdog;  /* periodic stall check */
	char desc[300];          /* "unix:/path" or "host:port", for logs */
};

/* One command of a batch; hiredis's privdata for its reply. */
struct store_cmd {
	struct store_batch *batch; /* back pointer */
	size_t idx;                /* reply slot */
	int argc;
	char **argv;     /* owned */
	size_t *argvlen; /* owned */
};

struct store_batch {
	struct store *s;
	store_done_fn *done;
	void *arg;
	struct store_cmd *cmds; /* owned */
	size_t ncmds, cap;
	json_t *replies; /* array, one slot per command */
	size_t waiting;  /* replies still to come */
	bool failed;     /* a command was lost */
};

static void store_connect(struct store *s);

/* ---------------------------------------------------------------- */
/* UTF-8 and reply conversion */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] >= 0x01 && p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

json_t *
store_string(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf;
	size_t i = 0, o = 0, n;
	json_t *j;

	buf = xmalloc(len * 3 + 1);
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			memcpy(buf + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		memcpy(buf + o, p + i, n);
		o += n;
		i += n;
	}
	buf[o] = '\0';
	j = json_stringn(buf, o);
	free(buf);
	return j != NULL ? j : json_string("");
}

json_t *
store_pairs(const json_t *arr)
{
	json_t *obj = json_object();
	size_t i;

	if (!json_is_array(arr))
		return obj;
	for (i = 0; i + 1 < json_array_size(arr); i += 2) {
		const json_t *k = json_array_get(arr, i);

		if (!json_is_string(k))
			continue;
		json_object_set(
		    obj, json_string_value(k), json_array_get(arr, i + 1));
	}
	return obj;
}

/* Returns a new JSON value for r (see store.h for the mapping). */
static json_t *
store_reply_json(const redisReply *r)
{
	json_t *arr;
	size_t i;

	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		return store_string(r->str, r->len);
	case REDIS_REPLY_INTEGER:
		return json_integer(r->integer);
	case REDIS_REPLY_ARRAY:
		arr = json_array();
		for (i = 0; i < r->elements; i++)
			json_array_append_new(
			    arr, store_reply_json(r->element[i]));
		return arr;
	case REDIS_REPLY_ERROR:
		log_warnx("redis: %.*s", (int)r->len, r->str);
		return json_null();
	default:
		return json_null();
	}
}

/* ---------------------------------------------------------------- */
/* Connection */

/* Schedules the next connection attempt, with backoff. */
static void
store_schedule(struct store *s)
{
	struct timeval tv;

	if (s->stopping)
		return;
	tv.tv_sec = s->backoff_ms / 1000;
	tv.tv_usec = (s->backoff_ms % 1000) * 1000;
	evtimer_add(s->retry, &tv);
	s->backoff_ms *= 2;
	if (s->backoff_ms > STORE_BACKOFF_MAX_MS)
		s->backoff_ms = STORE_BACKOFF_MAX_MS;
}

/* Logs a failed or lost connection once, then quietly (debug). */
static void
store_unavailable(struct store *s, const char *what, const char *why)
{
	if (!s->warned)
		log_warnx("redis %s: %s: %s; retrying", s->desc, what, why);
	else
		log_debug("redis %s: %s: %s", s->desc, what, why);
	s->warned = true;
}

/* Drops the current connection (pending batches get NULL replies) and
 * schedules a reconnect. */
static void
store_drop(struct store *s, const char *why)
{
	redisAsyncContext *ac = s->ac;

	s->ac = NULL;
	s->ready = false;
	s->pending = 0;
	if (ac != NULL)
		redisAsyncFree(ac); /* on_disconnect sees s->ac != ac */
	store_unavailable(s, "connection dropped", why);
	store_schedule(s);
}

static void
store_on_connect(const redisAsyncContext *ac, int status)
{
	struct store *s = ac->data;

	if (s == NULL || s->ac != ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac after this callback */
		s->ac = NULL;
		s->ready = false;
		s->pending = 0;
		store_unavailable(s, "connect", ac->errstr);
		store_schedule(s);
		return;
	}
	s->ready = true;
	s->backoff_ms = STORE_BACKOFF_MIN_MS;
	s->since_ms = util_mono_ms();
	if (s->warned)
		log_info("redis %s: connected", s->desc);
	else
		log_debug("redis %s: connected", s->desc);
	s->warned = false;
}

static void
store_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct store *s = ac->data;

	(void)status;
	if (s == NULL || s->ac != ac)
		return; /* we dropped it ourselves */
	s->ac = NULL;
	s->ready = false;
	s->pending = 0;
	store_unavailable(s, "connection lost",
	    ac->errstr[0] != '\0' ? ac->errstr : "closed");
	store_schedule(s);
}

/* Reply to SELECT: a failure makes the connection useless. */
static void
store_on_select(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;

	if (s->ac != ac)
		return;
	if (s->pending > 0)
		s->pending--;
	s->since_ms = util_mono_ms();
	if (r == NULL)
		return; /* connection going away; handled elsewhere */
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("redis %s: SELECT %d: %.*s", s->desc, s->addr.db,
		    (int)r->len, r->str);
		store_drop(s, "SELECT failed");
	}
}

static void
store_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	store_connect(arg);
}

/* Watchdog: hiredis 0.14 has no command or connect timeout. */
static void
store_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct store *s = arg;
	int64_t idle = util_mono_ms() - s->since_ms;

	(void)fd;
	(void)what;
	if (s->ac == NULL || idle < STORE_STALL_MS)
		return;
	if (!s->ready)
		store_drop(s, "connect timed out");
	else if (s->pending > 0)
		store_drop(s, "no reply in 3 s");
}

/* One connection attempt; on failure schedules the next. */
static void
store_connect(struct store *s)
{
	redisAsyncContext *ac;

	if (s->stopping || s->ac != NULL)
		return;
	if (s->addr.kind == RCONN_SENTINEL && rconn_resolve(&s->addr) == -1) {
		/* NEEDSWORK: rconn_resolve is synchronous; it blocks the loop
		 * for up to its own timeout per sentinel. */
		store_unavailable(s, "sentinel", "no master known");
		store_schedule(s);
		return;
	}
	if (s->addr.kind == RCONN_UNIX) {
		snprintf(s->desc, sizeof(s->desc), "unix:%s", s->addr.path);
		ac = redisAsyncConnectUnix(s->addr.path);
	} else {
		snprintf(s->desc, sizeof(s->desc), "%s:%d", s->addr.host,
		    s->addr.port);
		ac = redisAsyncConnect(s->addr.host, s->addr.port);
	}
	if (ac == NULL) {
		store_unavailable(s, "connect", "out of memory");
		store_schedule(s);
		return;
	}
	if (ac->err) {
		store_unavailable(s, "connect", ac->errstr);
		redisAsyncFree(ac);
		store_schedule(s);
		return;
	}
	ac->data = s;
	if (redisLibeventAttach(ac, s->base) != REDIS_OK) {
		redisAsyncFree(ac);
		store_unavailable(s, "connect", "cannot attach to event loop");
		store_schedule(s);
		return;
	}
	redisAsyncSetConnectCallback(ac, store_on_connect);
	redisAsyncSetDisconnectCallback(ac, store_on_disconnect);
	s->ac = ac;
	s->ready = false;
	s->pending = 0;
	s->since_ms = util_mono_ms();
	if (s->addr.db != 0) {
		/* queued before any other command, so it runs first */
		if (redisAsyncCommand(ac, store_on_select, s, "SELECT %d",
			s->addr.db) == REDIS_OK)
			s->pending++;
	}
}

struct store *
store_new(struct event_base *base, const struct rconn_addr *addr)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct timeval tv = {0, STORE_WATCHDOG_MS * 1000};

	s->base = base;
	s->addr = *addr;
	s->backoff_ms = STORE_BACKOFF_MIN_MS;
	s->retry = evtimer_new(base, store_on_retry, s);
	s->watchdog = event_new(base, -1, EV_PERSIST, store_on_watchdog, s);
	if (s->retry == NULL || s->watchdog == NULL)
		fatalx("store: cannot create timers");
	event_add(s->watchdog, &tv);
	store_connect(s);
	return s;
}

void
store_free(struct store *s)
{
	redisAsyncContext *ac;

	if (s == NULL)
		return;
	s->stopping = true;
	ac = s->ac;
	s->ac = NULL;
	s->ready = false;
	if (ac != NULL)
		redisAsyncFree(ac); /* pending batches get NULL */
	event_free(s->retry);
	event_free(s->watchdog);
	free(s);
}

bool
store_ready(const struct store *s)
{
	return s != NULL && s->ac != NULL && s->ready;
}

/* ---------------------------------------------------------------- */
/* Batches */

struct store_batch *
store_batch_new(struct store *s, store_done_fn *done, void *arg)
{
	struct store_batch *b = xcalloc(1, sizeof(*b));

	b->s = s;
	b->done = done;
	b->arg = arg;
	b->replies = json_array();
	return b;
}

void
store_batch_add(struct store_batch *b, const char *arg0, ...)
{
	struct store_cmd *c;
	const char *a;
	va_list ap;
	int n = 0;

	va_start(ap, arg0);
	for (a = arg0; a != NULL; a = va_arg(ap, const char *))
		n++;
	va_end(ap);

	if (b->ncmds == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->cmds = xrealloc(b->cmds, b->cap * sizeof(*b->cmds));
	}
	c = &b->cmds[b->ncmds];
	c->batch = b;
	c->idx = b->ncmds++;
	c->argc = n;
	c->argv = xcalloc((size_t)n + 1, sizeof(*c->argv));
	c->argvlen = xcalloc((size_t)n + 1, sizeof(*c->argvlen));
	n = 0;
	va_start(ap, arg0);
	for (a = arg0; a != NULL; a = va_arg(ap, const char *)) {
		c->argv[n] = xstrdup(a);
		c->argvlen[n] = strlen(a);
		n++;
	}
	va_end(ap);
	json_array_append_new(b->replies, json_null());
}

static void
store_batch_free(struct store_batch *b)
{
	size_t i;
	int j;

	for (i = 0; i < b->ncmds; i++) {
		for (j = 0; j < b->cmds[i].argc; j++)
			free(b->cmds[i].argv[j]);
		free(b->cmds[i].argv);
		free(b->cmds[i].argvlen);
	}
	free(b->cmds);
	json_decref(b->replies);
	free(b);
}

/* Calls the batch's callback once and frees it. */
static void
store_batch_finish(struct store_batch *b)
{
	b->done(b->failed ? NULL : b->replies, b->arg);
	store_batch_free(b);
}

static void
store_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store_cmd *c = privdata;
	struct store_batch *b = c->batch;
	struct store *s = b->s;

	if (s->ac == ac) {
		if (s->pending > 0)
			s->pending--;
		s->since_ms = util_mono_ms();
	}
	if (reply == NULL)
		b->failed = true;
	else
		json_array_set_new(b->replies, c->idx, store_reply_json(reply));
	if (--b->waiting == 0)
		store_batch_finish(b);
}

void
store_batch_run(struct store_batch *b)
{
	struct store *s = b->s;
	size_t i;

	if (!store_ready(s)) {
		b->failed = true;
		store_batch_finish(b);
		return;
	}
	if (s->pending == 0)
		s->since_ms = util_mono_ms();
	/* waiting counts every command first, so a reply cannot finish the
	 * batch while it is still being sent (replies never arrive
	 * synchronously, but a failed send must not either) */
	b->waiting = b->ncmds + 1;
	for (i = 0; i < b->ncmds; i++) {
		struct store_cmd *c = &b->cmds[i];

		if (redisAsyncCommandArgv(s->ac, store_on_reply, c, c->argc,
			(const char **)c->argv, c->argvlen) != REDIS_OK) {
			b->failed = true;
			b->waiting--;
			continue;
		}
		s->pending++;
	}
	if (--b->waiting == 0)
		store_batch_finish(b);
}

/* ---------------------------------------------------------------- */
/* Raw commands */

struct store_raw_cmd {
	struct store *s;
	store_raw_fn *fn;
	void *arg;
};

static void
store_on_raw(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store_raw_cmd *c = privdata;
	struct store *s = c->s;
	redisReply *r = reply;

	if (s->ac == ac) {
		if (s->pending > 0)
			s->pending--;
		s->since_ms = util_mono_ms();
	}
	if (r == NULL)
		c->fn(NULL, 0, false, c->arg);
	else if (r->type == REDIS_REPLY_STRING)
		c->fn(r->str, r->len, true, c->arg);
	else if (r->type == REDIS_REPLY_NIL)
		c->fn(NULL, 0, true, c->arg);
	else {
		if (r->type == REDIS_REPLY_ERROR)
			log_warnx("redis: %.*s", (int)r->len, r->str);
		c->fn(NULL, 0, false, c->arg);
	}
	free(c);
}

void
store_raw(struct store *s, store_raw_fn *fn, void *arg, const char *arg0, ...)
{
	struct store_raw_cmd *c;
	const char *argv[8];
	size_t argvlen[8];
	const char *a;
	va_list ap;
	int n = 0;

	va_start(ap, arg0);
	for (a = arg0; a != NULL && n < 8; a = va_arg(ap, const char *)) {
		argv[n] = a;
		argvlen[n++] = strlen(a);
	}
	va_end(ap);
	if (!store_ready(s)) {
		fn(NULL, 0, false, arg);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->fn = fn;
	c->arg = arg;
	if (s->pending == 0)
		s->since_ms = util_mono_ms();
	/* hiredis copies the arguments into its output buffer */
	if (redisAsyncCommandArgv(s->ac, store_on_raw, c, n, argv, argvlen) !=
	    REDIS_OK) {
		free(c);
		fn(NULL, 0, false, arg);
		return;
	}
	s->pending++;
}
