/* lr_cmd.c - Live Response commands and files, on any back end.
 *
 * A command is submitted (lr_send), then polled (lr_await) until it is
 * complete, its deadline passes or the worker stops; the session is kept
 * alive meanwhile.  When to poll is lr_poll.c's.  Commands a job will
 * need can be sent ahead (lr_send_ahead): the device works on them while
 * the job waits for others, and lr_command() takes them up.  A submit
 * whose answer is lost is looked up in the session's commands rather
 * than sent twice, and a 404 on a command route says the cloud dropped
 * the session.  Files are in lr_file.c. */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lr.h"
#include "lr_backend.h"
#include "util.h"
#include "xmalloc.h"

enum lr_state
lr_command_state(json_t *cmd)
{
	const char *status = json_string_value(json_object_get(cmd, "status"));

	if (status == NULL)
		return LR_STATE_UNKNOWN;
	if (util_strieq(status, "complete"))
		return LR_STATE_COMPLETE;
	if (util_strieq(status, "error"))
		return LR_STATE_ERROR;
	if (util_strieq(status, "cancel") || util_strieq(status, "cancelled") ||
	    util_strieq(status, "canceled"))
		return LR_STATE_CANCELLED;
	return LR_STATE_PENDING;
}

int
lr_command_id(json_t *cmd, long long *id)
{
	json_t *v = json_object_get(cmd, "id");

	/* Id 0 is the first command of every session: test the type, never
	 * the value. */
	if (!json_is_integer(v))
		return -1;
	*id = json_integer_value(v);
	return 0;
}

void
lr_command_reason(json_t *cmd, char *buf, size_t size)
{
	const char *desc =
	    json_string_value(json_object_get(cmd, "result_desc"));
	json_t *code = json_object_get(cmd, "result_code");
	char hex[32] = "";

	if (json_is_integer(code))
		snprintf(hex, sizeof(hex), " (0x%08X)",
		    (uint32_t)json_integer_value(code));
	snprintf(
	    buf, size, "%s%s", desc && *desc ? desc : "no reason given", hex);
}

/* Sets the error for a command that ended with status "error". */
static int
lr_command_failed(struct lr *lr, const char *name, const char *arg, json_t *cmd)
{
	char why[300];

	lr_command_reason(cmd, why, sizeof(why));
	return lr_fail(lr, LR_ECOMMAND, "%s%s%s failed on the device: %s", name,
	    arg ? " " : "", arg ? arg : "", why);
}

/* A 404 on a session's command route: the cloud dropped the session
 * (idle timeout, closed elsewhere). */
static void
lr_gone(struct lr *lr, const char *sid)
{
	if (lr->errkind == LR_ENOTFOUND)
		lr_fail(lr, LR_EGONE,
		    "Carbon Black Cloud closed Live Response session %s (HTTP 404)",
		    sid);
}

/* Whether the cloud's echo o of a command's argument is the argument a we
 * sent.  Windows paths compare without case, and the echo is not known to
 * keep our separators: the SDK's recorded answers show "C:\\\\test.txt"
 * for C:\test.txt (fixture v6_command_get_file_complete.json), so runs
 * of '\\' and '/' count as one separator. */
bool
lr_same_object(const char *o, const char *a)
{
	for (;;) {
		bool so = *o == '\\' || *o == '/', sa = *a == '\\' || *a == '/';

		if (so != sa)
			return false;
		if (so) {
			while (*o == '\\' || *o == '/')
				o++;
			while (*a == '\\' || *a == '/')
				a++;
			continue;
		}
		if (tolower((unsigned char)*o) != tolower((unsigned char)*a))
			return false;
		if (*o == '\0')
			return true;
		o++;
		a++;
	}
}

/* The newest command of the session named name on arg, from the
 * session's command list (new reference), or NULL. */
static json_t *
lr_command_find(
    struct lr *lr, const char *sid, const char *name, const char *arg)
{
	json_t *list, *c, *found = NULL;
	size_t i;

