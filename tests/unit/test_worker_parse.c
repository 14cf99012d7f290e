/* test_worker_parse.c - what the worker makes of what a device sends:
 * net start output, process lists, directory listings of user folders
 * and browser profiles, Chromium History databases. */
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
#include "worker/profiles.h"
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
/* User folders and browser profiles from directory listings */

/* A directory-list entry: attributes as a JSON array text. */
static json_t *
dir_entry(const char *name, const char *attrs)
{
	char *text = NULL;
	json_t *e;

	if (asprintf(&text,
		"{\"attributes\": %s, \"create_time\": 1471897244, "
		"\"filename\": \"%s\", \"size\": 0}",
		attrs, name) < 0)
		return NULL;
	e = json_loads(text, 0, NULL);
	free(text);
	return e;
}

static const char *
str_at(json_t *a, size_t i)
{
	return json_string_value(json_array_get(a, i));
}

static int
test_user_folders_filtered_and_sorted(void)
{
	json_t *files = json_array(), *u, *all, *li;

	json_array_append_new(files, dir_entry(".", "[\"DIRECTORY\"]"));
	json_array_append_new(files, dir_entry("..", "[\"DIRECTORY\"]"));
	json_array_append_new(files,
	    dir_entry("All Users",
		"[\"HIDDEN\",\"SYSTEM\",\"DIRECTORY\",\"REPARSE_POINT\"]"));
	json_array_append_new(files,
	    dir_entry("Default", "[\"READONLY\",\"HIDDEN\",\"DIRECTORY\"]"));
	json_array_append_new(files,
	    dir_entry("Default User", "[\"HIDDEN\",\"SYSTEM\",\"DIRECTORY\"]"));
	json_array_append_new(files,
	    dir_entry("desktop.ini", "[\"HIDDEN\",\"SYSTEM\",\"ARCHIVE\"]"));
	json_array_append_new(
	    files, dir_entry("Public", "[\"READONLY\",\"DIRECTORY\"]"));
	json_array_append_new(files, dir_entry("jdoe", "[\"DIRECTORY\"]"));
	json_array_append_new(
	    files, dir_entry("Administrator", "[\"directory\"]"));
	json_array_append_new(files, dir_entry("bob", "[\"DIRECTORY\"]"));
	json_array_append_new(files, dir_entry("notes.txt", "[\"ARCHIVE\"]"));
	json_array_append_new(files, dir_entry("x*y", "[\"DIRECTORY\"]"));
	json_array_append_new(files, dir_entry("WIN10$", "[\"DIRECTORY\"]"));
	json_array_append_new(
	    files, dir_entry("systemprofile", "[\"DIRECTORY\"]"));
	json_array_append_new(
	    files, dir_entry("NetworkService", "[\"DIRECTORY\"]"));
	json_array_append_new(files, dir_entry("nodir", "[]"));
	/* The v1 API called the name "name". */
	json_array_append_new(files, json_pack("{s:[s],s:s}", "attributes",
					 "DIRECTORY", "name", "Zed Smith"));
	u = profiles_user_folders(files, 1000);
	CHECK(json_array_size(u) == 4);
	CHECK(strcmp(str_at(u, 0), "Administrator") == 0);
	CHECK(strcmp(str_at(u, 1), "bob") == 0);
	CHECK(strcmp(str_at(u, 2), "jdoe") == 0);
	CHECK(strcmp(str_at(u, 3), "Zed Smith") == 0);
	/* Logged-in users without a folder join, without case. */
	li = json_pack("[s,s,s]", "JDOE", "carol", "zed smith");
	all = profiles_users(u, li);
	CHECK(json_array_size(all) == 5);
	CHECK(strcmp(str_at(all, 1), "bob") == 0);
	CHECK(strcmp(str_at(all, 2), "carol") == 0);
	CHECK(strcmp(str_at(all, 3), "jdoe") == 0);
	json_decref(all);
	json_decref(li);
	json_decref(u);
	/* A cap. */
	u = profiles_user_folders(files, 2);
	CHECK(json_array_size(u) == 2);
	json_decref(u);
	json_decref(files);
	/* The SDK's recorded listing (., .., test.txt) has no user. */
	files = load_fixture("v6_command_directory_list_complete.json");
	if (files != NULL) {
		u = profiles_user_folders(json_object_get(files, "files"), 10);
		CHECK(json_array_size(u) == 0);
		json_decref(u);
		json_decref(files);
	}
	CHECK(profiles_system_user("ALL USERS"));
	CHECK(profiles_system_user("LocalService"));
	CHECK(!profiles_system_user("jdoe"));
	return 0;
}

