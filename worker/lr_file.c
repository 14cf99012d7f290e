/* lr_file.c - files through Live Response: "get file" and the content
 * download, "delete file", and command lines run into output files that
 * are fetched and deleted (several at once: lr_outputs_*), on any back
 * end. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lr.h"
#include "lr_backend.h"
#include "util.h"
#include "xmalloc.h"

/* The content of the file a completed "get file" (cmd) on path fetched,
 * into out (or memory when out is NULL): r holds the answer on 0.  The
 * cloud's copy is removed whatever happened.  0 or -1 (error set). */
static int
lr_fetch_content(struct lr *lr, const char *sid, const char *path, json_t *cmd,
    size_t max, FILE *out, struct cbhttp_resp *r)
{
	char file_id[128];
	int rc;

	memset(r, 0, sizeof(*r));
	if (lr->be->file_id(json_object_get(cmd, "_submitted"), cmd, file_id,
		sizeof(file_id)) == -1)
		return lr_fail(lr, LR_EPROTO,
		    "Carbon Black Cloud did not say where the fetched file %s is",
		    path);
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
		return -1;
	}
	if (r->status != 200) {
		lr_fail(lr,
		    r->status == 404              ? LR_ENOTFOUND
		    : cbhttp_transient(r->status) ? LR_ETRANSIENT
						  : LR_EPROTO,
		    "could not download %s: HTTP %ld", path, r->status);
		cbhttp_resp_release(r);
		return -1;
	}
	return 0;
}

/* "get file" on path, then its content as lr_fetch_content(). */
static int
lr_fetch(struct lr *lr, const char *sid, const char *path, size_t max,
    FILE *out, struct cbhttp_resp *r)
{
	json_t *cmd;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((cmd = lr_command(lr, sid, "get file", path, NULL)) == NULL)
		return -1;
	ret = lr_fetch_content(lr, sid, path, cmd, max, out, r);
	json_decref(cmd);
	return ret;
}

