/* queue.c - the job lifecycle (design §2 steps 1-6) and result writes.
 *
 * Each multi-key change is one Lua script (common/lua/), with the time
 * from redis.call('TIME'), so a worker's clock cannot skew state.  The
 * claim is one script too (move and start together); a blocking command
 * cannot run in a script, so an idle worker waits with a BLMOVE of the
 * queue onto itself, which moves nothing and so cannot lose anything if
 * its answer is lost. */
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "queue_batch.h"
#include "scripts.h"
#include "sha256.h"
#include "util.h"
#include "xmalloc.h"

/* Artifacts go to Redis a chunk at a time, never whole in memory. */
#define ARTIFACT_CHUNK (1024 * 1024)

static struct rconn_script claim_script = {"claim", lua_claim, ""};
static struct rconn_script update_script = {"update", lua_update, ""};
static struct rconn_script complete_script = {"complete", lua_complete, ""};
static struct rconn_script defer_script = {"defer", lua_defer, ""};
static struct rconn_script release_script = {"release", lua_release, ""};

long long
queue_int_reply(const redisReply *r)
{
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	return -1;
}

/* One alert is a batch of one: the keys and arguments are built in one
 * place (queue_batch.c). */
enum queue_enqueue_result
queue_enqueue(struct rconn *rc, const char *prefix, const struct queue_alert *a)
{
	enum queue_enqueue_result res = QUEUE_ERROR;

	return queue_enqueue_batch(rc, prefix, a, 1, &res) == 1 ? res
								: QUEUE_ERROR;
}

void
queue_job_release(struct queue_job *job)
{
	free(job->raw);
	free(job->claim);
	json_decref(job->json);
	memset(job, 0, sizeof(*job));
}

/* Fills job from the claim script's answer {1, token, attempts, envelope}.
 * 0, or -1 when the answer is not one. */
static int
claim_parse(redisReply *r, const char *worker_id, struct queue_job *job)
{
	const char *env, *at;
	json_t *j, *src, *t;

	if (r->elements != 4 || r->element[1]->type != REDIS_REPLY_INTEGER ||
	    r->element[2]->type != REDIS_REPLY_INTEGER ||
	    r->element[3]->type != REDIS_REPLY_STRING)
		return -1;
	env = r->element[3]->str;
	/* The script built the envelope: the job is after ,"job": */
	if ((at = strstr(env, ",\"job\":")) == NULL)
		return -1;
	job->claim = xstrndup(env, r->element[3]->len);
	job->raw = xstrndup(at + 7, strlen(at + 7) - 1);
	job->token = r->element[1]->integer;
	job->attempts = (int)r->element[2]->integer;
	snprintf(job->worker, sizeof(job->worker), "%s", worker_id);
	j = job->json = json_loads(job->raw, 0, NULL);
	job->device_id = json_integer_value(json_object_get(j, "device_id"));
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
	t = json_object_get(j, "enqueued_at");
	if (!json_is_string(t) ||
	    util_parse_iso8601(json_string_value(t), &job->enqueued_ms) == -1)
		job->enqueued_ms = 0;
	return job->device_id > 0 ? 0 : -1;
}

/* One run of the claim script.  1 (job filled), 0 (nothing), -1. */
static int
claim_once(struct rconn *rc, const char *prefix, const char *worker_id,
    struct queue_job *job)
{
	static const char *const names[8] = {"queue", "processing:", "retry",
	    "seq", "events", "stats", "dead", "devices"};
	char *keys[8];
	const char *argv[10];
	redisReply *r;
	int ret = -1;

	for (int i = 0; i < 8; i++) {
		keys[i] = i == 1
			      ? xasprintf("%s:processing:%s", prefix, worker_id)
			      : xasprintf("%s:%s", prefix, names[i]);
		argv[i] = keys[i];
	}
	argv[8] = worker_id;
	argv[9] = prefix;
	r = rconn_eval(rc, &claim_script, 8, 10, argv, NULL);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY) {
		if (r->elements == 0)
			ret = 0;
		else if (r->element[0]->type == REDIS_REPLY_INTEGER &&
			 r->element[0]->integer == 0) {
			log_warnx(
			    "dropped a malformed job from the queue (in %s:dead)",
			    prefix);
			ret = 0;
		} else if (claim_parse(r, worker_id, job) == 0)
			ret = 1;
		else {
			log_warnx("claim: unexpected answer from Redis");
			queue_job_release(job);
		}
	}
	if (r != NULL)
		freeReplyObject(r);
	for (int i = 0; i < 8; i++)
		free(keys[i]);
	return ret;
}

