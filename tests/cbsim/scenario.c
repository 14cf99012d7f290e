/* scenario.c - parse a scenario file (or build the default one) into the
 * simulator.
 *
 * Every field is optional except a device's id.  A field of the wrong type
 * or out of range is an error; unknown fields are warned about and ignored
 * so scenarios may carry comments such as "_note". */
#include "scenario.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "alerts.h"
#include "endpoint.h"
#include "registry.h"

/* Keys a device object may have. */
static const char *const scenario_device_keys[] = {"id", "name", "os",
    "os_version", "checkin_after", "users", "services", "history",
    "corrupt_history", "no_chrome", "fail_command", "last_contact_ago",
    "lr_enabled", "lr_killed", "policy", "service_keys", "service_keys_after",
    "reg_exe", "sc_exe", "profiles", "locked", "missing_history", "logged_off",
    "history_pad_mb", NULL};
/* Keys the top-level object may have. */
static const char *const scenario_keys[] = {"latency_ms", "command_ms",
    "devices", "notifications", "token", "siem_token", "org_key",
    "lowercase_session_status", "alerts", "session_idle_s", "command_serial",
    NULL};

/* Warns about keys of obj not in known. */
static void
scenario_check_keys(json_t *obj, const char *const *known, const char *where)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(obj, key, v)
	{
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL && key[0] != '_')
			log_warnx("scenario: %s: ignoring unknown field '%s'",
			    where, key);
	}
}

/* Reads an optional integer field into *out.  0, or -1 with err set. */
static int
scenario_int(json_t *obj, const char *key, long long min, long long max,
    long long *out, const char *where, char *err, size_t errsize)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(err, errsize,
		    "%s.%s: expected an integer in %lld..%lld", where, key, min,
		    max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Reads an optional boolean field into *out.  0, or -1 with err set. */
static int
scenario_bool(json_t *obj, const char *key, bool *out, const char *where,
    char *err, size_t errsize)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, errsize, "%s.%s: expected a boolean", where, key);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* Reads an optional non-empty string field into *out (replacing it).
 * 0, or -1 with err set. */
static int
scenario_string(json_t *obj, const char *key, char **out, const char *where,
    char *err, size_t errsize)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(err, errsize, "%s.%s: expected a non-empty string",
		    where, key);
		return -1;
	}
	sim_set_string(out, json_string_value(v));
	return 0;
}

/* Checks an optional field is an array of non-empty strings (names of
 * users when user is set: no path separators).  0, or -1 with err set. */
static int
scenario_strings(json_t *obj, const char *key, bool user, const char *where,
    char *err, size_t errsize)
{
	json_t *v = json_object_get(obj, key), *e;
	const char *str;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		goto out_bad;
	json_array_foreach(v, i, e)
	{
		if ((str = json_string_value(e)) == NULL || *str == '\0')
			goto out_bad;
		if (user && (strpbrk(str, "\\/:") != NULL || strlen(str) > 64))
			goto out_bad;
	}
	return 0;
out_bad:
	snprintf(err, errsize, "%s.%s: expected an array of %s", where, key,
	    user ? "user names" : "non-empty strings");
	return -1;
}

/* True if the string array obj[key] contains name. */
static bool
scenario_has(json_t *obj, const char *key, const char *name)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(obj, key), i, e)
	{
		if (strcmp(json_string_value(e), name) == 0)
			return true;
	}
	return false;
}

struct sim_user *
scenario_add_user(struct sim_device *d, const char *name)
{
	struct sim_user *u;
	size_t i;

	for (i = 0; i < d->nusers; i++)
		if (strcmp(d->users[i].name, name) == 0)
			return &d->users[i];
	d->users = xrealloc(d->users, (d->nusers + 1) * sizeof(*d->users));
	u = &d->users[d->nusers++];
	memset(u, 0, sizeof(*u));
	u->name = xstrdup(name);
	return u;
}

