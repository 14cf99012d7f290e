/* routes_v6.c - Live Response v6 and Devices v6 (prefix
 * /appservices/v6/orgs/{org_key}), answering with the payload shapes of
 * fixtures/v6_*.json.
 *
 * Sessions and commands are the same simulator objects the v3 routes use;
 * only their rendering differs: device_id instead of sensor_id, ISO
 * create_time, "path" instead of "object" in requests, v6 process field
 * names, file_details.file_id (a UUID) for "get file", and file content
 * served by a 302 to the storage host (storage.c).  A DELETEd session is
 * gone: 404 on every v6 route.  One the cloud dropped (sessions.h) answers
 * 404 too, except its GET, which says CLOSE.  Errors are
 * {"error_code","message"}. */
#include "routes_v6.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "devices.h"
#include "sessions.h"
#include "sim.h"

#define V6 "/appservices/v6/orgs/*"
#define LR V6 "/liveresponse/sessions"
#define V6_ROUTE (ROUTE_API | ROUTE_ORG)
/* A v6 route whose handler places its own /_sim/fault. */
#define V6_FAULT (V6_ROUTE | ROUTE_FAULT)

/* Returns ms as a new ISO-8601 JSON string. */
static json_t *
v6_iso(int64_t ms)
{
	char buf[32];

	return json_string(util_iso8601(ms, buf, sizeof(buf)));
}

/* Answers 400 INVALID_ARGUMENT. */
static void
v6_bad(struct server_req *r, const char *msg)
{
	server_reply_cbc(r, 400, "INVALID_ARGUMENT", msg);
}

/* Returns the open session named by args[1], or answers 404 and returns
 * NULL. */
static struct sim_session *
v6_open_session(struct sim *s, struct server_req *r)
{
	struct sim_session *ss = sim_session_find(s, r->args[1]);

	if (ss == NULL || ss->closed) {
		server_reply_cbc(r, 404, "NOT_FOUND", "Session not found");
		return NULL;
	}
	return ss;
}

/* --------------------------------------------------------------- session */

/* Returns a session's status word: CLOSE once closed, else ACTIVE once
 * the sensor is in, else PENDING (lower case with
 * lowercase_session_status). */
static const char *
v6_session_status(const struct sim *s, bool closed, bool in)
{
	if (closed)
		return s->lowercase_status ? "close" : "CLOSE";
	if (in)
		return s->lowercase_status ? "active" : "ACTIVE";
	return s->lowercase_status ? "pending" : "PENDING";
}

/* Returns ss as a v6 session object (new reference).  A session just
 * created always reports PENDING; sensor fields are null until then.  A
 * closed one is shown as of its close. */
static json_t *
v6_session_json(const struct sim *s, const struct sim_session *ss, bool fresh)
{
	const struct sim_device *d = sim_device_find(s, ss->device_id);
	int64_t now = ss->closed ? ss->close_ms : util_now_ms();
	bool in =
	    !fresh && d != NULL && ss->checkin_ms >= 0 && now >= ss->checkin_ms;
	const char *status = v6_session_status(s, ss->closed, in);
	int64_t seen = in  ? ss->checkin_ms
		       : d ? now - (int64_t)d->last_contact_ago * 1000
			   : ss->create_ms;
	json_t *o;

	o = json_pack("{s:s, s:I, s:i, s:i, s:s, s:I, s:o, s:o}", "id", ss->id,
	    "device_id", (json_int_t)ss->device_id, "check_in_timeout",
	    SIM_CHECK_IN_TIMEOUT, "session_timeout", SIM_CHECK_IN_TIMEOUT,
	    "status", status, "current_command_index", (json_int_t)ss->ncmds,
	    "create_time", v6_iso(ss->create_ms), "device_check_in_time",
	    v6_iso(seen));
	sim_session_sensor_fields(o, in ? d : NULL, ss);
	return o;
}

/* Renders a session as GET and the session list show it. */
static json_t *
v6_session_shown(const struct sim *s, const struct sim_session *ss)
{
	return v6_session_json(s, ss, false);
}

/* GET .../sessions: every open session ("Get All Sessions"), so that a
 * client whose create answer was lost can find what it created. */
static void
v6_session_list(struct sim *s, struct server_req *r)
{
	server_reply_json(r, 200, sessions_list(s, v6_session_shown));
}

