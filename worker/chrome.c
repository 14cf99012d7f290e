/* chrome.c - Chrome History parsing with SQLite.
 *
 * From memory, sqlite3_deserialize() turns a copy of the file into a
 * read-only in-memory database; from our own temporary copy on disk, the
 * file is opened read-only and immutable.  The file is hostile
 * input, hence SQLITE_DBCONFIG_DEFENSIVE, trusted_schema off (a view or
 * trigger in the file cannot call anything but innocuous functions), and a
 * progress handler that stops a query after CHROME_QUERY_MS. */
#include "chrome.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "utf8.h"
#include "util.h"

/* Seconds from 1601-01-01 to 1970-01-01. */
#define CHROME_EPOCH_OFFSET_S 11644473600LL
#define CHROME_QUERY_MS 10000
#define CHROME_MAX_URL 2048   /* bytes of a URL kept */
#define CHROME_MAX_TITLE 1024 /* bytes of a title kept */
/* The longest string or blob SQLite may build while reading: a generated
 * column (printf('%.*c', N, 'x')) fails here instead of filling memory. */
#define CHROME_MAX_VALUE (1024 * 1024)

static const char chrome_sql_visits[] =
    "SELECT u.url, u.title, v.visit_time FROM visits v "
    "JOIN urls u ON u.id = v.url ORDER BY v.visit_time DESC LIMIT ?1";
static const char chrome_sql_urls[] =
    "SELECT url, title, last_visit_time FROM urls "
    "WHERE last_visit_time > 0 ORDER BY last_visit_time DESC LIMIT ?1";

int64_t
chrome_time_to_ms(int64_t chrome_us)
{
	return chrome_us / 1000 - CHROME_EPOCH_OFFSET_S * 1000;
}

/* Aborts a query that runs past its deadline (a crafted file could hold a
 * view that never ends). */
static int
chrome_progress(void *arg)
{
	const int64_t *deadline = arg;

	return util_mono_ms() > *deadline;
}

/* Returns a new string from a text column, made valid UTF-8. */
/* A text column as a JSON string: valid UTF-8, at most max bytes (cut
 * at a character, with an ellipsis), so one hostile row cannot make
 * megabytes of JSON however often it is repeated. */
static json_t *
chrome_column_text(sqlite3_stmt *st, int col, size_t max)
{
	const char *s;
	json_t *v;
	size_t n;
	char *t;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_string("");
	s = (const char *)sqlite3_column_text(st, col);
	n = s != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	t = utf8_lenient(s, n);
	v = n < (s != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0)
		? json_sprintf("%s\xe2\x80\xa6", t)
		: json_string(t);
	free(t);
	return v;
}

/* Sets err from the database error: the result code decides the words. */
static void
chrome_db_error(sqlite3 *db, int rc, char *err, size_t errlen)
{
	int code = rc & 0xff;

	if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
		snprintf(err, errlen, "is not a valid SQLite database");
	else if (code == SQLITE_INTERRUPT)
		snprintf(err, errlen, "took too long to read (over %d s)",
		    CHROME_QUERY_MS / 1000);
	else if (strstr(sqlite3_errmsg(db), "no such table") != NULL ||
		 strstr(sqlite3_errmsg(db), "no such column") != NULL)
		snprintf(err, errlen, "is not a Chrome history database (%s)",
		    sqlite3_errmsg(db));
	else
		snprintf(
		    err, errlen, "could not be read: %s", sqlite3_errmsg(db));
}

/* Runs sql (one of the two queries) into visits.  Returns 0, or the
 * SQLite error code. */
static int
chrome_query(sqlite3 *db, const char *sql, int max, json_t *visits)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int(st, 1, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(st, 2);
		json_t *when = json_null();

		if (t > 0) {
			char iso[40];

			util_iso8601(chrome_time_to_ms(t), iso, sizeof(iso));
			when = json_string(iso);
		}
		json_array_append_new(visits,
		    json_pack("{s:o,s:o,s:o}", "url",
			chrome_column_text(st, 0, CHROME_MAX_URL), "title",
			chrome_column_text(st, 1, CHROME_MAX_TITLE),
			"visit_time", when));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

/* Opens hardened: the file is hostile input. */
static void
chrome_harden(sqlite3 *db)
{
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, CHROME_MAX_VALUE);
}

