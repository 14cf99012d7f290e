/* rconn.c - Redis connection: reconnect with backoff, AUTH, Sentinel
 * master resolution, and Lua scripts by SHA.  URLs are rconn_url.c.
 *
 * This file and the viewer's async client are the only users of hiredis's
 * connection API. */
#include "rconn.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct rconn {
	redisContext *ctx; /* NULL while disconnected */
	struct rconn_addr addr;
	char *url;          /* as given; owned */
	int timeout_ms;     /* connect timeout and default command timeout */
	int cmd_timeout_ms; /* current socket timeout */
	bool warned;        /* "waiting for Redis" already said */
	char name[64];      /* CLIENT SETNAME on every connect; "" for none */
	redisContext *sctx; /* SENTINEL: a sentinel kept for the checks */
	int64_t checked_ms; /* SENTINEL: last check of where the primary is */
};

/* How often a sentinel:// connection asks the sentinels whether the
 * primary moved.  A failover leaves the old primary writable until the
 * sentinels demote it, which can take them ten seconds; whatever is
 * written there meanwhile is lost when it resyncs as a replica, so the
 * daemons must not wait for it to close their connections. */
#define RCONN_SENTINEL_CHECK_MS 1000
#define RCONN_SENTINEL_TIMEOUT_MS 300

static pthread_mutex_t script_lock = PTHREAD_MUTEX_INITIALIZER;

/* True at most once a minute per process: password trouble is said
 * loudly that often, and at debug level in between. */
static bool
auth_say(void)
{
	static int64_t last;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int64_t now = util_mono_ms();
	bool say;

	pthread_mutex_lock(&lock);
	say = last == 0 || now - last >= 60000;
	if (say)
		last = now;
	pthread_mutex_unlock(&lock);
	return say;
}

void
rconn_auth_refused(const char *where, const char *user, const char *why)
{
	if (auth_say())
		log_error(
		    "Redis at %s refused the password for user %s: %s (check the password file and the ACL user; retrying)",
		    where, user[0] ? user : "default", why);
	else
		log_debug("Redis at %s refused the password for user %s: %s",
		    where, user[0] ? user : "default", why);
}

/* AUTH on a new context: 0, or -1 (logged) when Redis refuses it or the
 * connection fails.  Nothing to do without a password. */
static int
auth(redisContext *c, const char *user, const char *password, const char *where)
{
	redisReply *r;
	int ret = 0;

	if (password[0] == '\0')
		return 0;
	if (user[0] != '\0')
		r = redisCommand(c, "AUTH %s %s", user, password);
	else
		r = redisCommand(c, "AUTH %s", password);
	if (r == NULL) {
		log_debug("AUTH on %s: %s", where, c->errstr);
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		rconn_auth_refused(where, user, r->str);
		ret = -1;
	}
	freeReplyObject(r);
	return ret;
}

/* Asks one sentinel on c where the primary of addr->master is.  0 (and
 * *host, *port set) or -1. */
static int
sentinel_ask(
    redisContext *c, const char *master, char *host, size_t hostlen, int *port)
{
	redisReply *r =
	    redisCommand(c, "SENTINEL get-master-addr-by-name %s", master);
	int ret = -1;

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    r->element[1]->type == REDIS_REPLY_STRING &&
	    r->element[0]->len < hostlen) {
		snprintf(host, hostlen, "%s", r->element[0]->str);
		*port = atoi(r->element[1]->str);
		ret = *port > 0 && *port <= 65535 ? 0 : -1;
	}
	if (r != NULL)
		freeReplyObject(r);
	return ret;
}

/* Where the sentinels say the primary is, asking the kept sentinel first,
 * then each in turn (the first that answers is kept).  0 or -1. */
static int
sentinel_query(struct rconn *rc, char *host, size_t hostlen, int *port)
{
	const struct rconn_addr *a = &rc->addr;
	struct timeval tv = {0, RCONN_SENTINEL_TIMEOUT_MS * 1000};

	if (rc->sctx != NULL) {
		if (sentinel_ask(rc->sctx, a->master, host, hostlen, port) == 0)
			return 0;
		redisFree(rc->sctx);
		rc->sctx = NULL;
	}
	for (int i = 0; i < a->nsentinels; i++) {
		redisContext *c = redisConnectWithTimeout(
		    a->sentinel_host[i], a->sentinel_port[i], tv);
		char where[300];

		if (c == NULL || c->err) {
			log_debug("sentinel %s:%d: %s", a->sentinel_host[i],
			    a->sentinel_port[i],
			    c ? c->errstr : "out of memory");
			redisFree(c);
			continue;
		}
		redisSetTimeout(c, tv);
		snprintf(where, sizeof(where), "sentinel %s:%d",
		    a->sentinel_host[i], a->sentinel_port[i]);
		if (auth(c, a->sentinel_user, a->sentinel_password, where) ==
		    -1) {
			redisFree(c);
			continue;
		}
		if (sentinel_ask(c, a->master, host, hostlen, port) == 0) {
			rc->sctx = c;
			return 0;
		}
		redisFree(c);
	}
	return -1;
}

