/* routes_v3.c - handlers of the legacy v3 API (prefix
 * /integrationServices/v3), answering with the payload shapes of
 * docs/fixtures/v3_*.json.
 *
 * Errors follow the real service where known: 401 {"success":false,
 * "message":"Unauthorized"} (server.c), 404 {"status":"NOT_FOUND"} for a
 * gone session (cbapi retries on it), 404 "Unable to find: sensorId" when
 * creating a session for an unknown device.  A session the cloud dropped
 * (sessions.h) behaves as a closed one: GET says CLOSE, the rest 404. */
#include "routes_v3.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "devices.h"
#include "sessions.h"
#include "sim.h"

#define V3 "/integrationServices/v3"
/* An API-key route whose handler places its own /_sim/fault. */
#define V3_FAULT (ROUTE_API | ROUTE_FAULT)

/* Answers 404 {"status":"NOT_FOUND"}, what a vanished session gives. */
static void
v3_not_found(struct server_req *r)
{
	server_reply_json(r, 404, json_pack("{s:s}", "status", "NOT_FOUND"));
}

/* Returns the open session named by args[0], or answers 404 and returns
 * NULL. */
static struct sim_session *
v3_open_session(struct sim *s, struct server_req *r)
{
	struct sim_session *ss = sim_session_find(s, r->args[0]);

	if (ss == NULL || ss->closed) {
		v3_not_found(r);
		return NULL;
	}
	return ss;
}

/* ---------------------------------------------------------- notification */

/* GET /notification: drain the due notifications (read-once queue). */
static void
v3_notification(struct sim *s, struct server_req *r)
{
	if (server_fault(s, r, SIM_FAULT_NOTIFICATIONS))
		return;
	server_reply_json(r, 200,
	    json_pack("{s:b, s:s, s:o}", "success", 1, "message", "Success",
		"notifications", sim_notify_take(s, util_now_ms())));
}

/* ---------------------------------------------------------------- device */

/* Returns d's v3 deviceInfo (new reference), as fixtures/v3_device_get. */
static json_t *
v3_device_json(const struct sim *s, const struct sim_device *d)
{
	int64_t now = util_now_ms();
	const char *email = d->nusers > 0 ? d->users[0].name : "Administrator";
	char ip[32];
	json_t *o;

	snprintf(ip, sizeof(ip), "10.0.%d.%d", (int)(d->id / 250 % 250),
	    (int)(d->id % 250 + 1));
	o = json_pack("{s:n, s:I, s:I, s:s, s:s, s:s, s:i, s:n, s:b, s:I, "
		      "s:s, s:s, s:s, s:b, s:b, s:n, s:b, s:n, s:i, s:i}",
	    "createTime", "lastReportedTime", (json_int_t)(now - 60000),
	    "deviceId", (json_int_t)d->id, "email", email, "deviceType", d->os,
	    "targetPriorityType", "MEDIUM", "organizationId", 423,
	    "avUpdateServers", "avMaster", 0, "lastContact", (json_int_t)now,
	    "lastInternalIpAddress", ip, "lastExternalIpAddress",
	    "203.0.113.10", "lastLocation", "OFFSITE", "quarantined", 0,
	    "rootedBySensor", 0, "rootedBySensorTime", "rootedByAnalytics", 0,
	    "rootedByAnalyticsTime", "firstVirusActivityTime", 0,
	    "lastVirusActivityTime", 0);
	json_object_update_missing_new(o,
	    json_pack("{s:s, s:s, s:s, s:n, s:i, s:n, s:n, s:n, s:n, s:n, s:n, "
		      "s:n, s:I, s:n, s:n, s:n, s:s, s:i, s:n, s:I, s:i, s:i}",
		"organizationName", "lrflow-sim.example", "osVersion",
		d->os_version, "sensorVersion", "3.6.0.1979", "deviceGuid",
		"deviceOwnerId", 58306, "deviceSessionId", "assignedToId",
		"assignedToName", "messages", "windowsPlatform",
		"deregisteredTime", "uninstalledTime", "registeredTime",
		(json_int_t)(s->start_ms - 86400000LL * 90), "firstName",
		"lastName", "middleName", "policyName", "Standard", "policyId",
		6525, "activationCode", "activationCodeExpiryTime",
		(json_int_t)(s->start_ms - 86400000LL * 83), "lastShutdownTime",
		0, "lastResetTime", 0));
	json_object_update_missing_new(
	    o, json_pack("{s:o, s:n, s:b, s:i, s:n, s:i, s:i, s:n, s:s, "
			 "s:[s], s:i, s:s, s:s}",
		   "sensorStates", devices_sensor_states(d), "vdiBaseDevice",
		   "passiveMode", 0, "testId", -1, "scanStatus",
		   "scanLastActionTime", 0, "scanLastCompleteTime", 0,
		   "linuxKernelVersion", "avEngine", "", "avStatus",
		   "AV_NOT_REGISTERED", "avLastScanTime", 0, "name", d->name,
		   "status", "Online"));
	return o;
}

