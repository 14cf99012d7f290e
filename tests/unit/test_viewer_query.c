/* test_viewer_query.c - the viewer's hostile inputs that are not HTML:
 * query strings, CSV cells (formula injection), the collect token and
 * origin checks, and the artifact's name and reference check. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "tests/t.h"
#include "viewer/blob.h"
#include "viewer/csrf.h"
#include "viewer/csv.h"
#include "viewer/export.h"
#include "viewer/page.h"
#include "viewer/query.h"
#include "tv.h"

/* One cell as CSV text (caller frees). */
static char *
cell(const char *s)
{
	struct evbuffer *b = evbuffer_new();
	char *r;

	csv_cell(b, s, true);
	r = drain(b);
	evbuffer_free(b);
	return r;
}

static bool
cell_is(const char *in, const char *want)
{
	char *got = cell(in);
	bool ok = strcmp(got, want) == 0;

	if (!ok)
		printf("#   cell '%s': got '%s', want '%s'\n", in, got, want);
	free(got);
	return ok;
}

static int
test_csv_quoting(void)
{
	CHECK(cell_is("plain", "plain"));
	CHECK(cell_is("", ""));
	CHECK(cell_is(NULL, ""));
	CHECK(cell_is("a,b", "\"a,b\""));
	CHECK(cell_is("say \"hi\"", "\"say \"\"hi\"\"\""));
	CHECK(cell_is("two\nlines", "\"two\nlines\""));
	CHECK(cell_is("cr\rhere", "\"cr\rhere\""));
	CHECK(cell_is("Ünïcödé ✓", "Ünïcödé ✓"));
	return 0;
}

