/* store_sentinel.c - the viewer finds its primary through Redis Sentinel
 * without blocking its event loop (store.h).
 *
 * The lookup asks one sentinel at a time, on an async connection on the
 * viewer's event_base, "SENTINEL get-master-addr-by-name NAME", and gives
 * each STORE_SENTINEL_MS to answer (connect included) before going on to
 * the next; the first answer is where store.c connects.  A sentinel that
 * accepts and never answers costs that deadline, and the HTTP server
 * answers all the while (/healthz says 503).  The lookup runs again on
 * every reconnect: after a disconnect, after an error saying the server
 * is no longer the primary (READONLY, MASTERDOWN, ...) or a ROLE answer
 * other than "master" on connect.  And while connected, the watchdog asks
 * the sentinels every STORE_CHECK_MS whether the primary moved: after a
 * failover the sentinels leave the old primary writable for seconds
 * before they demote it (and close its clients), and what is written
 * there meanwhile is lost.
 *
 * hiredis 0.14.1 rules as in store.c: a context whose connect fails is
 * freed by hiredis after the connect callback (and its pending callbacks
 * get NULL); redisAsyncFree() inside a callback is deferred until the
 * callback returns; we free a context ourselves only after taking it out
 * of s->sac, so the callbacks its freeing runs find it is not ours. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "util.h"

#define STORE_SENTINEL_MS 500 /* per sentinel, connect and answer */
#define STORE_CHECK_MS 1000   /* how often the sentinels are asked again */

static void sentinel_ask(struct store *s);

/* The sentinel being asked failed (why): go on to the next.  free_it:
 * the context is still live and ours to free (the deadline passed). */
static void
sentinel_next(struct store *s, const char *why, bool free_it)
{
	redisAsyncContext *ac = s->sac;

	s->sac = NULL;
	evtimer_del(s->sentinel_tmo);
	log_debug("sentinel %s:%d: %s", s->addr.sentinel_host[s->sidx],
	    s->addr.sentinel_port[s->sidx], why);
	if (free_it && ac != NULL)
		redisAsyncFree(ac); /* its callbacks see s->sac != ac */
	s->sidx++;
	sentinel_ask(s);
}

static void
sentinel_on_connect(const redisAsyncContext *ac, int status)
{
	struct store *s = ac->data;

	if (s == NULL || s->sac != ac || status == REDIS_OK)
		return;
	/* hiredis frees ac after this callback */
	sentinel_next(s, ac->errstr, false);
}

static void
sentinel_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct store *s = ac->data;

	(void)status;
	if (s == NULL || s->sac != ac)
		return;
	sentinel_next(s, "connection closed", false);
}

static void
sentinel_on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;
	long port;

	if (s->sac != ac)
		return;
	if (r == NULL) {
		sentinel_next(s, "connection lost", false);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len >= sizeof(s->addr.host) ||
	    (port = strtol(r->element[1]->str, NULL, 10)) < 1 || port > 65535) {
		sentinel_next(s,
		    r->type == REDIS_REPLY_ERROR ? r->str
						 : "does not know the primary",
		    false);
		redisAsyncDisconnect(ac); /* once this callback returns */
		return;
	}
	s->sac = NULL;
	evtimer_del(s->sentinel_tmo);
	redisAsyncDisconnect(ac); /* once this callback returns */
	if (s->checking && s->ac != NULL) {
		s->checking = false;
		if (strcmp(s->addr.host, r->element[0]->str) == 0 &&
		    s->addr.port == (int)port)
			return;
		log_warnx("redis %s: the sentinels moved primary '%s' to "
			  "%s:%ld; reconnecting",
		    s->desc, s->addr.master, r->element[0]->str, port);
		store_drop(s, "the primary moved");
		return; /* the reconnect looks it up again */
	}
	s->checking = false;
	snprintf(s->addr.host, sizeof(s->addr.host), "%s", r->element[0]->str);
	s->addr.port = (int)port;
	log_debug("sentinel %s:%d: primary '%s' is %s:%d",
	    s->addr.sentinel_host[s->sidx], s->addr.sentinel_port[s->sidx],
	    s->addr.master, s->addr.host, s->addr.port);
	store_connect(s);
}

/* The sentinel's answer to AUTH (sent before the question when a
 * sentinel password is set): a refusal moves on to the next sentinel. */
static void
sentinel_on_auth(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;
	char where[300];

	if (s->sac != ac || r == NULL || r->type != REDIS_REPLY_ERROR)
		return; /* a lost connection is the question's to report */
	snprintf(where, sizeof(where), "sentinel %s:%d",
	    s->addr.sentinel_host[s->sidx], s->addr.sentinel_port[s->sidx]);
	rconn_auth_refused(where, s->addr.sentinel_user, r->str);
	sentinel_next(s, "refused the password", false);
	redisAsyncDisconnect(ac); /* once this callback returns */
}

