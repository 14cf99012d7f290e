/* queue.c - job lifecycle scripts (design §2 steps 1-4) and result writes.
 *
 * Each multi-key change is one Lua script, with every key in KEYS and the
 * time from redis.call('TIME'), so a worker's clock cannot skew state.
 * The claim itself is BLMOVE (a blocking command cannot run in a script):
 * the job is either still in P:queue or in our processing list, never
 * nowhere; the START script then stamps the result hash and hands out a
 * fencing token that later writes must present. */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sha256.h"
#include "util.h"
#include "xmalloc.h"

/* Helpers shared by the scripts: now in ms, and ms as ISO-8601 UTC. */
#define LUA_PRELUDE                                                                                                                                          \
	"local function now_ms()\n"                                                                                                                          \
	"  local t = redis.call('TIME')\n"                                                                                                                   \
	"  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                                                                               \
	"end\n"                                                                                                                                              \
	"local function iso(ms)\n"                                                                                                                           \
	"  local s = math.floor(ms / 1000)\n"                                                                                                                \
	"  local days, rem = math.floor(s / 86400), s % 86400\n"                                                                                             \
	"  local z = days + 719468\n"                                                                                                                        \
	"  local era = math.floor(z / 146097)\n"                                                                                                             \
	"  local doe = z - era * 146097\n"                                                                                                                   \
	"  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)\n"                              \
	"  local y = yoe + era * 400\n"                                                                                                                      \
	"  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))\n"                                                                    \
	"  local mp = math.floor((5 * doy + 2) / 153)\n"                                                                                                     \
	"  local d = doy - math.floor((153 * mp + 2) / 5) + 1\n"                                                                                             \
	"  local m = mp < 10 and mp + 3 or mp - 9\n"                                                                                                         \
	"  if m <= 2 then y = y + 1 end\n"                                                                                                                   \
	"  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)\n" \
	"end\n"                                                                                                                                              \
	"local function event(key, kind, dev, extra)\n"                                                                                                      \
	"  redis.call('XADD', key, 'MAXLEN', '~', 10000, '*', 'event', kind, 'device', dev, 'detail', extra or '')\n"                                        \
	"end\n"                                                                                                                                              \
	"local function add_alert_id(result, id)\n"                                                                                                          \
	"  if id == '' then return end\n"                                                                                                                    \
	"  local ids = {}\n"                                                                                                                                 \
	"  local cur = redis.call('HGET', result, 'alert_ids')\n"                                                                                            \
	"  if cur then\n"                                                                                                                                    \
	"    local ok, v = pcall(cjson.decode, cur)\n"                                                                                                       \
	"    if ok and type(v) == 'table' then ids = v end\n"                                                                                                \
	"  end\n"                                                                                                                                            \
	"  for _, x in ipairs(ids) do if x == id then return end end\n"                                                                                      \
	"  table.insert(ids, id)\n"                                                                                                                          \
	"  while #ids > 100 do table.remove(ids, 1) end\n"                                                                                                   \
	"  redis.call('HSET', result, 'alert_ids', cjson.encode(ids))\n"                                                                                     \
	"end\n"

/* KEYS: inflight queue result devices cooldown stats events seen
 * ARGV: device job_id source alert_id alert_json device_name seen_ttl_s
 *       cooldown_s
 * Returns 1 queued, 0 coalesced, 2 when the alert id was seen before. */
