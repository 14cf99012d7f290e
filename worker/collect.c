/* collect.c - one Live Response collection, start to finish.
 *
 * The order is cb-api.md Appendix A.1: device, session, check-in,
 * net start (create process with an output file, get it, delete it),
 * process list, then every user folder's browser History (browsers.c).
 * Commands that need nothing from each other are sent at once (a sensor
 * runs them one after another), so the device is not left waiting for
 * our next request: net start, reg.exe, sc.exe, the process list and
 * C:\Users first; then every user's browser folders; then every History
 * file.  The session is closed whatever happens once it was opened, and
 * the error left in the result is a sentence for an analyst. */
#include "collect.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "browsers.h"
#include "log.h"
#include "netstart.h"
#include "services.h"
#include "timeline.h"
#include "util.h"
#include "xmalloc.h"

#define COLLECT_NET_START "c:\\windows\\system32\\net.exe start"
#define COLLECT_STOPPED_MSG "worker shut down during collection"
#define COLLECT_REVOKED_MSG "another worker took over this job"

/* One job's state, so every step can bail out the same way. */
struct collect_job {
	struct lr *lr;
	const struct collect_opts *o;
	const struct collect_sink *sink;
	int64_t device_id;
	char *sid;                    /* open session, or NULL; owned */
	json_t *result;               /* borrowed */
	bool revoked;                 /* progress said the job is not ours */
	bool reopened;                /* a dropped session was replaced once */
	long long cmds0;              /* lr_commands() when it was opened */
	struct lr_outputs *outputs;   /* net start, reg.exe, sc.exe: their
					 deletes still to wait for */
	enum collect_outcome outcome; /* how the failure counts */
};

/* Writes fields (stolen) as progress.  Returns the sink's answer: 0, -1
 * if the job was revoked, 1 if Redis could not say. */
static int
collect_progress(struct collect_job *j, json_t *fields)
{
	int r = j->sink->progress(j->sink->arg, fields);

	if (r == -1)
		j->revoked = true;
	json_decref(fields);
	return r;
}

static int
collect_step(struct collect_job *j, const char *step)
{
	return collect_progress(
	    j, json_pack("{s:s,s:s}", "status", "running", "step", step));
}

/* What a failure of kind k means for the job: permanent (the key, the
 * device or the command will say the same next time) or worth another
 * try later. */
static enum collect_outcome
collect_kind(enum lr_errkind k)
{
	switch (k) {
	case LR_ETRANSIENT: /* no answer, 429, 5xx after retries */
	case LR_ELIMIT:     /* the org's sessions are all in use */
	case LR_ESESSION:   /* the session ended under us */
	case LR_ETIMEOUT:   /* a command or download took too long */
	case LR_EGONE:      /* the cloud dropped the session, twice */
		return COLLECT_RETRY;
	default:
		return COLLECT_FAILED;
	}
}

/* Records the error for this job: a failing step's own sentence, unless
 * the real cause is a shutdown or a revoked claim, and how it counts
 * (outcome, or the error kind's when outcome is COLLECT_DONE).
 * Returns -1. */
static int
collect_fail_as(
    struct collect_job *j, const char *msg, enum collect_outcome outcome)
{
	const char *why = msg;

	if (outcome == COLLECT_DONE)
		outcome = collect_kind(lr_errkind(j->lr));
	if (j->revoked) {
		why = COLLECT_REVOKED_MSG;
		outcome = COLLECT_REVOKED;
	} else if (lr_errkind(j->lr) == LR_ESTOPPED ||
		   (j->o->stop != NULL && *j->o->stop &&
		       outcome != COLLECT_FAILED)) {
		why = COLLECT_STOPPED_MSG; /* retries were cut short */
		outcome = COLLECT_STOPPED;
	}
	json_object_set_new(j->result, "error", json_string(why));
	j->outcome = outcome;
	return -1;
}

static int
collect_fail(struct collect_job *j, const char *msg)
{
	return collect_fail_as(j, msg, COLLECT_DONE);
}

/* ------------------------------------------------------------------ */
/* Parsing what the device sent */