/* Parses u's visits from the array list.  0, or -1 with err set. */
static int
scenario_visits(struct sim_user *u, json_t *list, const char *where, char *err,
    size_t errsize)
{
	struct sim_visit *v;
	json_t *e, *t;
	long long n;
	size_t i;
	char ctx[160];

	if (!json_is_array(list)) {
		snprintf(err, errsize, "%s.history.%s: expected an array",
		    where, u->name);
		return -1;
	}
	u->has_visits = true;
	u->visits = xcalloc(json_array_size(list) + 1, sizeof(*u->visits));
	json_array_foreach(list, i, e)
	{
		snprintf(
		    ctx, sizeof(ctx), "%s.history.%s[%zu]", where, u->name, i);
		if (!json_is_object(e) ||
		    !json_is_string(json_object_get(e, "url"))) {
			snprintf(err, errsize,
			    "%s: expected an object with a "
			    "string url",
			    ctx);
			return -1;
		}
		v = &u->visits[u->nvisits++];
		v->url = xstrdup(json_string_value(json_object_get(e, "url")));
		v->title = xstrdup("");
		v->visit_count = 1;
		v->time_ms = util_now_ms() - (int64_t)(i + 1) * 600 * 1000;
		t = json_object_get(e, "title");
		if (json_is_string(t))
			sim_set_string(&v->title, json_string_value(t));
		else if (t != NULL && !json_is_null(t)) {
			snprintf(
			    err, errsize, "%s.title: expected a string", ctx);
			return -1;
		}
		t = json_object_get(e, "visit_time");
		if (json_is_string(t)) {
			if (util_parse_iso8601(
				json_string_value(t), &v->time_ms) == -1) {
				snprintf(err, errsize,
				    "%s.visit_time: expected "
				    "ISO 8601 such as 2026-11-27T10:00:00Z",
				    ctx);
				return -1;
			}
		} else if (json_is_integer(t))
			v->time_ms = json_integer_value(t) * 1000;
		else if (t != NULL) {
			snprintf(err, errsize,
			    "%s.visit_time: expected a "
			    "string or epoch seconds",
			    ctx);
			return -1;
		}
		n = 1;
		if (scenario_int(
			e, "visit_count", 1, 1000, &n, ctx, err, errsize) == -1)
			return -1;
		v->visit_count = (int)n;
		n = 0;
		if (scenario_int(
			e, "typed_count", 0, 1000, &n, ctx, err, errsize) == -1)
			return -1;
		v->typed_count = (int)n;
	}
	return 0;
}

struct sim_device *
scenario_device(json_t *obj, char *err, size_t errsize)
{
	static const char *const lists[] = {
	    "users", "corrupt_history", "no_chrome"};
	struct sim_device *d = NULL;
	struct sim_user *u;
	long long id = 0, checkin = 1, ago = 30, pad = 0;
	const char *key;
	char where[64];
	json_t *v, *e, *hist;
	size_t i, j;

	if (!json_is_object(obj)) {
		snprintf(err, errsize, "device: expected an object");
		return NULL;
	}
	if (scenario_int(obj, "id", 1, 9007199254740992LL, &id, "device", err,
		errsize) == -1)
		return NULL;
	if (id == 0) {
		snprintf(err, errsize, "device: missing integer \"id\"");
		return NULL;
	}
	snprintf(where, sizeof(where), "device %lld", id);
	scenario_check_keys(obj, scenario_device_keys, where);
	d = sim_device_new(id);
	if (scenario_string(obj, "name", &d->name, where, err, errsize) ||
	    scenario_string(obj, "os", &d->os, where, err, errsize) ||
	    scenario_string(
		obj, "os_version", &d->os_version, where, err, errsize) ||
	    scenario_string(
		obj, "fail_command", &d->fail_command, where, err, errsize) ||
	    scenario_int(
		obj, "checkin_after", -1, 86400, &checkin, where, err, errsize))
		goto out_bad;
	d->checkin_after = (int)checkin;
	if (scenario_string(obj, "policy", &d->policy, where, err, errsize) ||
	    scenario_int(obj, "last_contact_ago", 0, 86400 * 3650, &ago, where,
		err, errsize))
		goto out_bad;
	d->last_contact_ago = (int)ago;
	if (scenario_bool(
		obj, "lr_enabled", &d->lr_enabled, where, err, errsize) ||
	    scenario_bool(obj, "lr_killed", &d->lr_killed, where, err, errsize))
		goto out_bad;
	/* Non-Windows defaults, unless given. */
	if (!util_strieq(d->os, "WINDOWS")) {
		if (json_object_get(obj, "name") == NULL) {
			free(d->name);
			d->name = xasprintf("sim-%lld", id);
		}
		if (json_object_get(obj, "os_version") == NULL)
			sim_set_string(&d->os_version, util_strieq(d->os, "MAC")
							   ? "MAC OS X 14.1"
							   : "CentOS 7.9");
	}
	for (i = 0; i < 3; i++)
		if (scenario_strings(
			obj, lists[i], true, where, err, errsize) == -1)
			goto out_bad;
	if (scenario_strings(obj, "services", false, where, err, errsize))
		goto out_bad;
	if ((v = json_object_get(obj, "services")) != NULL &&
	    json_is_array(v)) {
		for (i = 0; i < d->nservices; i++)
			free(d->services[i]);
		d->nservices = json_array_size(v);
		d->services =
		    xrealloc(d->services, (d->nservices + 1) * sizeof(char *));
		json_array_foreach(v, j, e) d->services[j] =
		    xstrdup(json_string_value(e));
	}
	if (registry_scenario(d, obj, where, err, errsize) == -1)
		goto out_bad;
	/* Logged-in users: "users", then anyone with a History setting. */
	for (i = 0; i < 3; i++)
		json_array_foreach(json_object_get(obj, lists[i]), j, e)
		    scenario_add_user(d, json_string_value(e));
	hist = json_object_get(obj, "history");
	if (hist != NULL && !json_is_null(hist) && !json_is_object(hist)) {
		snprintf(err, errsize, "%s.history: expected an object", where);
		goto out_bad;
	}
	json_object_foreach(hist, key, v)
	{
		if (*key == '\0' || strpbrk(key, "\\/:") != NULL) {
			snprintf(err, errsize, "%s.history: bad user name '%s'",
			    where, key);
			goto out_bad;
		}
		u = scenario_add_user(d, key);
		if (scenario_visits(u, v, where, err, errsize) == -1)
			goto out_bad;
	}
	for (i = 0; i < d->nusers; i++) {
		if (scenario_has(obj, "no_chrome", d->users[i].name))
			d->users[i].history = SIM_HISTORY_NONE;
		else if (scenario_has(obj, "corrupt_history", d->users[i].name))
			d->users[i].history = SIM_HISTORY_CORRUPT;
	}
	if (endpoint_parse(d, obj, where, err, errsize) == -1 ||
	    scenario_int(
		obj, "history_pad_mb", 0, 256, &pad, where, err, errsize))
		goto out_bad;
	/* Set on every user, once all of them exist (profiles add some). */
	for (i = 0; i < d->nusers; i++)
		d->users[i].pad_mb = (int)pad;
	return d;
out_bad:
	sim_device_free(d);
	return NULL;
}

