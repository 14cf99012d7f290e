/* test_worker_v6.c - what the Live Response v6 back end makes of Carbon
 * Black Cloud's answers (tests/fixtures/v6_*.json), and the device checks
 * made before a session is opened. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/t.h"
#include "util.h"
#include "worker/collect.h"
#include "worker/lr_backend.h"
#include "worker/lr_v6.h"

#define LR_OFFLINE_AFTER_S (24 * 3600) /* the --offline-after default */

/* ------------------------------------------------------------------ */
/* Sessions */

static int
test_session_create(void)
{
	json_t *s = t_fixture("v6_session_create.json");
	char *sid;

	CHECK(s != NULL);
	sid = lr_v6_session_id(s);
	CHECK(sid != NULL && strcmp(sid, "1:2468") == 0);
	CHECK(lr_session_state(s) == LR_STATE_PENDING);
	free(sid);
	json_decref(s);

	s = json_pack("{s:s}", "status", "PENDING"); /* no id */
	CHECK(lr_v6_session_id(s) == NULL);
	json_decref(s);
	return 0;
}

static int
test_session_create_request_shape(void)
{
	json_t *want = t_fixture("v6_session_create_request.json");
	json_t *got = json_pack("{s:I}", "device_id", (json_int_t)2468);

	CHECK(want != NULL);
	CHECK(json_equal(want, got));
	json_decref(want);
	json_decref(got);
	return 0;
}