static struct rconn_script enqueue_script = {"enqueue",
    LUA_PRELUDE
    "local dev = ARGV[1]\n"
    "local now = now_ms()\n"
    "if ARGV[4] ~= '' and tonumber(ARGV[7]) > 0 then\n"
    "  if not redis.call('SET', KEYS[8], now, 'NX', 'EX', ARGV[7]) then\n"
    "    redis.call('HINCRBY', KEYS[6], 'alerts_duplicate', 1)\n"
    "    return 2\n"
    "  end\n"
    "end\n"
    "if redis.call('ZSCORE', KEYS[1], dev) or redis.call('EXISTS', KEYS[5]) == 1 then\n"
    "  add_alert_id(KEYS[3], ARGV[4])\n"
    "  redis.call('HINCRBY', KEYS[6], 'coalesced', 1)\n"
    "  event(KEYS[7], 'coalesced', dev, ARGV[4])\n"
    "  return 0\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], 'NX', now, dev)\n"
    "local at = iso(now)\n"
    "local ids = '[]'\n"
    "if ARGV[4] ~= '' then ids = cjson.encode({ARGV[4]}) end\n"
    "local job = '{\"id\":' .. cjson.encode(ARGV[2]) .. ',\"device_id\":' .. dev ..\n"
    "  ',\"alert_ids\":' .. ids .. ',\"source\":' .. cjson.encode(ARGV[3]) ..\n"
    "  ',\"enqueued_at\":\"' .. at .. '\",\"attempts\":0' ..\n"
    "  (tonumber(ARGV[8]) > 0 and (',\"cooldown_s\":' .. tonumber(ARGV[8])) or '') .. '}'\n"
    "redis.call('LPUSH', KEYS[2], job)\n"
    "redis.call('HDEL', KEYS[3], 'error', 'step', 'started_at', 'finished_at', 'next_attempt_at', 'worker', 'session_id', 'token')\n"
    "redis.call('HSET', KEYS[3], 'device_id', dev, 'status', 'queued', 'queued_at', at, 'alert_ids', ids, 'source', ARGV[3], 'attempts', 0)\n"
    "if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'alert', ARGV[5]) end\n"
    "if ARGV[6] ~= '' then redis.call('HSET', KEYS[3], 'device_name', ARGV[6]) end\n"
    "redis.call('ZADD', KEYS[4], now, dev)\n"
    "redis.call('HINCRBY', KEYS[6], 'enqueued', 1)\n"
    "event(KEYS[7], 'queued', dev, ARGV[4])\n"
    "return 1\n",
    ""};

/* KEYS: processing result devices seq events
 * ARGV: job_raw worker device
 * Returns {token, attempts}, or -1 when the job is no longer ours. */
static struct rconn_script start_script = {"start",
    LUA_PRELUDE
    "if not redis.call('LPOS', KEYS[1], ARGV[1]) then return -1 end\n"
    "local now = now_ms()\n"
    "local tok = redis.call('INCR', KEYS[4])\n"
    "local n = redis.call('HINCRBY', KEYS[2], 'attempts', 1)\n"
    "redis.call('HSET', KEYS[2], 'device_id', ARGV[3], 'status', 'running', 'step', 'claimed', 'worker', ARGV[2], 'started_at', iso(now), 'token', tok)\n"
    "redis.call('HDEL', KEYS[2], 'error', 'finished_at', 'next_attempt_at')\n"
    "redis.call('ZADD', KEYS[3], now, ARGV[3])\n"
    "event(KEYS[5], 'started', ARGV[3], ARGV[2])\n"
    "return {tok, n}\n",
    ""};

/* KEYS: result devices   ARGV: token device field value ...
 * Returns 1, or 0 when a newer attempt owns the result. */
static struct rconn_script update_script = {"update",
    LUA_PRELUDE
    "if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end\n"
    "for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end\n"
    "redis.call('ZADD', KEYS[2], now_ms(), ARGV[2])\n"
    "return 1\n",
    ""};

/* KEYS: processing inflight result devices cooldown stats dead events
 * ARGV: job_raw token status cooldown_s device field value ...
 * Returns 1, or 0 when the claim was revoked (the result is dropped). */
static struct rconn_script complete_script = {"complete",
    LUA_PRELUDE
    "if redis.call('LREM', KEYS[1], -1, ARGV[1]) == 0 then return 0 end\n"
    "local now = now_ms()\n"
    "local at = iso(now)\n"
    "local dev = ARGV[5]\n"
    "if redis.call('HGET', KEYS[3], 'token') == ARGV[2] then\n"
    "  for i = 6, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end\n"
    "  redis.call('HSET', KEYS[3], 'status', ARGV[3], 'finished_at', at, 'step', ARGV[3] == 'done' and 'finished' or 'failed')\n"
    "  redis.call('HDEL', KEYS[3], 'token')\n"
    "end\n"
    "redis.call('ZREM', KEYS[2], dev)\n"
    "local cd = tonumber(ARGV[4])\n"
    "if cd and cd > 0 then redis.call('SET', KEYS[5], at, 'EX', cd) end\n"
    "redis.call('ZADD', KEYS[4], now, dev)\n"
    "redis.call('HINCRBY', KEYS[6], 'jobs_' .. ARGV[3], 1)\n"
    "if ARGV[3] ~= 'done' then\n"
    "  local err = redis.call('HGET', KEYS[3], 'error') or ''\n"
    "  redis.call('LPUSH', KEYS[7], cjson.encode({job = ARGV[1], error = err, at = at}))\n"
    "  redis.call('LTRIM', KEYS[7], 0, 9999)\n"
    "end\n"
    "event(KEYS[8], ARGV[3], dev, '')\n"
    "return 1\n",
    ""};