json_t *
collect_users(json_t *processes)
{
	json_t *users = json_array(), *p;
	size_t i, k;

	json_array_foreach(processes, i, p)
	{
		const char *path, *user, *bs;
		json_t *u;
		bool dup = false;

		path = json_string_value(json_object_get(p, "path"));
		if (path == NULL)
			path = json_string_value(
			    json_object_get(p, "process_path"));
		user = json_string_value(json_object_get(p, "username"));
		if (user == NULL)
			user = json_string_value(
			    json_object_get(p, "process_username"));
		if (path == NULL || user == NULL ||
		    util_stristr(path, "explorer.exe") == NULL)
			continue;
		if ((bs = strrchr(user, '\\')) != NULL)
			user = bs + 1;
		if (*user == '\0')
			continue;
		json_array_foreach(users, k, u) dup =
		    dup || util_strieq(json_string_value(u), user);
		if (!dup)
			json_array_append_new(users, json_string(user));
	}
	return users;
}

/* Writes an age in seconds for people: "10 days", "5 hours", "42
 * minutes". */
static void
collect_age(int64_t s, char *buf, size_t size)
{
	if (s >= 2 * 86400)
		snprintf(buf, size, "%" PRId64 " days", s / 86400);
	else if (s >= 2 * 3600)
		snprintf(buf, size, "%" PRId64 " hours", s / 3600);
	else
		snprintf(buf, size, "%" PRId64 " minutes", s / 60);
}

int
collect_device_check(const struct lr_device *d, int64_t device_id,
    int64_t now_ms, int offline_after_s, char *why, size_t size)
{
	/* LIVE_RESPONSE_NOT_RUNNING only says no session is attached now:
	 * real devices list it beside LIVE_RESPONSE_ENABLED (fixture
	 * v6_device_search.json).  These two mean no session can work. */
	static const char *const off[] = {
	    "LIVE_RESPONSE_KILLED", "LIVE_RESPONSE_DISABLED"};
	json_t *v;
	size_t i;

	why[0] = '\0';
	if (json_is_array(d->sensor_states)) {
		bool enabled = false, disabled = false;
		char states[300] = "";
		size_t n = 0;

		json_array_foreach(d->sensor_states, i, v)
		{
			const char *st = json_string_value(v);

			if (st == NULL)
				continue;
			enabled =
			    enabled || util_strieq(st, "LIVE_RESPONSE_ENABLED");
			for (size_t k = 0; k < sizeof(off) / sizeof(off[0]);
			     k++)
				disabled = disabled || util_strieq(st, off[k]);
			if (n < sizeof(states))
				n += (size_t)snprintf(states + n,
				    sizeof(states) - n, "%s%s",
				    n > 0 ? ", " : "", st);
		}
		if (!enabled || disabled) {
			snprintf(why, size,
			    "Live Response is not enabled on device %" PRId64
			    " (sensor states: %s)",
			    device_id, n > 0 ? states : "none");
			return COLLECT_CHECK_NO_LR;
		}
	}
	if (offline_after_s > 0 && d->last_contact_ms > 0 &&
	    now_ms - d->last_contact_ms > (int64_t)offline_after_s * 1000) {
		char age[64];

		collect_age(
		    (now_ms - d->last_contact_ms) / 1000, age, sizeof(age));
		snprintf(why, size,
		    "device %" PRId64 " is offline: last seen %s (%s ago)",
		    device_id, d->last_contact, age);
		return COLLECT_CHECK_OFFLINE;
	}
	return COLLECT_CHECK_OK;
}

bool
collect_user_ok(const char *name)
{
	if (*name == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strlen(name) > 256)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f ||
		    strchr("\\/:*?\"<>|", *p) != NULL)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* The steps */

/* Waits for the deletes of the output files, if any are outstanding. */
static void
collect_outputs_done(struct collect_job *j)
{
	lr_outputs_finish(j->lr, j->outputs);
	lr_outputs_free(j->lr, j->outputs);
	j->outputs = NULL;
}

/* True unless the device is known not to run Windows (no registry). */
static bool
collect_windows(const struct collect_job *j)
{
	const char *os = json_string_value(json_object_get(j->result, "os"));

	return os == NULL || strncasecmp(os, "WINDOWS", 7) == 0;
}