/* POST .../sessions {"device_id": N} -> 201 */
static void
v6_session_create(struct sim *s, struct server_req *r)
{
	const struct sim_device *d;
	json_t *body = NULL, *dev;
	char *why;

	if (server_fault(s, r, SIM_FAULT_SESSIONS))
		return;
	if (server_body_json(r, &body) == -1 || !json_is_object(body)) {
		v6_bad(r, "Invalid JSON body");
		goto out;
	}
	dev = json_object_get(body, "device_id");
	if (!json_is_integer(dev) || json_integer_value(dev) < 1) {
		v6_bad(r, "device_id is required and must be an integer");
		goto out;
	}
	if ((d = sim_device_find(s, json_integer_value(dev))) == NULL) {
		server_reply_cbc(r, 404, "NOT_FOUND", "Device not found");
		goto out;
	}
	if ((why = devices_lr_refusal(d)) != NULL) {
		server_reply_cbc(r, 403, "FORBIDDEN", why);
		free(why);
		goto out;
	}
	server_reply_json(
	    r, 201, v6_session_json(s, sim_session_open(s, d, true), true));
out:
	json_decref(body);
}

/* GET .../sessions/{sid}: a session the client closed is gone (404), one
 * the cloud dropped says CLOSE. */
static void
v6_session_get(struct sim *s, struct server_req *r)
{
	const struct sim_session *ss;

	if (server_fault(s, r, SIM_FAULT_SESSION_GET))
		return;
	ss = sim_session_find(s, r->args[1]);
	if (ss == NULL || (ss->closed && !ss->dropped))
		server_reply_cbc(r, 404, "NOT_FOUND", "Session not found");
	else
		server_reply_json(r, 200, v6_session_json(s, ss, false));
}

/* DELETE .../sessions/{sid} -> 204 */
static void
v6_session_delete(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;

	if (server_fault(s, r, SIM_FAULT_SESSION_CLOSE))
		return;
	if ((ss = v6_open_session(s, r)) == NULL)
		return;
	sim_session_close(s, ss);
	server_reply_empty(r, 204);
}

/* GET .../sessions/{sid}/keepalive: restarts the idle timer. */
static void
v6_session_keepalive(struct sim *s, struct server_req *r)
{
	struct sim_session *ss = v6_open_session(s, r);

	if (ss == NULL)
		return;
	sessions_touch(ss, util_now_ms());
	server_reply_json(r, 200, json_object());
}

/* --------------------------------------------------------------- command */

/* Returns a v6 process-list entry for a v3 one (new reference). */
static json_t *
v6_process(json_t *p)
{
	static const char *const map[][2] = {{"pid", "process_pid"},
	    {"create_time", "create_time"}, {"proc_guid", "proc_guid"},
	    {"path", "process_path"}, {"command_line", "process_cmdline"},
	    {"sid", "sid"}, {"username", "process_username"},
	    {"parent", "parent_pid"}, {"parent_guid", "parent_guid"}};
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		json_object_set(o, map[i][1], json_object_get(p, map[i][0]));
	return o;
}

/* Returns command c as a v6 object as of now_ms (negative: as submitted;
 * new reference). */
static json_t *
v6_command_json(const struct sim_command *c, int64_t now_ms)
{
	json_t *o = sim_command_json(c, now_ms), *procs, *p, *out;
	const char *name = json_string_value(json_object_get(o, "name"));
	size_t i;

	json_object_set(o, "device_id", json_object_get(o, "sensor_id"));
	json_object_del(o, "sensor_id");
	json_object_set_new(o, "create_time",
	    v6_iso(json_integer_value(json_object_get(o, "create_time"))));
	if (name != NULL && strcmp(name, "get file") == 0) {
		json_object_del(o, "file_id");
		json_object_set_new(o, "file_details",
		    json_pack("{s:i, s:i, s:s}", "offset", 0, "count", 0,
			"file_id", c->file_uuid));
	}
	if ((procs = json_object_get(o, "processes")) != NULL) {
		out = json_array();
		json_array_foreach(procs, i, p)
		    json_array_append_new(out, v6_process(p));
		json_object_set_new(o, "processes", out);
	}
	return o;
}

/* True if the command needs a "path". */
static bool
v6_needs_path(const char *name)
{
	return strcmp(name, "process list") != 0;
}