int
queue_claim(struct rconn *rc, const char *prefix, const char *worker_id,
    int timeout_s, struct queue_job *job)
{
	redisReply *r;
	int ret;

	memset(job, 0, sizeof(*job));
	if ((ret = claim_once(rc, prefix, worker_id, job)) != 0 ||
	    timeout_s <= 0)
		return ret;
	/* Empty: wait for a job without taking it.  Moving the tail of the
	 * queue onto its own tail changes nothing, so a lost answer loses
	 * nothing.  The socket timeout must outlast the blocking wait. */
	rconn_set_timeout(rc, (timeout_s + 5) * 1000);
	r = rconn_command(rc, "BLMOVE %s:queue %s:queue RIGHT RIGHT %d", prefix,
	    prefix, timeout_s);
	rconn_set_timeout(rc, 5000);
	if (r == NULL)
		return -1;
	ret = r->type == REDIS_REPLY_STRING ? 1
	      : r->type == REDIS_REPLY_NIL  ? 0
					    : -1;
	if (ret == -1 && !(r->type == REDIS_REPLY_ERROR &&
			     strncmp(r->str, "OOM", 3) == 0)) /* said once */
		log_warnx("BLMOVE: %s",
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	freeReplyObject(r);
	if (ret != 1)
		return ret;
	return claim_once(rc, prefix, worker_id, job);
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

/* Runs script s with keys, then head, then fields as field/value pairs.
 * Returns the script's integer, or -1. */
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
	v = queue_int_reply(r);
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
	const char *head[5] = {job->claim, tok, status, cd, dev};
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

int
queue_defer(struct rconn *rc, const char *prefix, const struct queue_job *job,
    int64_t delay_ms, const char *reason, json_t *fields)
{
	char dev[24], tok[24], delay[24], *keys[6];
	const char *head[5] = {job->claim, tok, dev, delay, reason};
	int ret;

	snprintf(dev, sizeof(dev), "%lld", (long long)job->device_id);
	snprintf(tok, sizeof(tok), "%lld", job->token);
	snprintf(delay, sizeof(delay), "%lld",
	    (long long)(delay_ms > 0 ? delay_ms : 0));
	keys[0] = xasprintf("%s:processing:%s", prefix, job->worker);
	keys[1] = xasprintf("%s:retry", prefix);
	keys[2] = xasprintf("%s:result:%s", prefix, dev);
	keys[3] = xasprintf("%s:devices", prefix);
	keys[4] = xasprintf("%s:stats", prefix);
	keys[5] = xasprintf("%s:events", prefix);
	ret = write_fields(rc, &defer_script, 6, keys, head, 5, fields);
	for (int i = 0; i < 6; i++)
		free(keys[i]);
	return ret;
}

int
queue_release(struct rconn *rc, const char *prefix, const struct queue_job *job)
{
	char dev[24], *keys[3];
	const char *head[2] = {"1", "returned to the queue"};
	int ret;

	snprintf(dev, sizeof(dev), "%lld", (long long)job->device_id);
	keys[0] = xasprintf("%s:processing:%s", prefix, job->worker);
	keys[1] = xasprintf("%s:queue", prefix);
	keys[2] = xasprintf("%s:result:%s", prefix, dev);
	{
		const char *argv[6] = {
		    keys[0], keys[1], keys[2], job->claim, head[0], head[1]};
		redisReply *r =
		    rconn_eval(rc, &release_script, 3, 6, argv, NULL);

		ret = (int)queue_int_reply(r);
		if (r != NULL)
			freeReplyObject(r);
	}
	for (int i = 0; i < 3; i++)
		free(keys[i]);
	return ret;
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

/* Runs a command that must answer +OK or an integer; 0 or -1. */
static int
ok_command(redisReply *r)
{
	int ret = r != NULL && (r->type == REDIS_REPLY_STATUS ||
				   r->type == REDIS_REPLY_INTEGER)
		      ? 0
		      : -1;

	if (r != NULL)
		freeReplyObject(r);
	return ret;
}

int
queue_store_artifact_file(struct rconn *rc, const char *prefix, FILE *f,
    int ttl_s, char sha256hex[65])
{
	char *buf, *part;
	redisReply *r;
	size_t n;
	int ret = -1, exists;

	if (sha256_file(f, sha256hex) == -1)
		return -1;
	/* Content-addressed: present already means stored already. */
	r = rconn_command(
	    rc, "EXPIRE %s:artifact:%s %d", prefix, sha256hex, ttl_s);
	exists = r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	if (r != NULL)
		freeReplyObject(r);
	if (exists)
		return 0;
	/* A chunk at a time into a key of our own, renamed once whole: a
	 * reader never sees half a file, and a crash leaves only a key that
	 * expires. */
	part = xasprintf(
	    "%s:artifact:%s.part.%ld", prefix, sha256hex, (long)getpid());
	buf = xmalloc(ARTIFACT_CHUNK);
	rewind(f);
	if (ok_command(rconn_command(
		rc, "SET %s %b EX %d", part, "", (size_t)0, ttl_s)) == -1)
		goto out;
	while ((n = fread(buf, 1, ARTIFACT_CHUNK, f)) > 0)
		if (ok_command(
			rconn_command(rc, "APPEND %s %b", part, buf, n)) == -1)
			goto out;
	if (ferror(f) ||
	    ok_command(rconn_command(
		rc, "RENAME %s %s:artifact:%s", part, prefix, sha256hex)) == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1) {
		log_warnx("storing artifact %s failed", sha256hex);
		r = rconn_command(rc, "DEL %s", part);
		if (r != NULL)
			freeReplyObject(r);
	}
	free(buf);
	free(part);
	return ret;
}
