/* browsers.c - every user's browser History, through Live Response.
 *
 * One "directory list" for C:\Users, one per user and browser for its
 * "User Data" folder (a browser never used has none: no entry, no error),
 * then one "get file" per profile (plus a copy, its fetch and its delete
 * when the browser holds the file open).  The listings are sent all at
 * once, and each listing's files as soon as it is read (lr_send_ahead),
 * so the device works through them while the worker reads and stores
 * what came back; a copy runs on its own when a fetch found the file
 * locked.  Nothing the listings show
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

/* One History file to fetch: a user's profile of a browser. */
struct browsers_target {
	const char *user; /* borrowed from the scan */
	size_t browser;   /* index in profiles_browsers */
	char *profile;    /* owned */
};

/* The users of scan in the order they are looked at: the logged-in ones
 * first, so that a limit reached leaves out users who are not there.
 * New array. */
static json_t *
browsers_order(json_t *scan, json_t *logged_in)
{
	json_t *order = json_array(), *u;
	size_t i;

	for (int pass = 0; pass < 2; pass++)
		json_array_foreach(scan, i, u)
		{
			if (profiles_has(logged_in, json_string_value(u)) ==
			    (pass == 0))
				json_array_append(order, u);
		}
	return order;
}

/* Sends every user's "User Data" listings at once, as many as the
 * session's budget allows.  Returns how many were sent, in order. */
static size_t
browsers_send_lists(struct browsers_job *j, json_t *order)
{
	size_t i, bi, n = 0;
	json_t *u;

	json_array_foreach(order, i, u)
	{
		for (bi = 0; bi < PROFILES_NBROWSERS; bi++) {
			char *dir, *pattern;

			if (!browsers_room(j, 1))
				return n;
			dir = profiles_user_data_path(
			    json_string_value(u), &profiles_browsers[bi]);
			pattern = xasprintf("%s\\*", dir);
			if (lr_send_ahead(j->f.lr, j->f.sid, "directory list",
				pattern, NULL) == 0)
				n++;
			free(pattern);
			free(dir);
		}
	}
	return n;
}

/* Sends the "get file" of target t, to be taken up by its fetch. */
static void
browsers_send_file(struct browsers_job *j, const struct browsers_target *t)
{
	char *path = profiles_history_path(
	    t->user, &profiles_browsers[t->browser], t->profile);

	lr_send_ahead(j->f.lr, j->f.sid, "get file", path, NULL);
	free(path);
}

/* Reads the listings of every user's browsers and appends the History
 * files to fetch to *t (*nt of them), within the job's limits, sending
 * each one's "get file" at once: the device works on them while the
 * other listings are read.  0, or -1 when the job cannot go on. */
static int
browsers_targets(struct browsers_job *j, json_t *order, size_t nsent,
    struct browsers_target **t, size_t *nt, struct browsers_skips *sk)
{
	size_t i, bi, k = 0, pi, more;
	json_t *u, *profiles, *p;

	json_array_foreach(order, i, u)
	{
		const char *user = json_string_value(u);

		for (bi = 0; bi < PROFILES_NBROWSERS; bi++, k++) {
			const struct profiles_browser *b =
			    &profiles_browsers[bi];

			if (k >= nsent && !browsers_room(j, 1)) {
				sk->commands++;
				continue;
			}
			profiles = browsers_profiles(
			    j->f.lr, j->f.sid, user, b, &more);
			if (profiles == NULL && browsers_reopen(j) == 0)
				profiles = browsers_profiles(
				    j->f.lr, j->f.sid, user, b, &more);
			if (profiles == NULL) {
				if (!browsers_permanent(lr_errkind(j->f.lr)))
					return -1;
				/* Access denied, say: the rest can still be
				 * read. */
				log_warnx(
				    "device %" PRId64
				    ": could not list the %s profiles of %s: %s",
				    j->f.device_id, b->what, user,
				    lr_error(j->f.lr));
				continue;
			}
			sk->profiles += more;
			json_array_foreach(profiles, pi, p)
			{
				if (*nt >= BROWSERS_MAX_FILES) {
					sk->files++;
					continue;
				}
				/* The gets sent so far are counted: room
				 * for their copies, and this file's. */
				if (!browsers_room(
					j, (BROWSERS_FILE_COMMANDS - 1) *
						   (long long)*nt +
					       BROWSERS_FILE_COMMANDS)) {
					sk->commands++;
					continue;
				}
				*t = xrealloc(*t, (*nt + 1) * sizeof(**t));
				(*t)[*nt].user = user;
				(*t)[*nt].browser = bi;
				(*t)[*nt].profile =
				    xstrdup(json_string_value(p));
				browsers_send_file(j, &(*t)[*nt]);
				(*nt)++;
			}
			json_decref(profiles);
		}
	}
	return 0;
}

/* Fetches every target into history, telling the step per user.  0 or
 * -1. */
static int
browsers_fetch(struct browsers_job *j, const struct browsers_target *t,
    size_t nt, json_t *history)
{
	json_t *entry;

	for (size_t i = 0; i < nt; i++) {
		if (i == 0 || strcmp(t[i].user, t[i - 1].user) != 0) {
			char *step = xasprintf("history %s", t[i].user);
			int r = j->step(j->arg, step);

			free(step);
			if (r == -1)
				return -1;
		}
		entry = browsers_file(j, t[i].user,
		    &profiles_browsers[t[i].browser], t[i].profile);
		if (entry == NULL)
			return -1;
		j->nvisits +=
		    (long)json_array_size(json_object_get(entry, "visits"));
		json_array_append_new(history, entry);
	}
	return 0;
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
	struct browsers_target *t = NULL;
	json_t *order = browsers_order(scan, logged_in);
	size_t nt = 0, nsent;
	int ret = -1;

	/* The listings at once, then each listing's files as it is read. */
	if (j->step(j->arg, "history folders") == -1)
		goto out;
	nsent = browsers_send_lists(j, order);
	if (browsers_targets(j, order, nsent, &t, &nt, &sk) == -1)
		goto out;
	ret = browsers_fetch(j, t, nt, history);
out:
	for (size_t i = 0; i < nt; i++)
		free(t[i].profile);
	free(t);
	json_decref(order);
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
