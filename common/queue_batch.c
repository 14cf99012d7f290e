/* queue_batch.c - the enqueue script pipelined (see queue_batch.h).
 *
 * The keys and arguments are those queue_enqueue() sends (enqueue.lua's
 * KEYS and ARGV): the script is the one source of the semantics, this
 * file only changes how the calls travel. */
#include "queue_batch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scripts.h"
#include "util.h"
#include "xmalloc.h"

#define NKEYS 9
#define NHEAD 3               /* EVALSHA sha numkeys */
#define NARGS (NHEAD + 9 + 8) /* then the keys, then 8 arguments */

static struct rconn_script enqueue_script = {"enqueue", lua_enqueue, ""};

/* One call's arguments, and the strings it owns. */
struct call {
	char *keys[NKEYS];
	char dev[24], uuid[37], ttl[16], cd[16];
	const char *argv[NARGS];
};

static void
call_fill(struct call *c, const char *prefix, const struct queue_alert *a)
{
	const char **v = c->argv + NHEAD;

	snprintf(c->dev, sizeof(c->dev), "%lld", (long long)a->device_id);
	util_uuid(c->uuid);
	c->keys[0] = xasprintf("%s:inflight", prefix);
	c->keys[1] = xasprintf("%s:queue", prefix);
	c->keys[2] = xasprintf("%s:result:%s", prefix, c->dev);
	c->keys[3] = xasprintf("%s:devices", prefix);
	c->keys[4] = xasprintf("%s:cooldown:%s", prefix, c->dev);
	c->keys[5] = xasprintf("%s:stats", prefix);
	c->keys[6] = xasprintf("%s:events", prefix);
	c->keys[7] = xasprintf("%s:alert:%s", prefix,
	    a->alert_id && a->seen_ttl_s > 0 ? a->alert_id : "-");
	c->keys[8] = xasprintf("%s:runs:%s", prefix, c->dev);
	for (int i = 0; i < NKEYS; i++)
		v[i] = c->keys[i];
	snprintf(c->ttl, sizeof(c->ttl), "%d", a->seen_ttl_s);
	snprintf(c->cd, sizeof(c->cd), "%d", a->cooldown_s);
	v[9] = c->dev;
	v[10] = c->uuid;
	v[11] = a->source ? a->source : "manual";
	v[12] = a->alert_id ? a->alert_id : "";
	v[13] = a->alert_json ? a->alert_json : "";
	v[14] = a->device_name ? a->device_name : "";
	v[15] = c->ttl;
	v[16] = c->cd;
	c->argv[0] = "EVALSHA";
	c->argv[1] = NULL; /* the SHA, set when sent */
	c->argv[2] = "9";
}

static void
call_release(struct call *c)
{
	for (int i = 0; i < NKEYS; i++)
		free(c->keys[i]);
}

static bool
is_noscript(const redisReply *r)
{
	return r != NULL && r->type == REDIS_REPLY_ERROR &&
	       strncmp(r->str, "NOSCRIPT", 8) == 0;
}

/* The script's answer as a result (as queue_enqueue() reads it). */
static enum queue_enqueue_result
result_of(const redisReply *r)
{
	long long v = queue_int_reply(r);

	return v == 1   ? QUEUE_QUEUED
	       : v == 0 ? QUEUE_COALESCED
	       : v == 2 ? QUEUE_DUPLICATE
			: QUEUE_ERROR;
}

/* Runs the calls not answered yet (replies[i] NULL) as one pipeline, in
 * their order; those answered NOSCRIPT (the script cache was flushed: they
 * did not run) once more after a load.  Returns the number of leading
 * calls answered. */
static int
run_calls(struct rconn *rc, struct call *calls, int m, redisReply **replies)
{
	const char *const **argv = xcalloc((size_t)m, sizeof(*argv));
	redisReply **got = xcalloc((size_t)m, sizeof(*got));
	int *argc = xcalloc((size_t)m, sizeof(*argc)), *idx, k, j, known;
	bool reload = false;
	char sha[41];

	idx = xcalloc((size_t)m, sizeof(*idx));
	for (int loads = 0; loads < 3; loads++) {
		if (rconn_script_sha(rc, &enqueue_script, reload, sha) == -1)
			break;
		for (j = k = 0; j < m; j++)
			if (replies[j] == NULL) {
				calls[j].argv[1] = sha;
				idx[k] = j;
				argv[k] = calls[j].argv;
				argc[k++] = NARGS;
			}
		if (k == 0)
			break;
		j = rconn_pipeline(rc, k, argc, argv, got);
		for (int i = 0; i < j; i++)
			replies[idx[i]] = got[i];
		if (j < k)
			break;
		for (j = k = 0; j < m; j++)
			if (is_noscript(replies[j])) {
				freeReplyObject(replies[j]);
				replies[j] = NULL;
				k++;
			}
		if (k == 0)
			break;
		reload = true;
	}
	for (known = 0; known < m && replies[known] != NULL; known++)
		if (replies[known]->type == REDIS_REPLY_ERROR &&
		    strncmp(replies[known]->str, "OOM", 3) != 0)
			log_warnx("script enqueue: %s", replies[known]->str);
	free(idx);
	free(argc);
	free(got);
	free(argv);
	return known;
}

/* One pipeline of m <= QUEUE_BATCH_MAX alerts.  Returns the leading
 * results known (m when all are). */
static size_t
batch_once(struct rconn *rc, const char *prefix, const struct queue_alert *a,
    size_t m, enum queue_enqueue_result *res)
{
	struct call *calls = xcalloc(m, sizeof(*calls));
	redisReply **replies = xcalloc(m, sizeof(*replies));
	size_t known = 0;
	int got;

	for (size_t i = 0; i < m; i++)
		call_fill(&calls[i], prefix, &a[i]);
	got = run_calls(rc, calls, (int)m, replies);
	for (size_t i = 0; i < m; i++) {
		res[i] = result_of(replies[i]);
		/* Known means answered with a result: an error reply (OOM,
		 * a script error) leaves the alert to be sent again. */
		if (known == i && (int)i < got && res[i] != QUEUE_ERROR)
			known++;
		if (replies[i] != NULL)
			freeReplyObject(replies[i]);
		call_release(&calls[i]);
	}
	free(replies);
	free(calls);
	return known;
}

size_t
queue_enqueue_batch(struct rconn *rc, const char *prefix,
    const struct queue_alert *a, size_t n, enum queue_enqueue_result *res)
{
	size_t done = 0, m, k;

	for (size_t i = 0; i < n; i++)
		res[i] = QUEUE_ERROR;
	while (done < n) {
		m = n - done < QUEUE_BATCH_MAX ? n - done : QUEUE_BATCH_MAX;
		k = batch_once(rc, prefix, a + done, m, res + done);
		done += k;
		if (k < m) {
			/* Past the first unknown, nothing counts as known:
			 * the caller sends from there again, in order. */
			for (size_t i = done; i < n; i++)
				res[i] = QUEUE_ERROR;
			break;
		}
	}
	return done;
}
