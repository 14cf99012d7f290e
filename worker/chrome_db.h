/* chrome_db.h - opening an untrusted SQLite file (a browser's History)
 * and reading it defensively.
 *
 * The bytes come from an endpoint that may be compromised: the database
 * is opened read-only (a copy in memory, or our own temporary file opened
 * immutable), with SQLite's defensive settings, no views or triggers, a
 * bound on every string SQLite builds, and a deadline that interrupts any
 * statement running past it. */
#ifndef LR_WORKER_CHROME_DB_H
#define LR_WORKER_CHROME_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

/* The longest string or blob SQLite may build while reading: a generated
 * column (printf('%.*c', N, 'x')) fails here instead of filling memory. */
#define CHROME_DB_MAX_VALUE (1024 * 1024)
/* How long all the queries on one file may take together. */
#define CHROME_DB_QUERY_MS 10000

/* An open database and its deadline (the progress handler points at
 * deadline, so the struct must not move while db is open). */
struct chrome_db {
	sqlite3 *db;
	int64_t deadline; /* util_mono_ms() after which queries stop */
};

/* Opens a copy of len bytes of data as a read-only in-memory database.
 * 0, or -1 with err set to a phrase that completes "History file of jdoe
 * ..." ("is empty", "is not a valid SQLite database"). */
int chrome_db_open_mem(
    struct chrome_db *c, const void *data, size_t len, char *err, size_t n);
/* Opens the file at path (our own temporary copy: a WAL-mode header is
 * rewritten to rollback-journal so no -wal or -shm file is looked for),
 * read-only and immutable.  0, or -1 with err set. */
int chrome_db_open_file(
    struct chrome_db *c, const char *path, char *err, size_t n);
/* Closes; NULL-safe and safe on a failed open. */
void chrome_db_close(struct chrome_db *c);

/* Describes the SQLite error rc in err ("is not a valid SQLite database",
 * "took too long to read (over 10 s)", "could not be read: ..."). */
void chrome_db_error(struct chrome_db *c, int rc, char *err, size_t n);

/* Whether the schema has a table named table.  rc gets 0 or the SQLite
 * error (a corrupt file fails here first). */
bool chrome_db_has_table(struct chrome_db *c, const char *table, int *rc);
/* Whether table has a column named column (false on any error). */
bool chrome_db_has_column(
    struct chrome_db *c, const char *table, const char *column);
/* Runs a "SELECT count(*) ..." statement: the count, or -1 with *rc set
 * to the SQLite error. */
int64_t chrome_db_count(struct chrome_db *c, const char *sql, int *rc);

/* A text column as a JSON string (new reference): valid UTF-8, at most
 * max bytes (cut at a character, with an ellipsis), "" for NULL. */
json_t *chrome_db_text(sqlite3_stmt *st, int col, size_t max);

#endif
