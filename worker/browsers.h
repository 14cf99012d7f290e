/* browsers.h - the users of a device and their browsers' History files,
 * through Live Response: "directory list" on C:\Users, on each user's
 * Chrome, Edge and Brave "User Data" folder, then each profile's History
 * (histfile.h).
 *
 * collect.c owns the session and the job's progress: it hands in a step
 * callback and one that replaces a session the cloud dropped. */
#ifndef LR_WORKER_BROWSERS_H
#define LR_WORKER_BROWSERS_H

#include <stddef.h>

#include <jansson.h>

#include "histfile.h"
#include "lr.h"
#include "profiles.h"

#define BROWSERS_MAX_PROFILES 32 /* profiles taken per user and browser */
#define BROWSERS_MAX_FILES 64    /* History files fetched per job */
#define BROWSERS_MAX_USERS 1000  /* user folders taken from C:\Users */
/* Commands one session may carry before the browser steps stop asking
 * (the cloud refuses a session's 251st). */
#define BROWSERS_SESSION_COMMANDS 240
/* The folder of user profiles, as cbapi walks a folder (dir\*). */
#define BROWSERS_USERS_DIR "C:\\Users\\*"

struct browsers_job {
	struct histfile_job f;
	/* Reports a step ("history jdoe"): -1 when the job is no longer
	 * ours. */
	int (*step)(void *arg, const char *step);
	/* After a failure: replaces a session the cloud dropped (once per
	 * job) and gives its id (borrowed).  0, or -1 when it cannot. */
	int (*reopen)(void *arg, const char **sid);
	void *arg;
	long long cmds0; /* lr_commands() when the session opened */
	long nvisits;    /* visits parsed, for the log */
};

/* Runs "directory list" on dir and returns its files[] (new reference;
 * an empty array when the answer has none), or NULL with lr's error
 * set. */
json_t *browsers_list(struct lr *lr, const char *sid, const char *dir);

/* Lists browser b's "User Data" folder of user: its profile folders (new
 * array, Default first, at most BROWSERS_MAX_PROFILES; *skipped: how many
 * more), an empty array when the folder does not exist (the browser is
 * absent), or NULL with lr's error set. */
json_t *browsers_profiles(struct lr *lr, const char *sid, const char *user,
    const struct profiles_browser *b, size_t *skipped);

/* Lists C:\Users: *users gets every user (folders, plus logged_in users
 * not seen as one; new array, sorted without case).  Returns the users
 * whose browsers to look at (new array): the folders, or the logged-in
 * users when C:\Users cannot be listed for good (said in a warning).
 * NULL with lr's error set when the job cannot go on. */
json_t *browsers_users(
    struct browsers_job *j, json_t *logged_in, json_t **users);

/* Looks at each user of scan (logged-in ones first, should a limit be
 * reached) and appends their History entries to history, ordered by
 * user, browser (chrome, edge, brave), then profile (Default, Profile N
 * by N).  0, or -1 when the job cannot go on (lr's error set, or the step
 * callback refused). */
int browsers_collect(
    struct browsers_job *j, json_t *scan, json_t *logged_in, json_t *history);

#endif
