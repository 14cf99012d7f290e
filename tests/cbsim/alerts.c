/* alerts.c - v7 alerts: creation, a store sorted by (backend_timestamp,
 * id), and the Alerts v7 search.
 *
 * Tests create tens of thousands of alerts, so an alert is a few compact
 * fields (strings interned) and its JSON is built only when it is served.
 * A search binary-searches the time range, filters it linearly, and
 * renders at most one page (rows <= 10000). */
#include "alerts.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"

#define ALERTS_DEFAULT_RANGE_MS (14LL * 86400 * 1000) /* two weeks */

/* ---------------------------------------------------------------- store */

/* Returns the interned copy of str (NULL stays NULL). */
static const char *
alerts_intern(struct sim_alerts *a, const char *str)
{
	size_t i;

	if (str == NULL)
		return NULL;
	for (i = 0; i < a->nstrs; i++)
		if (strcmp(a->strs[i], str) == 0)
			return a->strs[i];
	a->strs = xrealloc(a->strs, (a->nstrs + 1) * sizeof(*a->strs));
	a->strs[a->nstrs] = xstrdup(str);
	return a->strs[a->nstrs++];
}

void
sim_alerts_clear(struct sim_alerts *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].id);
		json_decref(a->v[i].raw);
	}
	free(a->v);
	for (i = 0; i < a->nstrs; i++)
		free(a->strs[i]);
	free(a->strs);
	memset(a, 0, sizeof(*a));
}

/* Returns a new zeroed slot at the end of the store. */
static struct sim_alert *
alerts_push(struct sim_alerts *a)
{
	struct sim_alert *al;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		a->v = xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	al = &a->v[a->n++];
	memset(al, 0, sizeof(*al));
	al->device_id = -1;
	al->seq = a->next_seq++;
	return al;
}

/* qsort order: backend_timestamp, then id. */
static int
alerts_cmp(const void *x, const void *y)
{
	const struct sim_alert *a = x, *b = y;

	if (a->ts_ms != b->ts_ms)
		return a->ts_ms < b->ts_ms ? -1 : 1;
	return strcmp(a->id, b->id);
}

static void
alerts_sort(struct sim_alerts *a)
{
	qsort(a->v, a->n, sizeof(*a->v), alerts_cmp);
}

/* ------------------------------------------------------------- creation */