struct rconn *
rconn_new(const char *url, int timeout_ms)
{
	struct rconn *rc = xcalloc(1, sizeof(*rc));
	char err[256];

	if (rconn_parse_url(url, &rc->addr, err, sizeof(err)) == -1)
		fatalx("%s", err);
	rc->url = xstrdup(url);
	rc->timeout_ms = timeout_ms > 0 ? timeout_ms : 5000;
	rc->cmd_timeout_ms = rc->timeout_ms;
	return rc;
}

static void
drop(struct rconn *rc)
{
	if (rc->ctx != NULL) {
		redisFree(rc->ctx);
		rc->ctx = NULL;
	}
}

void
rconn_free(struct rconn *rc)
{
	if (rc == NULL)
		return;
	drop(rc);
	if (rc->sctx != NULL)
		redisFree(rc->sctx);
	free(rc->url);
	free(rc);
}

static struct timeval
tv_ms(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	return tv;
}

void
rconn_set_name(struct rconn *rc, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(rc->name, sizeof(rc->name), fmt, ap);
	va_end(ap);
	for (i = 0; rc->name[i] != '\0'; i++)
		if (rc->name[i] <= ' ' || rc->name[i] > '~')
			rc->name[i] = '_'; /* a client name has no spaces */
}

/* Names the new connection, so CLIENT LIST on the primary shows which
 * daemon each connection is (and who followed a failover).  Best effort. */
static void
rconn_identify(struct rconn *rc)
{
	redisReply *r;

	if (rc->name[0] == '\0')
		return;
	r = redisCommand(rc->ctx, "CLIENT SETNAME %s", rc->name);
	if (r != NULL)
		freeReplyObject(r);
}

int
rconn_connect(struct rconn *rc)
{
	redisContext *c;
	redisReply *r;

	if (rc->ctx != NULL)
		return 0;
	if (rc->addr.kind == RCONN_SENTINEL &&
	    sentinel_query(rc, rc->addr.host, sizeof(rc->addr.host),
		&rc->addr.port) == -1) {
		log_debug("no sentinel of '%s' knows master '%s'", rc->url,
		    rc->addr.master);
		return -1;
	}
	if (rc->addr.kind == RCONN_UNIX)
		c = redisConnectUnixWithTimeout(
		    rc->addr.path, tv_ms(rc->timeout_ms));
	else
		c = redisConnectWithTimeout(
		    rc->addr.host, rc->addr.port, tv_ms(rc->timeout_ms));
	if (c == NULL || c->err) {
		log_debug("connect '%s': %s", rconn_describe(rc),
		    c ? c->errstr : "out of memory");
		redisFree(c);
		return -1;
	}
	redisSetTimeout(c, tv_ms(rc->cmd_timeout_ms));
	if (rc->addr.kind != RCONN_UNIX) /* EOPNOTSUPP on unix sockets */
		redisEnableKeepAlive(c);
	rc->ctx = c;
	/* AUTH first: with a password set, Redis answers nothing else. */
	if (auth(c, rc->addr.user, rc->addr.password, rconn_describe(rc)) ==
	    -1) {
		drop(rc);
		return -1;
	}
	if (rc->addr.db != 0) {
		r = redisCommand(c, "SELECT %d", rc->addr.db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			log_warnx("SELECT %d on '%s': %s", rc->addr.db,
			    rconn_describe(rc), r ? r->str : c->errstr);
			if (r)
				freeReplyObject(r);
			drop(rc);
			return -1;
		}
		freeReplyObject(r);
	}
	if (rc->addr.kind == RCONN_SENTINEL) {
		/* A demoted master answers role "slave": not ours to write. */
		r = redisCommand(c, "ROLE");
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements < 1 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    strcmp(r->element[0]->str, "master") != 0) {
			if (r)
				freeReplyObject(r);
			drop(rc);
			return -1;
		}
		freeReplyObject(r);
	}
	rconn_identify(rc);
	rc->checked_ms = util_mono_ms();
	if (rc->warned)
		log_info("connected to Redis at %s", rconn_describe(rc));
	rc->warned = false;
	return 0;
}