/* KEYS: processing queue result   ARGV: job_raw uncount step
 * Returns 1, or 0 when the job was not in our list.  uncount "1" takes
 * the attempt back (it was cut short by us, not by the job). */
static struct rconn_script release_script = {"release",
    LUA_PRELUDE
    "if redis.call('LREM', KEYS[1], -1, ARGV[1]) == 0 then return 0 end\n"
    "redis.call('RPUSH', KEYS[2], ARGV[1])\n"
    "redis.call('HSET', KEYS[3], 'status', 'queued', 'step', ARGV[3])\n"
    "if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[3], 'attempts', -1) end\n"
    "redis.call('HDEL', KEYS[3], 'token', 'worker')\n"
    "return 1\n",
    ""};

/* KEYS: worker workers   ARGV: id ttl_ms info */
static struct rconn_script heartbeat_script = {"heartbeat",
    LUA_PRELUDE "redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])\n"
		"redis.call('ZADD', KEYS[2], now_ms(), ARGV[1])\n"
		"return 1\n",
    ""};

/* KEYS: sessions   ARGV: member limit lease_ms
 * Returns 1 when the slot is held, 0 when the budget is spent. */
static struct rconn_script session_script = {"session",
    LUA_PRELUDE
    "local now = now_ms()\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    "if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and\n"
    "   redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end\n"
    "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])\n"
    "return 1\n",
    ""};

static long long
int_reply(redisReply *r)
{
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	return -1;
}

enum queue_enqueue_result
queue_enqueue(struct rconn *rc, const char *prefix, const struct queue_alert *a)
{
	char dev[24], uuid[37], ttl[16], cd[16], *keys[8];
	const char *argv[16];
	redisReply *r;
	long long v;

	snprintf(dev, sizeof(dev), "%lld", (long long)a->device_id);
	util_uuid(uuid);
	keys[0] = xasprintf("%s:inflight", prefix);
	keys[1] = xasprintf("%s:queue", prefix);
	keys[2] = xasprintf("%s:result:%s", prefix, dev);
	keys[3] = xasprintf("%s:devices", prefix);
	keys[4] = xasprintf("%s:cooldown:%s", prefix, dev);
	keys[5] = xasprintf("%s:stats", prefix);
	keys[6] = xasprintf("%s:events", prefix);
	keys[7] = xasprintf("%s:alert:%s", prefix,
	    a->alert_id && a->seen_ttl_s > 0 ? a->alert_id : "-");
	for (int i = 0; i < 8; i++)
		argv[i] = keys[i];
	snprintf(ttl, sizeof(ttl), "%d", a->seen_ttl_s);
	argv[8] = dev;
	argv[9] = uuid;
	argv[10] = a->source ? a->source : "manual";
	argv[11] = a->alert_id ? a->alert_id : "";
	argv[12] = a->alert_json ? a->alert_json : "";
	argv[13] = a->device_name ? a->device_name : "";
	argv[14] = ttl;
	snprintf(cd, sizeof(cd), "%d", a->cooldown_s);
	argv[15] = cd;
	r = rconn_eval(rc, &enqueue_script, 8, 16, argv, NULL);
	v = int_reply(r);
	if (r != NULL)
		freeReplyObject(r);
	for (int i = 0; i < 8; i++)
		free(keys[i]);
	return v == 1   ? QUEUE_QUEUED
	       : v == 0 ? QUEUE_COALESCED
	       : v == 2 ? QUEUE_DUPLICATE
			: QUEUE_ERROR;
}