static int
test_session_states_any_case(void)
{
	json_t *s;

	s = t_fixture("v6_session_poll_active.json"); /* "active" */
	CHECK(s != NULL);
	CHECK(lr_session_state(s) == LR_STATE_ACTIVE);
	json_decref(s);
	s = t_fixture("v6_session_linux_poll_active.json"); /* "ACTIVE" */
	CHECK(s != NULL);
	CHECK(lr_session_state(s) == LR_STATE_ACTIVE);
	json_decref(s);
	s = t_fixture("v6_session_linux_create.json"); /* "pending" */
	CHECK(s != NULL);
	CHECK(lr_session_state(s) == LR_STATE_PENDING);
	json_decref(s);
	s = t_fixture("v6_session_poll_error.json"); /* "ERROR" */
	CHECK(s != NULL);
	CHECK(lr_session_state(s) == LR_STATE_ENDED);
	json_decref(s);

	s = json_pack("{s:s}", "status", "error");
	CHECK(lr_session_state(s) == LR_STATE_ENDED);
	json_decref(s);
	s = json_pack("{s:s}", "status", "Closed");
	CHECK(lr_session_state(s) == LR_STATE_ENDED);
	json_decref(s);
	s = json_object();
	CHECK(lr_session_state(s) == LR_STATE_UNKNOWN);
	json_decref(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Commands */

static int
test_command_body_uses_path(void)
{
	json_t *want = t_fixture("v6_command_create_process_request.json");
	json_t *extra, *got;

	CHECK(want != NULL);
	extra = json_pack("{s:b,s:s}", "wait", 1, "output_file",
	    "c:\\windows\\temp\\cblr.Ab3dE5fG7hJ9.tmp");
	got = lr_v6_command_body("1:2468", "create process",
	    "c:\\windows\\system32\\net.exe start", extra);
	CHECK(json_equal(want, got));
	CHECK(json_object_get(got, "object") == NULL);
	json_decref(got);
	json_decref(extra);
	json_decref(want);

	want = t_fixture("v6_command_get_file_request.json");
	CHECK(want != NULL);
	got = lr_v6_command_body("1:2468", "get file",
	    "c:\\users\\jdoe\\appdata\\local\\google\\chrome\\user data\\default\\history",
	    NULL);
	CHECK(json_equal(want, got));
	json_decref(got);
	json_decref(want);

	/* process list has no argument */
	got = lr_v6_command_body("1:2468", "process list", NULL, NULL);
	CHECK(json_object_get(got, "path") == NULL);
	CHECK(json_object_size(got) == 2);
	json_decref(got);
	return 0;
}

static int
test_command_id_zero_is_an_id(void)
{
	json_t *c = t_fixture("v6_command_get_file_submit.json");
	long long id = -1;

	CHECK(c != NULL);
	CHECK(lr_command_id(c, &id) == 0);
	CHECK(id == 0);
	json_decref(c);

	c = json_pack("{s:i,s:s}", "id", 0, "status", "pending");
	id = -1;
	CHECK(lr_command_id(c, &id) == 0 && id == 0);
	json_decref(c);
	c = json_pack("{s:s}", "id", "0"); /* a string is not an id */
	CHECK(lr_command_id(c, &id) == -1);
	json_decref(c);
	c = json_pack("{s:n}", "id");
	CHECK(lr_command_id(c, &id) == -1);
	json_decref(c);
	c = json_object();
	CHECK(lr_command_id(c, &id) == -1);
	json_decref(c);
	return 0;
}

static int
test_command_states_any_case(void)
{
	static const struct {
		const char *fixture;
		enum lr_state state;
		long long id;
	} cases[] = {
	    {"v6_command_create_process_start.json", LR_STATE_PENDING, 9},
	    {"v6_command_create_process_complete.json", LR_STATE_COMPLETE, 9},
	    {"v6_command_process_list_start.json", LR_STATE_PENDING, 10},
	    {"v6_command_process_list_complete.json", LR_STATE_COMPLETE, 10},
	    {"v6_command_delete_file_start.json", LR_STATE_PENDING, 3},
	    {"v6_command_delete_file_complete.json", LR_STATE_COMPLETE, 3},
	    {"v6_command_delete_file_error.json", LR_STATE_ERROR, 3},
	    {"v6_command_directory_list_start.json", LR_STATE_PENDING, 6},
	    {"v6_command_directory_list_complete.json", LR_STATE_COMPLETE, 6},
	    {"v6_command_get_file_submit.json", LR_STATE_PENDING, 0},
	    {"v6_command_get_file_complete.json", LR_STATE_COMPLETE, 7},
	    {"v6_command_get_file_cancelled.json", LR_STATE_CANCELLED, 7},
	};
	static const struct {
		const char *status;
		enum lr_state state;
	} words[] = {
	    {"complete", LR_STATE_COMPLETE},
	    {"COMPLETE", LR_STATE_COMPLETE},
	    {"Complete", LR_STATE_COMPLETE},
	    {"error", LR_STATE_ERROR},
	    {"ERROR", LR_STATE_ERROR},
	    {"cancelled", LR_STATE_CANCELLED},
	    {"CANCELED", LR_STATE_CANCELLED},
	    {"pending", LR_STATE_PENDING},
	    {"in progress", LR_STATE_PENDING},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *c = t_fixture(cases[i].fixture);
		long long id = -1;

		CHECK(c != NULL);
		CHECK(lr_command_state(c) == cases[i].state);
		CHECK(lr_command_id(c, &id) == 0 && id == cases[i].id);
		json_decref(c);
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		json_t *c = json_pack("{s:s}", "status", words[i].status);

		CHECK(lr_command_state(c) == words[i].state);
		json_decref(c);
	}
	return 0;
}

static int
test_command_error_reason_unsigned_hresult(void)
{
	json_t *c = t_fixture("v6_command_delete_file_error.json");
	char buf[300];

	CHECK(c != NULL);
	lr_command_reason(c, buf, sizeof(buf));
	CHECK(strcmp(buf, "File not found (0x80070002)") == 0);
	json_decref(c);

	c = json_pack("{s:s}", "status", "error");
	lr_command_reason(c, buf, sizeof(buf));
	CHECK(strcmp(buf, "no reason given") == 0);
	json_decref(c);
	return 0;
}

static int
test_get_file_id_from_file_details(void)
{
	json_t *sub = t_fixture("v6_command_get_file_submit.json");
	json_t *done = t_fixture("v6_command_get_file_complete.json");
	char buf[128];

	CHECK(sub != NULL && done != NULL);
	CHECK(lr_v6_file_id(sub, done, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "f0245f97-67dd-42c4-9548-b35dca12f185") == 0);
	/* Only the completed command says it. */
	CHECK(lr_v6_file_id(done, sub, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "f0245f97-67dd-42c4-9548-b35dca12f185") == 0);
	/* Nowhere. */
	CHECK(lr_v6_file_id(done, done, buf, sizeof(buf)) == -1);
	/* Too long for the buffer. */
	CHECK(lr_v6_file_id(sub, done, buf, 10) == -1);
	json_decref(sub);
	json_decref(done);
	return 0;
}

static int
test_get_file_id_v3_shape_and_unsafe(void)
{
	json_t *sub = t_fixture("v3_command_get_file_submit_response.json");
	json_t *c;
	char buf[128];

	CHECK(sub != NULL);
	CHECK(json_is_integer(json_object_get(sub, "file_id")));
	CHECK(lr_v6_file_id(sub, NULL, buf, sizeof(buf)) == 0);
	CHECK(strtoll(buf, NULL, 10) ==
	      json_integer_value(json_object_get(sub, "file_id")));
	json_decref(sub);

	c = json_pack("{s:{s:s}}", "file_details", "file_id", "../../x");
	CHECK(lr_v6_file_id(c, NULL, buf, sizeof(buf)) == -1);
	json_decref(c);
	c = json_pack("{s:{s:s}}", "file_details", "file_id", "");
	CHECK(lr_v6_file_id(c, NULL, buf, sizeof(buf)) == -1);
	json_decref(c);
	c = json_pack("{s:{s:i}}", "file_details", "file_id", 0);
	CHECK(lr_v6_file_id(c, NULL, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "0") == 0);
	json_decref(c);
	return 0;
}

static int
test_process_list_users(void)
{
	json_t *c = t_fixture("v6_command_process_list_complete.json");
	json_t *procs, *users;

	CHECK(c != NULL);
	procs = lr_v6_processes(c);
	CHECK(json_array_size(procs) == 3);
	CHECK(strcmp(json_string_value(json_object_get(
			 json_array_get(procs, 0), "process_username")),
		  "root") == 0);
	users = collect_users(procs); /* no explorer.exe in the fixture */
	CHECK(json_is_array(users) && json_array_size(users) == 0);
	json_decref(users);

	json_array_append_new(procs,
	    json_pack("{s:i,s:s,s:s}", "process_pid", 4242, "process_path",
		"c:\\windows\\explorer.exe", "process_username", "CORP\\jdoe"));
	json_array_append_new(procs,
	    json_pack("{s:i,s:s,s:s}", "process_pid", 4243, "process_path",
		"C:\\Windows\\Explorer.EXE", "process_username", "CORP\\JDoe"));
	json_array_append_new(
	    procs, json_pack("{s:i,s:s,s:s}", "process_pid", 4244,
		       "process_path", "c:\\windows\\explorer.exe",
		       "process_username", "CORP\\asmith"));
	users = collect_users(procs);
	CHECK(json_array_size(users) == 2);
	CHECK(strcmp(json_string_value(json_array_get(users, 0)), "jdoe") == 0);
	CHECK(
	    strcmp(json_string_value(json_array_get(users, 1)), "asmith") == 0);
	json_decref(users);
	json_decref(c);
	return 0;
}

/* A submit whose answer was lost is looked for by name and argument in
 * the session's commands; the echo in a recorded cloud answer doubles the
 * backslashes of C:\test.txt, so the comparison must not depend on it. */
static int
test_lost_submit_matches_the_echo(void)
{
	json_t *cmd = t_fixture("v6_command_get_file_complete.json");
	const char *echo = json_string_value(json_object_get(cmd, "object"));

	CHECK(echo != NULL);
	CHECK(lr_same_object(echo, "C:\\test.txt"));
	CHECK(lr_same_object(echo, "c:/TEST.txt"));
	CHECK(!lr_same_object(echo, "C:\\test.txt2"));
	CHECK(!lr_same_object(echo, "C:\\tes.txt"));
	CHECK(!lr_same_object(echo, "C:test.txt"));
	CHECK(lr_same_object("c:\\windows\\system32\\net.exe start",
	    "C:\\Windows\\System32\\net.exe start"));
	json_decref(cmd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices */

static int
test_device_get(void)
{
	json_t *body = t_fixture("v6_device_get.json");
	struct lr_device d;
	int64_t ms;

	CHECK(body != NULL);
	memset(&d, 0, sizeof(d));
	CHECK(lr_v6_device_parse(body, &d) == 0);
	CHECK(d.name != NULL && strcmp(d.name, "ar-opensuse15") == 0);
	CHECK(d.os != NULL && strcmp(d.os, "WINDOWS OpenSUSE Leap 15.1") == 0);
	CHECK(d.last_contact != NULL &&
	      strcmp(d.last_contact, "2019-07-25T01:53:14.132Z") == 0);
	CHECK(util_parse_iso8601("2019-07-25T01:53:14.132Z", &ms) == 0);
	CHECK(d.last_contact_ms == ms && ms > 0);
	CHECK(json_array_size(d.sensor_states) == 3);
	CHECK(strcmp(json_string_value(json_array_get(d.sensor_states, 1)),
		  "LIVE_RESPONSE_ENABLED") == 0);
	lr_device_release(&d);
	CHECK(d.name == NULL && d.sensor_states == NULL);
	json_decref(body);

	/* "os" and "os_version" like v3 deviceType and osVersion */
	body = json_pack("{s:s,s:s,s:n}", "os", "WINDOWS", "os_version",
	    "Windows 10 x64", "last_contact_time");
	memset(&d, 0, sizeof(d));
	CHECK(lr_v6_device_parse(body, &d) == 0);
	CHECK(strcmp(d.os, "WINDOWS Windows 10 x64") == 0);
	CHECK(d.name == NULL && d.last_contact == NULL &&
	      d.last_contact_ms == 0 && d.sensor_states == NULL);
	lr_device_release(&d);
	json_decref(body);

	body = json_array();
	memset(&d, 0, sizeof(d));
	CHECK(lr_v6_device_parse(body, &d) == -1);
	lr_device_release(&d);
	json_decref(body);
	return 0;
}

static int
test_device_check_live_response_states(void)
{
	json_t *body = t_fixture("v6_device_get.json");
	struct lr_device d;
	char why[512];
	int64_t now;

	CHECK(body != NULL);
	memset(&d, 0, sizeof(d));
	CHECK(lr_v6_device_parse(body, &d) == 0);
	now = d.last_contact_ms + 3600 * 1000;
	/* LIVE_RESPONSE_NOT_KILLED is not LIVE_RESPONSE_KILLED */
	CHECK(collect_device_check(
		  &d, 2468, now, LR_OFFLINE_AFTER_S, why, sizeof(why)) == 0);
	CHECK(why[0] == '\0');

	json_decref(d.sensor_states);
	d.sensor_states = json_pack(
	    "[s,s]", "LIVE_RESPONSE_NOT_RUNNING", "ACTIVE"); /* no ENABLED */
	CHECK(collect_device_check(&d, 2468, now, LR_OFFLINE_AFTER_S, why,
		  sizeof(why)) == COLLECT_CHECK_NO_LR);
	CHECK(
	    strcmp(why,
		"Live Response is not enabled on device 2468 (sensor states: LIVE_RESPONSE_NOT_RUNNING, ACTIVE)") ==
	    0);

	json_decref(d.sensor_states);
	d.sensor_states =
	    json_pack("[s,s]", "LIVE_RESPONSE_ENABLED", "LIVE_RESPONSE_KILLED");
	CHECK(collect_device_check(&d, 2468, now, LR_OFFLINE_AFTER_S, why,
		  sizeof(why)) == COLLECT_CHECK_NO_LR);
	CHECK(strstr(why, "not enabled on device 2468") != NULL);

	json_decref(d.sensor_states);
	d.sensor_states = json_pack("[s,s,s]", "ACTIVE",
	    "LIVE_RESPONSE_ENABLED", "LIVE_RESPONSE_DISABLED");
	CHECK(collect_device_check(&d, 2468, now, LR_OFFLINE_AFTER_S, why,
		  sizeof(why)) == COLLECT_CHECK_NO_LR);

	json_decref(d.sensor_states);
	d.sensor_states = json_array();
	CHECK(collect_device_check(
		  &d, 2468, now, LR_OFFLINE_AFTER_S, why, sizeof(why)) == -1);
	CHECK(strstr(why, "(sensor states: none)") != NULL);

	/* v3: nothing known, nothing against the device */
	lr_device_release(&d);
	CHECK(collect_device_check(
		  &d, 2468, now, LR_OFFLINE_AFTER_S, why, sizeof(why)) == 0);
	json_decref(body);
	return 0;
}

/* The record exactly as the cloud returns it: NOT_RUNNING beside ENABLED
 * is an ordinary device with no session attached right now. */
static int
test_device_check_real_record(void)
{
	json_t *body = t_fixture("v6_device_search.json");
	json_t *rec = json_array_get(json_object_get(body, "results"), 0);
	struct lr_device d;
	char why[512];

	CHECK(rec != NULL);
	memset(&d, 0, sizeof(d));
	CHECK(lr_v6_device_parse(rec, &d) == 0);
	CHECK(json_array_size(d.sensor_states) == 5);
	CHECK(strcmp(json_string_value(json_array_get(d.sensor_states, 1)),
		  "LIVE_RESPONSE_NOT_RUNNING") == 0);
	CHECK(collect_device_check(&d, 2468, d.last_contact_ms + 60000,
		  LR_OFFLINE_AFTER_S, why, sizeof(why)) == COLLECT_CHECK_OK);
	CHECK(why[0] == '\0');
	/* The same device seen ten days ago is offline, not refused. */
	CHECK(
	    collect_device_check(&d, 2468, d.last_contact_ms + 864000000LL,
		LR_OFFLINE_AFTER_S, why, sizeof(why)) == COLLECT_CHECK_OFFLINE);
	lr_device_release(&d);
	json_decref(body);
	return 0;
}

static int
test_device_check_offline(void)
{
	json_t *body = t_fixture("v6_device_get.json");
	struct lr_device d;
	char why[512];
	int64_t seen;

	CHECK(body != NULL);
	memset(&d, 0, sizeof(d));
	CHECK(lr_v6_device_parse(body, &d) == 0);
	seen = d.last_contact_ms;
	CHECK(
	    collect_device_check(&d, 2468, seen + 864000LL * 1000,
		LR_OFFLINE_AFTER_S, why, sizeof(why)) == COLLECT_CHECK_OFFLINE);
	CHECK(
	    strcmp(why,
		"device 2468 is offline: last seen 2019-07-25T01:53:14.132Z (10 days ago)") ==
	    0);
	CHECK(
	    collect_device_check(&d, 2468, seen + 30LL * 3600 * 1000,
		LR_OFFLINE_AFTER_S, why, sizeof(why)) == COLLECT_CHECK_OFFLINE);
	CHECK(strstr(why, "(30 hours ago)") != NULL);
	/* Just inside the threshold, and no threshold at all. */
	CHECK(collect_device_check(&d, 2468,
		  seen + (int64_t)LR_OFFLINE_AFTER_S * 1000, LR_OFFLINE_AFTER_S,
		  why, sizeof(why)) == 0);
	CHECK(collect_device_check(
		  &d, 2468, seen + 864000LL * 1000, 0, why, sizeof(why)) == 0);
	lr_device_release(&d);
	json_decref(body);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Configuration and wording */

static int
test_org_key_and_permissions(void)
{
	CHECK(lr_org_key_ok("ABCD1234"));
	CHECK(lr_org_key_ok("7DESJ9GN"));
	CHECK(!lr_org_key_ok(NULL));
	CHECK(!lr_org_key_ok(""));
	CHECK(!lr_org_key_ok("ABCD/../x"));
	CHECK(!lr_org_key_ok("ABCD 1234"));
	CHECK(strcmp(lr_v6_permission("get file"),
		  "org.liveresponse.file READ") == 0);
	CHECK(strstr(lr_v6_permission("create process"),
		  "org.liveresponse.process EXECUTE") != NULL);
	CHECK(strcmp(lr_v6_permission("process list"),
		  "org.liveresponse.process READ") == 0);
	return 0;
}

int
main(void)
{
	RUN(test_session_create);
	RUN(test_session_create_request_shape);
	RUN(test_session_states_any_case);
	RUN(test_command_body_uses_path);
	RUN(test_command_id_zero_is_an_id);
	RUN(test_command_states_any_case);
	RUN(test_command_error_reason_unsigned_hresult);
	RUN(test_get_file_id_from_file_details);
	RUN(test_lost_submit_matches_the_echo);
	RUN(test_get_file_id_v3_shape_and_unsafe);
	RUN(test_process_list_users);
	RUN(test_device_get);
	RUN(test_device_check_live_response_states);
	RUN(test_device_check_real_record);
	RUN(test_device_check_offline);
	RUN(test_org_key_and_permissions);
	return t_done();
}
