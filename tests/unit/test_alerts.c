/* test_alerts.c - Alerts v7 payloads: the search query the poller sends,
 * every alert fixture, malformed alerts and answers, local filters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "poller/alerts.h"
#include "../t.h"

static int
test_query(void)
{
	int64_t allow[] = {21212, 31337}, deny[] = {40404};
	struct alert_filter f = {.types = "CB_ANALYTICS, WATCHLIST",
	    .min_severity = 3,
	    .policies = "Standard",
	    .allow = allow,
	    .nallow = 2,
	    .deny = deny,
	    .ndeny = 1};
	struct alert_filter none = {0};
	json_t *q =
	    alerts_query(&f, 1701440904337LL, 1701441204337LL, 10000, 1);
	char *s;

	CHECK(q != NULL);
	CHECK(strcmp(json_string_value(json_object_get(
			 json_object_get(q, "time_range"), "start")),
		  "2023-12-01T14:28:24.337Z") == 0);
	CHECK(json_integer_value(json_object_get(q, "rows")) == 10000);
	CHECK(json_object_get(q, "start") == NULL); /* first page: omitted */
	s = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(strstr(s, "\"type\":[\"CB_ANALYTICS\",\"WATCHLIST\"]") != NULL);
	CHECK(strstr(s, "\"minimum_severity\":3") != NULL);
	CHECK(strstr(s, "\"device_policy\":[\"Standard\"]") != NULL);
	CHECK(strstr(s, "\"device_id\":[21212,31337]") != NULL);
	CHECK(strstr(s, "\"exclusions\":{\"device_id\":[40404]}") != NULL);
	CHECK(
	    strstr(s,
		"\"sort\":[{\"field\":\"backend_timestamp\",\"order\":\"ASC\"}]") !=
	    NULL);
	free(s);
	json_decref(q);
	q = alerts_query(&none, 0, 1000, 500, 3);
	s = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(strstr(s, "\"criteria\":{}") != NULL);
	CHECK(strstr(s, "\"start\":3") != NULL);
	CHECK(strstr(s, "exclusions") == NULL);
	free(s);
	json_decref(q);
	return 0;
}

static int
test_fixtures(void)
{
	static const char *const files[] = {
	    "v7_alert_search.json", "v7_alert_search_cb_analytics.json"};
	static const int64_t devices[] = {18118170, 6360983};
	static const char *const types[] = {"WATCHLIST", "CB_ANALYTICS"};
	char err[256];

	for (int i = 0; i < 2; i++) {
		json_t *body = t_fixture(files[i]), *res;
		long long found;
		struct alert a;

		CHECK(body != NULL);
		CHECK((res = alerts_results(body, &found, err, sizeof(err))) !=
		      NULL);
		CHECK(json_array_size(res) >= 1 && found >= 1);
		CHECK(alerts_parse(
			  json_array_get(res, 0), &a, err, sizeof(err)) == 0);
		CHECK(a.device_id == devices[i]);
		CHECK(strcmp(a.type, types[i]) == 0);
		CHECK(strlen(a.id) == 36 && a.severity >= 1);
		CHECK(a.backend_ms > 1600000000000LL);
		json_decref(body);
	}
	{
		json_t *one = t_fixture("v7_alert_get.json");
		struct alert a;

		CHECK(one != NULL);
		CHECK(alerts_parse(one, &a, err, sizeof(err)) == 0);
		CHECK(a.device_id == 18118174);
		json_decref(one);
	}
	return 0;
}

static int
test_malformed(void)
{
	static const char *const bad[] = {
	    "[]",
	    "{\"backend_timestamp\":\"2024-01-01T00:00:00Z\",\"device_id\":1}",
	    "{\"id\":\"a\",\"device_id\":1}",
	    "{\"id\":\"a\",\"device_id\":1,\"backend_timestamp\":\"yesterday\"}",
	    "{\"id\":\"a\",\"backend_timestamp\":\"2024-01-01T00:00:00Z\"}",
	    "{\"id\":\"a\",\"device_id\":0,\"backend_timestamp\":\"2024-01-01T00:00:00Z\"}",
	    "{\"id\":\"a\",\"device_id\":\"x1\",\"backend_timestamp\":\"2024-01-01T00:00:00Z\"}",
	    "{\"id\":\"\",\"device_id\":5,\"backend_timestamp\":\"2024-01-01T00:00:00Z\"}",
	};
	static const char *const answers[] = {
	    "[]", "{}", "{\"results\":{}}", "\"x\""};
	struct alert a;
	char err[256];
	long long n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);

		CHECK(j != NULL);
		err[0] = '\0';
		CHECK(alerts_parse(j, &a, err, sizeof(err)) == -1);
		CHECK(err[0] != '\0');
		json_decref(j);
	}
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		json_t *j = json_loads(answers[i], JSON_DECODE_ANY, NULL);

		CHECK(alerts_results(j, &n, err, sizeof(err)) == NULL);
		json_decref(j);
	}
	return 0;
}

static int
test_filters(void)
{
	int64_t allow[] = {1, 2}, deny[] = {2};
	struct alert a = {.id = "x",
	    .device_id = 2,
	    .type = "WATCHLIST",
	    .severity = 5,
	    .policy = "Standard"};
	struct alert_filter f = {0};

	CHECK(alerts_wanted(&f, &a));
	f.deny = deny;
	f.ndeny = 1;
	CHECK(!alerts_wanted(&f, &a));
	f.ndeny = 0;
	f.allow = allow;
	f.nallow = 2;
	CHECK(alerts_wanted(&f, &a));
	a.device_id = 3;
	CHECK(!alerts_wanted(&f, &a));
	a.device_id = 1;
	f.min_severity = 6;
	CHECK(!alerts_wanted(&f, &a));
	f.min_severity = 5;
	CHECK(alerts_wanted(&f, &a));
	f.types = "CB_ANALYTICS";
	CHECK(!alerts_wanted(&f, &a));
	f.types = "cb_analytics,watchlist";
	CHECK(alerts_wanted(&f, &a));
	f.policies = "Servers";
	CHECK(!alerts_wanted(&f, &a));
	a.policy = NULL;
	CHECK(!alerts_wanted(&f, &a));
	return 0;
}

int
main(void)
{
	log_init("test_alerts", LOG_ERROR, LOG_TEXT);
	RUN(test_query);
	RUN(test_fixtures);
	RUN(test_malformed);
	RUN(test_filters);
	return t_done();
}