	if (lr->be->command_list == NULL ||
	    (list = lr->be->command_list(lr, sid)) == NULL)
		return NULL;
	json_array_foreach(list, i, c)
	{
		const char *n = json_string_value(json_object_get(c, "name"));
		const char *o = json_string_value(json_object_get(c, "object"));

		if (o == NULL)
			o = json_string_value(json_object_get(c, "path"));
		if (n != NULL && util_strieq(n, name) &&
		    (arg == NULL || (o != NULL && lr_same_object(o, arg)))) {
			json_decref(found);
			found = json_incref(c);
		}
	}
	json_decref(list);
	return found;
}

/* Submits a command.  When the answer is lost after the cloud may have
 * queued it, the session's commands say whether it did: running net.exe
 * or fetching a file twice is not harmless.  Not found there, it was not
 * queued, and is sent once more. */
static json_t *
lr_submit(struct lr *lr, const char *sid, const char *name, const char *arg,
    json_t *extra)
{
	json_t *sub = lr->be->command_submit(lr, sid, name, arg, extra);
	char err[sizeof(lr->err)];
	enum lr_errkind kind;

	if (sub != NULL || !lr->maybe_acted) {
		if (sub == NULL)
			lr_gone(lr, sid);
		return sub;
	}
	kind = lr->errkind;
	snprintf(err, sizeof(err), "%s", lr->err);
	log_warnx(
	    "session %s: the answer to %s was lost; looking for it in the session's commands",
	    sid, name);
	if ((sub = lr_command_find(lr, sid, name, arg)) != NULL) {
		log_info("session %s: %s was queued; following it", sid, name);
		return sub;
	}
	if (lr->errkind != LR_OK) {
		/* The list failed too: say what went wrong first. */
		lr_fail(lr, kind, "%s", err);
		return NULL;
	}
	log_info("session %s: %s was not queued; sending it again", sid, name);
	if ((sub = lr->be->command_submit(lr, sid, name, arg, extra)) == NULL)
		lr_gone(lr, sid);
	return sub;
}

struct lr_cmd {
	char *sid, *name, *arg; /* owned copies */
	json_t *sub;            /* the submit's answer */
	long long id;
	int64_t submit_ms;   /* util_mono_ms() when it was sent */
	int64_t start_ms;    /* when the device likely starts it: after
			      the commands sent before it */
	long long seq;       /* lr->ncommands once it was sent */
	struct lr_cmd *next; /* in lr->ahead */
};

struct lr_cmd *
lr_send(struct lr *lr, const char *sid, const char *name, const char *arg,
    json_t *extra)
{
	struct lr_cmd *c;
	int64_t t0 = util_mono_ms();
	json_t *sub;
	long long id;

	if (lr_stopping(lr)) {
		lr_fail(
		    lr, LR_ESTOPPED, "the worker shut down before %s", name);
		return NULL;
	}
	if ((sub = lr_submit(lr, sid, name, arg, extra)) == NULL)
		return NULL;
	lr->ncommands++;
	lr->keepalive_ms = util_mono_ms(); /* a command resets the idle timer */
	if (lr_command_id(sub, &id) == -1) {
		lr_fail(lr, LR_EPROTO,
		    "Carbon Black Cloud did not give %s a command id", name);
		json_decref(sub);
		return NULL;
	}
	log_debug("session %s: %s is command %lld", sid, name, id);
	c = xcalloc(1, sizeof(*c));
	c->sid = xstrdup(sid);
	c->name = xstrdup(name);
	c->arg = arg != NULL ? xstrdup(arg) : NULL;
	c->sub = sub;
	c->id = id;
	c->submit_ms = t0;
	/* A sensor runs a session's commands in order. */
	c->start_ms = lr->queue_ms > t0 ? lr->queue_ms : t0;
	lr->queue_ms = c->start_ms + lr_poll_estimate(lr, name);
	c->seq = lr->ncommands;
	lr->outstanding++;
	return c;
}

void
lr_cmd_free(struct lr *lr, struct lr_cmd *c)
{
	if (c == NULL)
		return;
	if (lr->outstanding > 0 && --lr->outstanding == 0)
		lr->queue_ms = 0; /* nothing queued: the next starts at once */
	json_decref(c->sub);
	free(c->sid);
	free(c->name);
	free(c->arg);
	free(c);
}

/* Why a command that is no longer pending did not complete: 0 when it
 * completed, else -1 with the error set. */
