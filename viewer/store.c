/* store.c - asynchronous Redis for the viewer (hiredis 0.14.1 async API on
 * the viewer's libevent base): the connection, kept up.  Batches and raw
 * commands are store_batch.c, the replies' JSON store_json.c.
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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "store_int.h"
#include "util.h"
#include "xmalloc.h"

#define STORE_BACKOFF_MIN_MS 100
#define STORE_BACKOFF_MAX_MS 5000
#define STORE_STALL_MS 3000 /* no reply for this long: reconnect */
#define STORE_WATCHDOG_MS 500

/* Schedules the next connection attempt, with backoff. */
void
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
void
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
void
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
	store_after_connect(s);
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

bool
store_own_reply(
    struct store *s, const redisAsyncContext *ac, const redisReply *r)
{
	if (s->ac != ac)
		return false;
	if (s->pending > 0)
		s->pending--;
	s->since_ms = util_mono_ms();
	return r != NULL; /* NULL: going away, handled elsewhere */
}

/* Reply to AUTH: a refusal makes the connection useless; said loudly
 * at most once a minute (rconn_auth_refused), retried with backoff. */
static void
store_on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;

	if (!store_own_reply(s, ac, r))
		return;
	if (r->type == REDIS_REPLY_ERROR) {
		rconn_auth_refused(s->desc, s->addr.user, r->str);
		store_drop(s, "AUTH refused");
	}
}

/* Reply to SELECT: a failure makes the connection useless. */
static void
store_on_select(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;

	if (!store_own_reply(s, ac, r))
		return;
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
	store_start(arg);
}

/* Watchdog: hiredis 0.14 has no command or connect timeout. */
static void
store_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct store *s = arg;
	int64_t idle = util_mono_ms() - s->since_ms;

	(void)fd;
	(void)what;
	store_sentinel_watch(s);
	if (s->ac == NULL || idle < STORE_STALL_MS)
		return;
	if (!s->ready)
		store_drop(s, "connect timed out");
	else if (s->pending > 0)
		store_drop(s, "no reply in 3 s");
}

/* One connection attempt to s->addr (for Sentinel: the primary the
 * lookup found); on failure schedules the next. */
void
store_connect(struct store *s)
{
	redisAsyncContext *ac;

	if (s->stopping || s->ac != NULL)
		return;
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
	/* hiredis frees its read buffer whenever it is empty and over 16
	 * KiB, i.e. after every page's replies: a malloc and a free (and
	 * glibc's consolidation) per read.  Keep up to 1 MiB; an artifact's
	 * larger buffer still goes. */
	ac->c.reader->maxbuf = STORE_READBUF_KEEP;
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
	/* AUTH, then SELECT: queued before any other command, so they
	 * run first, in this order, on every (re)connection */
	if (s->addr.password[0] != '\0') {
		int ok = s->addr.user[0] != '\0'
			     ? redisAsyncCommand(ac, store_on_auth, s,
				   "AUTH %s %s", s->addr.user, s->addr.password)
			     : redisAsyncCommand(ac, store_on_auth, s,
				   "AUTH %s", s->addr.password);

		if (ok == REDIS_OK)
			s->pending++;
	}
	if (s->addr.db != 0) {
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
	s->sentinel_tmo = evtimer_new(base, store_sentinel_on_timeout, s);
	if (s->sentinel_tmo == NULL)
		fatalx("store: cannot create timers");
	event_add(s->watchdog, &tv);
	store_start(s);
	return s;
}

void
store_free(struct store *s)
{
	redisAsyncContext *ac;

	if (s == NULL)
		return;
	s->stopping = true;
	store_sentinel_stop(s);
	ac = s->ac;
	s->ac = NULL;
	s->ready = false;
	if (ac != NULL)
		redisAsyncFree(ac); /* pending batches get NULL */
	event_free(s->retry);
	event_free(s->watchdog);
	event_free(s->sentinel_tmo);
	free(s);
}

void
store_start(struct store *s)
{
	if (s->stopping || s->ac != NULL || s->sac != NULL)
		return;
	if (s->addr.kind == RCONN_SENTINEL)
		store_sentinel_lookup(s); /* connects once it has an answer */
	else
		store_connect(s);
}

bool
store_ready(const struct store *s)
{
	return s != NULL && s->ac != NULL && s->ready;
}