/* GET /device/{id} */
static void
v3_device_get(struct sim *s, struct server_req *r)
{
	const struct sim_device *d;
	int64_t id;

	if (server_fault(s, r, SIM_FAULT_DEVICES))
		return;
	if (util_parse_device_id(r->args[0], &id) == -1) {
		server_reply_error(r, 400, "Invalid device id");
		return;
	}
	if ((d = sim_device_find(s, id)) == NULL) {
		server_reply_error(r, 404, "Unable to find: deviceId");
		return;
	}
	server_reply_json(r, 200,
	    json_pack("{s:b, s:s, s:o}", "success", 1, "message", "Success",
		"deviceInfo", v3_device_json(s, d)));
}

/* --------------------------------------------------------------- session */

/* Returns ss as a v3 session object (new reference).  Fields the sensor
 * fills in are null until it has checked in. */
static json_t *
v3_session_json(const struct sim *s, const struct sim_session *ss)
{
	const struct sim_device *d = sim_device_find(s, ss->device_id);
	int64_t now = ss->closed ? ss->close_ms : util_now_ms();
	bool in = ss->checkin_ms >= 0 && now >= ss->checkin_ms;
	const char *status = ss->closed ? "CLOSE" : in ? "ACTIVE" : "PENDING";
	json_t *o;

	o = json_pack("{s:s, s:I, s:i, s:i, s:s, s:I, s:I}", "id", ss->id,
	    "sensor_id", (json_int_t)ss->device_id, "check_in_timeout",
	    SIM_CHECK_IN_TIMEOUT, "session_timeout", SIM_CHECK_IN_TIMEOUT,
	    "status", status, "current_command_index", (json_int_t)ss->ncmds,
	    "create_time", (json_int_t)ss->create_ms);
	sim_session_sensor_fields(o, in ? d : NULL, ss);
	return o;
}

/* GET /cblr/session: every open session, as the v6 "Get All Sessions". */
static void
v3_session_list(struct sim *s, struct server_req *r)
{
	server_reply_json(r, 200, sessions_list(s, v3_session_json));
}

/* POST /cblr/session/{device_id}, optional body {"sensor_id": N} */
static void
v3_session_create(struct sim *s, struct server_req *r)
{
	const struct sim_device *d;
	json_t *body, *sensor;
	int64_t id;
	char *why;

	if (util_parse_device_id(r->args[0], &id) == -1) {
		server_reply_error(r, 400, "Invalid sensor id");
		return;
	}
	if (server_body_json(r, &body) == -1 ||
	    (body != NULL && !json_is_object(body))) {
		server_reply_error(r, 400, "Invalid JSON body");
		goto out;
	}
	sensor = json_object_get(body, "sensor_id");
	if (sensor != NULL &&
	    (!json_is_integer(sensor) || json_integer_value(sensor) != id)) {
		server_reply_error(r, 400, "sensor_id does not match the URL");
		goto out;
	}
	if ((d = sim_device_find(s, id)) == NULL) {
		server_reply_error(r, 404, "Unable to find: sensorId");
		goto out;
	}
	if ((why = devices_lr_refusal(d)) != NULL) {
		server_reply_error(r, 403, why);
		free(why);
		goto out;
	}
	server_reply_json(
	    r, 200, v3_session_json(s, sim_session_open(s, d, false)));
out:
	json_decref(body);
}

/* GET /cblr/session/{sid}: any session, closed ones report CLOSE. */
static void
v3_session_get(struct sim *s, struct server_req *r)
{
	const struct sim_session *ss;

	if (server_fault(s, r, SIM_FAULT_SESSION_GET))
		return;
	if ((ss = sim_session_find(s, r->args[0])) == NULL)
		v3_not_found(r);
	else
		server_reply_json(r, 200, v3_session_json(s, ss));
}

/* PUT /cblr/session {"session_id": sid, "status": "CLOSE"} */
static void
v3_session_close(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	const char *sid, *status;
	json_t *body;

	if (server_fault(s, r, SIM_FAULT_SESSION_CLOSE))
		return;
	if (server_body_json(r, &body) == -1 || !json_is_object(body)) {
		server_reply_error(r, 400, "Invalid JSON body");
		goto out;
	}
	sid = json_string_value(json_object_get(body, "session_id"));
	status = json_string_value(json_object_get(body, "status"));
	if (sid == NULL || status == NULL) {
		server_reply_error(
		    r, 400, "session_id and status are required");
		goto out;
	}
	if (!util_strieq(status, "CLOSE")) {
		server_reply_error(r, 400, "Unsupported status");
		goto out;
	}
	if ((ss = sim_session_find(s, sid)) == NULL) {
		v3_not_found(r);
		goto out;
	}
	sim_session_close(s, ss);
	server_reply_json(r, 200, v3_session_json(s, ss));
out:
	json_decref(body);
}

