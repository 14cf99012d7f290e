/* chrome_db.c - untrusted SQLite files, opened and read defensively.
 *
 * From memory, sqlite3_deserialize() turns a copy of the file into a
 * read-only in-memory database; from our own temporary copy on disk, the
 * file is opened read-only and immutable.  The file is hostile input,
 * hence SQLITE_DBCONFIG_DEFENSIVE, trusted_schema off (a view or trigger
 * in the file cannot call anything but innocuous functions), views and
 * triggers off, a length limit, and a progress handler that stops a query
 * past the file's deadline. */
#include "chrome_db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "util.h"

/* Aborts a query that runs past its deadline (a crafted file could hold
 * a query plan that never ends). */
static int
chrome_db_progress(void *arg)
{
	const int64_t *deadline = arg;

	return util_mono_ms() > *deadline;
}

/* Hardens a fresh connection: the file is hostile input. */
static void
chrome_db_harden(struct chrome_db *c)
{
	sqlite3 *db = c->db;

	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, CHROME_DB_MAX_VALUE);
	c->deadline = util_mono_ms() + CHROME_DB_QUERY_MS;
	sqlite3_progress_handler(db, 1000, chrome_db_progress, &c->deadline);
}

/* Checks the first n bytes of a History file.  0, or -1 with err set. */
static int
chrome_db_header_ok(const unsigned char *head, size_t n, char *err, size_t m)
{
	static const char magic[16] = "SQLite format 3"; /* with its NUL */

	if (n == 0) {
		snprintf(err, m, "is empty");
		return -1;
	}
	if (n < 100 || memcmp(head, magic, sizeof(magic)) != 0) {
		snprintf(err, m, "is not a valid SQLite database");
		return -1;
	}
	return 0;
}

int
chrome_db_open_mem(
    struct chrome_db *c, const void *data, size_t len, char *err, size_t n)
{
	unsigned char *copy;
	int rc;

	memset(c, 0, sizeof(*c));
	if (chrome_db_header_ok(data, len, err, n) == -1)
		return -1;
	if ((rc = sqlite3_open_v2(":memory:", &c->db,
		 SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL)) !=
	    SQLITE_OK) {
		snprintf(err, n, "could not be opened: %s",
		    c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		goto out_close;
	}
	chrome_db_harden(c);
	/* SQLite frees the copy when db closes (FREEONCLOSE), even when
	 * sqlite3_deserialize() fails. */
	if ((copy = sqlite3_malloc64(len)) == NULL) {
		snprintf(err, n, "is too large to read into memory");
		goto out_close;
	}
	memcpy(copy, data, len);
	/* A WAL-mode file (read/write versions 2) cannot be read from memory;
	 * mark it as a rollback-journal file, as the bytes are the same. */
	if (copy[18] == 2 && copy[19] == 2)
		copy[18] = copy[19] = 1;
	rc = sqlite3_deserialize(c->db, "main", copy, (sqlite3_int64)len,
	    (sqlite3_int64)len,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
	if (rc != SQLITE_OK) {
		chrome_db_error(c, rc, err, n);
		goto out_close;
	}
	return 0;
out_close:
	chrome_db_close(c);
	return -1;
}

int
chrome_db_open_file(struct chrome_db *c, const char *path, char *err, size_t n)
{
	unsigned char head[100];
	size_t got;
	char *uri;
	FILE *f;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((f = fopen(path, "r+b")) == NULL) {
		snprintf(err, n, "could not be opened: %s", strerror(errno));
		return -1;
	}
	got = fread(head, 1, sizeof(head), f);
	if (chrome_db_header_ok(head, got, err, n) == -1) {
		fclose(f);
		return -1;
	}
	/* Our own copy: a WAL-mode file is marked rollback-journal (the bytes
	 * are the same), so no -wal or -shm file is looked for. */
	if (head[18] == 2 && head[19] == 2 &&
	    (fseek(f, 18, SEEK_SET) != 0 || fwrite("\1\1", 1, 2, f) != 2)) {
		snprintf(err, n, "could not be prepared: %s", strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	/* immutable: no locks, no journal, nothing written next to it. */
	uri = sqlite3_mprintf("file:%s?mode=ro&immutable=1", path);
	rc = sqlite3_open_v2(
	    uri, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	sqlite3_free(uri);
	if (rc != SQLITE_OK) {
		snprintf(err, n, "could not be opened: %s",
		    c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		chrome_db_close(c);
		return -1;
	}
	chrome_db_harden(c);
	return 0;
}

void
chrome_db_close(struct chrome_db *c)
{
	if (c == NULL)
		return;
	sqlite3_close(c->db);
	c->db = NULL;
}

void
chrome_db_error(struct chrome_db *c, int rc, char *err, size_t n)
{
	const char *msg = c->db != NULL ? sqlite3_errmsg(c->db) : "";
	int code = rc & 0xff;

	if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
		snprintf(err, n, "is not a valid SQLite database");
	else if (code == SQLITE_INTERRUPT)
		snprintf(err, n, "took too long to read (over %d s)",
		    CHROME_DB_QUERY_MS / 1000);
	else if (code == SQLITE_TOOBIG)
		snprintf(err, n, "holds a value over the %d-byte limit",
		    CHROME_DB_MAX_VALUE);
	else if (strstr(msg, "no such table") != NULL ||
		 strstr(msg, "no such column") != NULL)
		snprintf(err, n, "is not a Chrome history database (%s)", msg);
	else
		snprintf(err, n, "could not be read: %s", msg);
}

bool
chrome_db_has_table(struct chrome_db *c, const char *table, int *rc)
{
	sqlite3_stmt *st = NULL;
	bool found = false;
	int r;

	r = sqlite3_prepare_v2(c->db,
	    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
	    -1, &st, NULL);
	if (r == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		r = sqlite3_step(st);
		found = r == SQLITE_ROW;
		if (r == SQLITE_ROW || r == SQLITE_DONE)
			r = SQLITE_OK;
	}
	sqlite3_finalize(st);
	*rc = r;
	return found;
}

bool
chrome_db_has_column(struct chrome_db *c, const char *table, const char *column)
{
	sqlite3_stmt *st = NULL;
	bool found = false;

	if (sqlite3_prepare_v2(c->db,
		"SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
		NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return found;
}

int64_t
chrome_db_count(struct chrome_db *c, const char *sql, int *rc)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	int r;

	if ((r = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL)) == SQLITE_OK) {
		r = sqlite3_step(st);
		if (r == SQLITE_ROW) {
			n = sqlite3_column_int64(st, 0);
			r = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	*rc = r;
	return n;
}

json_t *
chrome_db_text(sqlite3_stmt *st, int col, size_t max)
{
	const char *s;
	size_t n, all;
	json_t *v;
	char *t;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_string("");
	s = (const char *)sqlite3_column_text(st, col);
	all = n = s != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	t = utf8_lenient(s, n);
	v = n < all ? json_sprintf("%s\xe2\x80\xa6", t) : json_string(t);
	free(t);
	return v;
}