int
queue_heartbeat(
    struct rconn *rc, const char *prefix, const char *worker_id, int ttl_ms)
{
	char *k1 = xasprintf("%s:worker:%s", prefix, worker_id);
	char *k2 = xasprintf("%s:workers", prefix);
	char ttl[16], info[64];
	const char *argv[5] = {k1, k2, worker_id, ttl, info};
	redisReply *r;
	int ret;

	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	snprintf(info, sizeof(info), "pid=%ld", (long)getpid());
	r = rconn_eval(rc, &heartbeat_script, 2, 5, argv, NULL);
	ret = int_reply(r) == 1 ? 0 : -1;
	if (r != NULL)
		freeReplyObject(r);
	free(k1);
	free(k2);
	return ret;
}

int
queue_unregister(struct rconn *rc, const char *prefix, const char *worker_id)
{
	redisReply *r;
	int ret = 0;

	r = rconn_command(rc, "DEL %s:worker:%s", prefix, worker_id);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	r = rconn_command(rc, "ZREM %s:workers %s", prefix, worker_id);
	if (r == NULL)
		ret = -1;
	else
		freeReplyObject(r);
	return ret;
}

void
queue_job_release(struct queue_job *job)
{
	free(job->raw);
	json_decref(job->json);
	memset(job, 0, sizeof(*job));
}

/* Moves a job we cannot read out of our processing list into P:dead. */
static void
bury(struct rconn *rc, const char *prefix, const char *worker_id,
    const char *raw, size_t len)
{
	redisReply *r;

	log_warnx("dropping malformed job from the queue: %.200s", raw);
	r = rconn_command(
	    rc, "LREM %s:processing:%s -1 %b", prefix, worker_id, raw, len);
	if (r != NULL)
		freeReplyObject(r);
	r = rconn_command(rc, "LPUSH %s:dead %b", prefix, raw, len);
	if (r != NULL)
		freeReplyObject(r);
	queue_count(rc, prefix, "jobs_malformed", 1);
}

int
queue_claim(struct rconn *rc, const char *prefix, const char *worker_id,
    int timeout_s, struct queue_job *job)
{
	char dev[24], *keys[5];
	const char *argv[8];
	redisReply *r;
	json_t *j, *d, *src;
	json_error_t je;
	int ret = -1;

	memset(job, 0, sizeof(*job));
	/* The socket timeout must outlast the blocking wait. */
	rconn_set_timeout(rc, (timeout_s + 5) * 1000);
	r = rconn_command(rc, "BLMOVE %s:queue %s:processing:%s RIGHT LEFT %d",
	    prefix, prefix, worker_id, timeout_s);
	rconn_set_timeout(rc, 5000);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 0;
	}
	if (r->type != REDIS_REPLY_STRING) {
		log_warnx("BLMOVE: %s",
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		return -1;
	}
	j = json_loadb(r->str, r->len, 0, &je);
	d = json_object_get(j, "device_id");
	if (!json_is_integer(d) || json_integer_value(d) <= 0) {
		bury(rc, prefix, worker_id, r->str, r->len);
		json_decref(j);
		freeReplyObject(r);
		return 0;
	}
	job->raw = xstrndup(r->str, r->len);
	freeReplyObject(r);
	snprintf(job->worker, sizeof(job->worker), "%s", worker_id);
	job->json = j;
	job->device_id = json_integer_value(d);
	snprintf(job->id, sizeof(job->id), "%s",
	    json_string_value(json_object_get(j, "id"))
		? json_string_value(json_object_get(j, "id"))
		: "");
	if (json_is_integer(json_object_get(j, "cooldown_s")))
		job->cooldown_s =
		    (int)json_integer_value(json_object_get(j, "cooldown_s"));
	src = json_object_get(j, "source");
	snprintf(job->source, sizeof(job->source), "%s",
	    json_is_string(src) ? json_string_value(src) : "manual");

	snprintf(dev, sizeof(dev), "%lld", (long long)job->device_id);
	keys[0] = xasprintf("%s:processing:%s", prefix, worker_id);
	keys[1] = xasprintf("%s:result:%s", prefix, dev);
	keys[2] = xasprintf("%s:devices", prefix);
	keys[3] = xasprintf("%s:seq", prefix);
	keys[4] = xasprintf("%s:events", prefix);
	for (int i = 0; i < 5; i++)
		argv[i] = keys[i];
	argv[5] = job->raw;
	argv[6] = worker_id;
	argv[7] = dev;
	r = rconn_eval(rc, &start_script, 5, 8, argv, NULL);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		job->token = r->element[0]->integer;
		job->attempts = (int)r->element[1]->integer;
		ret = 1;
	} else if (r != NULL && r->type == REDIS_REPLY_INTEGER) {
		ret = 0; /* no longer ours */
	}
	if (r != NULL)
		freeReplyObject(r);
	for (int i = 0; i < 5; i++)
		free(keys[i]);
	if (ret != 1)
		queue_job_release(job);
	return ret;
}