/* The first commands, sent at once so that the device never waits for
 * our next request: net start and, on Windows, reg.exe and sc.exe, each
 * into an output file that is fetched and deleted (lr_outputs_*), then
 * the process list and the listing of C:\Users, which the later steps
 * take up.  The deletes of the output files are waited for at the end
 * (collect_close): the device works on them meanwhile.  Sets "services"
 * (with the registry's detail).  0 or -1 (error set). */
static int
collect_first(struct collect_job *j)
{
	static const char *const lines[] = {
	    COLLECT_NET_START, SERVICES_REG_QUERY, SERVICES_SC_QUERY};
	struct services_output reg = {0}, sc = {0};
	struct lr_outputs *out;
	enum lr_errkind kind;
	const char *data, *err;
	json_t *services;
	size_t len;

	if (collect_step(j, "net start") == -1)
		return collect_fail(j, NULL);
	collect_outputs_done(j); /* a dropped session's */
	out = lr_outputs_send(j->lr, j->sid, lines, collect_windows(j) ? 3 : 1);
	j->outputs = out;
	lr_send_ahead(j->lr, j->sid, "process list", NULL, NULL);
	lr_send_ahead(
	    j->lr, j->sid, "directory list", BROWSERS_USERS_DIR, NULL);
	if (lr_outputs_fetch(j->lr, out, j->o->max_file_size) == -1)
		return collect_fail(j, lr_error(j->lr));
	if (lr_outputs_get(out, 0, &data, &len, &kind, &err) == -1)
		return collect_fail_as(j, err, collect_kind(kind));
	services = netstart_parse(data, len);
	if (json_array_size(services) == 0)
		log_warnx("device %" PRId64
			  ": net start output has no services (%zu bytes)",
		    j->device_id, len);
	json_object_set_new(j->result, "services", services);
	if (!collect_windows(j))
		return 0;
	if (lr_outputs_get(out, 1, &reg.data, &reg.len, &kind, &reg.err) == 0)
		reg.err = NULL;
	if (lr_outputs_get(out, 2, &sc.data, &sc.len, &kind, &sc.err) == 0)
		sc.err = NULL;
	if (collect_step(j, "services registry") == -1 ||
	    services_collect(j->lr, j->sid, j->o, j->sink, j->device_id,
		j->result, &reg, &sc) == -1)
		return collect_fail(j, lr_error(j->lr));
	return 0;
}

/* Closes the session, if one is open, and counts it. */
static void
collect_close(struct collect_job *j)
{
	if (j->sid == NULL)
		return;
	collect_outputs_done(j);
	lr_ahead_drop(j->lr);
	collect_step(j, "closing session");
	if (lr_session_close(j->lr, j->sid) == 0) {
		j->sink->count(j->sink->arg, "sessions_closed", 1);
		log_debug("session %s closed", j->sid);
	} else
		log_warnx("could not close Live Response session %s: %s",
		    j->sid, lr_error(j->lr));
	free(j->sid);
	j->sid = NULL;
}

/* Waits for the session to become active.  0 or -1 (error set). */
static int
collect_checkin(struct collect_job *j)
{
	int64_t t0 = util_mono_ms();

	if (collect_step(j, "waiting for check-in") == -1)
		return collect_fail(j, NULL);
	if (lr_session_wait(j->lr, j->sid, j->o->checkin_timeout_s) == -1) {
		char *msg = NULL;

		if (lr_errkind(j->lr) == LR_ETIMEOUT)
			msg = xasprintf(
			    "device %" PRId64
			    " did not check in within %d s (offline?)",
			    j->device_id, j->o->checkin_timeout_s);
		collect_fail_as(j, msg ? msg : lr_error(j->lr),
		    msg ? COLLECT_OFFLINE : COLLECT_DONE);
		free(msg);
		return -1;
	}
	log_info("session %s active after %.1f s", j->sid,
	    (double)(util_mono_ms() - t0) / 1000);
	return 0;
}

/* After a step failed because the cloud dropped the session (LR_EGONE:
 * idle timeout, closed from the console): opens a new one, once per job,
 * so the step can run again.  0 when it can, -1 (error set) if not.
 * Only an attempt that Redis confirms still owns the job may: the
 * session also ends when this worker was cut off long enough for the
 * reaper to close it and hand the job to another worker, and a new
 * session for a stale attempt would be opened on the device for nothing
 * (or be the one the cloud gives the live attempt, closed under it). */