static int
lr_settled(struct lr *lr, const struct lr_cmd *c, json_t *cmd)
{
	switch (lr_command_state(cmd)) {
	case LR_STATE_COMPLETE:
		return 0;
	case LR_STATE_ERROR:
		return lr_command_failed(lr, c->name, c->arg, cmd);
	case LR_STATE_CANCELLED:
		return lr_fail(lr, LR_ECOMMAND, "%s was cancelled", c->name);
	default:
		return 1;
	}
}

json_t *
lr_await(struct lr *lr, struct lr_cmd *c)
{
	struct lr_poll p;
	json_t *cmd;
	int64_t deadline, now = util_mono_ms(), left, wait;
	int r;

	if (c == NULL)
		return NULL;
	/* A command queued behind others starts when they are done: its
	 * time counts from then, as far as this worker can tell. */
	deadline = (c->submit_ms > now ? c->submit_ms : now) +
		   (int64_t)lr->command_timeout_s * 1000;
	lr_poll_start(lr, &p, c->name, c->start_ms, c->submit_ms, c->seq);
	cmd = json_incref(c->sub);
	while ((r = lr_settled(lr, c, cmd)) == 1) {
		if ((left = deadline - util_mono_ms()) <= 0) {
			lr_fail(lr, LR_ETIMEOUT,
			    "%s did not complete within %d s", c->name,
			    lr->command_timeout_s);
			goto fail;
		}
		wait = lr_poll_next(lr, &p);
		lr_wait(lr, left < wait ? left : wait);
		lr_keepalive(lr, c->sid);
		if (lr_stopping(lr)) {
			lr_fail(lr, LR_ESTOPPED,
			    "the worker shut down during %s", c->name);
			goto fail;
		}
		json_decref(cmd);
		p.sent_ms = util_mono_ms();
		if ((cmd = lr->be->command_get(lr, c->sid, c->id)) == NULL) {
			lr_gone(lr, c->sid);
			goto fail;
		}
	}
	lr_poll_done(lr, &p);
	if (r == -1)
		goto fail;
	/* Keep what the submit answer said that the poll may not repeat
	 * (v3 "get file" gives file_id only there). */
	json_object_set(cmd, "_submitted", c->sub);
	lr_cmd_free(lr, c);
	return cmd;
fail:
	json_decref(cmd);
	lr_cmd_free(lr, c);
	return NULL;
}

int
lr_send_ahead(struct lr *lr, const char *sid, const char *name, const char *arg,
    json_t *extra)
{
	struct lr_cmd *c = lr_send(lr, sid, name, arg, extra), **pp;

	if (c == NULL) {
		log_debug("session %s: could not send %s ahead: %s", sid, name,
		    lr->err);
		return -1;
	}
	for (pp = &lr->ahead; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c; /* in the order sent */
	return 0;
}

/* Takes the command sent ahead on sid as name on arg, or NULL. */
static struct lr_cmd *
lr_ahead_take(struct lr *lr, const char *sid, const char *name, const char *arg)
{
	struct lr_cmd **pp, *c;

	for (pp = &lr->ahead; (c = *pp) != NULL; pp = &c->next)
		if (strcmp(c->sid, sid) == 0 && strcmp(c->name, name) == 0 &&
		    ((arg == NULL && c->arg == NULL) ||
			(arg != NULL && c->arg != NULL &&
			    strcmp(arg, c->arg) == 0))) {
			*pp = c->next;
			c->next = NULL;
			return c;
		}
	return NULL;
}

void
lr_ahead_drop(struct lr *lr)
{
	struct lr_cmd *c;

	while ((c = lr->ahead) != NULL) {
		lr->ahead = c->next;
		log_debug(
		    "session %s: %s sent ahead, not needed", c->sid, c->name);
		lr_cmd_free(lr, c);
	}
	lr->outstanding = 0;
	lr->queue_ms = 0;
}

json_t *
lr_command(struct lr *lr, const char *sid, const char *name, const char *arg,
    json_t *extra)
{
	struct lr_cmd *c = lr_ahead_take(lr, sid, name, arg);

	if (c != NULL)
		return lr_await(lr, c);
	return lr_await(lr, lr_send(lr, sid, name, arg, extra));
}