/* POST .../sessions/{sid}/commands {"name": ..., "path": ...} */
static void
v6_command_create(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	struct sim_command *c;
	const char *name;
	json_t *body = NULL, *path, *req;
	char *msg;

	if (server_fault(s, r, SIM_FAULT_COMMANDS))
		return;
	if ((ss = v6_open_session(s, r)) == NULL)
		return;
	if (!sim_session_active(ss, util_now_ms())) {
		v6_bad(r, "Session is not active");
		return;
	}
	if (server_body_json(r, &body) == -1 || !json_is_object(body)) {
		v6_bad(r, "Invalid JSON body");
		goto out;
	}
	if ((name = json_string_value(json_object_get(body, "name"))) == NULL) {
		v6_bad(r, "Missing command name");
		goto out;
	}
	if (!sim_command_supported(name)) {
		msg = xasprintf("Unsupported command: %s", name);
		v6_bad(r, msg);
		free(msg);
		goto out;
	}
	path = json_object_get(body, "path");
	if ((path != NULL && !json_is_null(path) && !json_is_string(path)) ||
	    (v6_needs_path(name) && json_string_length(path) == 0)) {
		server_reply_json(
		    r, 400, json_pack("{s:s}", "message", "path is required"));
		goto out;
	}
	if (ss->ncmds >= SIM_MAX_COMMANDS) {
		v6_bad(r, "Too many commands in session");
		goto out;
	}
	/* The simulator's commands read the v3 "object". */
	req = json_copy(body);
	json_object_set(req, "object", path ? path : json_null());
	c = sim_command_run(s, ss, name, req, util_now_ms());
	json_decref(req);
	server_reply_json(r, 200, v6_command_json(c, -1));
out:
	json_decref(body);
}

/* GET .../sessions/{sid}/commands: every command, as of now. */
static void
v6_command_list(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	json_t *a;
	size_t i;

	if ((ss = v6_open_session(s, r)) == NULL)
		return;
	a = json_array();
	for (i = 0; i < ss->ncmds; i++)
		json_array_append_new(
		    a, v6_command_json(&ss->cmds[i], util_now_ms()));
	server_reply_json(r, 200, a);
}

/* GET .../sessions/{sid}/commands/{id} */
static void
v6_command_get(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	struct sim_command *c;
	long long id;

	if (server_fault(s, r, SIM_FAULT_COMMAND_GET))
		return;
	if ((ss = v6_open_session(s, r)) == NULL)
		return;
	if (util_parse_int(r->args[2], 0, INT_MAX, &id) == -1 ||
	    (c = sim_command_find(ss, id)) == NULL) {
		server_reply_cbc(r, 404, "NOT_FOUND", "Command not found");
		return;
	}
	server_reply_json(r, 200, v6_command_json(c, util_now_ms()));
}

/* ------------------------------------------------------------------ files */

/* GET .../sessions/{sid}/files/{file_id}/content -> 302 to storage */
static void
v6_file_content(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	struct sim_file *f;
	struct sim_link *l;
	char *url;

	if (server_fault(s, r, SIM_FAULT_CONTENT))
		return;
	if ((ss = v6_open_session(s, r)) == NULL)
		return;
	if ((f = sim_file_find_uuid(ss, r->args[2])) == NULL) {
		server_reply_cbc(r, 404, "NOT_FOUND", "File not found");
		return;
	}
	l = sim_link_new(ss, f);
	url = xasprintf(
	    "http://%s/lr-content/%s?sig=%s", s->storage, l->key, l->sig);
	server_reply_redirect(r, url);
	free(url);
}

/* DELETE .../sessions/{sid}/files/{file_id} -> 204 */
static void
v6_file_delete(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;

	if ((ss = v6_open_session(s, r)) == NULL)
		return;
	if (sim_file_delete(ss, r->args[2]) == -1)
		server_reply_cbc(r, 404, "NOT_FOUND", "File not found");
	else
		server_reply_empty(r, 204);
}

/* ---------------------------------------------------------------- devices */

/* Returns d as a v6 device object (new reference), as
 * fixtures/v6_device_get.json. */
