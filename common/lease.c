/* lease.c - worker leases, the session budget and the reaper's scripts.
 *
 * A worker proves it is alive by renewing P:worker:<id> (a value unique
 * to the process, with a TTL).  Once that key is gone, any worker's reaper
 * may give the dead worker's jobs back: the check and the move are one
 * script, so a late heartbeat either comes first (and the jobs stay) or
 * after (and finds them gone; its threads then learn from the fencing
 * token that their claims were revoked). */
#include "lease.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"
#include "scripts.h"
#include "util.h"
#include "xmalloc.h"

static struct rconn_script heartbeat_script = {"heartbeat", lua_heartbeat, ""};
static struct rconn_script unregister_script = {
    "unregister", lua_unregister, ""};
static struct rconn_script session_script = {"session", lua_session, ""};
static struct rconn_script reap_script = {"reap", lua_reap, ""};
static struct rconn_script reconcile_script = {"reconcile", lua_reconcile, ""};
static struct rconn_script audit_script = {"audit", lua_audit, ""};
static struct rconn_script reaper_lock_script = {
    "reaper_lock", lua_reaper_lock, ""};
static struct rconn_script retention_script = {"retention", lua_retention, ""};
static struct rconn_script status_index_script = {
    "status_index", lua_status_index, ""};

/* Runs script with argv (keys first) and returns its integer or -1. */
static long long
eval_int(struct rconn *rc, struct rconn_script *s, int nkeys, int argc,
    const char **argv)
{
	redisReply *r = rconn_eval(rc, s, nkeys, argc, argv, NULL);
	long long v = queue_int_reply(r);

	if (r != NULL)
		freeReplyObject(r);
	return v;
}

int
lease_heartbeat(struct rconn *rc, const char *prefix, const char *worker_id,
    const char *instance, int ttl_ms)
{
	char *k1 = xasprintf("%s:worker:%s", prefix, worker_id);
	char *k2 = xasprintf("%s:workers", prefix);
	char ttl[16];
	const char *argv[5] = {k1, k2, worker_id, instance, ttl};
	long long v;

	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	v = eval_int(rc, &heartbeat_script, 2, 5, argv);
	free(k1);
	free(k2);
	return v < 0 ? -1 : (int)v;
}

int
lease_holder(struct rconn *rc, const char *prefix, const char *worker_id,
    char *holder, size_t size, long long *ttl_ms)
{
	redisReply *r;

	holder[0] = '\0';
	*ttl_ms = -1;
	r = rconn_command(rc, "GET %s:worker:%s", prefix, worker_id);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING)
		snprintf(holder, size, "%s", r->str);
	freeReplyObject(r);
	r = rconn_command(rc, "PTTL %s:worker:%s", prefix, worker_id);
	if (r == NULL)
		return -1;
	*ttl_ms = queue_int_reply(r);
	freeReplyObject(r);
	return 0;
}

int
lease_unregister(struct rconn *rc, const char *prefix, const char *worker_id,
    const char *instance)
{
	char *k1 = xasprintf("%s:worker:%s", prefix, worker_id);
	char *k2 = xasprintf("%s:workers", prefix);
	char *k3 = xasprintf("%s:processing:%s", prefix, worker_id);
	const char *argv[5] = {k1, k2, k3, worker_id, instance};
	long long v = eval_int(rc, &unregister_script, 3, 5, argv);

	free(k1);
	free(k2);
	free(k3);
	return v < 0 ? -1 : (int)v;
}

int
lease_session_acquire(struct rconn *rc, const char *prefix, const char *member,
    int limit, int lease_ms)
{
	char *key = xasprintf("%s:sessions", prefix), lim[16], lease[16];
	const char *argv[4] = {key, member, lim, lease};
	long long v;

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(lease, sizeof(lease), "%d", lease_ms);
	v = eval_int(rc, &session_script, 1, 4, argv);
	free(key);
	return v < 0 ? -1 : (int)v;
}

int
lease_session_renew(struct rconn *rc, const char *prefix, const char *member,
    int64_t device, long long token, int limit, int lease_ms)
{
	char *key = xasprintf("%s:sessions", prefix);
	char *result = xasprintf("%s:result:%lld", prefix, (long long)device);
	char lim[16], lease[16], tok[24];
	const char *argv[6] = {key, result, member, lim, lease, tok};
	long long v;

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(lease, sizeof(lease), "%d", lease_ms);
	snprintf(tok, sizeof(tok), "%lld", token);
	v = eval_int(rc, &session_script, 2, 6, argv);
	free(key);
	free(result);
	return v < 0 ? -1 : (int)v;
}