static int
test_profile_folders_filtered_and_ordered(void)
{
	static const char *const dirs[] = {"Profile 10", "System Profile",
	    "Guest Profile", "Crash Reports", "Profile 2", "Default",
	    "Profile 01", "Profile", "Profile 3 (copy)", "profile 3",
	    "Profile -1", "ProfileX", "Snapshots"};
	json_t *files = json_array(), *p;
	size_t i, skipped;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		json_array_append_new(
		    files, dir_entry(dirs[i], "[\"DIRECTORY\"]"));
	json_array_append_new(files, dir_entry("Local State", "[\"ARCHIVE\"]"));
	json_array_append_new(files, dir_entry("Profile 1", "[\"ARCHIVE\"]"));
	p = profiles_browser_profiles(files, 32, &skipped);
	CHECK(json_array_size(p) == 4 && skipped == 0);
	CHECK(strcmp(str_at(p, 0), "Default") == 0);
	CHECK(strcmp(str_at(p, 1), "Profile 2") == 0);
	CHECK(strcmp(str_at(p, 2), "profile 3") == 0);
	CHECK(strcmp(str_at(p, 3), "Profile 10") == 0);
	json_decref(p);
	p = profiles_browser_profiles(files, 2, &skipped);
	CHECK(json_array_size(p) == 2 && skipped == 2);
	CHECK(strcmp(str_at(p, 1), "Profile 2") == 0);
	json_decref(p);
	json_decref(files);
	CHECK(profiles_profile_number("Default") == 0);
	CHECK(profiles_profile_number("Profile 7") == 7);
	CHECK(profiles_profile_number("Profile 999999999999") == -1);
	CHECK(profiles_profile_number("Profile 1 ") == -1);
	return 0;
}

static int
test_paths_and_command_lines(void)
{
	char *p, *c;

	p = profiles_history_path("JDoe", &profiles_browsers[1], "Profile 3");
	CHECK(strcmp(p, "c:\\users\\jdoe\\appdata\\local\\microsoft\\edge\\"
			"user data\\profile 3\\history") == 0);
	c = profiles_copy_command(p, "c:\\windows\\temp\\cblr.abc.tmp");
	CHECK(c != NULL &&
	      strcmp(c, "c:\\windows\\system32\\cmd.exe /c copy /y /b "
			"\"c:\\users\\jdoe\\appdata\\local\\microsoft\\edge\\"
			"user data\\profile 3\\history\" "
			"\"c:\\windows\\temp\\cblr.abc.tmp\"") == 0);
	free(c);
	free(p);
	p = profiles_user_data_path("asmith", &profiles_browsers[2]);
	CHECK(strcmp(p, "c:\\users\\asmith\\appdata\\local\\bravesoftware\\"
			"brave-browser\\user data") == 0);
	free(p);
	/* What cmd.exe would read as something else never reaches it. */
	CHECK(profiles_cmd_safe("c:\\users\\J. Doe (CORP)\\history"));
	CHECK(!profiles_cmd_safe("c:\\users\\a\"b\\history"));
	CHECK(!profiles_cmd_safe("c:\\users\\%USERNAME%\\history"));
	CHECK(!profiles_cmd_safe("c:\\users\\R&D\\history"));
	CHECK(!profiles_cmd_safe("c:\\users\\a^b\\history"));
	CHECK(!profiles_cmd_safe("c:\\users\\a!b!\\history"));
	CHECK(!profiles_cmd_safe("c:\\users\\a\rb\\history"));
	CHECK(!profiles_cmd_safe(""));
	CHECK(
	    profiles_copy_command("c:\\users\\R&D\\history", "c:\\x") == NULL);
	CHECK(!collect_user_ok("a\"b"));
	/* Locked files and missing folders, from the error sentence. */
	CHECK(profiles_sharing_violation(
	    "get file c:\\h failed on the device: no reason given (0x80070020)"));
	CHECK(profiles_sharing_violation(
	    "get file failed: The process cannot access the file because it is "
	    "being used by another process."));
	CHECK(profiles_sharing_violation("Sharing violation"));
	CHECK(!profiles_sharing_violation(
	    "get file failed on the device: File not found (0x80070002)"));
	CHECK(!profiles_sharing_violation(NULL));
	CHECK(profiles_not_found("directory list x failed on the device: "
				 "Path not found (0x80070003)"));
	CHECK(!profiles_not_found("Access is denied (0x80070005)"));
	return 0;
}

