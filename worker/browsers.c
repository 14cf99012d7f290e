/* browsers.c - every user's browser History, through Live Response.
 *
 * One "directory list" for C:\Users, one per user and browser for its
 * "User Data" folder (a browser never used has none: no entry, no error),
 * then one "get file" per profile (plus a copy, its fetch and its delete
 * when the browser holds the file open).  Nothing the listings show
 * absent is asked for.  Limits keep a device with many users or profiles
 * within one session's command budget and one result's size; what they
 * leave out is logged. */
#include "browsers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

/* Commands one History file may take: get file, or copy, get, delete. */
#define BROWSERS_FILE_COMMANDS 4

/* What the limits left out, for one warning at the end. */
struct browsers_skips {
	size_t files;    /* History files past BROWSERS_MAX_FILES */
	size_t commands; /* listings and files past the session budget */
	size_t profiles; /* profiles past BROWSERS_MAX_PROFILES */
};

json_t *
browsers_list(struct lr *lr, const char *sid, const char *dir)
{
	json_t *cmd, *files;

	if ((cmd = lr_command(lr, sid, "directory list", dir, NULL)) == NULL)
		return NULL;
	files = json_object_get(cmd, "files");
	files = json_is_array(files) ? json_incref(files) : json_array();
	json_decref(cmd);
	return files;
}

json_t *
browsers_profiles(struct lr *lr, const char *sid, const char *user,
    const struct profiles_browser *b, size_t *skipped)
{
	char *dir = profiles_user_data_path(user, b), *pattern;
	json_t *files, *profiles;

	*skipped = 0;
	pattern = xasprintf("%s\\*", dir);
	files = browsers_list(lr, sid, pattern);
	free(pattern);
	free(dir);
	if (files == NULL) {
		/* No such folder: the browser was never used. */
		if (lr_errkind(lr) == LR_ECOMMAND &&
		    profiles_not_found(lr_error(lr)))
			return json_array();
		return NULL;
	}
	profiles =
	    profiles_browser_profiles(files, BROWSERS_MAX_PROFILES, skipped);
	json_decref(files);
	return profiles;
}

/* After a failure: a new session if the cloud dropped this one.  0 when
 * the step can run again. */
static int
browsers_reopen(struct browsers_job *j)
{
	const char *sid;

	if (lr_errkind(j->f.lr) != LR_EGONE || j->reopen(j->arg, &sid) == -1)
		return -1;
	j->f.sid = sid;
	j->cmds0 = lr_commands(j->f.lr);
	return 0;
}

/* True if n more commands fit in the session's budget. */
static bool
browsers_room(const struct browsers_job *j, long long n)
{
	return lr_commands(j->f.lr) - j->cmds0 + n <= BROWSERS_SESSION_COMMANDS;
}

/* True if a failure will not pass by itself: the device refused, or the
 * answer made no sense. */
static bool
browsers_permanent(enum lr_errkind k)
{
	return k == LR_ENOTFOUND || k == LR_EAUTH || k == LR_EPROTO ||
	       k == LR_ECOMMAND || k == LR_ETOOLARGE;
}

json_t *
browsers_users(struct browsers_job *j, json_t *logged_in, json_t **users)
{
	json_t *files, *scan, *u;
	size_t i;

	*users = NULL;
	if (j->step(j->arg, "user folders") == -1)
		return NULL;
	files = browsers_list(j->f.lr, j->f.sid, BROWSERS_USERS_DIR);
	if (files == NULL && browsers_reopen(j) == 0)
		files = browsers_list(j->f.lr, j->f.sid, BROWSERS_USERS_DIR);
	if (files != NULL) {
		scan = profiles_user_folders(files, BROWSERS_MAX_USERS);
		json_decref(files);
	} else if (browsers_permanent(lr_errkind(j->f.lr))) {
		log_warnx(
		    "device %" PRId64
		    ": could not list the user folders (%s); looking at the logged-in users only",
		    j->f.device_id, lr_error(j->f.lr));
		scan = json_array();
		json_array_foreach(logged_in, i, u)
		{
			if (collect_user_ok(json_string_value(u)))
				json_array_append(scan, u);
		}
	} else
		return NULL;
	*users = profiles_users(scan, logged_in);
	return scan;
}

/* Fetches one History file, in a new session if the cloud dropped this
 * one (deleting first the copy the old one could not).  NULL when the
 * job cannot go on. */
static json_t *
browsers_file(struct browsers_job *j, const char *user,
    const struct profiles_browser *b, const char *profile)
{
	char *leftover = NULL;
	json_t *entry;

	entry = histfile_fetch(&j->f, user, b, profile, &leftover);
	if (entry == NULL && browsers_reopen(j) == 0) {
		if (leftover != NULL &&
		    lr_delete_file(j->f.lr, j->f.sid, leftover) == -1)
			log_warnx("device %" PRId64 ": could not delete %s: %s",
			    j->f.device_id, leftover, lr_error(j->f.lr));
		free(leftover);
		leftover = NULL;
		entry = histfile_fetch(&j->f, user, b, profile, &leftover);
	}
	if (leftover != NULL)
		log_warnx(
		    "device %" PRId64
		    ": the copy %s is left on the device (the session was lost)",
		    j->f.device_id, leftover);
	free(leftover);
	return entry;
}

