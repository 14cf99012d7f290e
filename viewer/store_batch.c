/* store_batch.c - commands on the viewer's Redis connection (store.h):
 * batches, whose replies reach one callback as JSON, and raw commands,
 * whose string reply is handed over as bytes.  Every command sent is
 * counted as pending until its reply, for the watchdog (store.c). */
#include "store_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* One command of a batch; hiredis's privdata for its reply. */
struct store_cmd {
	struct store_batch *batch; /* back pointer */
	size_t idx;                /* reply slot */
	size_t off, len;           /* its protocol text in batch->out */
};

struct store_batch {
	struct store *s;
	store_done_fn *done;
	void *arg;
	struct store_cmd *cmds; /* owned */
	size_t ncmds, cap;
	char *out; /* every command in Redis's protocol, one after another */
	size_t used, outcap;
	json_t *replies; /* array, one slot per command */
	size_t waiting;  /* replies still to come */
	bool failed;     /* a command was lost */
};

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

/* Appends n bytes of p to the batch's protocol text. */
static void
out_add(struct store_batch *b, const char *p, size_t n)
{
	if (b->used + n > b->outcap) {
		while (b->used + n > b->outcap)
			b->outcap = b->outcap ? b->outcap * 2 : 1024;
		b->out = xrealloc(b->out, b->outcap);
	}
	memcpy(b->out + b->used, p, n);
	b->used += n;
}

/* Appends "<prefix><n>\r\n". */
static void
out_len(struct store_batch *b, char prefix, size_t n)
{
	char buf[32];
	size_t i = sizeof(buf);

	buf[--i] = '\n';
	buf[--i] = '\r';
	do
		buf[--i] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	buf[--i] = prefix;
	out_add(b, buf + i, sizeof(buf) - i);
}

/* A new command at the end of the batch, its text to follow in b->out;
 * cmd_end() closes it. */
static struct store_cmd *
cmd_begin(struct store_batch *b)
{
	struct store_cmd *c;

	if (b->ncmds == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->cmds = xrealloc(b->cmds, b->cap * sizeof(*b->cmds));
	}
	c = &b->cmds[b->ncmds];
	c->batch = b;
	c->idx = b->ncmds++;
	c->off = b->used;
	return c;
}

static void
cmd_end(struct store_batch *b, struct store_cmd *c)
{
	c->len = b->used - c->off;
	json_array_append_new(b->replies, json_null());
}

/* The command is written in Redis's protocol at once (what hiredis would
 * format when sending it), so a batch of many small commands costs one
 * growing buffer, not a copy of every argument. */
void
store_batch_add(struct store_batch *b, const char *arg0, ...)
{
	struct store_cmd *c;
	const char *a;
	va_list ap;
	size_t n = 0;

	va_start(ap, arg0);
	for (a = arg0; a != NULL; a = va_arg(ap, const char *))
		n++;
	va_end(ap);
	c = cmd_begin(b);
	out_len(b, '*', n);
	va_start(ap, arg0);
	for (a = arg0; a != NULL; a = va_arg(ap, const char *)) {
		size_t len = strlen(a);

		out_len(b, '$', len);
		out_add(b, a, len);
		out_add(b, "\r\n", 2);
	}
	va_end(ap);
	cmd_end(b, c);
}

void
store_batch_reserve(struct store_batch *b, size_t ncmds, size_t bytes)
{
	if (b->cap < ncmds) {
		b->cap = ncmds;
		b->cmds = xrealloc(b->cmds, b->cap * sizeof(*b->cmds));
	}
	if (b->outcap < bytes) {
		b->outcap = bytes;
		b->out = xrealloc(b->out, b->outcap);
	}
}

void
store_batch_add_text(struct store_batch *b, const char *proto, size_t len)
{
	struct store_cmd *c = cmd_begin(b);

	out_add(b, proto, len);
	cmd_end(b, c);
}

static void
store_batch_free(struct store_batch *b)
{
	free(b->cmds);
	free(b->out);
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
		if (reply != NULL &&
		    ((redisReply *)reply)->type == REDIS_REPLY_ERROR)
			store_check_error(s, ((redisReply *)reply)->str);
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

		if (redisAsyncFormattedCommand(s->ac, store_on_reply, c,
			b->out + c->off, c->len) != REDIS_OK) {
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
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			store_check_error(s, r->str);
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