static int
test_csv_formula_injection(void)
{
	CHECK(cell_is(
	    "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""));
	CHECK(cell_is("=1+1", "'=1+1"));
	CHECK(cell_is("+1", "'+1"));
	CHECK(cell_is("-2+3", "'-2+3"));
	CHECK(cell_is("@SUM(A1)", "'@SUM(A1)"));
	CHECK(cell_is("\tx", "'\tx"));
	CHECK(cell_is("\rx", "\"'\rx\""));
	CHECK(cell_is("=a,b", "\"'=a,b\""));
	CHECK(cell_is("a=b", "a=b"));
	CHECK(cell_is(" =x", " =x"));
	return 0;
}

static int
test_csv_numbers_and_rows(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *v = json_integer(-5);
	char *s;

	csv_value(b, v, true); /* a number we format is not a formula */
	csv_value(b, json_true(), false);
	csv_value(b, NULL, false);
	csv_end_row(b);
	s = drain(b);
	CHECK(strcmp(s, "-5,true,\r\n") == 0);
	free(s);
	json_decref(v);
	evbuffer_free(b);
	return 0;
}

static int
test_csv_cell_bounded(void)
{
	char *big = malloc(CSV_MAX_CELL * 3), *s;

	memset(big, 'a', CSV_MAX_CELL * 3 - 1);
	big[CSV_MAX_CELL * 3 - 1] = '\0';
	s = cell(big);
	CHECK(strlen(s) == CSV_MAX_CELL);
	free(s);
	free(big);
	return 0;
}

/* The device's tables as CSV, from a new-shape and an old-shape result. */
static int
test_export_tables(void)
{
	struct evbuffer *b = evbuffer_new();
	json_t *fields = json_pack("{s:s, s:s, s:s}", "browser_history",
	    "[{\"user\":\"jdoe\",\"browser\":\"edge\",\"profile\":\"Profile 1\","
	    "\"visits\":[{\"url\":\"=cmd|' /C calc'!A0\",\"title\":\"a,\\\"b\","
	    "\"visit_time\":\"2026-11-27T10:00:00Z\",\"transition\":\"typed\","
	    "\"visit_count\":4}],\"downloads\":[{\"target_path\":\"@evil\","
	    "\"url_chain\":[\"http://a\",\"http://b\"],\"danger_type\":"
	    "\"dangerous_file\",\"received_bytes\":-1}]},"
	    "{\"user\":\"old\",\"visits\":[{\"url\":\"u\",\"title\":\"t\","
	    "\"visit_time\":\"x\"}]}]",
	    "services",
	    "[{\"name\":\"Spooler\"},\"bare\",{\"name\":\"New\","
	    "\"new\":true,\"image_path_was\":\"+x\"}]",
	    "timeline", "not json");
	char *s;

	CHECK(export_table_known("visits") && !export_table_known("users"));
	CHECK(export_csv(b, "visits", fields) == 2);
	s = drain(b);
	CHECK(strncmp(s,
		  "user,browser,profile,visit_time,title,url,transition,"
		  "visit_count\r\n",
		  63) == 0);
	CHECK(strstr(s, "jdoe,edge,Profile 1,2026-11-27T10:00:00Z,\"a,\"\"b\","
			"'=cmd|' /C calc'!A0,typed,4\r\n") != NULL);
	CHECK(strstr(s, "\r\nold,,,x,t,u,,\r\n") != NULL);
	free(s);
	CHECK(export_csv(b, "downloads", fields) == 1);
	s = drain(b);
	CHECK(strstr(s, ",'@evil,,\"[\"\"http://a\"\",\"\"http://b\"\"]\",") !=
	      NULL);
	CHECK(strstr(s, ",dangerous_file,-1,") != NULL);
	free(s);
	CHECK(export_csv(b, "services", fields) == 3);
	s = drain(b);
	CHECK(strstr(s, "\r\nSpooler,,,,,,,,,\r\n") != NULL);
	CHECK(strstr(s, "\r\nbare,,,,,,,,,\r\n") != NULL);
	CHECK(strstr(s, "\r\nNew,,,,,,,,true,'+x\r\n") != NULL);
	free(s);
	CHECK(export_csv(b, "timeline", fields) == 0); /* header only */
	s = drain(b);
	CHECK(
	    strcmp(s, "time,kind,what,text,url,user,browser,profile\r\n") == 0);
	free(s);
	json_decref(fields);
	evbuffer_free(b);
	return 0;
}

static int
test_query_defaults_and_bounds(void)
{
	struct query q;

	query_parse(NULL, 50, 200, &q);
	CHECK(q.page == 1 && q.per == 50 && q.q[0] == '\0');
	CHECK(q.sort == QUERY_SORT_UPDATED && strcmp(q.view, "visits") == 0);
	query_parse("page=-1&per=1000000000", 50, 200, &q);
	CHECK(q.page == 1 && q.per == 200);
	query_parse("page=99999999999999999999&per=0", 50, 200, &q);
	CHECK(q.page == 1 && q.per == 50);
	query_parse("page=3&per=10", 50, 200, &q);
	CHECK(q.page == 3 && q.per == 10);
	CHECK(query_offset(&q, 1000) == 20);
	CHECK(query_offset(&q, 5) == 5); /* past the end: saturated */
	query_parse("page=1000000&per=200", 50, 200, &q);
	CHECK(q.page == 1000000 && query_offset(&q, 1500) == 1500);
	query_parse("page=abc&per=1e3&profile=100&status=evil&sort=x&view=y",
	    50, 200, &q);
	CHECK(q.page == 1 && q.per == 50 && q.profile == 0);
	CHECK(q.status[0] == '\0' && q.sort == QUERY_SORT_UPDATED);
	CHECK(strcmp(q.view, "visits") == 0);
	query_parse("status=failed&sort=name&view=downloads&svc=new&profile=2"
		    "&download=1&collect=requested",
	    50, 200, &q);
	CHECK(strcmp(q.status, "failed") == 0 && q.sort == QUERY_SORT_NAME);
	CHECK(strcmp(q.view, "downloads") == 0 && strcmp(q.svc, "new") == 0);
	CHECK(q.profile == 2 && q.download && q.collected);
	return 0;
}

static int
test_query_hostile_text(void)
{
	struct query q;
	char big[2000];

	query_parse("q=%20%20%3Cscript%3E%01x%7F%0A%20", 50, 200, &q);
	CHECK(strcmp(q.q, "<script> x") == 0);
	/* 300 two-byte characters: cut to at most 100 bytes, whole chars */
	strcpy(big, "q=");
	for (int i = 0; i < 300; i++)
		strcat(big, "%C3%A9");
	query_parse(big, 50, 200, &q);
	CHECK(strlen(q.q) == 100 && (unsigned char)q.q[98] == 0xc3);
	/* cut at an odd byte: the half character goes */
	strcpy(big, "q=a");
	for (int i = 0; i < 300; i++)
		strcat(big, "%C3%A9");
	query_parse(big, 50, 200, &q);
	CHECK(strlen(q.q) == 99 && (unsigned char)q.q[97] == 0xc3);
	/* malformed query strings parse as nothing */
	query_parse("q=%ZZ&&&=&page", 50, 200, &q);
	CHECK(q.page == 1);
	return 0;
}

static int
test_query_link_encodes(void)
{
	struct evbuffer *b = evbuffer_new();
	struct query q;
	char *s;

	query_parse(
	    "q=a%26b%22%3C%27&status=done&sort=status&per=25", 50, 200, &q);
	query_link(b, &q, 4);
	s = drain(b);
	CHECK(strcmp(s, "?q=a%26b%22%3C%27&amp;status=done&amp;sort=status"
			"&amp;per=25&amp;page=4") == 0);
	free(s);
	evbuffer_free(b);
	return 0;
}

static int
test_pager(void)
{
	struct evbuffer *b = evbuffer_new();
	struct query q;
	char *s;

	query_parse("page=2&per=50", 50, 200, &q);
	page_pager(b, "/", &q, 120, 0);
	s = drain(b);
	CHECK(strstr(s, "Showing 51\xe2\x80\x93"
			"100 of 120") != NULL);
	CHECK(strstr(s, "href=\"/?per=50&amp;page=1\"") != NULL);
	CHECK(strstr(s, "href=\"/?per=50&amp;page=3\"") != NULL);
	free(s);
	/* past the end: nothing shown, "previous" goes to the last page */
	query_parse("page=900&per=50", 50, 200, &q);
	page_pager(b, "/", &q, 120, 500);
	s = drain(b);
	CHECK(strstr(s, "page=3\"") != NULL && strstr(s, "page=901") == NULL);
	CHECK(strstr(s, "(500 in all)") != NULL);
	free(s);
	evbuffer_free(b);
	return 0;
}

static int
test_csrf_token(void)
{
	unsigned char k1[CSRF_SECRET_LEN], k2[CSRF_SECRET_LEN], mac[32];
	char t[CSRF_TOKEN_LEN + 1], bad[CSRF_TOKEN_LEN + 2];
	/* RFC 4231 test case 2 */
	static const unsigned char want[32] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf,
	    0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
	    0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58,
	    0xb9, 0x64, 0xec, 0x38, 0x43};

	csrf_hmac_sha256((const unsigned char *)"Jefe", 4,
	    "what do ya want for nothing?", 28, mac);
	CHECK(memcmp(mac, want, 32) == 0);
	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	csrf_token(k1, "ana", t);
	CHECK(strlen(t) == CSRF_TOKEN_LEN);
	CHECK(csrf_token_ok(k1, "ana", t));
	CHECK(!csrf_token_ok(k2, "ana", t)); /* another process */
	CHECK(!csrf_token_ok(k1, "bob", t)); /* another user */
	CHECK(!csrf_token_ok(k1, "ana", NULL));
	CHECK(!csrf_token_ok(k1, "ana", ""));
	snprintf(bad, sizeof(bad), "%sx", t);
	CHECK(!csrf_token_ok(k1, "ana", bad));
	bad[CSRF_TOKEN_LEN - 1] = '\0';
	CHECK(!csrf_token_ok(k1, "ana", bad));
	return 0;
}

static int
test_csrf_origin(void)
{
	const char *h = "127.0.0.1:7982";

	CHECK(csrf_origin_ok("http://127.0.0.1:7982", NULL, h, false));
	CHECK(csrf_origin_ok("HTTPS://127.0.0.1:7982", NULL, h, false));
	CHECK(!csrf_origin_ok("http://evil.example", NULL, h, true));
	CHECK(!csrf_origin_ok(
	    "http://127.0.0.1:7982.evil.example", NULL, h, true));
	CHECK(!csrf_origin_ok("http://127.0.0.1:7983", NULL, h, true));
	CHECK(!csrf_origin_ok("null", NULL, h, true));
	/* the Origin wins over a matching Referer */
	CHECK(!csrf_origin_ok(
	    "http://evil.example", "http://127.0.0.1:7982/device/1", h, true));
	CHECK(csrf_origin_ok(NULL, "http://127.0.0.1:7982/device/1", h, false));
	CHECK(!csrf_origin_ok(NULL, "http://127.0.0.1:7982@evil/", h, true));
	CHECK(!csrf_origin_ok(NULL, NULL, h, false));
	CHECK(csrf_origin_ok(NULL, NULL, h, true));
	CHECK(!csrf_origin_ok("http://x", NULL, NULL, true));
	CHECK(!csrf_origin_ok("http://a/b", NULL, "a/b", true));
	return 0;
}

static int
test_blob_filename(void)
{
	char name[200];

	blob_filename(name, sizeof(name), "jdoe", "chrome", "Profile 1");
	CHECK(strcmp(name, "History-jdoe-chrome-Profile_1.sqlite") == 0);
	blob_filename(name, sizeof(name), "../..\\x\"; y=\r\n", NULL, "");
	CHECK(
	    strcmp(name, "History-_._.._x___y___-unknown-unknown.sqlite") == 0);
	blob_filename(name, sizeof(name), "J\xc3\xb6rg",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Default");
	CHECK(strcmp(name, "History-J__rg-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			   "aaaaa-Default.sqlite") == 0);
	return 0;
}

static int
test_blob_find(void)
{
	const char *sha1 = "1111111111111111111111111111111111111111111111111"
			   "111111111111111",
		   *sha2 = "2222222222222222222222222222222222222222222222222"
			   "222222222222222";
	json_t *hist = json_pack("[{s:s, s:s, s:s, s:s}, i]", "user", "a",
	    "browser", "chrome", "profile", "Default", "sha256", sha1, 7);
	json_t *runs = json_pack("[s, s, {s:[{s:s, s:s}]}, {s:s}]", "not json",
	    "{\"artifacts\":[{\"user\":\"b\",\"sha256\":\"22\"}]}", "artifacts",
	    "user", "c", "sha256", sha2, "browser_history",
	    "[{\"user\":\"old\",\"sha256\":\"44\"}]");
	json_t *hit;

	hit = blob_find(hist, runs, sha1);
	CHECK(
	    hit != NULL &&
	    strcmp(json_string_value(json_object_get(hit, "user")), "a") == 0);
	json_decref(hit);
	hit = blob_find(hist, runs, sha2);
	CHECK(
	    hit != NULL &&
	    strcmp(json_string_value(json_object_get(hit, "user")), "c") == 0);
	json_decref(hit);
	hit = blob_find(hist, runs, "22"); /* exact match only */
	CHECK(hit != NULL);
	json_decref(hit);
	hit = blob_find(hist, runs, "44"); /* a run archived before artifacts */
	CHECK(hit != NULL &&
	      strcmp(json_string_value(json_object_get(hit, "user")), "old") ==
		  0);
	json_decref(hit);
	CHECK(blob_find(hist, runs,
		  "3333333333333333333333333333333333333333333333333333333333"
		  "333333") == NULL);
	CHECK(blob_find(NULL, NULL, sha1) == NULL);
	json_decref(hist);
	json_decref(runs);
	return 0;
}

int
main(void)
{
	RUN(test_csv_quoting);
	RUN(test_csv_formula_injection);
	RUN(test_csv_numbers_and_rows);
	RUN(test_csv_cell_bounded);
	RUN(test_export_tables);
	RUN(test_query_defaults_and_bounds);
	RUN(test_query_hostile_text);
	RUN(test_query_link_encodes);
	RUN(test_pager);
	RUN(test_csrf_token);
	RUN(test_csrf_origin);
	RUN(test_blob_filename);
	RUN(test_blob_find);
	return t_done();
}