/* Queues the scenario's notifications.  0, or -1 with err set. */
static int
scenario_notifications(struct sim *s, json_t *list, char *err, size_t errsize)
{
	json_t *e, *at, *type;
	long long dev;
	char where[48];
	size_t i;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		snprintf(err, errsize, "notifications: expected an array");
		return -1;
	}
	json_array_foreach(list, i, e)
	{
		snprintf(where, sizeof(where), "notifications[%zu]", i);
		if (!json_is_object(e))
			goto out_bad;
		if (json_object_get(e, "raw") != NULL) {
			sim_notify_raw(
			    s, json_incref(json_object_get(e, "raw")));
			continue;
		}
		dev = 0;
		if (scenario_int(e, "device_id", 1, 9007199254740992LL, &dev,
			where, err, errsize) == -1)
			return -1;
		at = json_object_get(e, "at");
		type = json_object_get(e, "type");
		if (dev == 0 ||
		    (at != NULL &&
			(!json_is_number(at) || json_number_value(at) < 0)) ||
		    (type != NULL && !json_is_string(type)))
			goto out_bad;
		sim_notify(s, dev, json_string_value(type),
		    s->start_ms + (int64_t)(json_number_value(at) * 1000));
	}
	return 0;
out_bad:
	snprintf(err, errsize,
	    "%s: expected {\"at\": seconds, \"device_id\": "
	    "N, \"type\": \"THREAT\"}",
	    where);
	return -1;
}

bool
scenario_org_key_ok(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n > 64)
		return false;
	for (; *key != '\0'; key++)
		if (!((*key >= 'A' && *key <= 'Z') ||
			(*key >= 'a' && *key <= 'z') ||
			(*key >= '0' && *key <= '9')))
			return false;
	return true;
}

/* Creates the scenario's alerts.  0, or -1 with err set. */
static int
scenario_alerts(struct sim *s, json_t *list, char *err, size_t errsize)
{
	json_t *e;
	size_t i;
	char msg[256];

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		snprintf(err, errsize, "alerts: expected an array");
		return -1;
	}
	json_array_foreach(list, i, e)
	{
		if (alerts_add_spec(s, e, false, NULL, msg, sizeof(msg)) ==
		    -1) {
			snprintf(err, errsize, "alerts[%zu]: %s", i, msg);
			return -1;
		}
	}
	return 0;
}