static int
test_chrome_names(void)
{
	CHECK(strcmp(chrome_transition_name(805306368), "link") == 0);
	CHECK(strcmp(chrome_transition_name(805306369), "typed") == 0);
	CHECK(strcmp(chrome_transition_name(0x30000008), "reload") == 0);
	CHECK(strcmp(chrome_transition_name(0x01000005), "generated") == 0);
	CHECK(strcmp(chrome_transition_name(7), "form_submit") == 0);
	CHECK(strcmp(chrome_transition_name(10), "keyword_generated") == 0);
	CHECK(chrome_transition_name(11) == NULL);
	CHECK(chrome_transition_name(0xff) == NULL);
	CHECK(strcmp(chrome_transition_name(-256), "link") == 0);
	CHECK(strcmp(chrome_download_state_name(0), "in_progress") == 0);
	CHECK(strcmp(chrome_download_state_name(1), "complete") == 0);
	CHECK(strcmp(chrome_download_state_name(2), "cancelled") == 0);
	CHECK(strcmp(chrome_download_state_name(3), "interrupted") == 0);
	CHECK(strcmp(chrome_download_state_name(4), "interrupted") == 0);
	CHECK(strcmp(chrome_download_state_name(5), "unknown") == 0);
	CHECK(strcmp(chrome_download_state_name(-1), "unknown") == 0);
	CHECK(strcmp(chrome_danger_name(0), "not_dangerous") == 0);
	CHECK(strcmp(chrome_danger_name(2), "dangerous_url") == 0);
	CHECK(strcmp(chrome_danger_name(8), "potentially_unwanted") == 0);
	CHECK(strcmp(chrome_danger_name(9), "allowlisted_by_policy") == 0);
	CHECK(strcmp(chrome_danger_name(10), "unknown") == 0);
	CHECK(strcmp(chrome_danger_name(-3), "unknown") == 0);
	return 0;
}

