/* test_viewer_json.c - api_dump(), the viewer's JSON writer, writes what
 * jansson's json_dumps(JSON_COMPACT | JSON_ENCODE_ANY) writes, byte for
 * byte, plus a newline: on every fixture and on the strings that need
 * escaping. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/t.h"
#pragma GCC diagnostic pop
#include "common/log.h"
#include "viewer/api.h"

/* api_dump(v) is json_dumps(v) and a newline. */
static int
same(const json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *got = api_dump(v);
	size_t n;

	CHECK(want != NULL && got != NULL);
	n = strlen(want);
	if (strncmp(got, want, n) != 0 || strcmp(got + n, "\n") != 0) {
		printf("#   want %.300s\n#   got  %.300s\n", want, got);
		free(want);
		free(got);
		return 1;
	}
	free(want);
	free(got);
	return 0;
}

static int
test_scalars_and_escapes(void)
{
	static const char nul[] = "a\0b";
	json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:f, "
			      "s:b, s:b, s:n, s:[], s:{}, s:[i, [i, {}]]}",
	    "plain", "WKS-000001", "quotes", "say \"hi\" \\ back\\slash",
	    "controls", "\b\f\n\r\t\x01\x1f\x7f end", "unicode",
	    "caf\xc3\xa9 \xe2\x80\xae \xf0\x9f\x98\x80 \xe2\x80\xa8", "big",
	    (json_int_t)9007199254740993LL, "neg", (json_int_t)-42, "half", 0.5,
	    "tiny", 1e-300, "third", 1.0 / 3, "t", 1, "f", 0, "null", "empty_a",
	    "empty_o", "nested", 1, 2);

	CHECK(v != NULL);
	json_object_set_new(v, "with NUL", json_stringn(nul, 3));
	json_object_set_new(v, "key \"quoted\"\n", json_integer(1));
	CHECK(same(v) == 0);
	CHECK(same(json_object_get(v, "plain")) == 0);
	CHECK(same(json_object_get(v, "third")) == 0);
	json_decref(v);
	return 0;
}

/* Every fixture: the shapes the API and the worker really produce. */
static int
test_fixtures(void)
{
	const char *top = getenv("LRFLOW_TOP");
	char dir[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/fixtures", top ? top : ".");
	CHECK((d = opendir(dir)) != NULL);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		json_t *v;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		v = t_fixture(e->d_name);
		if (v == NULL)
			continue;
		n++;
		if (same(v) != 0) {
			printf("#   in %s\n", e->d_name);
			json_decref(v);
			closedir(d);
			return 1;
		}
		json_decref(v);
	}
	closedir(d);
	CHECK(n >= 10);
	return 0;
}

int
main(void)
{
	log_init("test_viewer_json", LOG_WARN, LOG_TEXT);
	RUN(test_scalars_and_escapes);
	RUN(test_fixtures);
	return t_done();
}