static json_t *
v6_device_json(const struct sim *s, const struct sim_device *d)
{
	int64_t now = util_now_ms();
	int64_t contact = now - (int64_t)d->last_contact_ago * 1000;
	char ip[32], *login = NULL;
	json_t *o;

	snprintf(ip, sizeof(ip), "10.0.%d.%d", (int)(d->id / 250 % 250),
	    (int)(d->id % 250 + 1));
	if (d->nusers > 0)
		login = xasprintf("CORP\\%s", d->users[0].name);
	o = json_pack("{s:n, s:n, s:i, s:n, s:s, s:n, s:b, s:n, s:n, s:n, "
		      "s:n, s:n, s:s, s:s, s:n, s:I, s:[], s:i, s:n, s:n}",
	    "activation_code", "activation_code_expiry_time", "ad_group_id", 0,
	    "av_ave_version", "av_engine", "", "av_last_scan_time", "av_master",
	    0, "av_pack_version", "av_product_version", "av_status",
	    "av_update_servers", "av_vdf_version", "current_sensor_policy_name",
	    d->policy, "deployment_type", "ENDPOINT", "deregistered_time", "id",
	    (json_int_t)d->id, "device_meta_data_item_list", "device_owner_id",
	    0, "email", "first_name");
	json_object_update_new(o,
	    json_pack("{s:o, s:n, s:n, s:s, s:s, s:s, s:n, s:n, s:o, s:n, s:n, "
		      "s:n, s:s?, s:s, s:n, s:s, s:i, s:s, s:s, s:s}",
		"last_contact_time", v6_iso(contact),
		"last_device_policy_changed_time",
		"last_device_policy_requested_time", "last_external_ip_address",
		"203.0.113.10", "last_internal_ip_address", ip, "last_location",
		"OFFSITE", "last_name", "last_policy_updated_time",
		"last_reported_time", v6_iso(contact), "last_reset_time",
		"last_shutdown_time", "linux_kernel_version", "login_user_name",
		login, "mac_address", "000000000000", "middle_name", "name",
		d->name, "organization_id", 423, "organization_name",
		"lrflow-sim.example", "os", d->os, "os_version",
		d->os_version));
	json_object_update_new(o,
	    json_pack("{s:b, s:I, s:s, s:b, s:b, s:o, s:b, s:n, s:b, s:n, s:n, "
		      "s:n, s:b, s:o, s:s, s:s, s:s, s:s, s:n, s:b, s:n, s:n}",
		"passive_mode", 0, "policy_id",
		(json_int_t)(strcmp(d->policy, "Standard") == 0 ? 6525 : 7000),
		"policy_name", d->policy, "policy_override", 0, "quarantined",
		0, "registered_time", v6_iso(s->start_ms - 86400000LL * 90),
		"rooted_by_analytics", 0, "rooted_by_analytics_time",
		"rooted_by_sensor", 0, "scan_last_action_time",
		"scan_last_complete_time", "scan_status", "sensor_out_of_date",
		0, "sensor_states", devices_sensor_states(d), "sensor_version",
		"3.6.0.1979", "status", "REGISTERED", "target_priority_type",
		"MEDIUM", "uninstall_code", "SIMUNINS", "vdi_base_device",
		"virtual_machine", 0, "virtualization_provider",
		"windows_platform"));
	free(login);
	return o;
}

/* GET /appservices/v6/orgs/{org}/devices/{id} */
static void
v6_device_get(struct sim *s, struct server_req *r)
{
	const struct sim_device *d;
	int64_t id;

	s->stats.device_lookups++;
	if (server_fault(s, r, SIM_FAULT_DEVICES))
		return;
	if (util_parse_device_id(r->args[1], &id) == -1) {
		v6_bad(r, "Invalid device id");
		return;
	}
	if ((d = sim_device_find(s, id)) == NULL) {
		server_reply_cbc(r, 404, "NOT_FOUND", "Device not found");
		return;
	}
	server_reply_json(r, 200, v6_device_json(s, d));
}

/* True if d passes the criteria (validated by v6_device_search). */
static bool
v6_device_match(const struct sim_device *d, json_t *crit)
{
	json_t *ids = json_object_get(crit, "id"), *e;
	json_t *os = json_object_get(crit, "os");
	json_t *st = json_object_get(crit, "status");
	long long id;
	bool hit;
	size_t i;

	if (json_array_size(ids) > 0) {
		hit = false;
		json_array_foreach(ids, i, e)
		{
			id = json_is_integer(e) ? json_integer_value(e) : -1;
			if (json_is_string(e))
				util_parse_int(
				    json_string_value(e), 0, LLONG_MAX, &id);
			hit = hit || id == d->id;
		}
		if (!hit)
			return false;
	}
	if (json_array_size(os) > 0) {
		hit = false;
		json_array_foreach(os, i, e) hit =
		    hit || util_strieq(json_string_value(e), d->os);
		if (!hit)
			return false;
	}
	if (json_array_size(st) > 0) {
		hit = false;
		json_array_foreach(st, i, e)
		{
			hit = hit ||
			      util_strieq(json_string_value(e), "REGISTERED") ||
			      util_strieq(json_string_value(e), "ACTIVE") ||
			      util_strieq(json_string_value(e), "ALL");
		}
		if (!hit)
			return false;
	}
	return true;
}