/* True if key is one a spec may have. */
static bool
alerts_spec_key(const char *key)
{
	static const char *const keys[] = {"at", "age_s", "device_id",
	    "devices", "type", "severity", "count", "spacing_ms", "policy",
	    "raw", NULL};
	size_t i;

	if (key[0] == '_')
		return true;
	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* Reads an optional integer spec field in [min, max].  0 or -1. */
static int
alerts_spec_int(json_t *spec, const char *key, long long min, long long max,
    long long *out, char *err, size_t errsize)
{
	json_t *v = json_object_get(spec, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(err, errsize,
		    "alerts.%s: expected an integer in "
		    "%lld..%lld",
		    key, min, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Seconds (|sec| <= 1e9) to rounded ms, without libm. */
static int64_t
alerts_ms(double sec)
{
	double ms = sec * 1000;

	return (int64_t)(ms < 0 ? ms - 0.5 : ms + 0.5);
}

const char *
alerts_add_raw(struct sim *s, json_t *raw)
{
	struct sim_alerts *a = &s->alerts;
	struct sim_alert *al = alerts_push(a);
	json_t *v;
	int64_t now = util_now_ms(), ms;
	const char *id;
	char buf[32];

	al->raw = raw;
	al->ts_ms = now;
	al->visible_ms = INT64_MIN;
	if (json_is_object(raw)) {
		v = json_object_get(raw, "backend_timestamp");
		if (!json_is_string(v))
			json_object_set_new(raw, "backend_timestamp",
			    json_string(util_iso8601(now, buf, sizeof(buf))));
		else if (util_parse_iso8601(json_string_value(v), &ms) == 0)
			al->ts_ms = ms;
		v = json_object_get(raw, "device_id");
		if (json_is_integer(v))
			al->device_id = json_integer_value(v);
		v = json_object_get(raw, "severity");
		if (json_is_integer(v) && json_integer_value(v) >= 1 &&
		    json_integer_value(v) <= 10)
			al->severity = (int)json_integer_value(v);
		al->type = alerts_intern(
		    a, json_string_value(json_object_get(raw, "type")));
		al->policy = alerts_intern(a,
		    json_string_value(json_object_get(raw, "device_policy")));
		al->os = alerts_intern(
		    a, json_string_value(json_object_get(raw, "device_os")));
	}
	id = json_string_value(json_object_get(raw, "id"));
	al->id = xstrdup(id ? id : "");
	alerts_sort(a);
	return id; /* NULL, or owned by raw, which the store keeps */
}

long long
alerts_add_spec(struct sim *s, json_t *spec, bool admin, json_t *ids, char *err,
    size_t errsize)
{
	struct sim_alerts *a = &s->alerts;
	const struct sim_device *d;
	struct sim_alert *al;
	long long dev = 0, ndev = 1, sev = 5, count = 1, spacing = 1, i;
	const char *key, *type, *policy, *rid;
	json_t *v, *at, *age, *raw;
	int64_t base, visible;
	char id[37];

	if (!json_is_object(spec)) {
		snprintf(err, errsize, "alerts: expected an object");
		return -1;
	}
	json_object_foreach(spec, key, v)
	{
		if (alerts_spec_key(key))
			continue;
		if (admin) {
			snprintf(
			    err, errsize, "alerts: unknown field '%s'", key);
			return -1;
		}
		log_warnx("scenario: alerts: ignoring unknown field '%s'", key);
	}
	if ((raw = json_object_get(spec, "raw")) != NULL) {
		rid = alerts_add_raw(s, json_deep_copy(raw));
		if (ids != NULL)
			json_array_append_new(
			    ids, rid ? json_string(rid) : json_null());
		return 1;
	}
	if (alerts_spec_int(spec, "device_id", 1, 9007199254740992LL, &dev, err,
		errsize) == -1 ||
	    alerts_spec_int(spec, "severity", 1, 10, &sev, err, errsize) ==
		-1 ||
	    alerts_spec_int(spec, "count", 0, ALERTS_MAX_COUNT, &count, err,
		errsize) == -1 ||
	    alerts_spec_int(spec, "devices", 1, ALERTS_MAX_COUNT, &ndev, err,
		errsize) == -1 ||
	    alerts_spec_int(
		spec, "spacing_ms", 0, 86400000, &spacing, err, errsize) == -1)
		return -1;
	if (dev == 0) {
		snprintf(err, errsize, "alerts: missing integer \"device_id\"");
		return -1;
	}
	v = json_object_get(spec, "type");
	type = json_string_value(v);
	if ((v != NULL && (type == NULL || *type == '\0'))) {
		snprintf(
		    err, errsize, "alerts.type: expected a non-empty string");
		return -1;
	}
	v = json_object_get(spec, "policy");
	policy = json_string_value(v);
	if ((v != NULL && (policy == NULL || *policy == '\0'))) {
		snprintf(
		    err, errsize, "alerts.policy: expected a non-empty string");
		return -1;
	}
	at = json_object_get(spec, "at");
	age = json_object_get(spec, "age_s");
	if ((at != NULL && (!json_is_number(at) || json_number_value(at) < 0 ||
			       json_number_value(at) > 1e9)) ||
	    (age != NULL &&
		(!json_is_number(age) || json_number_value(age) > 1e9 ||
		    json_number_value(age) < -1e9))) {
		snprintf(err, errsize,
		    "alerts: \"at\" must be seconds >= 0, \"age_s\" a number");
		return -1;
	}
	if (admin && (age != NULL || at == NULL)) {
		base = util_now_ms() - alerts_ms(json_number_value(age));
		visible = INT64_MIN;
	} else {
		base = s->start_ms + alerts_ms(json_number_value(at));
		visible = 0; /* set per alert below */
	}
	if (dev > 9007199254740992LL - ndev) {
		snprintf(err, errsize, "alerts: device_id + devices too large");
		return -1;
	}
	d = sim_device_find(s, dev);
	if (type == NULL)
		type = "CB_ANALYTICS";
	if (policy == NULL)
		policy = d ? d->policy : "Standard";
	type = alerts_intern(a, type);
	policy = alerts_intern(a, policy);
	for (i = 0; i < count; i++) {
		al = alerts_push(a);
		util_uuid(id);
		al->id = xstrdup(id);
		al->ts_ms = base + i * spacing;
		al->visible_ms = visible == INT64_MIN ? INT64_MIN : al->ts_ms;
		al->type = type;
		al->policy = policy;
		al->os = alerts_intern(a, d ? d->os : "WINDOWS");
		/* "devices": N spreads the alerts over device_id .. +N-1 in
		 * turn (the first device's policy and OS for all). */
		al->device_id = dev + i % ndev;
		al->severity = (int)sev;
		if (ids != NULL && i < 10)
			json_array_append_new(ids, json_string(id));
	}
	alerts_sort(a);
	return count;
}

/* ------------------------------------------------------------ rendering */

#define SETS(o, k, v) json_object_set_new((o), (k), json_string(v))
#define SETI(o, k, v) json_object_set_new((o), (k), json_integer(v))
#define SETB(o, k, v) json_object_set_new((o), (k), json_boolean(v))
#define SETN(o, k) json_object_set_new((o), (k), json_null())
#define SETT(o, k, ms)       \
	json_object_set_new( \
	    (o), (k), json_string(util_iso8601((ms), tbuf, sizeof(tbuf))))

/* A stable small hash of a string (policy ids, threat ids). */
static uint64_t
alerts_hash(const char *str, uint64_t h)
{
	for (; *str != '\0'; str++)
		h = (h ^ (unsigned char)*str) * 1099511628211ULL;
	return h;
}

/* Adds the fields that depend on the alert's type. */
static void
alerts_render_type(json_t *o, const struct sim_alert *al, const char *exe)
{
	char buf[320];
	json_t *w;

	if (strcmp(al->type, "WATCHLIST") == 0) {
		SETS(o, "reason",
		    "Process powershell.exe was detected by the "
		    "report \"lrflow sim report\" in watchlist "
		    "\"lrflow-sim-feed\"");
		SETS(o, "reason_code",
		    "5319dc28-4f8b-3a9f-84c6-e045c5e186ff:"
		    "920e0ded-e95b-3d77-8eaa-e28bdaa133f2");
		SETS(o, "report_id", "lrflowSimReport0001-sim_report01");
		SETS(o, "report_name", "lrflow sim report");
		SETS(o, "report_description", "simulated watchlist hit");
		json_object_set_new(o, "report_tags", json_array());
		SETS(o, "ioc_id", "sim_report01_ioc01");
		SETS(o, "ioc_hit", "process_name:powershell.exe");
		w = json_pack("[{s:s, s:s}]", "id", "lrflowSimWatchlist01",
		    "name", "lrflow-sim-feed");
		json_object_set_new(o, "watchlists", w);
	} else if (strcmp(al->type, "DEVICE_CONTROL") == 0) {
		SETS(o, "reason",
		    "Access attempted on unapproved USB device "
		    "SanDisk Cruzer Blade (SN: 4C530001131122116211). "
		    "A Deny Policy Action was applied.");
		SETS(o, "reason_code", "6d76fdb2-2e5c-3e0a-9b8b-1e6e3e0c0001");
		SETS(o, "vendor_name", "SanDisk");
		SETS(o, "product_name", "Cruzer Blade");
		SETS(o, "serial_number", "4C530001131122116211");
		SETS(
		    o, "external_device_friendly_name", "SanDisk Cruzer Blade");
	} else {
		snprintf(buf, sizeof(buf),
		    "The application %s acted as a network server.", exe);
		SETS(o, "reason", buf);
		SETS(o, "reason_code", "R_NET_SERVER");
		SETS(o, "category", al->severity >= 7 ? "THREAT" : "MONITORED");
		json_object_set_new(o, "ttps",
		    json_pack("[s, s, s, s]", "NETWORK_ACCESS", "UNKNOWN_APP",
			"ACTIVE_SERVER",
			"MITRE_T1046_NETWORK_SERVICE_SCANNING"));
		SETS(o, "attack_tactic", "");
		SETS(o, "attack_technique", "");
	}
}

/* Returns the JSON of a generated alert (new reference). */
static json_t *
alerts_render(const struct sim *s, const struct sim_alert *al)
{
	const struct sim_device *d = sim_device_find(s, al->device_id);
	const char *user = d && d->nusers > 0 ? d->users[0].name : NULL;
	static const char exe[] = "shippinginvoice.pdf.exe";
	int pid = 4000 + (int)(al->seq % 15000) * 4, ppid = 3012;
	uint64_t th = alerts_hash(
	    al->type, alerts_hash(s->org_key, 14695981039346656037ULL) ^
			  (uint64_t)al->device_id);
	char tbuf[32], buf[400], guid[96], pguid[96], uname[96], ip[32];
	json_t *o = json_object();

	snprintf(buf, sizeof(buf),
	    "https://defense.conferdeploy.example/alerts?s[c][query_string]="
	    "id:%s&orgKey=%s",
	    al->id, s->org_key);
	SETS(o, "org_key", s->org_key);
	SETS(o, "alert_url", buf);
	SETS(o, "id", al->id);
	SETS(o, "type", al->type);
	SETT(o, "backend_timestamp", al->ts_ms);
	SETN(o, "user_update_timestamp");
	SETT(o, "backend_update_timestamp", al->ts_ms);
	SETT(o, "detection_timestamp", al->ts_ms - 30000);
	SETT(o, "first_event_timestamp", al->ts_ms - 60000);
	SETT(o, "last_event_timestamp", al->ts_ms - 59500);
	SETI(o, "severity", al->severity);
	snprintf(buf, sizeof(buf), "%016" PRIX64 "%016" PRIX64, th,
	    alerts_hash("threat", th));
	SETS(o, "threat_id", buf);
	snprintf(buf, sizeof(buf), "SimEvent%014lld-0", al->seq);
	SETS(o, "primary_event_id", buf);
	SETS(o, "policy_applied", "NOT_APPLIED");
	SETS(o, "run_state", "RAN");
	SETS(o, "sensor_action", "ALLOW");
	json_object_set_new(o, "workflow",
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "change_timestamp",
		util_iso8601(al->ts_ms, tbuf, sizeof(tbuf)), "changed_by_type",
		"SYSTEM", "changed_by", "ALERT_CREATION", "closure_reason",
		"NO_REASON", "status", "OPEN"));
	json_object_set_new(o, "determination",
	    json_pack("{s:s, s:s, s:s, s:s}", "change_timestamp",
		util_iso8601(al->ts_ms, tbuf, sizeof(tbuf)), "value", "NONE",
		"changed_by_type", "SYSTEM", "changed_by", "ALERT_CREATION"));
	SETN(o, "tags");
	SETB(o, "alert_notes_present", 0);
	SETB(o, "threat_notes_present", 0);
	SETB(o, "is_updated", 0);
	SETI(o, "device_id", al->device_id);
	SETS(o, "device_name", d ? d->name : "unknown");
	SETS(o, "device_uem_id", "");
	SETS(o, "device_target_value", "MEDIUM");
	SETS(o, "device_policy", al->policy);
	SETI(o, "device_policy_id",
	    strcmp(al->policy, "Standard") == 0
		? 6525
		: (json_int_t)(alerts_hash(al->policy, 5381) % 900000 + 10000));
	SETS(o, "device_os", al->os ? al->os : "WINDOWS");
	SETS(o, "device_os_version", d ? d->os_version : "Windows 10 x64");
	if (user != NULL) {
		snprintf(uname, sizeof(uname), "%s@corp.example", user);
		SETS(o, "device_username", uname);
		snprintf(uname, sizeof(uname), "CORP\\%s", user);
	} else {
		SETS(o, "device_username", "");
		snprintf(uname, sizeof(uname), "NT AUTHORITY\\SYSTEM");
	}
	SETS(o, "device_location", "OFFSITE");
	SETS(o, "device_external_ip", "203.0.113.10");
	snprintf(ip, sizeof(ip), "10.0.%d.%d", (int)(al->device_id / 250 % 250),
	    (int)(al->device_id % 250 + 1));
	SETS(o, "device_internal_ip", ip);
	SETB(o, "mdr_alert", 0);
	alerts_render_type(o, al, exe);
	snprintf(guid, sizeof(guid),
	    "%s-%08" PRIx64 "-%08x-00000000-1d96d3bcdd0b1db", s->org_key,
	    (uint64_t)al->device_id, (unsigned)pid);
	snprintf(pguid, sizeof(pguid),
	    "%s-%08" PRIx64 "-%08x-00000000-1d96d3b9e749e27", s->org_key,
	    (uint64_t)al->device_id, (unsigned)ppid);
	SETS(o, "process_guid", guid);
	SETI(o, "process_pid", pid);
	snprintf(buf, sizeof(buf), "c:\\users\\%s\\downloads\\%s",
	    user ? user : "public", exe);
	SETS(o, "process_name", buf);
	SETS(o, "process_sha256",
	    "37fec82d9e18c251b76bcfd5a2b88e12974c5b44862e2a6900b8a1f71b76183f");
	SETS(o, "process_md5", "c9a2a42d383e64b45d57bbea77cfbc8c");
	SETS(o, "process_effective_reputation", "NOT_LISTED");
	SETS(o, "process_reputation", "NOT_LISTED");
	snprintf(buf, sizeof(buf), "\"C:\\Users\\%s\\Downloads\\%s\"",
	    user ? user : "Public", exe);
	SETS(o, "process_cmdline", buf);
	SETS(o, "process_username", uname);
	SETS(o, "parent_guid", pguid);
	SETI(o, "parent_pid", ppid);
	SETS(o, "parent_name", "c:\\windows\\explorer.exe");
	SETS(o, "parent_cmdline", "C:\\Windows\\Explorer.EXE");
	SETS(o, "parent_username", uname);
	SETS(o, "childproc_guid", "");
	SETS(o, "childproc_username", "");
	SETS(o, "childproc_cmdline", "");
	return o;
}

/* --------------------------------------------------------------- search */

/* A parsed search request. */
struct alerts_query {
	int64_t from_ms, to_ms; /* inclusive backend_timestamp bounds */
	json_t *types, *policies, *oses, *ids; /* string arrays; borrowed */
	long long *devs;                       /* owned */
	size_t ndevs;
	long long *sevs; /* owned */
	size_t nsevs;
	long long min_sev; /* 0: none */
	bool desc;
	long long rows, start;     /* start is 1-based */
	char msg[160];             /* error message naming a field */
	struct alerts_query *excl; /* exclusions: same fields; borrowed */
};

/* Parses "-2w" style relative ranges into ms.  0 or -1. */
static int
alerts_parse_range(const char *r, int64_t *ms)
{
	long long n;
	char *end;
	int64_t unit;

	if (r[0] != '-' || r[1] < '0' || r[1] > '9')
		return -1;
	n = strtoll(r + 1, &end, 10);
	if (end[0] == '\0' || end[1] != '\0' || n > 100000)
		return -1;
	switch (end[0]) {
	case 's':
		unit = 1000;
		break;
	case 'm':
		unit = 60000;
		break;
	case 'h':
		unit = 3600000;
		break;
	case 'd':
		unit = 86400000;
		break;
	case 'w':
		unit = 7LL * 86400000;
		break;
	case 'y':
		unit = 365LL * 86400000;
		break;
	default:
		return -1;
	}
	*ms = n * unit;
	return 0;
}

/* Parses time_range into q.  NULL or an error message. */
static const char *
alerts_parse_time(json_t *tr, struct alerts_query *q, int64_t now)
{
	json_t *range, *start, *end, *v;
	const char *key;
	int64_t ms;

	q->from_ms = now - ALERTS_DEFAULT_RANGE_MS;
	q->to_ms = now;
	if (tr == NULL || json_is_null(tr))
		return NULL;
	if (!json_is_object(tr))
		return "time_range must be an object";
	json_object_foreach(tr, key, v)
	{
		if (strcmp(key, "range") != 0 && strcmp(key, "start") != 0 &&
		    strcmp(key, "end") != 0)
			return "time_range: unknown field";
	}
	range = json_object_get(tr, "range");
	start = json_object_get(tr, "start");
	end = json_object_get(tr, "end");
	if (range != NULL) {
		if (start != NULL || end != NULL)
			return "time_range: give either range or start and end";
		if (!json_is_string(range))
			return "time_range.range must be a string such as -2w";
		if (strcmp(json_string_value(range), "all") == 0) {
			q->from_ms = INT64_MIN;
			q->to_ms = INT64_MAX;
			return NULL;
		}
		if (alerts_parse_range(json_string_value(range), &ms) == -1)
			return "time_range.range must be like -30s, -5m, -1h, "
			       "-1d, -2w, -1y or all";
		q->from_ms = now - ms;
		return NULL;
	}
	if (!json_is_string(start) || !json_is_string(end))
		return "time_range needs string start and end";
	if (util_parse_iso8601(json_string_value(start), &q->from_ms) == -1 ||
	    util_parse_iso8601(json_string_value(end), &q->to_ms) == -1)
		return "time_range start and end must be ISO 8601";
	if (q->from_ms > q->to_ms)
		return "time_range start is after end";
	return NULL;
}

/* Parses an array of integers (or decimal strings) into *out.  NULL or an
 * error message. */
static const char *
alerts_parse_ints(json_t *arr, long long **out, size_t *n)
{
	json_t *e;
	size_t i;
	long long x;

	if (!json_is_array(arr))
		return "criteria values must be arrays";
	*out = xcalloc(json_array_size(arr) + 1, sizeof(**out));
	*n = 0;
	json_array_foreach(arr, i, e)
	{
		if (json_is_integer(e))
			x = json_integer_value(e);
		else if (!json_is_string(e) ||
			 util_parse_int(json_string_value(e), LLONG_MIN,
			     LLONG_MAX, &x) == -1)
			return "criteria value must be an integer";
		(*out)[(*n)++] = x;
	}
	return NULL;
}

/* Checks arr is an array of strings.  NULL or an error message. */
static const char *
alerts_check_strings(json_t *arr)
{
	json_t *e;
	size_t i;

	if (!json_is_array(arr))
		return "criteria values must be arrays";
	json_array_foreach(arr, i, e)
	{
		if (!json_is_string(e))
			return "criteria value must be a string";
	}
	return NULL;
}

/* Parses criteria into q.  NULL or an error message. */
static const char *
alerts_parse_criteria(json_t *c, struct alerts_query *q)
{
	const char *key, *msg = NULL;
	json_t *v;

	if (c == NULL || json_is_null(c))
		return NULL;
	if (!json_is_object(c))
		return "criteria must be an object";
	json_object_foreach(c, key, v)
	{
		if (strcmp(key, "type") == 0)
			msg = alerts_check_strings(q->types = v);
		else if (strcmp(key, "device_policy") == 0)
			msg = alerts_check_strings(q->policies = v);
		else if (strcmp(key, "device_os") == 0)
			msg = alerts_check_strings(q->oses = v);
		else if (strcmp(key, "id") == 0)
			msg = alerts_check_strings(q->ids = v);
		else if (strcmp(key, "device_id") == 0) {
			free(q->devs);
			msg = alerts_parse_ints(v, &q->devs, &q->ndevs);
		} else if (strcmp(key, "severity") == 0) {
			free(q->sevs);
			msg = alerts_parse_ints(v, &q->sevs, &q->nsevs);
		} else if (strcmp(key, "minimum_severity") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 10)
				return "minimum_severity must be an integer "
				       "1..10";
			q->min_sev = json_integer_value(v);
		} else {
			snprintf(q->msg, sizeof(q->msg),
			    "unsupported criteria field '%.100s'", key);
			return q->msg;
		}
		if (msg != NULL)
			return msg;
	}
	return NULL;
}

/* Parses sort into q.  NULL or an error message. */
static const char *
alerts_parse_sort(json_t *sort, struct alerts_query *q)
{
	const char *field, *order;
	json_t *e;

	if (sort == NULL || json_is_null(sort))
		return NULL;
	if (!json_is_array(sort) || json_array_size(sort) > 1)
		return "sort must be an array of one {field, order}";
	if ((e = json_array_get(sort, 0)) == NULL)
		return NULL;
	field = json_string_value(json_object_get(e, "field"));
	order = json_string_value(json_object_get(e, "order"));
	if (field == NULL ||
	    (strcmp(field, "backend_timestamp") != 0 &&
		strcmp(field, "backend_update_timestamp") != 0))
		return "sort field must be backend_timestamp";
	if (order != NULL && util_strieq(order, "DESC"))
		q->desc = true;
	else if (order != NULL && !util_strieq(order, "ASC"))
		return "sort order must be ASC or DESC";
	return NULL;
}

/* Parses a whole request into q.  NULL or an error message. */
static const char *
alerts_parse(json_t *req, struct alerts_query *q, int64_t now)
{
	static const char *const keys[] = {"time_range", "criteria",
	    "exclusions", "sort", "rows", "start", "query", NULL};
	const char *key, *msg;
	json_t *v;
	size_t i;

	if (!json_is_object(req))
		return "request body must be a JSON object";
	json_object_foreach(req, key, v)
	{
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (keys[i] == NULL) {
			snprintf(q->msg, sizeof(q->msg),
			    "unsupported request field '%.100s'", key);
			return q->msg;
		}
	}
	v = json_object_get(req, "query");
	if (v != NULL && !json_is_string(v) && !json_is_null(v))
		return "query must be a string";
	if (json_string_length(v) > 0)
		log_warnx(
		    "alerts search: ignoring query '%s'", json_string_value(v));
	q->rows = 100;
	q->start = 1;
	v = json_object_get(req, "rows");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > ALERTS_MAX_WINDOW)
			return "rows must be an integer 1..10000";
		q->rows = json_integer_value(v);
	}
	v = json_object_get(req, "start");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > ALERTS_MAX_WINDOW)
			return "start must be an integer 1..10000";
		q->start = json_integer_value(v) ? json_integer_value(v) : 1;
	}
	if (q->start + q->rows - 1 > ALERTS_MAX_WINDOW)
		return "start + rows - 1 must not exceed 10000";
	if ((msg = alerts_parse_time(
		 json_object_get(req, "time_range"), q, now)) != NULL ||
	    (msg = alerts_parse_criteria(
		 json_object_get(req, "criteria"), q)) != NULL ||
	    (msg = alerts_parse_criteria(
		 json_object_get(req, "exclusions"), q->excl)) != NULL ||
	    (msg = alerts_parse_sort(json_object_get(req, "sort"), q)) != NULL)
		return msg;
	return NULL;
}

