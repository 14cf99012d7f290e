/* histfile.c - one browser History file, fetched from a device.
 *
 * A running browser holds its History open, and "get file" then fails
 * with a sharing violation (HRESULT 0x80070020; the sensor's exact words
 * are not known, so the Windows words count too).  The file is then copied
 * with cmd.exe's copy, which opens it with the sharing the browser allows,
 * to c:\windows\temp\cblr.<12 alnum>.tmp (the name cbapi gives its own
 * temporary files); the copy is fetched, then deleted whatever happened,
 * unless the session is gone (the caller deletes it in the next one). */
#include "histfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chrome.h"
#include "log.h"
#include "lr_force.h"
#include "sha256.h"
#include "util.h"
#include "xmalloc.h"

/* True if the last failure means the job stops here: the worker stops,
 * or the cloud dropped the session. */
static bool
histfile_stopped(const struct histfile_job *j)
{
	enum lr_errkind k = lr_errkind(j->lr);

	return k == LR_ESTOPPED || k == LR_EGONE;
}

/* Sets the entry's error (and logs it), printf-style. */
static void histfile_error(const struct histfile_job *j, json_t *entry,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
histfile_error(
    const struct histfile_job *j, json_t *entry, const char *fmt, ...)
{
	va_list ap;
	json_t *msg;

	va_start(ap, fmt);
	msg = json_vsprintf(fmt, ap);
	va_end(ap);
	log_warnx(
	    "device %" PRId64 ": %s", j->device_id, json_string_value(msg));
	json_object_set_new(entry, "error", msg);
}

/* Deletes the copy at dst; when the session is gone it cannot be, and
 * dst goes to *leftover (else it is freed). */
static void
histfile_delete(struct histfile_job *j, char *dst, char **leftover)
{
	bool stopping = j->o->stop != NULL && *j->o->stop;
	int r;

	if (lr_errkind(j->lr) != LR_EGONE) {
		r = lr_force_delete_file(j->lr, j->sid, dst);
		/* The stop came while the delete ran: once more, forced. */
		if (r == -1 && !stopping && lr_errkind(j->lr) == LR_ESTOPPED)
			r = lr_force_delete_file(j->lr, j->sid, dst);
		if (r == 0) {
			free(dst);
			return;
		}
	}
	if (lr_errkind(j->lr) == LR_EGONE) {
		*leftover = dst;
		return;
	}
	/* A copy that failed may have made no file: nothing to delete. */
	if (lr_errkind(j->lr) == LR_ECOMMAND &&
	    profiles_not_found(lr_error(j->lr)))
		log_debug("device %" PRId64 ": no copy %s to delete",
		    j->device_id, dst);
	else
		log_warnx("device %" PRId64
			  ": could not delete the copy %s: %s",
		    j->device_id, dst, lr_error(j->lr));
	free(dst);
}

/* Copies the locked file at path with cmd.exe, fetches the copy into f
 * and deletes it.  0 (fetched), 1 (not: error in entry), -1 (the job
 * stops; lr's error says why). */
static int
histfile_copy(struct histfile_job *j, const char *path, const char *what,
    FILE *f, size_t *len, json_t *entry, char **leftover)
{
	char rnd[13], *dst, *cmd, code[64];
	json_t *extra, *res, *rc;
	int ret = 1;

	util_random_alnum(rnd, 12);
	dst = xasprintf("%s\\cblr.%s.tmp", HISTFILE_TEMP_DIR, rnd);
	if ((cmd = profiles_copy_command(path, dst)) == NULL) {
		histfile_error(j, entry,
		    "the %s is in use by the browser, and its path cannot be put safely on a command line to copy it",
		    what);
		free(dst);
		return 1;
	}
	log_info("device %" PRId64 ": the %s is in use; copying it to %s",
	    j->device_id, what, dst);
	extra = json_pack("{s:b}", "wait", 1);
	res = lr_command(j->lr, j->sid, "create process", cmd, extra);
	json_decref(extra);
	free(cmd);
	if (res == NULL) {
		if (histfile_stopped(j))
			ret = -1;
		else
			histfile_error(j, entry,
			    "the %s is in use by the browser, and copying it failed: %s",
			    what, lr_error(j->lr));
		goto out_delete;
	}
	rc = json_object_get(res, "return_code");
	if (json_is_integer(rc) && json_integer_value(rc) != 0) {
		snprintf(code, sizeof(code), "exit code %" JSON_INTEGER_FORMAT,
		    json_integer_value(rc));
		histfile_error(j, entry,
		    "the %s is in use by the browser, and copying it failed (%s)",
		    what, code);
		json_decref(res);
		goto out_delete;
	}
	json_decref(res);
	if (lr_get_file_to(j->lr, j->sid, dst, j->o->max_file_size, f, len) ==
	    -1) {
		if (histfile_stopped(j))
			ret = -1;
		else
			histfile_error(j, entry,
			    "could not fetch the copy of the %s: %s", what,
			    lr_error(j->lr));
		goto out_delete;
	}
	json_object_set_new(entry, "copied", json_true());
	ret = 0;
out_delete:
	histfile_delete(j, dst, leftover);
	return ret;
}

/* Fetches path into f, through a copy when it is locked.  0, 1 or -1 as
 * histfile_copy(). */
static int
histfile_fetch_to(struct histfile_job *j, const char *path, const char *what,
    FILE *f, size_t *len, json_t *entry, char **leftover)
{
	if (lr_get_file_to(j->lr, j->sid, path, j->o->max_file_size, f, len) ==
	    0)
		return 0;
	if (histfile_stopped(j))
		return -1;
	if (lr_errkind(j->lr) == LR_ECOMMAND &&
	    profiles_sharing_violation(lr_error(j->lr)))
		return histfile_copy(j, path, what, f, len, entry, leftover);
	histfile_error(
	    j, entry, "could not fetch the %s: %s", what, lr_error(j->lr));
	return 1;
}

/* Parses the fetched file at tmp into entry, within what is left of the
 * job's budget. */
static void
histfile_parse(
    struct histfile_job *j, const char *tmp, const char *what, json_t *entry)
{
	struct chrome_limits lim;
	size_t left =
	    j->used < HISTFILE_JOB_BUDGET ? HISTFILE_JOB_BUDGET - j->used : 0;
	char err[300];
	long used;

	chrome_limits_default(&lim);
	if (left < lim.budget) {
		lim.budget = left;
		lim.budget_what = "for one collection";
	}
	used = chrome_history_file(tmp, &lim, entry, err, sizeof(err));
	if (used > 0)
		j->used += (size_t)used;
	if (err[0] != '\0')
		histfile_error(j, entry, "%s %s", what, err);
}

json_t *
histfile_fetch(struct histfile_job *j, const char *user,
    const struct profiles_browser *b, const char *profile, char **leftover)
{
	char *path = profiles_history_path(user, b, profile), *what;
	char sha[65], tmp[512] = "";
	json_t *entry;
	size_t len = 0;
	FILE *f;
	int r;

	*leftover = NULL;
	what = xasprintf("%s History file of %s (%s)", b->what, user, profile);
	entry = json_pack("{s:s,s:s,s:s,s:s}", "user", user, "browser", b->name,
	    "profile", profile, "path", path);
	/* The file goes to a temporary file, never whole into memory. */
	if ((f = util_tmpfile(tmp, sizeof(tmp))) == NULL) {
		histfile_error(j, entry, "no temporary file for the %s: %s",
		    what, strerror(errno));
		goto out;
	}
	if ((r = histfile_fetch_to(j, path, what, f, &len, entry, leftover)) ==
	    -1) {
		json_decref(entry);
		entry = NULL;
		goto out;
	}
	if (r == 1)
		goto out;
	json_object_set_new(entry, "size", json_integer((json_int_t)len));
	if (j->sink->store(j->sink->arg, f, sha) == 0) {
		json_object_set_new(entry, "artifact",
		    json_sprintf("%s:artifact:%s", j->o->prefix, sha));
	} else {
		if (sha256_file(f, sha) == -1)
			snprintf(sha, sizeof(sha), "unknown");
		log_warnx("device %" PRId64 ": could not store the %s",
		    j->device_id, what);
	}
	json_object_set_new(entry, "sha256", json_string(sha));
	fclose(f); /* the parse may rewrite the header of our copy */
	f = NULL;
	histfile_parse(j, tmp, what, entry);
out:
	if (f != NULL)
		fclose(f);
	if (tmp[0] != '\0')
		unlink(tmp);
	free(what);
	free(path);
	return entry;
}