/* GET /cblr/session/{sid}/keepalive: restarts the idle timer. */
static void
v3_session_keepalive(struct sim *s, struct server_req *r)
{
	struct sim_session *ss = v3_open_session(s, r);

	if (ss == NULL)
		return;
	sessions_touch(ss, util_now_ms());
	server_reply_json(r, 200, json_object());
}

/* --------------------------------------------------------------- command */

/* POST /cblr/session/{sid}/command {"name": ..., "object": ...} */
static void
v3_command_create(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	struct sim_command *c;
	const char *name;
	json_t *body = NULL;
	char *msg;

	if (server_fault(s, r, SIM_FAULT_COMMANDS))
		return;
	if ((ss = v3_open_session(s, r)) == NULL)
		return;
	if (!sim_session_active(ss, util_now_ms())) {
		server_reply_error(r, 400, "Session is not active");
		return;
	}
	if (server_body_json(r, &body) == -1 || !json_is_object(body)) {
		server_reply_error(r, 400, "Invalid JSON body");
		goto out;
	}
	if ((name = json_string_value(json_object_get(body, "name"))) == NULL) {
		server_reply_error(r, 400, "Missing command name");
		goto out;
	}
	if (!sim_command_supported(name)) {
		msg = xasprintf("Unsupported command: %s", name);
		server_reply_error(r, 400, msg);
		free(msg);
		goto out;
	}
	if (ss->ncmds >= SIM_MAX_COMMANDS) {
		server_reply_error(r, 400, "Too many commands in session");
		goto out;
	}
	c = sim_command_run(s, ss, name, body, util_now_ms());
	server_reply_json(r, 200, sim_command_json(c, -1));
out:
	json_decref(body);
}

/* GET /cblr/session/{sid}/command/{id} */
static void
v3_command_get(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	struct sim_command *c;
	long long id;

	if (server_fault(s, r, SIM_FAULT_COMMAND_GET))
		return;
	if ((ss = v3_open_session(s, r)) == NULL)
		return;
	if (util_parse_int(r->args[1], 0, INT_MAX, &id) == -1 ||
	    (c = sim_command_find(ss, id)) == NULL) {
		v3_not_found(r);
		return;
	}
	server_reply_json(r, 200, sim_command_json(c, util_now_ms()));
}

/* GET /cblr/session/{sid}/command: every command of the session. */
static void
v3_command_list(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	json_t *a;

	if ((ss = v3_open_session(s, r)) == NULL)
		return;
	a = json_array();
	for (size_t i = 0; i < ss->ncmds; i++)
		json_array_append_new(
		    a, sim_command_json(&ss->cmds[i], util_now_ms()));
	server_reply_json(r, 200, a);
}

/* GET /cblr/session/{sid}/file/{file_id}/content: the raw bytes. */
static void
v3_file_content(struct sim *s, struct server_req *r)
{
	struct sim_session *ss;
	struct sim_file *f;
	long long id;

	if ((ss = v3_open_session(s, r)) == NULL)
		return;
	if (util_parse_int(r->args[1], 1, LLONG_MAX, &id) == -1 ||
	    (f = sim_file_find(ss, id)) == NULL) {
		v3_not_found(r);
		return;
	}
	s->stats.files_served++;
	server_reply_blob(r, 200, f->blob);
}

const struct route routes_v3[] = {
    {EVHTTP_REQ_GET, V3 "/notification", ROUTE_SIEM | ROUTE_FAULT,
	v3_notification},
    {EVHTTP_REQ_GET, V3 "/device/*", V3_FAULT, v3_device_get},
    {EVHTTP_REQ_GET, V3 "/cblr/session", ROUTE_API, v3_session_list},
    {EVHTTP_REQ_POST, V3 "/cblr/session/*", ROUTE_API, v3_session_create},
    {EVHTTP_REQ_GET, V3 "/cblr/session/*", V3_FAULT, v3_session_get},
    {EVHTTP_REQ_PUT, V3 "/cblr/session", V3_FAULT, v3_session_close},
    {EVHTTP_REQ_GET, V3 "/cblr/session/*/keepalive", ROUTE_API,
	v3_session_keepalive},
    {EVHTTP_REQ_POST, V3 "/cblr/session/*/command", V3_FAULT,
	v3_command_create},
    {EVHTTP_REQ_GET, V3 "/cblr/session/*/command", ROUTE_API, v3_command_list},
    {EVHTTP_REQ_GET, V3 "/cblr/session/*/command/*", V3_FAULT, v3_command_get},
    {EVHTTP_REQ_GET, V3 "/cblr/session/*/file/*/content", ROUTE_API,
	v3_file_content},
    {0, NULL, 0, NULL},
};
