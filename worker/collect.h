/* collect.h - what a worker collects on one device (design §7, seed
 * parity): net start, logged-in users, every user's Chrome, Edge and
 * Brave History.
 *
 * collect_device() is the job's straight-line code; it knows nothing of
 * Redis: progress, artifacts and counters go through a sink. */
#ifndef LR_WORKER_COLLECT_H
#define LR_WORKER_COLLECT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "lr.h"

/* Where collection reports to (the worker writes these to Redis). */
struct collect_sink {
	/* Writes fields (borrowed) to the result hash.  Returns 0 when
	 * written, -1 when the job is no longer ours (a newer attempt owns
	 * it): stop early, 1 when that cannot be known now (Redis did not
	 * answer; the fields are lost, the collection may go on). */
	int (*progress)(void *arg, json_t *fields);
	/* Stores a collected file (read from its start); fills sha256hex.
	 * 0 or -1. */
	int (*store)(void *arg, FILE *f, char sha256hex[65]);
	/* Adds n to a counter ("sessions_opened", ...). */
	void (*count)(void *arg, const char *name, long long n);
	/* take: waits for a slot of the global session budget (0), or gives
	 * up at shutdown (-1); !take: gives the slot back. */
	int (*slot)(void *arg, bool take);
	/* The services of the device's previous done run that read the
	 * registry (*services: a new array) and when it finished (at):
	 * 1, 0 when there is none (a first run), -1 when it cannot be
	 * known (Redis did not answer). */
	int (*previous)(void *arg, json_t **services, char *at, size_t size);
	void *arg;
};

/* A device not seen for this long is offline: no session is opened.
 * NEEDSWORK: a worker flag (--offline-after SECONDS) in common/config. */

struct collect_opts {
	const char *prefix;    /* key prefix, for artifact names */
	int checkin_timeout_s; /* --checkin-timeout */
	size_t max_file_size;  /* --max-file-size */
	int offline_after_s;   /* --offline-after; 0: no check */
	bool adopt; /* a retry: take over a session an earlier attempt left */
	const json_t *alert;   /* the alert that asked for the run, or NULL;
				  borrowed (the timeline's times) */
	int timeline_window_s; /* --timeline-window */
	volatile sig_atomic_t *stop; /* set at shutdown; borrowed */
};

enum collect_outcome {
	COLLECT_DONE,      /* result holds everything */
	COLLECT_FAILED,    /* a permanent failure: "error" says why */
	COLLECT_RETRY,     /* a transient failure (5xx, 429, session limit,
			      timeouts): worth trying again later */
	COLLECT_OFFLINE,   /* the device is offline or did not check in */
	COLLECT_STOPPED,   /* cut short by shutdown: hand the job back */
	COLLECT_REVOKED,   /* another attempt owns the job: write nothing */
	COLLECT_UNSTARTED, /* stopping before any cloud call: hand back */
};

/* Collects from device_id, adding the design §3 fields to result
 * (device_name, os, last_contact_time, sensor_states, session_id,
 * services, logged_in, users, browser_history, error).  Closes the session on every
 * path. */
enum collect_outcome collect_device(struct lr *lr, const struct collect_opts *o,
    const struct collect_sink *sink, int64_t device_id, json_t *result);

enum collect_check {
	COLLECT_CHECK_OK = 0,
	COLLECT_CHECK_NO_LR = -1,   /* disabled, killed, or not enabled */
	COLLECT_CHECK_OFFLINE = -2, /* not seen for offline_after_s */
};

/* Says whether a session on the device d (id device_id) is worth
 * opening at now_ms: COLLECT_CHECK_NO_LR with a sentence in why when its
 * sensor states say Live Response cannot work (LIVE_RESPONSE_DISABLED,
 * LIVE_RESPONSE_KILLED, or no LIVE_RESPONSE_ENABLED; NOT_RUNNING only
 * means no session is attached now), COLLECT_CHECK_OFFLINE when it was
 * last seen more than offline_after_s ago (0: never offline); else
 * COLLECT_CHECK_OK.  What the cloud did not say (v3) does not count
 * against the device. */
int collect_device_check(const struct lr_device *d, int64_t device_id,
    int64_t now_ms, int offline_after_s, char *why, size_t size);

/* Returns a new JSON array of the users that own an explorer.exe in
 * processes (a "process list" array; v3 path/username or v6
 * process_path/process_username), the part after the last backslash, in
 * order, without duplicates (compared without case). */
json_t *collect_users(json_t *processes);

/* True if name can be a folder under c:\users (no separators, wildcards,
 * control characters, "." or ".."). */
bool collect_user_ok(const char *name);

#endif