/* Takes the body of r: NUL-terminated, *len bytes (caller frees). */
static char *
lr_body(struct cbhttp_resp *r, size_t *len)
{
	char *data = r->body != NULL ? r->body : xstrdup("");

	*len = r->body != NULL ? r->len : 0;
	r->body = NULL;
	cbhttp_resp_release(r);
	return data;
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
	*data = lr_body(&r, len);
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

/* One output of a batch. */
struct lr_output {
	const char *cmdline; /* borrowed */
	char *path;          /* c:\windows\temp\cblr.<12 alnum>.tmp */
	struct lr_cmd *cmd;  /* the create, then the get, then the delete */
	bool created;        /* the create was sent */
	bool got;            /* the create completed, the get was sent */
	char *data;          /* the bytes, or NULL */
	size_t len;
	enum lr_errkind kind; /* of the error, LR_OK if none */
	char *err;
};

struct lr_outputs {
	char *sid; /* owned */
	struct lr_output *v;
	size_t n;
};

/* Records lr's error as output u's, unless it has one. */
static void
lr_output_error(struct lr *lr, struct lr_output *u)
{
	if (u->kind != LR_OK)
		return;
	u->kind = lr->errkind != LR_OK ? lr->errkind : LR_EPROTO;
	u->err = xstrdup(lr->err);
}

struct lr_outputs *
lr_outputs_send(
    struct lr *lr, const char *sid, const char *const *cmdlines, size_t n)
{
	struct lr_outputs *o = xcalloc(1, sizeof(*o));
	char rnd[13];

	o->sid = xstrdup(sid);
	o->n = n;
	o->v = xcalloc(n + 1, sizeof(*o->v));
	for (size_t i = 0; i < n; i++) {
		struct lr_output *u = &o->v[i];
		json_t *extra;

		u->cmdline = cmdlines[i];
		util_random_alnum(rnd, 12);
		u->path = xasprintf("c:\\windows\\temp\\cblr.%s.tmp", rnd);
		extra =
		    json_pack("{s:b,s:s}", "wait", 1, "output_file", u->path);
		u->cmd = lr_send(lr, sid, "create process", u->cmdline, extra);
		json_decref(extra);
		if (u->cmd == NULL)
			lr_output_error(lr, u);
		/* A create whose answer never came may still have run. */
		u->created = u->cmd != NULL || lr->maybe_acted;
	}
	return o;
}

/* Waits for output u's create, and sends its get once it completed. */
static void
lr_output_created(struct lr *lr, struct lr_outputs *o, struct lr_output *u)
{
	json_t *res;

	if (u->cmd == NULL)
		return;
	res = lr_await(lr, u->cmd);
	u->cmd = NULL;
	if (res == NULL) {
		lr_output_error(lr, u);
		return;
	}
	json_decref(res);
	if ((u->cmd = lr_send(lr, o->sid, "get file", u->path, NULL)) == NULL)
		lr_output_error(lr, u);
	u->got = u->cmd != NULL;
}

/* Waits for output u's get and downloads the file. */
static void
lr_output_fetched(
    struct lr *lr, struct lr_outputs *o, struct lr_output *u, size_t max)
{
	struct cbhttp_resp r;
	json_t *cmd;

	if (!u->got)
		return;
	cmd = lr_await(lr, u->cmd);
	u->cmd = NULL;
	if (cmd == NULL ||
	    lr_fetch_content(lr, o->sid, u->path, cmd, max, NULL, &r) == -1)
		lr_output_error(lr, u);
	else
		u->data = lr_body(&r, &u->len);
	json_decref(cmd);
}

/* The worker is stopping: sends the delete of every file whose delete
 * was not sent, whatever the stop flag says, without waiting for them
 * (the device runs them before the session's close; waiting for each
 * behind the commands queued before it could outlast the shutdown). */
static void
lr_outputs_force(struct lr *lr, struct lr_outputs *o)
{
	volatile sig_atomic_t *stop = lr->stop;
	enum lr_errkind kind = lr->errkind;
	char err[sizeof(lr->err)];

	snprintf(err, sizeof(err), "%s", lr->err);
	lr->stop = NULL;
	cbhttp_set_stop(lr->http, NULL);
	for (size_t i = 0; i < o->n; i++) {
		struct lr_output *u = &o->v[i];

		if (!u->created || u->cmd != NULL)
			continue;
		log_info(
		    "session %s: deleting %s before stopping", o->sid, u->path);
		if ((u->cmd = lr_send(
			 lr, o->sid, "delete file", u->path, NULL)) == NULL)
			log_warnx("session %s: could not delete %s: %s", o->sid,
			    u->path, lr->err);
	}
	lr->stop = stop;
	cbhttp_set_stop(lr->http, stop);
	lr->errkind = kind;
	snprintf(lr->err, sizeof(lr->err), "%s", err);
}

int
lr_outputs_fetch(struct lr *lr, struct lr_outputs *o, size_t max)
{
	char err[sizeof(lr->err)] = "";
	enum lr_errkind kind = LR_OK;
	size_t i;

	for (i = 0; i < o->n; i++)
		lr_output_created(lr, o, &o->v[i]);
	for (i = 0; i < o->n; i++) {
		struct lr_output *u = &o->v[i];

		lr_output_fetched(lr, o, u, max);
		if (kind == LR_OK && u->kind != LR_OK &&
		    (u->kind == LR_ESTOPPED || u->kind == LR_EGONE)) {
			kind = u->kind;
			snprintf(err, sizeof(err), "%s", u->err);
		}
		/* The file may be there whatever failed: remove it. */
		if (u->created && !lr_stopping(lr) && kind != LR_EGONE)
			u->cmd =
			    lr_send(lr, o->sid, "delete file", u->path, NULL);
	}
	if (kind != LR_EGONE && lr_stopping(lr))
		lr_outputs_force(lr, o);
	if (kind == LR_OK && lr_stopping(lr))
		return lr_fail(lr, LR_ESTOPPED,
		    "the worker shut down while running commands");
	if (kind != LR_OK)
		return lr_fail(lr, kind, "%s", err);
	return 0;
}

void
lr_outputs_finish(struct lr *lr, struct lr_outputs *o)
{
	char err[sizeof(lr->err)];
	enum lr_errkind kind = lr->errkind;

	if (o == NULL)
		return;
	/* The deletes' outcome is only logged: the error stays the job's. */
	snprintf(err, sizeof(err), "%s", lr->err);
	for (size_t i = 0; i < o->n; i++) {
		struct lr_output *u = &o->v[i];
		json_t *res;

		if (u->cmd == NULL)
			continue;
		if (lr_stopping(lr)) { /* sent: the device runs it */
			lr_cmd_free(lr, u->cmd);
			u->cmd = NULL;
			continue;
		}
		if ((res = lr_await(lr, u->cmd)) == NULL && u->got)
			log_warnx("session %s: could not delete %s: %s", o->sid,
			    u->path, lr->err);
		u->cmd = NULL;
		json_decref(res);
	}
	lr->errkind = kind;
	snprintf(lr->err, sizeof(lr->err), "%s", err);
}

int
lr_outputs_get(const struct lr_outputs *o, size_t i, const char **data,
    size_t *len, enum lr_errkind *kind, const char **err)
{
	const struct lr_output *u = &o->v[i];

	*data = u->data;
	*len = u->len;
	*kind = u->kind;
	*err = u->err != NULL ? u->err : "";
	return u->kind == LR_OK && u->data != NULL ? 0 : -1;
}

void
lr_outputs_free(struct lr *lr, struct lr_outputs *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++) {
		lr_cmd_free(lr, o->v[i].cmd);
		free(o->v[i].path);
		free(o->v[i].data);
		free(o->v[i].err);
	}
	free(o->v);
	free(o->sid);
	free(o);
}

int
lr_run_output(struct lr *lr, const char *sid, const char *cmdline, size_t max,
    char **data, size_t *len)
{
	struct lr_outputs *o = lr_outputs_send(lr, sid, &cmdline, 1);
	int ret = lr_outputs_fetch(lr, o, max);

	lr_outputs_finish(lr, o);
	if (ret == 0 && o->v[0].kind != LR_OK)
		ret = lr_fail(lr, o->v[0].kind, "%s", o->v[0].err);
	*data = NULL;
	*len = 0;
	if (ret == 0) {
		*data = o->v[0].data;
		*len = o->v[0].len;
		o->v[0].data = NULL;
	}
	lr_outputs_free(lr, o);
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