static int
test_chrome_time_iso(void)
{
	char buf[40];

	CHECK(chrome_time_iso(13345678901234567LL, buf, sizeof(buf)));
	CHECK(strcmp(buf, "2023-11-28T21:01:41.234Z") == 0);
	CHECK(!chrome_time_iso(0, buf, sizeof(buf)));
	CHECK(!chrome_time_iso(-5, buf, sizeof(buf)));
	CHECK(!chrome_time_iso(1, buf, sizeof(buf))); /* 1601 */
	CHECK(
	    !chrome_time_iso(11644473600000000LL, buf, sizeof(buf))); /* 1970 */
	CHECK(!chrome_time_iso(INT64_MAX, buf, sizeof(buf)));
	CHECK(!chrome_time_iso(INT64_MIN, buf, sizeof(buf)));
	/* 1990-01-01 is the first time taken, 2200-01-01 the first not. */
	CHECK(chrome_time_iso(12275625600000000LL, buf, sizeof(buf)));
	CHECK(strcmp(buf, "1990-01-01T00:00:00.000Z") == 0);
	CHECK(!chrome_time_iso(12275625599999999LL, buf, sizeof(buf)));
	CHECK(!chrome_time_iso(18902592000000000LL, buf, sizeof(buf)));
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

/* Chrome's downloads, downloads_url_chains and keyword_search_terms, as
 * Chrome creates them. */
#define CHROME_EXTRA_SCHEMA                                                                            \
	"CREATE TABLE downloads (id INTEGER PRIMARY KEY,guid VARCHAR NOT NULL,"                        \
	"current_path LONGVARCHAR NOT NULL,target_path LONGVARCHAR NOT NULL,"                          \
	"start_time INTEGER NOT NULL,received_bytes INTEGER NOT NULL,"                                 \
	"total_bytes INTEGER NOT NULL,state INTEGER NOT NULL,danger_type INTEGER NOT NULL,"            \
	"interrupt_reason INTEGER NOT NULL,hash BLOB NOT NULL,end_time INTEGER NOT NULL,"              \
	"opened INTEGER NOT NULL,last_access_time INTEGER NOT NULL,transient INTEGER NOT NULL,"        \
	"referrer VARCHAR NOT NULL,site_url VARCHAR NOT NULL,embedder_download_data VARCHAR NOT NULL," \
	"tab_url VARCHAR NOT NULL,tab_referrer_url VARCHAR NOT NULL,http_method VARCHAR NOT NULL,"     \
	"by_ext_id VARCHAR NOT NULL,by_ext_name VARCHAR NOT NULL,by_web_app_id VARCHAR NOT NULL,"      \
	"etag VARCHAR NOT NULL,last_modified VARCHAR NOT NULL,mime_type VARCHAR(255) NOT NULL,"        \
	"original_mime_type VARCHAR(255) NOT NULL);"                                                   \
	"CREATE TABLE downloads_url_chains (id INTEGER NOT NULL,chain_index INTEGER NOT NULL,"         \
	"url LONGVARCHAR NOT NULL, PRIMARY KEY (id, chain_index));"                                    \
	"CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL,url_id INTEGER NOT NULL,"      \
	"term LONGVARCHAR NOT NULL,normalized_term LONGVARCHAR NOT NULL);"

/* A download row: id, target, start, received, total, state, danger,
 * end, referrer, mime. */
#define DOWNLOAD(                                                             \
    id, target, start, recv, total, state, danger, end, ref, mime)            \
	"INSERT INTO downloads VALUES(" id ",'g" id "'," target "," target    \
	"," start "," recv "," total "," state "," danger ",0,x''," end       \
	",0,0,0," ref ",'','',''," ref ",'GET','','','','',''," mime "," mime \
	");"

