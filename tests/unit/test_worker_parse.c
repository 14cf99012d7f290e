/* test_worker_parse.c - what the worker makes of what a device sends:
 * net start output, process lists, Chrome History databases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/util.h"
#include "tests/t.h"
#include "worker/chrome.h"
#include "worker/collect.h"
#include "worker/netstart.h"
#include "worker/utf8.h"

/* /work/shared/docs/fixtures/sample_net_start_output.txt, CRLF. */
static const char net_start_sample[] =
    "These Windows services are started:\r\n"
    "\r\n"
    "   Application Information\r\n"
    "   Background Tasks Infrastructure Service\r\n"
    "   Base Filtering Engine\r\n"
    "   Cryptographic Services\r\n"
    "   DHCP Client\r\n"
    "   DNS Client\r\n"
    "   Windows Event Log\r\n"
    "   Windows Management Instrumentation\r\n"
    "\r\n"
    "The command completed successfully.\r\n"
    "\r\n";

static const char *
service_name(json_t *services, size_t i)
{
	return json_string_value(
	    json_object_get(json_array_get(services, i), "name"));
}

static int
test_netstart_sample_in_order(void)
{
	json_t *s = netstart_parse(net_start_sample, strlen(net_start_sample));

	CHECK(json_array_size(s) == 8);
	CHECK(strcmp(service_name(s, 0), "Application Information") == 0);
	CHECK(strcmp(service_name(s, 4), "DHCP Client") == 0);
	CHECK(strcmp(service_name(s, 7),
		  "Windows Management Instrumentation") == 0);
	json_decref(s);
	return 0;
}

static int
test_netstart_lf_and_trailing_text(void)
{
	const char *in =
	    "These Windows services are started:\n\n"
	    "\tPrint Spooler  \n   Themes\n\n"
	    "The command completed successfully.\n   Not A Service\n";
	json_t *s = netstart_parse(in, strlen(in));

	CHECK(json_array_size(s) == 2);
	CHECK(strcmp(service_name(s, 0), "Print Spooler") == 0);
	CHECK(strcmp(service_name(s, 1), "Themes") == 0);
	json_decref(s);
	return 0;
}

static int
test_netstart_malformed_gives_no_services(void)
{
	const char *err =
	    "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n";
	json_t *s;

	s = netstart_parse(err, strlen(err));
	CHECK(json_is_array(s) && json_array_size(s) == 0);
	json_decref(s);
	s = netstart_parse(NULL, 0);
	CHECK(json_is_array(s) && json_array_size(s) == 0);
	json_decref(s);
	s = netstart_parse("\r\n\r\n   \r\n", 8);
	CHECK(json_array_size(s) == 0);
	json_decref(s);
	return 0;
}

static int
test_netstart_other_language_and_code_page(void)
{
	/* German header, a CP850 byte (0x81 = u-umlaut) and real UTF-8. */
	const char in[] = "Folgende Windows-Dienste sind gestartet:\r\n\r\n"
			  "   Dienst f\x81r Ger\xc3\xa4te\r\n\r\n"
			  "Der Befehl wurde erfolgreich ausgef\x81hrt.\r\n";
	json_t *s = netstart_parse(in, sizeof(in) - 1);

	CHECK(json_array_size(s) == 1);
	CHECK(strcmp(service_name(s, 0),
		  "Dienst f\xef\xbf\xbdr Ger\xc3\xa4te") == 0);
	json_decref(s);
	return 0;
}