/* True if str is in the string array arr. */
static bool
alerts_in(json_t *arr, const char *str)
{
	json_t *e;
	size_t i;

	if (str == NULL)
		return false;
	json_array_foreach(arr, i, e)
	{
		if (strcmp(json_string_value(e), str) == 0)
			return true;
	}
	return false;
}

/* True if x is among the n values of v. */
static bool
alerts_in_ints(const long long *v, size_t n, long long x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* Counts into *given the fields q constrains, and into *hit those of
 * them al satisfies. */
static void
alerts_fields(const struct alerts_query *q, const struct sim_alert *al,
    int *given, int *hit)
{
	*given = *hit = 0;
	if (json_array_size(q->types) > 0 && ++*given)
		*hit += alerts_in(q->types, al->type);
	if (json_array_size(q->policies) > 0 && ++*given)
		*hit += alerts_in(q->policies, al->policy);
	if (json_array_size(q->oses) > 0 && ++*given)
		*hit += alerts_in(q->oses, al->os);
	if (json_array_size(q->ids) > 0 && ++*given)
		*hit += alerts_in(q->ids, al->id);
	if (q->min_sev > 0 && ++*given)
		*hit += al->severity >= q->min_sev;
	if (q->ndevs > 0 && ++*given)
		*hit += alerts_in_ints(q->devs, q->ndevs, al->device_id);
	if (q->nsevs > 0 && ++*given)
		*hit += alerts_in_ints(q->sevs, q->nsevs, al->severity);
}

/* True if al passes every criterion of q and matches no exclusion. */
static bool
alerts_match(const struct alerts_query *q, const struct sim_alert *al)
{
	int given, hit;

	alerts_fields(q, al, &given, &hit);
	if (hit < given)
		return false;
	alerts_fields(q->excl, al, &given, &hit);
	return hit == 0;
}

/* First index whose ts_ms >= ms (or > ms if after). */
static size_t
alerts_bound(const struct sim_alerts *a, int64_t ms, bool after)
{
	size_t lo = 0, hi = a->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->v[mid].ts_ms < ms || (after && a->v[mid].ts_ms == ms))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

json_t *
alerts_search(struct sim *s, json_t *req, int *status)
{
	const struct sim_alerts *a = &s->alerts;
	struct alerts_query q = {0}, excl = {0};
	int64_t now = util_now_ms();
	size_t lo, hi, i, n = 0, *hits = NULL, first, k;
	json_t *results, *out;
	const struct sim_alert *al;
	const char *msg;

	q.excl = &excl;
	if ((msg = alerts_parse(req, &q, now)) != NULL) {
		*status = 400;
		out = json_pack("{s:s, s:s}", "error_code", "INVALID_ARGUMENT",
		    "message", msg);
		goto out;
	}
	lo = alerts_bound(a, q.from_ms, false);
	hi = alerts_bound(a, q.to_ms, true);
	if (hi > lo)
		hits = xcalloc(hi - lo, sizeof(*hits));
	for (i = lo; i < hi; i++) {
		al = &a->v[i];
		if (al->visible_ms <= now && alerts_match(&q, al))
			hits[n++] = i;
	}
	results = json_array();
	first = (size_t)q.start - 1;
	for (k = first; k < n && k < first + (size_t)q.rows; k++) {
		al = &a->v[hits[q.desc ? n - 1 - k : k]];
		if (al->raw != NULL)
			json_array_append(results, al->raw);
		else
			json_array_append_new(results, alerts_render(s, al));
	}
	s->stats.alerts_returned += (long long)json_array_size(results);
	*status = 200;
	out = json_pack("{s:o, s:I, s:I}", "results", results, "num_found",
	    (json_int_t)n, "num_available",
	    (json_int_t)(n < ALERTS_MAX_WINDOW ? n : ALERTS_MAX_WINDOW));
	free(hits);
out:
	free(q.devs);
	free(q.sevs);
	free(excl.devs);
	free(excl.sevs);
	return out;
}