/* Parses db with lim into a new entry (NULL when unreadable). */
static json_t *
parse_db(const char *db, size_t len, const struct chrome_limits *lim,
    long *used, char *err, size_t n)
{
	json_t *e = json_object();

	if ((*used = chrome_history_mem(db, len, lim, e, err, n)) == -1) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *
at(json_t *e, const char *list, size_t i)
{
	return json_array_get(json_object_get(e, list), i);
}

static const char *
field(json_t *e, const char *list, size_t i, const char *key)
{
	return json_string_value(json_object_get(at(e, list, i), key));
}

static long long
num(json_t *e, const char *key)
{
	json_t *v = json_object_get(e, key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static int
test_history_downloads_searches_transitions(void)
{
	struct chrome_limits lim;
	char err[300];
	size_t len;
	long used;
	char *db = make_db(CHROME_SCHEMA CHROME_EXTRA_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://www.google.com/search?q=invoice+viewer','invoice viewer - Google Search',1,0,13345000000000000,0);"
	    "INSERT INTO urls VALUES(2,'https://example.com/','Example',3,1,13345000100000000,0);"
	    "INSERT INTO urls VALUES(3,'https://www.bing.com/search?q=x','x - Bing',1,0,13345000200000000,0);"
	    "INSERT INTO visits VALUES(1,1,13345000000000000,0,805306373,0,0);"
	    "INSERT INTO visits VALUES(2,2,13345000100000000,0,805306369,0,0);"
	    "INSERT INTO visits VALUES(3,2,13345000050000000,0,805306376,0,0);"
	    "INSERT INTO visits VALUES(4,3,13345000200000000,0,805306623,0,0);"
	    "INSERT INTO visits VALUES(5,2,0,0,0,0,0);" DOWNLOAD("1",
		"'C:\\Users\\jdoe\\Downloads\\a.exe'", "13345000300000000",
		"10", "10", "1", "6", "13345000305000000",
		"'https://ref.example/'",
		"'application/x-msdownload'") DOWNLOAD("2",
		"'C:\\Users\\jdoe\\Downloads\\b.zip'", "13345000400000000", "3",
		"9", "4", "5", "0", "''",
		"''") DOWNLOAD("3", "''", "0", "0", "0", "77", "99", "0", "''",
		"''") "INSERT INTO downloads_url_chains VALUES(1,2,'https://cdn.example/a.exe');"
		      "INSERT INTO downloads_url_chains VALUES(1,0,'https://short.example/1');"
		      "INSERT INTO downloads_url_chains VALUES(1,1,'https://example.com/get?a');"
		      "INSERT INTO downloads_url_chains VALUES(2,0,'https://files.example/b.zip');"
		      "INSERT INTO keyword_search_terms VALUES(2,1,'invoice viewer','invoice viewer');"
		      "INSERT INTO keyword_search_terms VALUES(3,3,'x','x');"
		      "INSERT INTO keyword_search_terms VALUES(3,99,'orphan','orphan');",
	    &len);
	json_t *e, *chain, *d;

	CHECK(db != NULL);
	chrome_limits_default(&lim);
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	free(db);
	CHECK(e != NULL);
	CHECK(strcmp(err, "") == 0);
	CHECK(used > 0);
	/* Visits: newest first, transitions named, a bad one left out, a
	 * zero time left out. */
	CHECK(num(e, "visits_total") == 5);
	CHECK(json_array_size(json_object_get(e, "visits")) == 5);
	CHECK(strcmp(field(e, "visits", 0, "url"),
		  "https://www.bing.com/search?q=x") == 0);
	CHECK(json_object_get(at(e, "visits", 0), "transition") == NULL);
	CHECK(strcmp(field(e, "visits", 1, "transition"), "typed") == 0);
	CHECK(num(at(e, "visits", 1), "visit_count") == 3);
	CHECK(strcmp(field(e, "visits", 2, "transition"), "reload") == 0);
	CHECK(strcmp(field(e, "visits", 3, "transition"), "generated") == 0);
	CHECK(strcmp(field(e, "visits", 3, "visit_time"),
		  "2023-11-21T00:26:40.000Z") == 0);
	CHECK(json_object_get(at(e, "visits", 4), "visit_time") == NULL);
	/* Downloads: newest first, chain in chain_index order, the last URL
	 * is the download's, names for state and danger. */
	CHECK(num(e, "downloads_total") == 3);
	d = at(e, "downloads", 1);
	CHECK(strcmp(field(e, "downloads", 1, "target_path"),
		  "C:\\Users\\jdoe\\Downloads\\a.exe") == 0);
	chain = json_object_get(d, "url_chain");
	CHECK(json_array_size(chain) == 3);
	CHECK(strcmp(str_at(chain, 0), "https://short.example/1") == 0);
	CHECK(strcmp(str_at(chain, 2), "https://cdn.example/a.exe") == 0);
	CHECK(strcmp(field(e, "downloads", 1, "url"),
		  "https://cdn.example/a.exe") == 0);
	CHECK(strcmp(field(e, "downloads", 1, "state"), "complete") == 0);
	CHECK(strcmp(field(e, "downloads", 1, "danger_type"),
		  "user_validated") == 0);
	CHECK(strcmp(field(e, "downloads", 1, "referrer"),
		  "https://ref.example/") == 0);
	CHECK(strcmp(field(e, "downloads", 1, "mime_type"),
		  "application/x-msdownload") == 0);
	CHECK(strcmp(field(e, "downloads", 1, "end_time"),
		  "2023-11-21T00:31:45.000Z") == 0);
	CHECK(num(d, "received_bytes") == 10 && num(d, "total_bytes") == 10);
	CHECK(strcmp(field(e, "downloads", 0, "state"), "interrupted") == 0);
	CHECK(strcmp(field(e, "downloads", 0, "danger_type"),
		  "uncommon_content") == 0);
	CHECK(json_object_get(at(e, "downloads", 0), "end_time") == NULL);
	CHECK(strcmp(field(e, "downloads", 2, "state"), "unknown") == 0);
	CHECK(strcmp(field(e, "downloads", 2, "danger_type"), "unknown") == 0);
	CHECK(json_object_get(at(e, "downloads", 2), "start_time") == NULL);
	CHECK(json_object_get(at(e, "downloads", 2), "url") == NULL);
	CHECK(json_array_size(
		  json_object_get(at(e, "downloads", 2), "url_chain")) == 0);
	/* Search terms: joined with their URL, newest first; the orphan has
	 * no URL and is no row. */
	CHECK(num(e, "search_terms_total") == 2);
	CHECK(strcmp(field(e, "search_terms", 0, "term"), "x") == 0);
	CHECK(
	    strcmp(field(e, "search_terms", 1, "term"), "invoice viewer") == 0);
	CHECK(strcmp(field(e, "search_terms", 1, "title"),
		  "invoice viewer - Google Search") == 0);
	CHECK(strcmp(field(e, "search_terms", 1, "visit_time"),
		  "2023-11-21T00:26:40.000Z") == 0);
	json_decref(e);
	return 0;
}

static int
test_history_caps_totals_and_budget(void)
{
	struct chrome_limits lim;
	char err[300], *dump;
	size_t len;
	long used;
	char *db = make_db(CHROME_SCHEMA CHROME_EXTRA_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://a.test/','A',1,0,13300000000000000,0);"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)"
	    " INSERT INTO visits(url, visit_time) SELECT 1, 13300000000000000 + i FROM n;"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)"
	    " INSERT INTO downloads SELECT i,'g','p','p',13300000000000000 + i,1,1,1,0,0,x'',0,0,0,0,'','','','','','GET','','','','','','m','m' FROM n;"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)"
	    " INSERT INTO keyword_search_terms SELECT 1, 1, 't' || i, 't' || i FROM n;",
	    &len);
	json_t *e;

	CHECK(db != NULL);
	chrome_limits_default(&lim);
	lim.max_visits = 1000;
	lim.max_downloads = 10;
	lim.max_searches = 5;
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	CHECK(e != NULL && err[0] == '\0');
	CHECK(json_array_size(json_object_get(e, "visits")) == 1000);
	CHECK(num(e, "visits_total") == 1200);
	CHECK(json_array_size(json_object_get(e, "downloads")) == 10);
	CHECK(num(e, "downloads_total") == 30);
	CHECK(num(at(e, "downloads", 0), "total_bytes") == 1);
	CHECK(json_array_size(json_object_get(e, "search_terms")) == 5);
	CHECK(num(e, "search_terms_total") == 20);
	json_decref(e);
	/* A budget of 20 KB: the visits stop there, the rest gets nothing,
	 * the totals stay, and the entry says why. */
	lim.budget = 20000;
	lim.budget_what = "for one History file";
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	CHECK(e != NULL);
	CHECK(used > 0 && used <= 20000);
	CHECK(json_array_size(json_object_get(e, "visits")) > 0);
	CHECK(json_array_size(json_object_get(e, "visits")) < 1000);
	CHECK(json_array_size(json_object_get(e, "downloads")) == 0);
	CHECK(
	    num(e, "visits_total") == 1200 && num(e, "downloads_total") == 30);
	CHECK(strstr(err, "20000 bytes of JSON for one History file") != NULL);
	dump = json_dumps(json_object_get(e, "visits"), JSON_COMPACT);
	CHECK(dump != NULL && strlen(dump) <= 20000);
	free(dump);
	json_decref(e);
	/* Nothing left of a job's budget: totals, no rows. */
	lim.budget = 0;
	lim.budget_what = "for one collection";
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	CHECK(e != NULL && used == 0);
	CHECK(json_array_size(json_object_get(e, "visits")) == 0);
	CHECK(num(e, "search_terms_total") == 20);
	CHECK(strstr(err, "for one collection") != NULL);
	json_decref(e);
	free(db);
	return 0;
}

static int
test_history_old_schema_missing_tables(void)
{
	struct chrome_limits lim;
	char err[300];
	size_t len;
	long used;
	/* No downloads, chains nor search terms; visits without transition,
	 * urls without visit_count. */
	char *db = make_db(
	    "CREATE TABLE urls(id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,"
	    " last_visit_time INTEGER NOT NULL);"
	    "CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL,"
	    " visit_time INTEGER NOT NULL);"
	    "INSERT INTO urls VALUES(1,'https://old.test/','Old',13300000000000000);"
	    "INSERT INTO visits VALUES(1,1,13300000000000000);",
	    &len);
	json_t *e;

	CHECK(db != NULL);
	chrome_limits_default(&lim);
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	free(db);
	CHECK(e != NULL && err[0] == '\0');
	CHECK(num(e, "visits_total") == 1);
	CHECK(json_object_get(at(e, "visits", 0), "transition") == NULL);
	CHECK(json_object_get(at(e, "visits", 0), "visit_count") == NULL);
	CHECK(num(e, "downloads_total") == 0);
	CHECK(json_array_size(json_object_get(e, "downloads")) == 0);
	CHECK(num(e, "search_terms_total") == 0);
	CHECK(json_is_array(json_object_get(e, "search_terms")));
	json_decref(e);
	/* Downloads without chains: no url, an empty chain. */
	db = make_db(CHROME_SCHEMA
	    "CREATE TABLE downloads(id INTEGER PRIMARY KEY, target_path LONGVARCHAR,"
	    " start_time INTEGER, state INTEGER);"
	    "INSERT INTO downloads VALUES(1,'C:\\x.exe',13300000000000000,1);",
	    &len);
	CHECK(db != NULL);
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	free(db);
	CHECK(e != NULL && err[0] == '\0');
	CHECK(num(e, "downloads_total") == 1);
	CHECK(strcmp(field(e, "downloads", 0, "state"), "complete") == 0);
	CHECK(strcmp(field(e, "downloads", 0, "danger_type"), "unknown") == 0);
	CHECK(json_object_get(at(e, "downloads", 0), "url") == NULL);
	CHECK(json_object_get(at(e, "downloads", 0), "mime_type") == NULL);
	json_decref(e);
	return 0;
}

static int
test_history_hostile_values(void)
{
	struct chrome_limits lim;
	char err[300];
	size_t len;
	long used;
	const char *t;
	char *db = make_db(CHROME_SCHEMA CHROME_EXTRA_SCHEMA
	    "INSERT INTO urls VALUES(1,'https://u.test/' || printf('%.*c', 100000, 'u'),"
	    " 'bad ' || x'c0af' || ' utf8',1,0,13300000000000000,0);"
	    "INSERT INTO visits VALUES(1,1,13300000000000000,0,0,0,0);"
	    "INSERT INTO downloads SELECT 1,'g',printf('%.*c', 100000, 'p'),printf('%.*c', 100000, 'p'),"
	    "13300000000000000,1,1,1,0,0,x'',0,0,0,0,'','','','','','GET','','','','','',"
	    "printf('%.*c', 5000, 'm'),'m';"
	    "INSERT INTO downloads_url_chains VALUES(1,0,'https://c.test/' || x'ff');"
	    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)"
	    " INSERT INTO downloads_url_chains SELECT 1, i, 'https://c.test/' || i FROM n;"
	    "INSERT INTO keyword_search_terms VALUES(1,1,printf('%.*c', 50000, 's') || x'e282','s');",
	    &len);
	json_t *e, *d;

	CHECK(db != NULL);
	chrome_limits_default(&lim);
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	free(db);
	CHECK(e != NULL && err[0] == '\0');
	CHECK(strlen(field(e, "visits", 0, "url")) <= 2048 + 3);
	t = field(e, "visits", 0, "title");
	CHECK(t != NULL && strstr(t, "\xef\xbf\xbd") != NULL);
	d = at(e, "downloads", 0);
	CHECK(strlen(field(e, "downloads", 0, "target_path")) <= 2048 + 3);
	CHECK(strlen(field(e, "downloads", 0, "mime_type")) <= 256 + 3);
	CHECK(json_array_size(json_object_get(d, "url_chain")) == 32);
	CHECK(strstr(str_at(json_object_get(d, "url_chain"), 0),
		  "\xef\xbf\xbd") != NULL);
	CHECK(
	    strcmp(field(e, "downloads", 0, "url"), "https://c.test/100") == 0);
	CHECK(strlen(field(e, "search_terms", 0, "term")) <= 1024 + 3);
	json_decref(e);
	/* A generated column that would build 50 MB. */
	db = make_db(
	    "CREATE TABLE urls(id INTEGER PRIMARY KEY, url LONGVARCHAR,"
	    " title AS (printf('%.*c', 50000000, 'x')), last_visit_time INTEGER);"
	    "CREATE TABLE visits(id INTEGER PRIMARY KEY, url INTEGER NOT NULL,"
	    " visit_time INTEGER NOT NULL, transition INTEGER);"
	    "INSERT INTO urls(id, url, last_visit_time) VALUES(1,'https://g.test/',13300000000000000);"
	    "INSERT INTO visits VALUES(1,1,13300000000000000,0);",
	    &len);
	CHECK(db != NULL);
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	free(db);
	/* SQLite stops at its length limit: an error for the file, or an
	 * empty title; never 50 MB. */
	CHECK(e == NULL || strlen(field(e, "visits", 0, "title")) <= 1024 + 3);
	json_decref(e);
	/* A corrupt file, and SQLite without urls: errors, no entry. */
	e = parse_db("SQLite format 3\0garbage garbage garbage garbage garbage "
		     "garbage garbage garbage garbage garbage garbage garbage",
	    112, &lim, &used, err, sizeof(err));
	CHECK(e == NULL && strcmp(err, "is not a valid SQLite database") == 0);
	db = make_db("CREATE TABLE visits(x);", &len);
	CHECK(db != NULL);
	e = parse_db(db, len, &lim, &used, err, sizeof(err));
	free(db);
	CHECK(
	    e == NULL && strstr(err, "not a Chrome history database") != NULL);
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
	RUN(test_user_folders_filtered_and_sorted);
	RUN(test_profile_folders_filtered_and_ordered);
	RUN(test_paths_and_command_lines);
	RUN(test_chrome_names);
	RUN(test_chrome_time_iso);
	RUN(test_chrome_time_conversion);
	RUN(test_history_visits_newest_first_verbatim);
	RUN(test_history_capped_at_max);
	RUN(test_history_falls_back_to_urls);
	RUN(test_history_wal_file_is_read);
	RUN(test_history_from_a_file);
	RUN(test_history_bounded_output);
	RUN(test_history_bad_files_rejected);
	RUN(test_history_downloads_searches_transitions);
	RUN(test_history_caps_totals_and_budget);
	RUN(test_history_old_schema_missing_tables);
	RUN(test_history_hostile_values);
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", t_dir);
	}
	return t_done();
}