int
lease_session_release(struct rconn *rc, const char *prefix, const char *member)
{
	redisReply *r =
	    rconn_command(rc, "ZREM %s:sessions %s", prefix, member);

	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
lease_reaper_lock(
    struct rconn *rc, const char *prefix, const char *instance, int ttl_ms)
{
	char *key = xasprintf("%s:reaper", prefix), ttl[16];
	const char *argv[3] = {key, instance, ttl};
	long long v;

	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	v = eval_int(rc, &reaper_lock_script, 1, 3, argv);
	free(key);
	return v < 0 ? -1 : (int)v;
}

int
lease_stale_workers(
    struct rconn *rc, const char *prefix, int stale_ms, char ***ids)
{
	redisReply *r;
	long long now;
	int n = 0;

	*ids = NULL;
	r = rconn_command(rc, "TIME");
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	now =
	    atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000;
	freeReplyObject(r);
	r = rconn_command(rc, "ZRANGEBYSCORE %s:workers -inf %lld LIMIT 0 100",
	    prefix, now - stale_ms);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	*ids = xcalloc(r->elements + 1, sizeof(char *));
	for (size_t i = 0; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			(*ids)[n++] = xstrdup(r->element[i]->str);
	freeReplyObject(r);
	return n;
}

void
lease_reaped_release(struct lease_reaped *r)
{
	for (size_t i = 0; i < r->nsessions; i++)
		free(r->sessions[i]);
	free(r->sessions);
	free(r->devices);
	memset(r, 0, sizeof(*r));
}

int
lease_reap(struct rconn *rc, const char *prefix, const char *worker_id,
    int max_stalls, int how, struct lease_reaped *out)
{
	static const char *const names[9] = {
	    "processing:", "worker:", "workers", "queue", "inflight", "dead",
	    "stats", "events", "sessions"};
	char *keys[9], stalls[16];
	const char *argv[14];
	redisReply *r;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 9; i++) {
		keys[i] =
		    i < 2 ? xasprintf("%s:%s%s", prefix, names[i], worker_id)
			  : xasprintf("%s:%s", prefix, names[i]);
		argv[i] = keys[i];
	}
	snprintf(stalls, sizeof(stalls), "%d", max_stalls);
	argv[9] = worker_id;
	argv[10] = prefix;
	argv[11] = stalls;
	argv[12] = how & LEASE_REAP_FORCE ? "1" : "0";
	argv[13] = how & LEASE_REAP_PEEK ? "1" : "0";
	r = rconn_eval(rc, &reap_script, 9, 14, argv, NULL);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER) {
		if (r->element[0]->integer == -1)
			ret = 0;
		else if (r->elements >= 2) {
			size_t n = (r->elements - 2) / 2;

			out->requeued = (int)r->element[0]->integer;
			out->dead = (int)r->element[1]->integer;
			out->devices = xcalloc(n + 1, sizeof(int64_t));
			out->sessions = xcalloc(n + 1, sizeof(char *));
			for (size_t i = 0; i < n; i++) {
				redisReply *d = r->element[2 + 2 * i];
				redisReply *s = r->element[3 + 2 * i];

				if (d->type != REDIS_REPLY_STRING ||
				    s->type != REDIS_REPLY_STRING)
					continue;
				out->devices[out->nsessions] = atoll(d->str);
				out->sessions[out->nsessions++] =
				    xstrdup(s->str);
			}
			ret = 1;
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	for (int i = 0; i < 9; i++)
		free(keys[i]);
	return ret;
}

int
lease_reconcile(struct rconn *rc, const char *prefix, const char *worker_id,
    const long long *tokens, size_t n, int min_age_ms)
{
	const char **argv = xcalloc(n + 4, sizeof(char *));
	char **toks = xcalloc(n + 1, sizeof(char *));
	char *k1 = xasprintf("%s:processing:%s", prefix, worker_id);
	char *k2 = xasprintf("%s:queue", prefix);
	char age[16];
	redisReply *r;
	int ret = -1;

	snprintf(age, sizeof(age), "%d", min_age_ms);
	argv[0] = k1;
	argv[1] = k2;
	argv[2] = prefix;
	argv[3] = age;
	for (size_t i = 0; i < n; i++) {
		toks[i] = xasprintf("%lld", tokens[i]);
		argv[4 + i] = toks[i];
	}
	r = rconn_eval(rc, &reconcile_script, 2, (int)n + 4, argv, NULL);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		ret = (int)r->elements;
		for (size_t i = 0; i < r->elements; i++)
			log_warnx(
			    "handed back the job for device %s: no thread of this worker was running it",
			    r->element[i]->type == REDIS_REPLY_STRING
				? r->element[i]->str
				: "?");
	}
	if (r != NULL)
		freeReplyObject(r);
	for (size_t i = 0; i < n; i++)
		free(toks[i]);
	free(toks);
	free(argv);
	free(k1);
	free(k2);
	return ret;
}

int
lease_audit(struct rconn *rc, const char *prefix, json_t **repairs)
{
	static const char *const names[5] = {
	    "queue", "retry", "inflight", "stats", "events"};
	redisReply *w, *r;
	const char **argv;
	char **keys, idp[48], uuid[37];
	size_t nk;
	int ret = -1;

	if (repairs != NULL)
		*repairs = NULL;
	w = rconn_command(rc, "ZRANGE %s:workers 0 -1", prefix);
	if (w == NULL || w->type != REDIS_REPLY_ARRAY) {
		if (w != NULL)
			freeReplyObject(w);
		return -1;
	}
	nk = 5 + w->elements;
	keys = xcalloc(nk, sizeof(char *));
	argv = xcalloc(nk + 2, sizeof(char *));
	for (size_t i = 0; i < nk; i++) {
		keys[i] = i < 5 ? xasprintf("%s:%s", prefix, names[i])
				: xasprintf("%s:processing:%s", prefix,
				      w->element[i - 5]->str);
		argv[i] = keys[i];
	}
	util_uuid(uuid);
	snprintf(idp, sizeof(idp), "repair-%.8s", uuid);
	argv[nk] = prefix;
	argv[nk + 1] = idp;
	r = rconn_eval(rc, &audit_script, (int)nk, (int)nk + 2, argv, NULL);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		ret = (int)(r->elements / 2);
		if (repairs != NULL)
			*repairs = json_array();
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			const char *kind = r->element[i]->str;
			const char *dev = r->element[i + 1]->str;

			log_warnx("repaired device %s: %s", dev,
			    strcmp(kind, "lost") == 0
				? "it was in flight with no job anywhere; queued again"
			    : strcmp(kind, "unflown") == 0
				? "it had a job but was not in flight; put in flight"
				: "it had a second waiting job; dropped it");
			if (repairs != NULL)
				json_array_append_new(
				    *repairs, json_pack("{s:s,s:s}", "kind",
						  kind, "device", dev));
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	for (size_t i = 0; i < nk; i++)
		free(keys[i]);
	free(keys);
	free(argv);
	freeReplyObject(w);
	return ret;
}

int
lease_retention(
    struct rconn *rc, const char *prefix, long long retention_s, int batch)
{
	char *k1 = xasprintf("%s:devices", prefix);
	char *k2 = xasprintf("%s:inflight", prefix);
	char ms[24], b[16];
	const char *argv[5] = {k1, k2, prefix, ms, b};
	long long v;

	snprintf(ms, sizeof(ms), "%lld", retention_s * 1000);
	snprintf(b, sizeof(b), "%d", batch);
	v = eval_int(rc, &retention_script, 2, 5, argv);
	free(k1);
	free(k2);
	return v < 0 ? -1 : (int)v;
}

int
lease_status_index(struct rconn *rc, const char *prefix, int batch)
{
	char *devices = xasprintf("%s:devices", prefix);
	char *marker = xasprintf("%s:status_index", prefix);
	char cursor[32] = "0", b[16];
	const char *argv[5] = {devices, marker, prefix, cursor, b};
	redisReply *r = rconn_command(rc, "EXISTS %s", marker);
	long long steps = 0;
	int ret = -1;

	snprintf(b, sizeof(b), "%d", batch);
	if (queue_int_reply(r) == 1)
		ret = 0;
	if (r != NULL)
		freeReplyObject(r);
	if (r == NULL || ret == 0)
		goto out;
	do {
		r = rconn_eval(rc, &status_index_script, 2, 5, argv, NULL);
		if (r == NULL || r->type != REDIS_REPLY_STRING ||
		    r->len >= sizeof(cursor)) {
			log_warnx("status index: %s",
			    r != NULL && r->type == REDIS_REPLY_ERROR
				? r->str
				: "no answer from Redis");
			if (r != NULL)
				freeReplyObject(r);
			goto out;
		}
		memcpy(cursor, r->str, r->len + 1);
		freeReplyObject(r);
		steps++;
	} while (strcmp(cursor, "0") != 0);
	log_info("built the index of devices by status (%lld steps of %d)",
	    steps, batch);
	ret = 1;
out:
	free(devices);
	free(marker);
	return ret;
}