int
rconn_wait(struct rconn *rc, volatile sig_atomic_t *stop)
{
	int64_t delay = 100;
	/* Asking the sentinels is cheap, and a failover is over in seconds. */
	int64_t most = rc->addr.kind == RCONN_SENTINEL ? 1000 : 5000;

	while (rconn_connect(rc) == -1) {
		if (stop != NULL && *stop)
			return -1;
		if (!rc->warned) {
			log_warnx(
			    "waiting for Redis at %s", rconn_describe(rc));
			rc->warned = true;
		}
		util_sleep_ms(delay, stop);
		delay = delay * 2 > most ? most : delay * 2;
	}
	return 0;
}

bool
rconn_connected(const struct rconn *rc)
{
	return rc->ctx != NULL;
}

void
rconn_set_timeout(struct rconn *rc, int timeout_ms)
{
	rc->cmd_timeout_ms = timeout_ms;
	if (rc->ctx != NULL)
		redisSetTimeout(rc->ctx, tv_ms(timeout_ms));
}

/* Says loudly, at most every 30 s per process, that Redis refuses
 * writes: nothing can be queued, started or finished until it has room. */
static void
oom_said(struct rconn *rc)
{
	static int64_t last;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int64_t now = util_mono_ms();
	bool say;

	pthread_mutex_lock(&lock);
	say = last == 0 || now - last >= 30000;
	if (say)
		last = now;
	pthread_mutex_unlock(&lock);
	if (say)
		log_error(
		    "Redis at %s is out of memory and refuses writes (maxmemory reached): raise maxmemory or free memory; writes are retried until it has room",
		    rconn_describe(rc));
}

/* Every RCONN_SENTINEL_CHECK_MS of use, asks the sentinels whether the
 * primary moved, and drops the connection when it did.  True then: the
 * command about to run fails like any on a lost connection, so a caller
 * in the middle of a sequence (an artifact's chunks) starts it again
 * rather than finishing it on a server that has not seen its start. */
static bool
rconn_check_primary(struct rconn *rc)
{
	char host[sizeof(rc->addr.host)];
	int port = 0;

	if (rc->addr.kind != RCONN_SENTINEL || rc->ctx == NULL ||
	    util_mono_ms() - rc->checked_ms < RCONN_SENTINEL_CHECK_MS)
		return false;
	rc->checked_ms = util_mono_ms();
	if (sentinel_query(rc, host, sizeof(host), &port) == -1)
		return false; /* no sentinel answers: it is where it was */
	if (strcmp(host, rc->addr.host) == 0 && port == rc->addr.port)
		return false;
	log_warnx("the sentinels moved primary '%s' from %s:%d to %s:%d; "
		  "reconnecting",
	    rc->addr.master, rc->addr.host, rc->addr.port, host, port);
	drop(rc);
	rc->warned = true;
	return true;
}

bool
rconn_error_is_failover(const char *err)
{
	/* READONLY: a demoted primary refuses writes; MASTERDOWN: a replica
	 * lost its primary; LOADING: a restarted server reads its data;
	 * UNBLOCKED: a blocked command ended because the server changed role. */
	static const char *const codes[] = {
	    "READONLY", "MASTERDOWN", "LOADING", "UNBLOCKED"};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strncmp(err, codes[i], strlen(codes[i])) == 0)
			return true;
	return false;
}

static redisReply *
after(struct rconn *rc, redisReply *r, const char *what)
{
	if (r == NULL) {
		log_warnx("Redis %s on %s: %s", what, rconn_describe(rc),
		    rc->ctx && rc->ctx->errstr[0] ? rc->ctx->errstr
						  : "connection lost");
		drop(rc);
		rc->warned = true;
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "OOM", 3) == 0)
		oom_said(rc);
	/* Redis wants a password we were not given: say how to give it. */
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOAUTH", 6) == 0 &&
	    auth_say())
		log_error(
		    "Redis at %s wants a password: give --redis-password-file FILE or LRFLOW_REDIS_PASSWORD (%s)",
		    rconn_describe(rc), r->str);
	if (r->type == REDIS_REPLY_ERROR && rconn_error_is_failover(r->str)) {
		log_warnx("Redis %s on %s: %s; finding the primary again", what,
		    rconn_describe(rc), r->str);
		freeReplyObject(r);
		drop(rc);
		rc->warned = true;
		return NULL;
	}
	return r;
}