void
store_sentinel_on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct store *s = arg;

	(void)fd;
	(void)what;
	if (s->sac != NULL)
		sentinel_next(s, "no answer in time", true);
}

/* Asks sentinel s->sidx, or gives up for now after the last one. */
static void
sentinel_ask(struct store *s)
{
	struct timeval tv = {0, STORE_SENTINEL_MS * 1000};
	redisAsyncContext *ac;
	int i;

	for (; s->sidx < s->addr.nsentinels && !s->stopping; s->sidx++) {
		i = s->sidx;
		ac = redisAsyncConnect(
		    s->addr.sentinel_host[i], s->addr.sentinel_port[i]);
		if (ac == NULL)
			continue;
		if (ac->err || redisLibeventAttach(ac, s->base) != REDIS_OK) {
			log_debug("sentinel %s:%d: %s",
			    s->addr.sentinel_host[i], s->addr.sentinel_port[i],
			    ac->err ? ac->errstr : "cannot attach");
			redisAsyncFree(ac);
			continue;
		}
		ac->data = s;
		redisAsyncSetConnectCallback(ac, sentinel_on_connect);
		redisAsyncSetDisconnectCallback(ac, sentinel_on_disconnect);
		if (s->addr.sentinel_password[0] != '\0' &&
		    (s->addr.sentinel_user[0] != '\0'
			    ? redisAsyncCommand(ac, sentinel_on_auth, s,
				  "AUTH %s %s", s->addr.sentinel_user,
				  s->addr.sentinel_password)
			    : redisAsyncCommand(ac, sentinel_on_auth, s,
				  "AUTH %s", s->addr.sentinel_password)) !=
			REDIS_OK) {
			redisAsyncFree(ac);
			continue;
		}
		if (redisAsyncCommand(ac, sentinel_on_reply, s,
			"SENTINEL get-master-addr-by-name %s",
			s->addr.master) != REDIS_OK) {
			redisAsyncFree(ac);
			continue;
		}
		s->sac = ac;
		evtimer_add(s->sentinel_tmo, &tv);
		return;
	}
	if (s->stopping)
		return;
	if (s->checking) {
		s->checking = false;
		if (s->ac != NULL)
			return; /* no answer: the primary is where it was */
	}
	snprintf(s->desc, sizeof(s->desc), "sentinel/%s", s->addr.master);
	store_unavailable(s, "sentinel", "no sentinel answered with a primary");
	store_schedule(s);
}

void
store_sentinel_lookup(struct store *s)
{
	if (s->sac != NULL || s->stopping)
		return; /* a check in flight connects when it answers */
	s->checking = false;
	s->sidx = 0;
	sentinel_ask(s);
}

void
store_sentinel_stop(struct store *s)
{
	redisAsyncContext *ac = s->sac;

	s->sac = NULL;
	if (s->sentinel_tmo != NULL)
		evtimer_del(s->sentinel_tmo);
	if (ac != NULL)
		redisAsyncFree(ac);
}

/* ------------------------------------------------------------------ */
/* Is the connection still to the primary? */

static void
on_role(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;
	redisReply *r = reply;

	if (!store_own_reply(s, ac, r))
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0)
		return;
	log_warnx("redis %s: no longer the primary of '%s'; asking the "
		  "sentinels again",
	    s->desc, s->addr.master);
	store_drop(s, "not the primary");
}

static void
send_role(struct store *s)
{
	if (s->pending == 0)
		s->since_ms = util_mono_ms();
	if (redisAsyncCommand(s->ac, on_role, s, "ROLE") == REDIS_OK)
		s->pending++;
}

static void
on_ignore(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct store *s = privdata;

	(void)reply;
	if (s->ac != ac)
		return;
	if (s->pending > 0)
		s->pending--;
	s->since_ms = util_mono_ms();
}

void
store_after_connect(struct store *s)
{
	char name[64];

	snprintf(name, sizeof(name), "lrflow-viewer:%ld", (long)getpid());
	if (redisAsyncCommand(s->ac, on_ignore, s, "CLIENT SETNAME %s", name) ==
	    REDIS_OK)
		s->pending++;
	if (s->addr.kind == RCONN_SENTINEL)
		send_role(s);
}

void
store_sentinel_watch(struct store *s)
{
	if (s->addr.kind != RCONN_SENTINEL || !store_ready(s) ||
	    s->sac != NULL || util_mono_ms() - s->checked_ms < STORE_CHECK_MS)
		return;
	s->checked_ms = util_mono_ms();
	s->checking = true;
	s->sidx = 0;
	sentinel_ask(s);
}

void
store_check_error(struct store *s, const char *err)
{
	if (s->ac == NULL || !rconn_error_is_failover(err))
		return;
	log_warnx("redis %s: %s; finding the primary again", s->desc, err);
	store_drop(s, "the server is not the primary");
}