/* Appends fields as field/value pairs to argv (values owned by *owned). */
static int
flatten(json_t *fields, const char **argv, int n, char **owned, int *nowned)
{
	const char *k;
	json_t *v;

	json_object_foreach(fields, k, v)
	{
		argv[n++] = k;
		if (json_is_string(v)) {
			argv[n++] = json_string_value(v);
		} else if (json_is_integer(v)) {
			owned[*nowned] =
			    xasprintf("%lld", (long long)json_integer_value(v));
			argv[n++] = owned[(*nowned)++];
		} else {
			owned[*nowned] =
			    json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			argv[n++] = owned[(*nowned)++];
		}
	}
	return n;
}

static int
write_fields(struct rconn *rc, struct rconn_script *s, int nkeys, char **keys,
    const char **head, int nhead, json_t *fields)
{
	size_t nf = fields ? json_object_size(fields) : 0;
	const char **argv =
	    xcalloc((size_t)nkeys + (size_t)nhead + 2 * nf + 1, sizeof(char *));
	char **owned = xcalloc(nf + 1, sizeof(char *));
	int n = 0, nowned = 0;
	long long v;
	redisReply *r;

	for (int i = 0; i < nkeys; i++)
		argv[n++] = keys[i];
	for (int i = 0; i < nhead; i++)
		argv[n++] = head[i];
	if (fields != NULL)
		n = flatten(fields, argv, n, owned, &nowned);
	r = rconn_eval(rc, s, nkeys, n, argv, NULL);
	v = int_reply(r);
	if (r != NULL)
		freeReplyObject(r);
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(argv);
	return v < 0 ? -1 : (int)v;
}

int
queue_update(struct rconn *rc, const char *prefix, const struct queue_job *job,
    json_t *fields)
{
	char dev[24], tok[24], *keys[2];
	const char *head[2] = {tok, dev};
	int ret;

	snprintf(dev, sizeof(dev), "%lld", (long long)job->device_id);
	snprintf(tok, sizeof(tok), "%lld", job->token);
	keys[0] = xasprintf("%s:result:%s", prefix, dev);
	keys[1] = xasprintf("%s:devices", prefix);
	ret = write_fields(rc, &update_script, 2, keys, head, 2, fields);
	free(keys[0]);
	free(keys[1]);
	return ret;
}

int
queue_complete(struct rconn *rc, const char *prefix,
    const struct queue_job *job, const char *status, json_t *fields,
    int cooldown_s)
{
	char dev[24], tok[24], cd[16], *keys[8];
	const char *head[5] = {job->raw, tok, status, cd, dev};
	int ret;

	snprintf(dev, sizeof(dev), "%lld", (long long)job->device_id);
	snprintf(tok, sizeof(tok), "%lld", job->token);
	snprintf(cd, sizeof(cd), "%d", cooldown_s);
	keys[0] = xasprintf("%s:processing:%s", prefix, job->worker);
	keys[1] = xasprintf("%s:inflight", prefix);
	keys[2] = xasprintf("%s:result:%s", prefix, dev);
	keys[3] = xasprintf("%s:devices", prefix);
	keys[4] = xasprintf("%s:cooldown:%s", prefix, dev);
	keys[5] = xasprintf("%s:stats", prefix);
	keys[6] = xasprintf("%s:dead", prefix);
	keys[7] = xasprintf("%s:events", prefix);
	ret = write_fields(rc, &complete_script, 8, keys, head, 5, fields);
	for (int i = 0; i < 8; i++)
		free(keys[i]);
	return ret;
}

