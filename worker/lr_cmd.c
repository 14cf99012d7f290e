/* lr_cmd.c - Live Response commands and files, on any back end.
 *
 * A command is submitted, then polled every half second until it is
 * complete, its deadline passes or the worker stops; the session is kept
 * alive meanwhile.  A submit whose answer is lost is looked up in the
 * session's commands rather than sent twice, and a 404 on a command route
 * says the cloud dropped the session. */
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

json_t *
lr_command(struct lr *lr, const char *sid, const char *name, const char *arg,
    json_t *extra)
{
	int64_t deadline, left;
	json_t *sub, *cmd = NULL;
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
	deadline = util_mono_ms() + (int64_t)lr->command_timeout_s * 1000;
	cmd = json_incref(sub);
	for (;;) {
		enum lr_state state = lr_command_state(cmd);

		if (state == LR_STATE_COMPLETE)
			break;
		if (state == LR_STATE_ERROR) {
			lr_command_failed(lr, name, arg, cmd);
			goto fail;
		}
		if (state == LR_STATE_CANCELLED) {
			lr_fail(lr, LR_ECOMMAND, "%s was cancelled", name);
			goto fail;
		}
		if ((left = deadline - util_mono_ms()) <= 0) {
			lr_fail(lr, LR_ETIMEOUT,
			    "%s did not complete within %d s", name,
			    lr->command_timeout_s);
			goto fail;
		}
		lr_wait(lr,
		    left < lr->command_poll_ms ? left : lr->command_poll_ms);
		lr_keepalive(lr, sid);
		if (lr_stopping(lr)) {
			lr_fail(lr, LR_ESTOPPED,
			    "the worker shut down during %s", name);
			goto fail;
		}
		json_decref(cmd);
		if ((cmd = lr->be->command_get(lr, sid, id)) == NULL) {
			lr_gone(lr, sid);
			goto fail;
		}
	}
	/* Keep what the submit answer said that the poll may not repeat
	 * (v3 "get file" gives file_id only there). */
	json_object_set(cmd, "_submitted", sub);
	json_decref(sub);
	return cmd;
fail:
	json_decref(cmd);
	json_decref(sub);
	return NULL;
}

/* "get file" on path, then its content into out (or memory when out is
 * NULL): r holds the answer on 0.  0 or -1 (error set). */
static int
lr_fetch(struct lr *lr, const char *sid, const char *path, size_t max,
    FILE *out, struct cbhttp_resp *r)
{
	char file_id[128];
	json_t *cmd;
	int rc, ret = -1;

	memset(r, 0, sizeof(*r));
	if ((cmd = lr_command(lr, sid, "get file", path, NULL)) == NULL)
		return -1;
	if (lr->be->file_id(json_object_get(cmd, "_submitted"), cmd, file_id,
		sizeof(file_id)) == -1) {
		lr_fail(lr, LR_EPROTO,
		    "Carbon Black Cloud did not say where the fetched file %s is",
		    path);
		goto out;
	}
	rc = lr->be->file_content(lr, sid, file_id, max, out, r);
	/* The cloud's copy is no longer needed, whatever happened. */
	if (lr->be->file_delete != NULL)
		lr->be->file_delete(lr, sid, file_id);
	if (rc == -1) {
		if (r->too_large)
			lr_fail(lr, LR_ETOOLARGE,
			    "%s is larger than the %zu-byte limit (--max-file-size)",
			    path, max);
		else
			lr_fail(lr, LR_ETRANSIENT, "could not download %s: %s",
			    path, r->err);
		cbhttp_resp_release(r);
		goto out;
	}
	if (r->status != 200) {
		lr_fail(lr,
		    r->status == 404              ? LR_ENOTFOUND
		    : cbhttp_transient(r->status) ? LR_ETRANSIENT
						  : LR_EPROTO,
		    "could not download %s: HTTP %ld", path, r->status);
		cbhttp_resp_release(r);
		goto out;
	}
	ret = 0;
out:
	json_decref(cmd);
	return ret;
}

int
lr_get_file(struct lr *lr, const char *sid, const char *path, size_t max,
    char **data, size_t *len)
{
	struct cbhttp_resp r;

	*data = NULL;
	*len = 0;
	if (lr_fetch(lr, sid, path, max, NULL, &r) == -1)
		return -1;
	/* Take the body: it is NUL-terminated and ours once detached. */
	*data = r.body != NULL ? r.body : xstrdup("");
	*len = r.body != NULL ? r.len : 0;
	r.body = NULL;
	cbhttp_resp_release(&r);
	return 0;
}

int
lr_get_file_to(struct lr *lr, const char *sid, const char *path, size_t max,
    FILE *out, size_t *len)
{
	struct cbhttp_resp r;

	*len = 0;
	if (lr_fetch(lr, sid, path, max, out, &r) == -1)
		return -1;
	*len = r.len;
	cbhttp_resp_release(&r);
	return 0;
}

int
lr_delete_file(struct lr *lr, const char *sid, const char *path)
{
	json_t *cmd = lr_command(lr, sid, "delete file", path, NULL);

	json_decref(cmd);
	return cmd != NULL ? 0 : -1;
}

int
lr_run_output(struct lr *lr, const char *sid, const char *cmdline, size_t max,
    char **data, size_t *len)
{
	char rnd[13], *out_path, err[sizeof(lr->err)];
	enum lr_errkind kind;
	json_t *extra, *cmd;
	bool created;
	int ret = -1;

	*data = NULL;
	*len = 0;
	util_random_alnum(rnd, 12);
	out_path = xasprintf("c:\\windows\\temp\\cblr.%s.tmp", rnd);
	extra = json_pack("{s:b,s:s}", "wait", 1, "output_file", out_path);
	cmd = lr_command(lr, sid, "create process", cmdline, extra);
	json_decref(extra);
	if ((created = cmd != NULL)) {
		json_decref(cmd);
		ret = lr_get_file(lr, sid, out_path, max, data, len);
	}
	/* The file may be there whatever failed: remove it, keeping the
	 * error that matters. */
	kind = lr->errkind;
	snprintf(err, sizeof(err), "%s", lr->err);
	if (kind != LR_ESTOPPED && lr_delete_file(lr, sid, out_path) == -1 &&
	    created)
		log_warnx("session %s: could not delete %s: %s", sid, out_path,
		    lr->err);
	if (ret == -1)
		lr_fail(lr, kind, "%s", err);
	free(out_path);
	return ret;
}

json_t *
lr_process_list(struct lr *lr, const char *sid)
{
	json_t *cmd, *procs;

	if ((cmd = lr_command(lr, sid, "process list", NULL, NULL)) == NULL)
		return NULL;
	procs = lr->be->processes(cmd);
	if (!json_is_array(procs)) {
		lr_fail(lr, LR_EPROTO,
		    "process list came back without a list of processes");
		json_decref(cmd);
		return NULL;
	}
	json_incref(procs);
	json_decref(cmd);
	return procs;
}
