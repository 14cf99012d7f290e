/* test_notify.c - v3 notification payloads: every fixture, malformed
 * ones, type filters and the synthetic notification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "poller/notify.h"
#include "../t.h"

static int
test_notification_list_fixture(void)
{
	json_t *body = t_fixture("v3_notification_list.json"), *list;
	struct notify n;
	char err[256];

	CHECK(body != NULL);
	CHECK((list = notify_list(body, err, sizeof(err))) != NULL);
	CHECK(json_array_size(list) == 3);
	CHECK(notify_parse(json_array_get(list, 0), &n, err, sizeof(err)) == 0);
	CHECK(n.device_id == 2004118 && strcmp(n.type, "THREAT") == 0);
	CHECK(n.score == 7);
	CHECK(strcmp(n.event_id, "f279d0e6035211e6be8701df2c083974") == 0);
	CHECK(notify_parse(json_array_get(list, 1), &n, err, sizeof(err)) == 0);
	CHECK(n.device_id == 100 && strcmp(n.type, "POLICY_ACTION") == 0);
	CHECK(n.score == -1);
	CHECK(notify_parse(json_array_get(list, 2), &n, err, sizeof(err)) == 0);
	CHECK(n.device_id == 18900 && strcmp(n.type, "THREAT_HUNTER") == 0);
	CHECK(n.score == 1 && n.event_id == NULL);
	json_decref(body);
	return 0;
}

static int
test_sdk_and_synthetic_fixtures(void)
{
	json_t *body = t_fixture("v3_notification_list_sdk.json"), *list, *one;
	struct notify n;
	char err[256];

	CHECK(body != NULL);
	CHECK((list = notify_list(body, err, sizeof(err))) != NULL);
	CHECK(json_array_size(list) == 2);
	CHECK(notify_parse(json_array_get(list, 1), &n, err, sizeof(err)) == 0);
	CHECK(n.device_id == 100 && n.score == 8);
	CHECK(strcmp(n.device_name, "testers-pc") == 0);
	json_decref(body);

	one = t_fixture("v3_notification_synthetic_threat.json");
	CHECK(one != NULL);
	CHECK(notify_parse(one, &n, err, sizeof(err)) == 0);
	CHECK(n.device_id == 358141 && n.score == 3);
	CHECK(strcmp(n.device_name, "WIN-BTB0KQ5OFF4") == 0);
	json_decref(one);
	return 0;
}

static int
test_malformed_notifications(void)
{
	static const char *const bad[] = {
	    "\"a string\"",
	    "{\"type\":\"THREAT\"}",
	    "{\"deviceInfo\": 5}",
	    "{\"deviceInfo\": {\"deviceName\": \"x\"}}",
	    "{\"deviceInfo\": {\"deviceId\": \"21a\"}}",
	    "{\"deviceInfo\": {\"deviceId\": -4}}",
	    "{\"deviceInfo\": {\"deviceId\": 0}}",
	    "{\"deviceInfo\": {\"deviceId\": 1.5}}",
	    "{\"deviceInfo\": {\"deviceId\": null}}",
	};
	struct notify n;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);

		CHECK(j != NULL);
		err[0] = '\0';
		CHECK(notify_parse(j, &n, err, sizeof(err)) == -1);
		CHECK(err[0] != '\0');
		json_decref(j);
	}
	/* A device id sent as a string of digits is accepted. */
	{
		json_t *j = json_loads(
		    "{\"deviceInfo\": {\"deviceId\": \"21212\"}}", 0, NULL);

		CHECK(notify_parse(j, &n, err, sizeof(err)) == 0);
		CHECK(n.device_id == 21212 && strcmp(n.type, "THREAT") == 0);
		json_decref(j);
	}
	return 0;
}

static int
test_malformed_envelopes(void)
{
	static const char *const bad[] = {
	    "[]",
	    "{\"success\": false, \"message\": \"Unauthorized\"}",
	    "{\"success\": true, \"notifications\": {}}",
	    "{\"foo\": 1}",
	};
	char err[256];
	json_t *j;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		CHECK(j != NULL);
		CHECK(notify_list(j, err, sizeof(err)) == NULL);
		json_decref(j);
	}
	j = json_loads(
	    "{\"success\": false, \"message\": \"Unauthorized\"}", 0, NULL);
	notify_list(j, err, sizeof(err));
	CHECK(strstr(err, "Unauthorized") != NULL);
	json_decref(j);
	/* Nothing new: success without a list is an empty poll. */
	j = json_loads(
	    "{\"success\": true, \"message\": \"Success\"}", 0, NULL);
	CHECK(json_array_size(notify_list(j, err, sizeof(err))) == 0);
	CHECK(notify_list(j, err, sizeof(err)) != NULL);
	json_decref(j);
	return 0;
}

static int
test_type_filter(void)
{
	CHECK(notify_type_wanted(NULL, "THREAT"));
	CHECK(notify_type_wanted("", "THREAT"));
	CHECK(notify_type_wanted("THREAT,POLICY_ACTION", "POLICY_ACTION"));
	CHECK(notify_type_wanted("threat, policy_action", "POLICY_ACTION"));
	CHECK(!notify_type_wanted("THREAT", "THREAT_HUNTER"));
	CHECK(!notify_type_wanted("THREAT_HUNTER", "THREAT"));
	return 0;
}

static int
test_synthetic(void)
{
	json_t *n = notify_synthetic(21212, 1544646521656LL);
	struct notify nt;
	char err[256];

	CHECK(n != NULL);
	CHECK(notify_parse(n, &nt, err, sizeof(err)) == 0);
	CHECK(nt.device_id == 21212 && strcmp(nt.type, "THREAT") == 0);
	CHECK(strlen(nt.event_id) == 32);
	CHECK(json_integer_value(json_object_get(n, "eventTime")) ==
	      1544646521656LL);
	CHECK(json_is_null(json_object_get(
	    json_object_get(n, "deviceInfo"), "deviceHostName")));
	json_decref(n);
	return 0;
}

int
main(void)
{
	log_init("test_notify", LOG_ERROR, LOG_TEXT);
	RUN(test_notification_list_fixture);
	RUN(test_sdk_and_synthetic_fixtures);
	RUN(test_malformed_notifications);
	RUN(test_malformed_envelopes);
	RUN(test_type_filter);
	RUN(test_synthetic);
	return t_done();
}