redisReply *
rconn_command(struct rconn *rc, const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	if (rconn_check_primary(rc))
		return NULL;
	if (rc->ctx == NULL && rconn_connect(rc) == -1)
		return NULL;
	va_start(ap, fmt);
	r = redisvCommand(rc->ctx, fmt, ap);
	va_end(ap);
	return after(rc, r, "command");
}

redisReply *
rconn_commandv(
    struct rconn *rc, int argc, const char **argv, const size_t *argvlen)
{
	redisReply *r;

	if (rconn_check_primary(rc))
		return NULL;
	if (rc->ctx == NULL && rconn_connect(rc) == -1)
		return NULL;
	r = redisCommandArgv(rc->ctx, argc, argv, argvlen);
	return after(rc, r, argc > 0 ? argv[0] : "command");
}

static int
script_load(struct rconn *rc, struct rconn_script *s)
{
	redisReply *r = rconn_command(rc, "SCRIPT LOAD %s", s->source);

	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_STRING || r->len != 40) {
		log_warnx("SCRIPT LOAD %s: %s", s->name,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		return -1;
	}
	pthread_mutex_lock(&script_lock);
	memcpy(s->sha, r->str, 40);
	s->sha[40] = '\0';
	pthread_mutex_unlock(&script_lock);
	freeReplyObject(r);
	return 0;
}

int
rconn_script_sha(
    struct rconn *rc, struct rconn_script *s, bool reload, char sha[41])
{
	pthread_mutex_lock(&script_lock);
	if (reload)
		s->sha[0] = '\0';
	memcpy(sha, s->sha, 41);
	pthread_mutex_unlock(&script_lock);
	if (sha[0] != '\0')
		return 0;
	if (script_load(rc, s) == -1)
		return -1;
	pthread_mutex_lock(&script_lock);
	memcpy(sha, s->sha, 41);
	pthread_mutex_unlock(&script_lock);
	return 0;
}

redisReply *
rconn_eval(struct rconn *rc, struct rconn_script *s, int nkeys, int argc,
    const char **argv, const size_t *argvlen)
{
	const char **av = xcalloc((size_t)argc + 3, sizeof(char *));
	size_t *al = xcalloc((size_t)argc + 3, sizeof(size_t));
	char nk[16], sha[41];
	redisReply *r = NULL;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	for (int loads = 0; loads < 3;) {
		pthread_mutex_lock(&script_lock);
		memcpy(sha, s->sha, sizeof(sha));
		pthread_mutex_unlock(&script_lock);
		if (sha[0] == '\0') {
			if (loads++, script_load(rc, s) == -1)
				goto out;
			continue;
		}
		av[0] = "EVALSHA";
		al[0] = 7;
		av[1] = sha;
		al[1] = 40;
		av[2] = nk;
		al[2] = strlen(nk);
		for (int i = 0; i < argc; i++) {
			av[i + 3] = argv[i];
			al[i + 3] = argvlen ? argvlen[i] : strlen(argv[i]);
		}
		r = rconn_commandv(rc, argc + 3, av, al);
		if (r != NULL && r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "NOSCRIPT", 8) == 0) {
			freeReplyObject(r);
			r = NULL;
			if (loads++, script_load(rc, s) == -1)
				goto out;
			continue; /* loaded now: one more EVALSHA */
		}
		break;
	}
out:
	free(av);
	free(al);
	if (r != NULL && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "OOM", 3) != 0) /* said once by after() */
		log_warnx("script %s: %s", s->name, r->str);
	return r;
}

int
rconn_pipeline(struct rconn *rc, int n, const int *argc,
    const char *const *const *argv, redisReply **replies)
{
	int i;

	for (i = 0; i < n; i++)
		replies[i] = NULL;
	if (rconn_check_primary(rc))
		return 0;
	if (rc->ctx == NULL && rconn_connect(rc) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (redisAppendCommandArgv(rc->ctx, argc[i],
			(const char **)argv[i], NULL) != REDIS_OK) {
			after(rc, NULL, "pipeline");
			return 0;
		}
	for (i = 0; i < n; i++) {
		void *r = NULL;

		if (redisGetReply(rc->ctx, &r) != REDIS_OK)
			r = NULL;
		if ((replies[i] = after(rc, r, argv[i][0])) == NULL)
			return i;
	}
	return n;
}

const char *
rconn_describe(const struct rconn *rc)
{
	return rc->url;
}