static int
release_job(struct rconn *rc, const char *prefix, const struct queue_job *job,
    bool uncount, const char *step)
{
	char dev[24], *keys[3];
	const char *argv[6];
	redisReply *r;
	long long v;

	snprintf(dev, sizeof(dev), "%lld", (long long)job->device_id);
	keys[0] = xasprintf("%s:processing:%s", prefix, job->worker);
	keys[1] = xasprintf("%s:queue", prefix);
	keys[2] = xasprintf("%s:result:%s", prefix, dev);
	for (int i = 0; i < 3; i++)
		argv[i] = keys[i];
	argv[3] = job->raw;
	argv[4] = uncount ? "1" : "0";
	argv[5] = step;
	r = rconn_eval(rc, &release_script, 3, 6, argv, NULL);
	v = int_reply(r);
	if (r != NULL)
		freeReplyObject(r);
	for (int i = 0; i < 3; i++)
		free(keys[i]);
	return v < 0 ? -1 : (int)v;
}

int
queue_session_acquire(struct rconn *rc, const char *prefix, const char *member,
    int limit, int lease_ms)
{
	char *key = xasprintf("%s:sessions", prefix), lim[16], lease[16];
	const char *argv[4] = {key, member, lim, lease};
	redisReply *r;
	long long v;

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(lease, sizeof(lease), "%d", lease_ms);
	r = rconn_eval(rc, &session_script, 1, 4, argv, NULL);
	v = int_reply(r);
	if (r != NULL)
		freeReplyObject(r);
	free(key);
	return v < 0 ? -1 : (int)v;
}

int
queue_session_release(struct rconn *rc, const char *prefix, const char *member)
{
	redisReply *r =
	    rconn_command(rc, "ZREM %s:sessions %s", prefix, member);

	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
queue_release(struct rconn *rc, const char *prefix, const struct queue_job *job)
{
	return release_job(rc, prefix, job, true, "returned to the queue");
}

int
queue_recover(struct rconn *rc, const char *prefix, const char *worker_id)
{
	redisReply *r;
	int n = 0;

	r = rconn_command(
	    rc, "LRANGE %s:processing:%s 0 -1", prefix, worker_id);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	for (size_t i = 0; i < r->elements; i++) {
		struct queue_job job;
		json_t *j =
		    json_loadb(r->element[i]->str, r->element[i]->len, 0, NULL);
		json_t *d = json_object_get(j, "device_id");

		if (!json_is_integer(d)) {
			bury(rc, prefix, worker_id, r->element[i]->str,
			    r->element[i]->len);
			json_decref(j);
			continue;
		}
		memset(&job, 0, sizeof(job));
		job.raw = xstrndup(r->element[i]->str, r->element[i]->len);
		job.device_id = json_integer_value(d);
		snprintf(job.worker, sizeof(job.worker), "%s", worker_id);
		if (release_job(rc, prefix, &job, false,
			"recovered after its worker restarted") == 1) {
			log_info(
			    "recovered the job for device %lld left by an earlier %s",
			    (long long)job.device_id, worker_id);
			queue_count(rc, prefix, "jobs_recovered", 1);
			n++;
		}
		free(job.raw);
		json_decref(j);
	}
	freeReplyObject(r);
	return n;
}

void
queue_count(struct rconn *rc, const char *prefix, const char *name, long long n)
{
	redisReply *r =
	    rconn_command(rc, "HINCRBY %s:stats %s %lld", prefix, name, n);

	if (r != NULL)
		freeReplyObject(r);
}

int
queue_store_artifact(struct rconn *rc, const char *prefix, const void *data,
    size_t len, int ttl_s, char sha256hex[65])
{
	redisReply *r;
	int ret = -1;

	sha256_hex(data, len, sha256hex);
	r = rconn_command(rc, "SET %s:artifact:%s %b EX %d", prefix, sha256hex,
	    data, len, ttl_s);
	if (r != NULL && r->type == REDIS_REPLY_STATUS)
		ret = 0;
	else if (r != NULL)
		log_warnx("storing artifact %s: %s", sha256hex,
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	if (r != NULL)
		freeReplyObject(r);
	return ret;
}