/* The visits of an open database (see chrome_history_visits). */
static json_t *
chrome_read(sqlite3 *db, int max, char *err, size_t errlen)
{
	json_t *visits = json_array();
	int64_t deadline = util_mono_ms() + CHROME_QUERY_MS;
	int rc;

	sqlite3_progress_handler(db, 1000, chrome_progress, &deadline);
	rc = chrome_query(db, chrome_sql_visits, max, visits);
	if (rc == 0 && json_array_size(visits) > 0)
		return visits;
	/* No visits (or no visits table): fall back to urls, as the seed's
	 * viewer did. */
	if (rc != 0 &&
	    strstr(sqlite3_errmsg(db), "no such table: visits") == NULL) {
		chrome_db_error(db, rc, err, errlen);
		json_decref(visits);
		return NULL;
	}
	json_array_clear(visits);
	if ((rc = chrome_query(db, chrome_sql_urls, max, visits)) != 0) {
		chrome_db_error(db, rc, err, errlen);
		json_decref(visits);
		return NULL;
	}
	return visits;
}

/* Checks the header of a History file's first bytes (n of them).  0, or
 * -1 with err set. */
static int
chrome_header_ok(const unsigned char *head, size_t n, char *err, size_t errlen)
{
	static const char magic[16] = "SQLite format 3"; /* with its NUL */

	if (n == 0) {
		snprintf(err, errlen, "is empty");
		return -1;
	}
	if (n < 100 || memcmp(head, magic, sizeof(magic)) != 0) {
		snprintf(err, errlen, "is not a valid SQLite database");
		return -1;
	}
	return 0;
}

json_t *
chrome_history_visits(
    const void *data, size_t len, int max, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	unsigned char *copy;
	json_t *visits = NULL;
	int rc;

	if (chrome_header_ok(data, len, err, errlen) == -1)
		return NULL;
	if ((rc = sqlite3_open_v2(":memory:", &db,
		 SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL)) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "could not be opened: %s",
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	chrome_harden(db);
	/* SQLite frees the copy when db closes (FREEONCLOSE), even when
	 * sqlite3_deserialize() fails. */
	if ((copy = sqlite3_malloc64(len)) == NULL) {
		snprintf(err, errlen, "is too large to read into memory");
		goto out;
	}
	memcpy(copy, data, len);
	/* A WAL-mode file (read/write versions 2) cannot be read from memory;
	 * mark it as a rollback-journal file, as the bytes are the same. */
	if (copy[18] == 2 && copy[19] == 2)
		copy[18] = copy[19] = 1;
	rc = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len,
	    (sqlite3_int64)len,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
	if (rc != SQLITE_OK) {
		chrome_db_error(db, rc, err, errlen);
		goto out;
	}
	visits = chrome_read(db, max, err, errlen);
out:
	sqlite3_close(db);
	return visits;
}

json_t *
chrome_history_visits_file(const char *path, int max, char *err, size_t errlen)
{
	unsigned char head[100];
	sqlite3 *db = NULL;
	json_t *visits = NULL;
	char *uri;
	size_t n;
	FILE *f;
	int rc;

	if ((f = fopen(path, "r+b")) == NULL) {
		snprintf(
		    err, errlen, "could not be opened: %s", strerror(errno));
		return NULL;
	}
	n = fread(head, 1, sizeof(head), f);
	if (chrome_header_ok(head, n, err, errlen) == -1) {
		fclose(f);
		return NULL;
	}
	/* Our own copy: a WAL-mode file is marked rollback-journal (the bytes
	 * are the same), so no -wal or -shm file is looked for. */
	if (head[18] == 2 && head[19] == 2 &&
	    (fseek(f, 18, SEEK_SET) != 0 || fwrite("\1\1", 1, 2, f) != 2)) {
		snprintf(
		    err, errlen, "could not be prepared: %s", strerror(errno));
		fclose(f);
		return NULL;
	}
	fclose(f);
	/* immutable: no locks, no journal, nothing written next to it. */
	uri = sqlite3_mprintf("file:%s?mode=ro&immutable=1", path);
	rc = sqlite3_open_v2(
	    uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "could not be opened: %s",
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out;
	}
	chrome_harden(db);
	visits = chrome_read(db, max, err, errlen);
out:
	sqlite3_close(db);
	return visits;
}
