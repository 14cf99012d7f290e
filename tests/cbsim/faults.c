/* faults.c - injected faults and rate-limit pauses (see faults.h).
 *
 * The real service asks a client that got a 429 to stop every request
 * until Retry-After has passed.  To check that a client obeys, each 429 is
 * remembered as a window [sent + 250 ms, sent + Retry-After]; the grace
 * lets requests that were already in flight arrive.  Windows that overlap
 * are merged, keeping the latest end, so the list stays short and
 * sorted. */
#include "faults.h"

#include <stdio.h>
#include <string.h>

#include "../../common/xmalloc.h"

static const char *const faults_names[SIM_FAULT_N] = {
    [SIM_FAULT_ALERTS] = "alerts",
    [SIM_FAULT_SESSIONS] = "sessions",
    [SIM_FAULT_CONTENT] = "content",
    [SIM_FAULT_COMMANDS] = "commands",
    [SIM_FAULT_COMMAND_GET] = "command_get",
    [SIM_FAULT_SESSION_GET] = "session_get",
    [SIM_FAULT_DEVICES] = "devices",
    [SIM_FAULT_SESSION_CLOSE] = "session_close",
    [SIM_FAULT_NOTIFICATIONS] = "notifications",
    [SIM_FAULT_ANY] = "any",
};

/* Fields a /_sim/fault body may have; anything else is a typo worth a
 * 400 rather than a fault that silently does something else. */
static const char *const faults_fields[] = {
    "route", "status", "count", "malformed", "lost", "retry_after", NULL};

const char *
faults_route_name(enum sim_fault_route route)
{
	return faults_names[route];
}

/* Finds the route called name.  0, or -1 with err listing the names. */
static int
faults_route(
    const char *name, enum sim_fault_route *route, char *err, size_t errsize)
{
	size_t i, used;

	for (i = 0; name != NULL && i < SIM_FAULT_N; i++) {
		if (strcmp(name, faults_names[i]) == 0) {
			*route = (enum sim_fault_route)i;
			return 0;
		}
	}
	used = (size_t)snprintf(err, errsize, "route must be one of");
	for (i = 0; i < SIM_FAULT_N && used < errsize; i++)
		used += (size_t)snprintf(err + used, errsize - used,
		    "%s \"%s\"", i ? "," : "", faults_names[i]);
	return -1;
}

/* Reads an optional integer field in [min, max] into *out. */
static int
faults_int(json_t *body, const char *key, long long min, long long max,
    long long *out, char *err, size_t errsize)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(err, errsize, "%s must be an integer in %lld..%lld",
		    key, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Reads an optional boolean field into *out. */
static int
faults_bool(json_t *body, const char *key, bool *out, char *err, size_t errsize)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, errsize, "%s must be a boolean", key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* Checks that body has no field outside faults_fields. */
static int
faults_check_fields(json_t *body, char *err, size_t errsize)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(body, key, v)
	{
		for (i = 0; faults_fields[i] != NULL; i++)
			if (strcmp(key, faults_fields[i]) == 0)
				break;
		if (faults_fields[i] == NULL) {
			snprintf(err, errsize, "unknown field \"%s\"", key);
			return -1;
		}
	}
	return 0;
}

int
faults_parse(json_t *body, enum sim_fault_route *route, struct sim_fault *f,
    char *err, size_t errsize)
{
	long long status = -1, count = 1, retry = 1;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(body)) {
		snprintf(err, errsize, "expected a JSON object");
		return -1;
	}
	if (faults_check_fields(body, err, errsize) == -1 ||
	    faults_route(json_string_value(json_object_get(body, "route")),
		route, err, errsize) == -1 ||
	    faults_int(body, "status", 200, 599, &status, err, errsize) ||
	    faults_int(body, "count", 0, 1000000000, &count, err, errsize) ||
	    faults_int(body, "retry_after", 0, 86400, &retry, err, errsize) ||
	    faults_bool(body, "malformed", &f->malformed, err, errsize) ||
	    faults_bool(body, "lost", &f->lost, err, errsize))
		return -1;
	/* A lost answer looks like a gateway that gave up: 502. */
	f->status = status >= 0 ? (int)status : f->lost ? 502 : 500;
	f->remaining = count;
	f->retry_after = (int)retry;
	return 0;
}

bool
faults_take(struct sim *s, enum sim_fault_route route, struct sim_fault *out)
{
	struct sim_fault *f = &s->faults[route];

	if (f->remaining <= 0)
		f = &s->faults[SIM_FAULT_ANY];
	if (f->remaining <= 0)
		return false;
	f->remaining--;
	s->stats.faults_served++;
	*out = *f;
	return true;
}

void
faults_note_429(struct sim *s, int64_t at_ms, int retry_after)
{
	struct sim_pause p = {
	    at_ms + FAULTS_PAUSE_GRACE_MS, at_ms + (int64_t)retry_after * 1000};
	struct sim_pause *last =
	    s->npauses > 0 ? &s->pauses[s->npauses - 1] : NULL;

	s->stats.rate_limited++;
	if (p.end_ms < p.start_ms)
		return; /* Retry-After shorter than the grace: no pause */
	if (last != NULL && p.start_ms <= last->end_ms) {
		if (p.end_ms > last->end_ms)
			last->end_ms = p.end_ms;
		return;
	}
	if (s->npauses == s->pausecap) {
		s->pausecap = s->pausecap ? s->pausecap * 2 : 4;
		s->pauses =
		    xrealloc(s->pauses, s->pausecap * sizeof(*s->pauses));
	}
	s->pauses[s->npauses++] = p;
}

bool
faults_in_pause(struct sim *s, int64_t now_ms)
{
	size_t i, over = 0;
	bool in = false;

	for (i = 0; i < s->npauses; i++) {
		/* The end is the first moment a client may send again
		 * (Retry-After: "not before"), so it is not in the pause. */
		if (s->pauses[i].end_ms <= now_ms)
			over = i + 1;
		else if (s->pauses[i].start_ms <= now_ms)
			in = true;
	}
	if (over > 0) {
		memmove(s->pauses, s->pauses + over,
		    (s->npauses - over) * sizeof(*s->pauses));
		s->npauses -= over;
	}
	return in;
}