int
scenario_load(struct sim *s, const char *path, char *err, size_t errsize)
{
	json_error_t jerr;
	json_t *root, *devs, *e;
	struct sim_device *d;
	long long n;
	size_t i;
	char msg[320], dmsg[256];
	int ret = -1;

	if ((root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL) {
		if (jerr.line > 0)
			snprintf(err, errsize, "scenario '%s': line %d: %s",
			    path, jerr.line, jerr.text);
		else
			snprintf(
			    err, errsize, "scenario '%s': %s", path, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(msg, sizeof(msg), "expected a JSON object");
		goto out;
	}
	scenario_check_keys(root, scenario_keys, "scenario");
	n = s->latency_ms;
	if (scenario_int(root, "latency_ms", 0, 600000, &n, "scenario", msg,
		sizeof(msg)) == -1)
		goto out;
	s->latency_ms = n;
	n = s->command_ms;
	if (scenario_int(root, "command_ms", 0, 600000, &n, "scenario", msg,
		sizeof(msg)) == -1)
		goto out;
	s->command_ms = n;
	n = s->session_idle_ms / 1000;
	if (scenario_int(root, "session_idle_s", 0, 86400 * 7, &n, "scenario",
		msg, sizeof(msg)) == -1)
		goto out;
	s->session_idle_ms = n * 1000;
	if (scenario_string(
		root, "token", &s->token, "scenario", msg, sizeof(msg)) == -1 ||
	    scenario_string(root, "siem_token", &s->siem_token, "scenario", msg,
		sizeof(msg)) == -1)
		goto out;
	devs = json_object_get(root, "devices");
	if (devs != NULL && !json_is_array(devs)) {
		snprintf(msg, sizeof(msg), "devices: expected an array");
		goto out;
	}
	json_array_foreach(devs, i, e)
	{
		if ((d = scenario_device(e, dmsg, sizeof(dmsg))) == NULL ||
		    sim_device_add(s, d, dmsg, sizeof(dmsg)) == -1) {
			snprintf(msg, sizeof(msg), "devices[%zu]: %s", i, dmsg);
			goto out;
		}
	}
	if (scenario_notifications(s, json_object_get(root, "notifications"),
		msg, sizeof(msg)) == -1)
		goto out;
	if (scenario_string(root, "org_key", &s->org_key, "scenario", msg,
		sizeof(msg)) == -1)
		goto out;
	if (!scenario_org_key_ok(s->org_key)) {
		snprintf(msg, sizeof(msg),
		    "org_key: expected 1..64 letters "
		    "and digits");
		goto out;
	}
	if ((e = json_object_get(root, "lowercase_session_status")) != NULL &&
	    !json_is_null(e)) {
		if (!json_is_boolean(e)) {
			snprintf(msg, sizeof(msg),
			    "lowercase_session_status: expected a boolean");
			goto out;
		}
		s->lowercase_status = json_is_true(e);
	}
	if ((e = json_object_get(root, "command_serial")) != NULL &&
	    !json_is_null(e)) {
		if (!json_is_boolean(e)) {
			snprintf(msg, sizeof(msg),
			    "command_serial: expected a boolean");
			goto out;
		}
		s->command_serial = json_is_true(e);
	}
	if (scenario_alerts(
		s, json_object_get(root, "alerts"), msg, sizeof(msg)) == -1)
		goto out;
	ret = 0;
out:
	if (ret == -1)
		snprintf(err, errsize, "scenario '%s': %s", path, msg);
	json_decref(root);
	return ret;
}

/* Adds one default device; users are a NULL-terminated list. */
static void
scenario_default_device(struct sim *s, int64_t id, const char *name,
    const char *version, int checkin_after, const char *const *users)
{
	struct sim_device *d = sim_device_new(id);
	char err[256];

	sim_set_string(&d->name, name);
	sim_set_string(&d->os_version, version);
	d->checkin_after = checkin_after;
	for (; *users != NULL; users++)
		scenario_add_user(d, *users);
	endpoint_default_profiles(d);
	if (sim_device_add(s, d, err, sizeof(err)) == -1)
		fatalx("%s", err);
}

void
scenario_default(struct sim *s)
{
	/* Two users logged on and one who is not; Chrome with two profiles
	 * (the Default one held open by the running browser) and Edge. */
	static const char demo[] =
	    "{\"id\": 21212, \"name\": \"WIN-DEMO01\", "
	    "\"users\": [\"jdoe\", \"asmith\"], \"logged_off\": [\"kwhite\"], "
	    "\"profiles\": {\"jdoe\": {\"chrome\": [\"Default\", \"Profile 1\"], "
	    "\"edge\": [\"Default\"]}, \"asmith\": {\"chrome\": [\"Default\"], "
	    "\"edge\": [\"Default\"]}, \"kwhite\": {\"edge\": [\"Default\"]}}, "
	    "\"locked\": [\"jdoe/chrome/Default\"]}";
	static const char *const finance[] = {"mjones", NULL};
	static const char *const offline[] = {"kbrown", NULL};
	struct sim_device *d;
	json_t *obj = json_loads(demo, 0, NULL);
	char err[256];

	if ((d = scenario_device(obj, err, sizeof(err))) == NULL ||
	    sim_device_add(s, d, err, sizeof(err)) == -1)
		fatalx("%s", err);
	json_decref(obj);
	scenario_default_device(
	    s, 31337, "WIN-FINANCE02", "Windows 11 x64", 3, finance);
	scenario_default_device(
	    s, 40404, "WIN-OFFLINE03", "Windows 10 x64", -1, offline);
}