/* Every History file of one user.  0 or -1. */
static int
browsers_user(struct browsers_job *j, const char *user, json_t *history,
    struct browsers_skips *sk)
{
	char *step = xasprintf("history %s", user);
	json_t *profiles, *p, *entry;
	size_t bi, i, more;
	int ret = -1;

	if (j->step(j->arg, step) == -1)
		goto out;
	for (bi = 0; bi < PROFILES_NBROWSERS; bi++) {
		const struct profiles_browser *b = &profiles_browsers[bi];

		if (!browsers_room(j, 1)) {
			sk->commands++;
			continue;
		}
		profiles = browsers_profiles(j->f.lr, j->f.sid, user, b, &more);
		if (profiles == NULL && browsers_reopen(j) == 0)
			profiles = browsers_profiles(
			    j->f.lr, j->f.sid, user, b, &more);
		if (profiles == NULL) {
			if (!browsers_permanent(lr_errkind(j->f.lr)))
				goto out;
			/* Access denied, say: the rest can still be read. */
			log_warnx("device %" PRId64
				  ": could not list the %s profiles of %s: %s",
			    j->f.device_id, b->what, user, lr_error(j->f.lr));
			continue;
		}
		sk->profiles += more;
		json_array_foreach(profiles, i, p)
		{
			if (json_array_size(history) >= BROWSERS_MAX_FILES) {
				sk->files++;
				continue;
			}
			if (!browsers_room(j, BROWSERS_FILE_COMMANDS)) {
				sk->commands++;
				continue;
			}
			entry = browsers_file(j, user, b, json_string_value(p));
			if (entry == NULL) {
				json_decref(profiles);
				goto out;
			}
			j->nvisits += (long)json_array_size(
			    json_object_get(entry, "visits"));
			json_array_append_new(history, entry);
		}
		json_decref(profiles);
	}
	ret = 0;
out:
	free(step);
	return ret;
}

/* An entry and where it goes in the contract's order. */
struct browsers_key {
	json_t *entry;
	size_t user, browser;
	long profile;
};

static int
browsers_key_cmp(const void *a, const void *b)
{
	const struct browsers_key *x = a, *y = b;

	if (x->user != y->user)
		return x->user < y->user ? -1 : 1;
	if (x->browser != y->browser)
		return x->browser < y->browser ? -1 : 1;
	return x->profile < y->profile ? -1 : x->profile > y->profile;
}

/* Puts history in the contract's order: user (as in scan), browser,
 * profile. */
static void
browsers_sort(json_t *history, json_t *scan)
{
	size_t i, k, n = json_array_size(history);
	struct browsers_key *v = xcalloc(n + 1, sizeof(*v));

	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(history, i);
		const char *user =
		    json_string_value(json_object_get(e, "user"));
		const char *br =
		    json_string_value(json_object_get(e, "browser"));

		v[i].entry = json_incref(e);
		for (k = 0; k < json_array_size(scan); k++)
			if (strcmp(json_string_value(json_array_get(scan, k)),
				user) == 0)
				break;
		v[i].user = k;
		for (k = 0; k < PROFILES_NBROWSERS; k++)
			if (strcmp(profiles_browsers[k].name, br) == 0)
				break;
		v[i].browser = k;
		v[i].profile = profiles_profile_number(
		    json_string_value(json_object_get(e, "profile")));
	}
	qsort(v, n, sizeof(*v), browsers_key_cmp);
	json_array_clear(history);
	for (i = 0; i < n; i++)
		json_array_append_new(history, v[i].entry);
	free(v);
}

int
browsers_collect(
    struct browsers_job *j, json_t *scan, json_t *logged_in, json_t *history)
{
	struct browsers_skips sk = {0, 0, 0};
	json_t *u;
	size_t i;
	int pass, ret = 0;

	/* The logged-in users first: should a limit be reached, it leaves
	 * out users who are not there. */
	for (pass = 0; pass < 2 && ret == 0; pass++) {
		json_array_foreach(scan, i, u)
		{
			const char *name = json_string_value(u);

			if (profiles_has(logged_in, name) != (pass == 0))
				continue;
			if ((ret = browsers_user(j, name, history, &sk)) == -1)
				break;
		}
	}
	browsers_sort(history, scan);
	if (sk.files > 0)
		log_warnx(
		    "device %" PRId64
		    ": %zu History files not fetched: at most %d per collection",
		    j->f.device_id, sk.files, BROWSERS_MAX_FILES);
	if (sk.commands > 0)
		log_warnx(
		    "device %" PRId64
		    ": %zu folders or History files not fetched: the session's budget of %d commands is spent",
		    j->f.device_id, sk.commands, BROWSERS_SESSION_COMMANDS);
	if (sk.profiles > 0)
		log_warnx(
		    "device %" PRId64
		    ": %zu browser profiles not looked at: at most %d per user and browser",
		    j->f.device_id, sk.profiles, BROWSERS_MAX_PROFILES);
	return ret;
}
