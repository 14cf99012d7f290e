/* inbox.c - manual collection requests from P:requests (see inbox.h).
 *
 * Reply shapes (Redis 7): XREADGROUP -> nil (nothing came) or
 * [[key, [[id, [field, value, ...] or nil when deleted], ...]]];
 * XAUTOCLAIM -> [next-id, [[id, fields], ...], [deleted ids]]. */
#include "inbox.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"
#include "util.h"
#include "xmalloc.h"

struct inbox {
	struct rconn *rc; /* borrowed */
	char *prefix;
	char *key;            /* P:requests */
	bool have_group;      /* XGROUP CREATE done */
	int64_t next_reclaim; /* util_mono_ms() of the next pending pass */
};

struct inbox *
inbox_new(struct rconn *rc, const char *prefix)
{
	struct inbox *in = xcalloc(1, sizeof(*in));

	in->rc = rc;
	in->prefix = xstrdup(prefix);
	in->key = xasprintf("%s:requests", prefix);
	return in;
}

void
inbox_free(struct inbox *in)
{
	if (in == NULL)
		return;
	free(in->prefix);
	free(in->key);
	free(in);
}

/* Creates the group (from the start of the stream, so requests made
 * before any poller ran are read too).  0 or -1. */
static int
ensure_group(struct inbox *in)
{
	redisReply *r;
	int ret = -1;

	if (in->have_group)
		return 0;
	r = rconn_command(
	    in->rc, "XGROUP CREATE %s %s 0 MKSTREAM", in->key, INBOX_GROUP);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STATUS ||
	    (r->type == REDIS_REPLY_ERROR &&
		strncmp(r->str, "BUSYGROUP", 9) == 0))
		ret = 0;
	else
		log_warnx("creating the group %s of %s: %s", INBOX_GROUP,
		    in->key, r->type == REDIS_REPLY_ERROR ? r->str : "?");
	freeReplyObject(r);
	in->have_group = ret == 0;
	return ret;
}

static int
ack(struct inbox *in, const char *id)
{
	redisReply *r =
	    rconn_command(in->rc, "XACK %s %s %s", in->key, INBOX_GROUP, id);
	int ret = r != NULL && r->type == REDIS_REPLY_INTEGER ? 0 : -1;

	if (r != NULL)
		freeReplyObject(r);
	return ret;
}

/* The value of field name in a [field, value, ...] reply, or NULL. */
static const char *
field(const redisReply *f, const char *name)
{
	for (size_t i = 0; f != NULL && i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, name) == 0)
			return f->element[i + 1]->str;
	return NULL;
}

/* One entry [id, fields]: 1 handled, 0 skipped (acked), -1 stop. */
static int
take(struct inbox *in, const redisReply *e, inbox_fn *fn, void *arg)
{
	const redisReply *fields;
	struct inbox_request q;
	const char *dev;
	int r;

	if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING)
		return 0;
	q.id = e->element[0]->str;
	fields =
	    e->element[1]->type == REDIS_REPLY_ARRAY ? e->element[1] : NULL;
	dev = field(fields, "device_id");
	if (fields == NULL || dev == NULL ||
	    util_parse_device_id(dev, &q.device_id) == -1) {
		if (fields != NULL) {
			log_warnx(
			    "skipping collect request %s: '%.40s' is not a device id",
			    q.id, dev ? dev : "");
			queue_count(
			    in->rc, in->prefix, "requests_malformed", 1);
		}
		return ack(in, q.id) == 0 ? 0 : -1;
	}
	q.who = field(fields, "who") ? field(fields, "who") : "-";
	q.at = field(fields, "at") ? field(fields, "at") : "";
	if ((r = fn(arg, &q)) == -1)
		return -1;
	return ack(in, q.id) == 0 ? 1 : -1;
}