static int
test_utf8_lenient_replaces_only_invalid(void)
{
	char *s;

	s = utf8_lenient("a\xc0\xaf"
			 "b",
	    4); /* overlong '/' */
	CHECK(strcmp(s, "a\xef\xbf\xbd\xef\xbf\xbd"
			"b") == 0);
	free(s);
	s = utf8_lenient("\xed\xa0\x80", 3); /* a surrogate */
	CHECK(strcmp(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == 0);
	free(s);
	s = utf8_lenient("x\0y", 3); /* NUL */
	CHECK(strcmp(s, "x\xef\xbf\xbdy") == 0);
	free(s);
	s = utf8_lenient("\xf0\x9f\x98\x80 \xe2\x82", 7); /* emoji, cut */
	CHECK(strcmp(s, "\xf0\x9f\x98\x80 \xef\xbf\xbd\xef\xbf\xbd") == 0);
	free(s);
	s = utf8_lenient(NULL, 0);
	CHECK(strcmp(s, "") == 0);
	free(s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Users from process lists */

static json_t *
load_fixture(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/work/shared/docs/fixtures/%s", name);
	return json_load_file(path, 0, NULL);
}

static int
test_users_v3_fixture_has_none(void)
{
	json_t *cmd = load_fixture("v3_command_process_list_complete.json");
	json_t *u;

	if (cmd == NULL) {
		printf("# skipped: fixture not found\n");
		return 0;
	}
	u = collect_users(json_object_get(cmd, "processes"));
	CHECK(json_is_array(u) && json_array_size(u) == 0);
	json_decref(u);
	json_decref(cmd);
	return 0;
}

static int
test_users_v3_explorer_owners_in_order(void)
{
	json_t *procs = json_loads(
	    "["
	    "{\"pid\":4,\"path\":\"c:\\\\windows\\\\system32\\\\svchost.exe\",\"username\":\"NT AUTHORITY\\\\SYSTEM\"},"
	    "{\"pid\":10,\"path\":\"c:\\\\windows\\\\explorer.exe\",\"username\":\"CORP\\\\jdoe\"},"
	    "{\"pid\":11,\"path\":\"C:\\\\Windows\\\\Explorer.EXE\",\"username\":\"CORP\\\\asmith\"},"
	    "{\"pid\":12,\"path\":\"c:\\\\windows\\\\explorer.exe\",\"username\":\"corp\\\\JDOE\"},"
	    "{\"pid\":13,\"path\":\"c:\\\\windows\\\\explorer.exe\",\"username\":\"local\"},"
	    "{\"pid\":14,\"path\":\"c:\\\\windows\\\\explorer.exe\"},"
	    "{\"pid\":15,\"path\":\"c:\\\\windows\\\\explorer.exe\",\"username\":\"CORP\\\\\"},"
	    "{\"pid\":16,\"path\":\"c:\\\\tools\\\\notepad.exe\",\"username\":\"CORP\\\\mallory\"}"
	    "]",
	    0, NULL);
	json_t *u;

	CHECK(procs != NULL);
	u = collect_users(procs);
	CHECK(json_array_size(u) == 3);
	CHECK(strcmp(json_string_value(json_array_get(u, 0)), "jdoe") == 0);
	CHECK(strcmp(json_string_value(json_array_get(u, 1)), "asmith") == 0);
	CHECK(strcmp(json_string_value(json_array_get(u, 2)), "local") == 0);
	json_decref(u);
	json_decref(procs);
	return 0;
}

static int
test_users_v6_field_names(void)
{
	json_t *procs = json_loads(
	    "["
	    "{\"process_pid\":10,\"process_path\":\"c:\\\\windows\\\\explorer.exe\",\"process_username\":\"WORKGROUP\\\\bob\"},"
	    "{\"process_pid\":11,\"process_path\":\"c:\\\\windows\\\\cmd.exe\",\"process_username\":\"WORKGROUP\\\\eve\"}"
	    "]",
	    0, NULL);
	json_t *u;

	CHECK(procs != NULL);
	u = collect_users(procs);
	CHECK(json_array_size(u) == 1);
	CHECK(strcmp(json_string_value(json_array_get(u, 0)), "bob") == 0);
	json_decref(u);
	json_decref(procs);
	u = collect_users(NULL);
	CHECK(json_array_size(u) == 0);
	json_decref(u);
	return 0;
}

static int
test_user_names_that_cannot_be_folders(void)
{
	CHECK(collect_user_ok("jdoe"));
	CHECK(collect_user_ok("J. Doe"));
	CHECK(!collect_user_ok(""));
	CHECK(!collect_user_ok(".."));
	CHECK(!collect_user_ok("a/../b"));
	CHECK(!collect_user_ok("c:"));
	CHECK(!collect_user_ok("*"));
	CHECK(!collect_user_ok("x\ny"));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Chrome History */

static int
test_chrome_time_conversion(void)
{
	CHECK(chrome_time_to_ms(11644473600000000LL) == 0);
	CHECK(chrome_time_to_ms(13300000000000000LL) == 1655526400000LL);
	CHECK(chrome_time_to_ms(13345678901234567LL) == 1701205301234LL);
	return 0;
}

static char t_dir[128];

/* Runs sql on a new database file and returns its bytes (caller frees). */
static char *
make_db(const char *sql, size_t *len)
{
	char path[200], *buf = NULL;
	sqlite3 *db;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/History", t_dir);
	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		printf("# sqlite: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_close(db);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The visits of a History database in memory, as a new array, parsed
 * with the default limits but at most max visits; NULL (err set) when the
 * file cannot be read at all. */
static json_t *
chrome_history_visits(
    const void *data, size_t len, int max, char *err, size_t errlen)
{
	struct chrome_limits lim;
	json_t *e = json_object(), *v;

	chrome_limits_default(&lim);
	lim.max_visits = max;
	if (chrome_history_mem(data, len, &lim, e, err, errlen) == -1) {
		json_decref(e);
		return NULL;
	}
	v = json_incref(json_object_get(e, "visits"));
	json_decref(e);
	return v;
}

/* The same from a file. */
static json_t *
chrome_history_visits_file(const char *path, int max, char *err, size_t n)
{
	struct chrome_limits lim;
	json_t *e = json_object(), *v;

	chrome_limits_default(&lim);
	lim.max_visits = max;
	if (chrome_history_file(path, &lim, e, err, n) == -1) {
		json_decref(e);
		return NULL;
	}
	v = json_incref(json_object_get(e, "visits"));
	json_decref(e);
	return v;
}

#define CHROME_SCHEMA                                                                              \
	"CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,"                                  \
	" url LONGVARCHAR, title LONGVARCHAR, visit_count INTEGER DEFAULT 0 NOT NULL,"             \
	" typed_count INTEGER DEFAULT 0 NOT NULL, last_visit_time INTEGER NOT NULL,"               \
	" hidden INTEGER DEFAULT 0 NOT NULL);"                                                     \
	"CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL,"                        \
	" visit_time INTEGER NOT NULL, from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL," \
	" segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);"

static const char *
visit_str(json_t *visits, size_t i, const char *key)
{
	return json_string_value(
	    json_object_get(json_array_get(visits, i), key));
}

static int
test_history_visits_newest_first_verbatim(void)
{
	char err[200];
	size_t len;
	char *db = make_db(CHROME_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://example.com/','Example',2,1,13300000000000000,0);"
	    "INSERT INTO urls VALUES(2,'https://evil.test/?q=<x>','<script>alert(1)</script>',1,0,13345678901234567,0);"
	    "INSERT INTO urls VALUES(3,'https://notitle.test/',NULL,1,0,13300000001000000,0);"
	    "INSERT INTO visits VALUES(1,1,13299999999000000,0,0,0,0);"
	    "INSERT INTO visits VALUES(2,2,13345678901234567,0,0,0,0);"
	    "INSERT INTO visits VALUES(3,1,13300000000000000,0,0,0,0);"
	    "INSERT INTO visits VALUES(4,3,13300000001000000,0,0,0,0);",
	    &len);
	json_t *v;

	CHECK(db != NULL);
	v = chrome_history_visits(db, len, CHROME_MAX_VISITS, err, sizeof(err));
	free(db);
	CHECK(v != NULL);
	CHECK(json_array_size(v) == 4);
	CHECK(strcmp(visit_str(v, 0, "url"), "https://evil.test/?q=<x>") == 0);
	CHECK(
	    strcmp(visit_str(v, 0, "title"), "<script>alert(1)</script>") == 0);
	CHECK(strcmp(visit_str(v, 0, "visit_time"),
		  "2023-11-28T21:01:41.234Z") == 0);
	CHECK(strcmp(visit_str(v, 1, "url"), "https://notitle.test/") == 0);
	CHECK(strcmp(visit_str(v, 1, "title"), "") == 0);
	CHECK(strcmp(visit_str(v, 2, "visit_time"),
		  "2022-06-18T04:26:40.000Z") == 0);
	CHECK(strcmp(visit_str(v, 3, "url"), "https://example.com/") == 0);
	json_decref(v);
	return 0;
}

static int
test_history_capped_at_max(void)
{
	char err[200];
	size_t len;
	char *db = make_db(CHROME_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://a.test/','A',1,0,13300000000000000,0);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)"
	    " INSERT INTO visits(url, visit_time) SELECT 1, 13300000000000000 + i FROM n;",
	    &len);
	json_t *v;

	CHECK(db != NULL);
	v = chrome_history_visits(db, len, 1000, err, sizeof(err));
	free(db);
	CHECK(v != NULL);
	CHECK(json_array_size(v) == 1000);
	json_decref(v);
	return 0;
}

static int
test_history_falls_back_to_urls(void)
{
	char err[200];
	size_t len;
	char *db = make_db(CHROME_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://old.test/','Old',1,0,13300000000000000,0);"
	    "INSERT INTO urls VALUES(2,'https://new.test/','New',1,0,13345678901234567,0);"
	    "INSERT INTO urls VALUES(3,'https://never.test/','Never',0,0,0,0);",
	    &len);
	json_t *v;

	CHECK(db != NULL);
	v = chrome_history_visits(db, len, CHROME_MAX_VISITS, err, sizeof(err));
	free(db);
	CHECK(v != NULL);
	CHECK(json_array_size(v) == 2);
	CHECK(strcmp(visit_str(v, 0, "url"), "https://new.test/") == 0);
	CHECK(strcmp(visit_str(v, 1, "title"), "Old") == 0);
	json_decref(v);
	return 0;
}

static int
test_history_wal_file_is_read(void)
{
	char err[200];
	size_t len;
	char *db = make_db(
	    "PRAGMA journal_mode=WAL;" CHROME_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://wal.test/','W',1,0,13300000000000000,0);"
	    "INSERT INTO visits VALUES(1,1,13300000000000000,0,0,0,0);"
	    "PRAGMA wal_checkpoint(TRUNCATE);",
	    &len);
	json_t *v;

	CHECK(db != NULL);
	CHECK(len > 100 && db[18] == 2);
	v = chrome_history_visits(db, len, CHROME_MAX_VISITS, err, sizeof(err));
	free(db);
	CHECK(v != NULL);
	CHECK(json_array_size(v) == 1);
	json_decref(v);
	return 0;
}

/* The same parse from a temporary file (how the worker reads a History
 * file it fetched, so it never has to fit in memory), WAL mode included;
 * nothing is written beside the file. */
static int
test_history_from_a_file(void)
{
	char err[200], path[512], side[600];
	size_t len;
	char *db = make_db(
	    "PRAGMA journal_mode=WAL;" CHROME_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://file.test/','F',1,0,13300000000000000,0);"
	    "INSERT INTO visits VALUES(1,1,13300000000000000,0,0,0,0);"
	    "PRAGMA wal_checkpoint(TRUNCATE);",
	    &len);
	FILE *f = util_tmpfile(path, sizeof(path));
	json_t *v;

	CHECK(db != NULL && f != NULL);
	CHECK(fwrite(db, 1, len, f) == len);
	fclose(f);
	free(db);
	v = chrome_history_visits_file(
	    path, CHROME_MAX_VISITS, err, sizeof(err));
	CHECK(v != NULL);
	CHECK(json_array_size(v) == 1);
	CHECK(strcmp(visit_str(v, 0, "url"), "https://file.test/") == 0);
	json_decref(v);
	snprintf(side, sizeof(side), "%s-wal", path);
	CHECK(access(side, F_OK) == -1);
	snprintf(side, sizeof(side), "%s-journal", path);
	CHECK(access(side, F_OK) == -1);
	/* Garbage in a file is said the same way as in memory. */
	f = fopen(path, "wb");
	CHECK(f != NULL);
	fputs("not a database at all, not at all, not at all, not at all, "
	      "not at all, not at all, not at all",
	    f);
	fclose(f);
	CHECK(chrome_history_visits_file(path, 10, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "is not a valid SQLite database") == 0);
	unlink(path);
	CHECK(chrome_history_visits_file(path, 10, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "could not be opened") != NULL);
	return 0;
}

/* A 12 KB file must not become hundreds of MB of JSON: a generated column
 * that builds a huge string fails, and a long stored title repeated by
 * every visit is cut to a bounded length. */
static int
test_history_bounded_output(void)
{
	char err[200], *dump;
	size_t len;
	char *db = make_db(
	    "CREATE TABLE urls(id INTEGER PRIMARY KEY, url LONGVARCHAR,"
	    " title AS (printf('%.*c', 50000000, 'x')), last_visit_time INTEGER);"
	    "CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL,"
	    " visit_time INTEGER NOT NULL);"
	    "INSERT INTO urls(id, url, last_visit_time) VALUES(1,'https://g.test/',13300000000000000);"
	    "INSERT INTO visits VALUES(1,1,13300000000000000);",
	    &len);
	json_t *v;

	CHECK(db != NULL);
	v = chrome_history_visits(db, len, CHROME_MAX_VISITS, err, sizeof(err));
	free(db);
	/* SQLite stops building the string at its length limit: an error on
	 * the artifact, or an empty title; never 50 MB. */
	CHECK(v == NULL || strlen(visit_str(v, 0, "title")) <= 1024 + 3);
	json_decref(v);
	db = make_db(CHROME_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://long.test/?' || printf('%.*c', 100000, 'u'),"
	    " printf('%.*c', 100000, 't'),1,0,13300000000000000,0);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)"
	    " INSERT INTO visits(url, visit_time) SELECT 1, 13300000000000000 + i FROM n;",
	    &len);
	CHECK(db != NULL);
	v = chrome_history_visits(db, len, CHROME_MAX_VISITS, err, sizeof(err));
	free(db);
	CHECK(v != NULL && json_array_size(v) == 1000);
	CHECK(strlen(visit_str(v, 0, "title")) <= 1024 + 3);
	CHECK(strlen(visit_str(v, 0, "url")) <= 2048 + 3);
	dump = json_dumps(v, JSON_COMPACT);
	CHECK(dump != NULL && strlen(dump) < 4 * 1024 * 1024);
	free(dump);
	json_decref(v);
	return 0;
}

static int
test_history_bad_files_rejected(void)
{
	char err[200], junk[4096];
	size_t len;
	char *db;
	json_t *v;

	v = chrome_history_visits("", 0, 10, err, sizeof(err));
	CHECK(v == NULL && strcmp(err, "is empty") == 0);

	memset(junk, 'A', sizeof(junk));
	v = chrome_history_visits(junk, sizeof(junk), 10, err, sizeof(err));
	CHECK(v == NULL && strcmp(err, "is not a valid SQLite database") == 0);

	/* The right magic, then garbage. */
	memcpy(junk, "SQLite format 3", 16);
	v = chrome_history_visits(junk, sizeof(junk), 10, err, sizeof(err));
	CHECK(v == NULL && strcmp(err, "is not a valid SQLite database") == 0);

	/* A real database cut in half. */
	db = make_db(CHROME_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://a.test/','A',1,0,13300000000000000,0);"
	    "INSERT INTO visits VALUES(1,1,13300000000000000,0,0,0,0);",
	    &len);
	CHECK(db != NULL && len >= 8192);
	v = chrome_history_visits(db, len / 2 + 7, 10, err, sizeof(err));
	CHECK(v == NULL);
	free(db);

	/* SQLite, but not Chrome. */
	db = make_db("CREATE TABLE foo(x);", &len);
	CHECK(db != NULL);
	v = chrome_history_visits(db, len, 10, err, sizeof(err));
	free(db);
	CHECK(v == NULL);
	CHECK(strncmp(err, "is not a Chrome history database", 32) == 0);
	return 0;
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(
	    t_dir, sizeof(t_dir), "%s/lrflow-tw.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(t_dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_netstart_sample_in_order);
	RUN(test_netstart_lf_and_trailing_text);
	RUN(test_netstart_malformed_gives_no_services);
	RUN(test_netstart_other_language_and_code_page);
	RUN(test_utf8_lenient_replaces_only_invalid);
	RUN(test_users_v3_fixture_has_none);
	RUN(test_users_v3_explorer_owners_in_order);
	RUN(test_users_v6_field_names);
	RUN(test_user_names_that_cannot_be_folders);
	RUN(test_chrome_time_conversion);
	RUN(test_history_visits_newest_first_verbatim);
	RUN(test_history_capped_at_max);
	RUN(test_history_falls_back_to_urls);
	RUN(test_history_wal_file_is_read);
	RUN(test_history_from_a_file);
	RUN(test_history_bounded_output);
	RUN(test_history_bad_files_rejected);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", t_dir);
	}
	return t_done();
}