static int
collect_reopen(struct collect_job *j)
{
	char *sid;
	int r;

	if (lr_errkind(j->lr) != LR_EGONE || j->reopened || j->revoked)
		return -1;
	j->reopened = true;
	r = collect_step(j, "opening a new session");
	if (r == -1)
		return collect_fail(j, NULL);
	if (r != 0)
		return collect_fail(j,
		    "Carbon Black Cloud closed the Live Response session and "
		    "Redis did not answer, so this attempt could not tell "
		    "whether the job was still its own");
	log_warnx("device %" PRId64 ": %s; opening a new session", j->device_id,
	    lr_error(j->lr));
	lr_session_close(j->lr, j->sid); /* gone: only to be sure */
	free(j->sid);
	j->sid = NULL;
	if ((sid = lr_session_open(j->lr, j->device_id, false)) == NULL)
		return collect_fail(j, lr_error(j->lr));
	j->sid = sid;
	j->cmds0 = lr_commands(j->lr);
	j->sink->count(j->sink->arg, "sessions_opened", 1);
	j->sink->count(j->sink->arg, "sessions_reopened", 1);
	json_object_set_new(j->result, "session_id", json_string(sid));
	collect_progress(j, json_pack("{s:s}", "session_id", sid));
	if (collect_checkin(j) == -1)
		return -1;
	json_object_del(j->result, "error");
	return 0;
}

/* The process list, and the users who own an explorer.exe.  NULL (error
 * set) on failure. */
static json_t *
collect_logged_in(struct collect_job *j)
{
	json_t *procs, *users;

	if (collect_step(j, "process list") == -1) {
		collect_fail(j, NULL);
		return NULL;
	}
	if ((procs = lr_process_list(j->lr, j->sid)) == NULL) {
		collect_fail(j, lr_error(j->lr));
		return NULL;
	}
	users = collect_users(procs);
	json_decref(procs);
	return users;
}

/* The browsers' step callback: collect_step. */
static int
collect_browsers_step(void *arg, const char *step)
{
	return collect_step(arg, step);
}

/* The browsers' reopen callback: collect_reopen, giving the new id. */
static int
collect_browsers_reopen(void *arg, const char **sid)
{
	struct collect_job *j = arg;

	if (collect_reopen(j) == -1)
		return -1;
	*sid = j->sid;
	return 0;
}

/* Every user (C:\Users) and each one's browser History.  Sets "users" and
 * "browser_history".  0 or -1 (error set). */
static int
collect_browsers(struct collect_job *j, json_t *logged_in, long *nvisits)
{
	struct browsers_job bj = {.f = {.lr = j->lr,
				      .sid = j->sid,
				      .sink = j->sink,
				      .o = j->o,
				      .device_id = j->device_id},
	    .step = collect_browsers_step,
	    .reopen = collect_browsers_reopen,
	    .arg = j,
	    .cmds0 = j->cmds0};
	json_t *scan, *users, *history;
	int r;

	if ((scan = browsers_users(&bj, logged_in, &users)) == NULL)
		return collect_fail(j, lr_error(j->lr));
	json_object_set_new(j->result, "users", users);
	history = json_array();
	json_object_set_new(j->result, "browser_history", history);
	r = browsers_collect(&bj, scan, logged_in, history);
	json_decref(scan);
	*nvisits = bj.nvisits;
	return r == -1 ? collect_fail(j, lr_error(j->lr)) : 0;
}

/* Everything that needs the open session.  0 or -1 (error set).  A step
 * the cloud's dropped session cut short runs again in a new one, once. */
static int
collect_in_session(struct collect_job *j, long *nvisits)
{
	json_t *logged_in;
	int r;

	if (collect_checkin(j) == -1)
		return -1;
	if (collect_first(j) == -1 &&
	    (collect_reopen(j) == -1 || collect_first(j) == -1))
		return -1;
	if ((logged_in = collect_logged_in(j)) == NULL &&
	    (collect_reopen(j) == -1 ||
		(logged_in = collect_logged_in(j)) == NULL))
		return -1;
	json_object_set(j->result, "logged_in", logged_in);
	r = collect_browsers(j, logged_in, nvisits);
	json_decref(logged_in);
	if (r == 0)
		timeline_add(j->result, j->o->alert, j->o->timeline_window_s);
	return r;
}