/* Handles every entry of an array of [id, fields]; count or -1. */
static int
take_all(struct inbox *in, const redisReply *list, inbox_fn *fn, void *arg)
{
	int n = 0, r;

	for (size_t i = 0; list != NULL && list->type == REDIS_REPLY_ARRAY &&
			   i < list->elements;
	     i++) {
		if ((r = take(in, list->element[i], fn, arg)) == -1)
			return -1;
		n += r;
	}
	return n;
}

/* Reads with XREADGROUP from id ("0": our pending, ">": new). */
static int
read_group(struct inbox *in, const char *id, int block_ms, inbox_fn *fn,
    void *arg, int *got)
{
	redisReply *r;
	int n;
	char count[16], block[16];

	snprintf(count, sizeof(count), "%d", INBOX_BATCH);
	snprintf(block, sizeof(block), "%d", block_ms);
	if (block_ms > 0)
		r = rconn_command(in->rc,
		    "XREADGROUP GROUP %s %s COUNT %s BLOCK %s STREAMS %s %s",
		    INBOX_GROUP, INBOX_CONSUMER, count, block, in->key, id);
	else
		r = rconn_command(in->rc,
		    "XREADGROUP GROUP %s %s COUNT %s STREAMS %s %s",
		    INBOX_GROUP, INBOX_CONSUMER, count, in->key, id);
	*got = 0;
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ERROR) {
		if (strncmp(r->str, "NOGROUP", 7) == 0)
			in->have_group = false; /* the stream was deleted */
		else
			log_warnx("reading %s: %s", in->key, r->str);
		freeReplyObject(r);
		return -1;
	}
	n = 0;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2) {
		const redisReply *list = r->element[0]->element[1];

		*got = (int)list->elements;
		n = take_all(in, list, fn, arg);
	}
	freeReplyObject(r);
	return n;
}

/* Our own pending entries, then other consumers' idle ones. */
static int
reclaim(struct inbox *in, inbox_fn *fn, void *arg)
{
	int n = 0, r, got;
	char start[64] = "0-0", idle[16], count[16];

	/* our own: read from 0 until nothing is left (each pass acks what
	 * it takes, so the next pass starts on the rest) */
	for (int pass = 0; pass < 100; pass++) {
		if ((r = read_group(in, "0", 0, fn, arg, &got)) == -1)
			return -1;
		n += r;
		if (got == 0)
			break;
	}
	snprintf(idle, sizeof(idle), "%d", INBOX_IDLE_MS);
	snprintf(count, sizeof(count), "%d", INBOX_BATCH);
	for (int pass = 0; pass < 100; pass++) {
		redisReply *c = rconn_command(in->rc,
		    "XAUTOCLAIM %s %s %s %s %s COUNT %s", in->key, INBOX_GROUP,
		    INBOX_CONSUMER, idle, start, count);

		if (c == NULL || c->type != REDIS_REPLY_ARRAY ||
		    c->elements < 2 ||
		    c->element[0]->type != REDIS_REPLY_STRING) {
			if (c != NULL)
				freeReplyObject(c);
			return -1;
		}
		if ((r = take_all(in, c->element[1], fn, arg)) == -1) {
			freeReplyObject(c);
			return -1;
		}
		n += r;
		snprintf(start, sizeof(start), "%s", c->element[0]->str);
		freeReplyObject(c);
		if (strcmp(start, "0-0") == 0)
			break;
	}
	return n;
}

int
inbox_poll(struct inbox *in, int block_ms, inbox_fn *fn, void *arg)
{
	int n = 0, r, got;

	if (ensure_group(in) == -1)
		return -1;
	if (util_mono_ms() >= in->next_reclaim) {
		if ((r = reclaim(in, fn, arg)) == -1)
			return -1;
		n += r;
		in->next_reclaim = util_mono_ms() + INBOX_RECLAIM_MS;
	}
	if ((r = read_group(in, ">", block_ms, fn, arg, &got)) == -1) {
		in->next_reclaim = 0; /* what was read is pending: again */
		return -1;
	}
	return n + r;
}