/* Checks a device search body.  NULL or an error message. */
static const char *
v6_device_check(json_t *body)
{
	static const char *const keys[] = {
	    "criteria", "query", "rows", "start", "sort", NULL};
	const char *key;
	json_t *v, *e, *crit;
	long long x;
	size_t i;

	if (!json_is_object(body))
		return "request body must be a JSON object";
	json_object_foreach(body, key, v)
	{
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (keys[i] == NULL)
			return "unsupported request field";
	}
	v = json_object_get(body, "rows");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
			     json_integer_value(v) > 10000))
		return "rows must be an integer 1..10000";
	v = json_object_get(body, "start");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
		return "start must be a positive integer";
	crit = json_object_get(body, "criteria");
	if (crit == NULL || json_is_null(crit))
		return NULL;
	if (!json_is_object(crit))
		return "criteria must be an object";
	json_object_foreach(crit, key, v)
	{
		if (strcmp(key, "id") != 0 && strcmp(key, "os") != 0 &&
		    strcmp(key, "status") != 0)
			return "unsupported criteria field";
		if (!json_is_array(v))
			return "criteria values must be arrays";
		json_array_foreach(v, i, e)
		{
			if (strcmp(key, "id") == 0 && !json_is_integer(e) &&
			    (!json_is_string(e) ||
				util_parse_int(json_string_value(e), 0,
				    LLONG_MAX, &x) == -1))
				return "criteria.id must hold device ids";
			if (strcmp(key, "id") != 0 && !json_is_string(e))
				return "criteria values must be strings";
		}
	}
	return NULL;
}

/* POST /appservices/v6/orgs/{org}/devices/_search */
static void
v6_device_search(struct sim *s, struct server_req *r)
{
	const struct sim_device *d;
	json_t *body = NULL, *results, *crit;
	long long rows = 100, start = 1, n = 0;
	const char *msg;

	s->stats.device_lookups++;
	if (server_fault(s, r, SIM_FAULT_ANY))
		return;
	if (server_body_json(r, &body) == -1) {
		v6_bad(r, "Invalid JSON body");
		return;
	}
	if (body == NULL)
		body = json_object();
	if ((msg = v6_device_check(body)) != NULL) {
		v6_bad(r, msg);
		goto out;
	}
	if (json_is_integer(json_object_get(body, "rows")))
		rows = json_integer_value(json_object_get(body, "rows"));
	if (json_integer_value(json_object_get(body, "start")) > 1)
		start = json_integer_value(json_object_get(body, "start"));
	crit = json_object_get(body, "criteria");
	results = json_array();
	for (d = s->devices; d != NULL; d = d->next) {
		if (!v6_device_match(d, crit))
			continue;
		n++;
		if (n >= start && n < start + rows)
			json_array_append_new(results, v6_device_json(s, d));
	}
	server_reply_json(r, 200,
	    json_pack(
		"{s:o, s:I}", "results", results, "num_found", (json_int_t)n));
out:
	json_decref(body);
}

const struct route routes_v6[] = {
    {EVHTTP_REQ_POST, LR, V6_FAULT, v6_session_create},
    {EVHTTP_REQ_GET, LR, V6_ROUTE, v6_session_list},
    {EVHTTP_REQ_GET, LR "/*", V6_FAULT, v6_session_get},
    {EVHTTP_REQ_DELETE, LR "/*", V6_FAULT, v6_session_delete},
    {EVHTTP_REQ_GET, LR "/*/keepalive", V6_ROUTE, v6_session_keepalive},
    {EVHTTP_REQ_POST, LR "/*/commands", V6_FAULT, v6_command_create},
    {EVHTTP_REQ_GET, LR "/*/commands", V6_ROUTE, v6_command_list},
    {EVHTTP_REQ_GET, LR "/*/commands/*", V6_FAULT, v6_command_get},
    {EVHTTP_REQ_GET, LR "/*/files/*/content", V6_FAULT, v6_file_content},
    {EVHTTP_REQ_DELETE, LR "/*/files/*", V6_ROUTE, v6_file_delete},
    {EVHTTP_REQ_POST, V6 "/devices/_search", V6_FAULT, v6_device_search},
    {EVHTTP_REQ_GET, V6 "/devices/*", V6_FAULT, v6_device_get},
    {0, NULL, 0, NULL},
};