enum collect_outcome
collect_device(struct lr *lr, const struct collect_opts *o,
    const struct collect_sink *sink, int64_t device_id, json_t *result)
{
	struct collect_job j = {.lr = lr,
	    .o = o,
	    .sink = sink,
	    .device_id = device_id,
	    .result = result,
	    .outcome = COLLECT_FAILED};
	struct lr_device dev;
	char why[512];
	long long ncmd = lr_commands(lr);
	long nvisits = 0;
	int ret;

	if (o->stop != NULL && *o->stop)
		return COLLECT_UNSTARTED;
	log_info("Performing live response on %" PRId64 " (Live Response %s)",
	    device_id, lr_api_name(lr));

	if (lr_device_get(lr, device_id, &dev) == -1) {
		char *msg = NULL;

		if (lr_errkind(lr) == LR_ENOTFOUND)
			msg = xasprintf("device %" PRId64
					" not found in Carbon Black Cloud",
			    device_id);
		collect_fail(&j, msg ? msg : lr_error(lr));
		free(msg);
		ret = -1;
		goto out;
	}
	if (dev.name != NULL)
		json_object_set_new(
		    result, "device_name", json_string(dev.name));
	if (dev.os != NULL)
		json_object_set_new(result, "os", json_string(dev.os));
	if (dev.last_contact != NULL)
		json_object_set_new(
		    result, "last_contact_time", json_string(dev.last_contact));
	if (dev.sensor_states != NULL)
		json_object_set(result, "sensor_states", dev.sensor_states);
	ret = collect_device_check(&dev, device_id, util_now_ms(),
	    o->offline_after_s, why, sizeof(why));
	lr_device_release(&dev);
	if (ret != COLLECT_CHECK_OK) {
		/* Opening a session would only wait out --checkin-timeout. */
		collect_fail_as(&j, why,
		    ret == COLLECT_CHECK_OFFLINE ? COLLECT_OFFLINE
						 : COLLECT_FAILED);
		ret = -1;
		goto out;
	}

	ret = -1;
	if (collect_progress(
		&j, json_pack("{s:s,s:s,s:O*,s:O*}", "status", "running",
			"step", "opening session", "device_name",
			json_object_get(result, "device_name"), "os",
			json_object_get(result, "os"))) == -1) {
		collect_fail(&j, NULL);
		goto out;
	}
	if (sink->slot(sink->arg, true) == -1) {
		collect_fail_as(&j,
		    "worker shut down while waiting for a Live Response session slot",
		    COLLECT_STOPPED);
		goto out;
	}
	if ((j.sid = lr_session_open(lr, device_id, o->adopt)) == NULL) {
		sink->slot(sink->arg, false);
		collect_fail(&j, lr_error(lr));
		goto out;
	}
	j.cmds0 = lr_commands(lr);
	sink->count(sink->arg, "sessions_opened", 1);
	log_debug("device %" PRId64 ": session %s opened", device_id, j.sid);
	json_object_set_new(result, "session_id", json_string(j.sid));
	collect_progress(&j, json_pack("{s:s}", "session_id", j.sid));

	ret = collect_in_session(&j, &nvisits);
	collect_close(&j);
	sink->slot(sink->arg, false);
out:
	sink->count(sink->arg, "commands", lr_commands(lr) - ncmd);
	if (ret == 0) {
		log_info(
		    "collected %zu services, %zu users, %zu History files, %ld visits from %" PRId64,
		    json_array_size(json_object_get(result, "services")),
		    json_array_size(json_object_get(result, "users")),
		    json_array_size(json_object_get(result, "browser_history")),
		    nvisits, device_id);
		return COLLECT_DONE;
	}
	log_warnx("live response on %" PRId64 " %s: %s", device_id,
	    j.outcome == COLLECT_FAILED ? "failed" : "did not finish",
	    json_string_value(json_object_get(result, "error")));
	return j.outcome;
}
