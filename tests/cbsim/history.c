/* history.c - Chrome History databases for simulated users.
 *
 * SQLite only writes databases to files, so each one is built in a
 * mkstemp() file under $TMPDIR (or /tmp), read back into memory and
 * unlinked; the simulator then serves the bytes like any other file.
 * The schema is the subset of Chrome's that forensic tools read: meta,
 * urls, visits, downloads and keyword_search_terms.  Times are Chrome
 * time, microseconds since 1601-01-01 UTC. */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../common/util.h"
#include "../../common/xmalloc.h"

/* Seconds from 1601-01-01 to 1970-01-01. */
#define HISTORY_EPOCH_DELTA 11644473600LL
/* Visits generated for a user the scenario gives no history for. */
#define HISTORY_GENERATED 8

/* Schema, as Chrome creates it (columns the simulator needs). */
static const char history_schema[] =
    "PRAGMA journal_mode=MEMORY;"
    "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, "
    "value LONGVARCHAR);"
    "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "url LONGVARCHAR, title LONGVARCHAR, "
    "visit_count INTEGER DEFAULT 0 NOT NULL, "
    "typed_count INTEGER DEFAULT 0 NOT NULL, "
    "last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);"
    "CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "url INTEGER NOT NULL, visit_time INTEGER NOT NULL, "
    "from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL, "
    "segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);"
    "CREATE TABLE downloads(id INTEGER PRIMARY KEY, guid VARCHAR NOT NULL, "
    "current_path LONGVARCHAR NOT NULL, target_path LONGVARCHAR NOT NULL, "
    "start_time INTEGER NOT NULL, received_bytes INTEGER NOT NULL, "
    "total_bytes INTEGER NOT NULL, state INTEGER NOT NULL, "
    "tab_url VARCHAR, mime_type VARCHAR(255));"
    "CREATE TABLE keyword_search_terms(keyword_id INTEGER NOT NULL, "
    "url_id INTEGER NOT NULL, term LONGVARCHAR NOT NULL, "
    "normalized_term LONGVARCHAR NOT NULL);"
    "CREATE INDEX visits_url_index ON visits (url);"
    "INSERT INTO meta VALUES('mmap_status','-1');"
    "INSERT INTO meta VALUES('version','46');"
    "INSERT INTO meta VALUES('last_compatible_version','16');";

/* Pages generated histories pick from. */
static const struct {
	const char *url, *title;
} history_pool[] = {
    {"https://www.google.com/search?q=quarterly+report+template",
	"quarterly report template - Google Search"},
    {"https://outlook.office.com/mail/inbox", "Mail - Outlook"},
    {"https://github.com/libevent/libevent",
	"GitHub - libevent/libevent: Event notification library"},
    {"https://stackoverflow.com/questions/1642028/what-is-the-operator-in-c",
	"What is the '-->' operator in C? - Stack Overflow"},
    {"https://en.wikipedia.org/wiki/Carbon_Black_(company)",
	"Carbon Black (company) - Wikipedia"},
    {"https://www.bbc.co.uk/news", "Home - BBC News"},
    {"https://learn.microsoft.com/en-us/windows/",
	"Windows documentation | Microsoft Learn"},
    {"https://www.linkedin.com/feed/", "Feed | LinkedIn"},
    {"https://drive.google.com/drive/my-drive", "My Drive - Google Drive"},
    {"https://intranet.corp.example/hr/benefits", "Benefits - CORP Intranet"},
    {"https://www.google.com/search?q=free+pdf+invoice+viewer",
	"free pdf invoice viewer - Google Search"},
    {"http://invoice-download.example.net/ShippingInvoice.pdf.exe",
	"ShippingInvoice.pdf.exe"},
    {"https://news.ycombinator.com/", "Hacker News"},
    {"https://www.youtube.com/watch?v=dQw4w9WgXcQ",
	"Rick Astley - Never Gonna Give You Up - YouTube"},
    {"https://www.dropbox.com/home", "Files - Dropbox"},
    {"https://calendar.google.com/calendar/u/0/r/week",
	"Google Calendar - Week"},
};

#define HISTORY_POOL (sizeof(history_pool) / sizeof(history_pool[0]))

/* A row to insert: borrowed strings. */
struct history_row {
	const char *url;
	const char *title;
	int64_t time_ms;
	int visit_count;
	int typed_count;
};

char *
history_path(const char *user)
{
	return xasprintf("C:\\Users\\%s\\AppData\\Local\\Google\\Chrome\\"
			 "User Data\\Default\\History",
	    user);
}

/* A small stable hash so each user gets the same generated history. */
static unsigned
history_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Converts epoch ms to Chrome time. */
static long long
history_chrome_time(int64_t ms)
{
	return ((long long)ms + HISTORY_EPOCH_DELTA * 1000) * 1000;
}

/* Runs one prepared statement to completion after binding nothing more. */
static int
history_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Inserts the keyword_search_terms row of a search URL ("?q=a+b"). */
static int
history_add_search(sqlite3_stmt *st, const char *url, sqlite3_int64 url_id)
{
	const char *q = strstr(url, "/search?q=");
	char *term, *norm, *amp;
	size_t i;
	int ret;

	if (q == NULL)
		return 0;
	term = xstrdup(q + strlen("/search?q="));
	if ((amp = strchr(term, '&')) != NULL)
		*amp = '\0';
	for (i = 0; term[i] != '\0'; i++)
		if (term[i] == '+')
			term[i] = ' ';
	norm = xstrdup(term);
	for (i = 0; norm[i] != '\0'; i++)
		if (norm[i] >= 'A' && norm[i] <= 'Z')
			norm[i] = (char)(norm[i] - 'A' + 'a');
	sqlite3_bind_int(st, 1, 2); /* the default search engine */
	sqlite3_bind_int64(st, 2, url_id);
	sqlite3_bind_text(st, 3, term, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, norm, -1, SQLITE_TRANSIENT);
	ret = history_step(st);
	free(term);
	free(norm);
	return ret;
}

/* Inserts a completed download for URLs of executables and documents. */
static int
history_add_download(
    sqlite3_stmt *st, const char *user, const struct history_row *r)
{
	const char *base = strrchr(r->url, '/');
	size_t n = strlen(r->url);
	char guid[37], *path;
	int ret;

	if (n < 4 || (strcmp(r->url + n - 4, ".exe") != 0 &&
			 strcmp(r->url + n - 4, ".pdf") != 0))
		return 0;
	base = base ? base + 1 : r->url;
	util_uuid(guid);
	path = xasprintf("C:\\Users\\%s\\Downloads\\%s", user, base);
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, history_chrome_time(r->time_ms - 5000));
	sqlite3_bind_int64(st, 5, 482304);
	sqlite3_bind_int64(st, 6, 482304);
	sqlite3_bind_int(st, 7, 1); /* COMPLETE */
	sqlite3_bind_text(st, 8, r->url, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, "application/octet-stream", -1, SQLITE_STATIC);
	ret = history_step(st);
	free(path);
	return ret;
}

/* Writes the rows into the database at path.  0 or -1 with err set. */
static int
history_write(const char *path, const char *user,
    const struct history_row *rows, size_t n, char *err, size_t errsize)
{
	static const char *const sql[] = {
	    "INSERT INTO urls(url, title, visit_count, typed_count, "
	    "last_visit_time, hidden) VALUES(?, ?, ?, ?, ?, 0)",
	    "INSERT INTO visits(url, visit_time, from_visit, transition, "
	    "segment_id, visit_duration) VALUES(?, ?, 0, ?, 0, ?)",
	    "INSERT INTO keyword_search_terms VALUES(?, ?, ?, ?)",
	    "INSERT INTO downloads(guid, current_path, target_path, "
	    "start_time, received_bytes, total_bytes, state, tab_url, "
	    "mime_type) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
	};
	sqlite3_stmt *st[4] = {NULL, NULL, NULL, NULL};
	sqlite3 *db = NULL;
	sqlite3_int64 id;
	int ret = -1, v;
	size_t i;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out_close;
	if (sqlite3_exec(db, history_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto out_close;
	for (i = 0; i < 4; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) !=
		    SQLITE_OK)
			goto out_finalize;
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st[0], 1, rows[i].url, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[0], 2, rows[i].title, -1, SQLITE_STATIC);
		sqlite3_bind_int(st[0], 3, rows[i].visit_count);
		sqlite3_bind_int(st[0], 4, rows[i].typed_count);
		sqlite3_bind_int64(
		    st[0], 5, history_chrome_time(rows[i].time_ms));
		if (history_step(st[0]) == -1)
			goto out_finalize;
		id = sqlite3_last_insert_rowid(db);
		/* One visit per count, an hour apart, ending at the last. */
		for (v = rows[i].visit_count - 1; v >= 0; v--) {
			sqlite3_bind_int64(st[1], 1, id);
			sqlite3_bind_int64(st[1], 2,
			    history_chrome_time(
				rows[i].time_ms - (int64_t)v * 3600 * 1000));
			/* LINK or TYPED, with CHAIN_START|CHAIN_END */
			sqlite3_bind_int(st[1], 3,
			    v < rows[i].typed_count ? 805306369 : 805306368);
			sqlite3_bind_int64(
			    st[1], 4, 15000000LL + v * 1000000LL);
			if (history_step(st[1]) == -1)
				goto out_finalize;
		}
		if (history_add_search(st[2], rows[i].url, id) == -1 ||
		    history_add_download(st[3], user, &rows[i]) == -1)
			goto out_finalize;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out_finalize;
	ret = 0;
out_finalize:
	for (i = 0; i < 4; i++)
		sqlite3_finalize(st[i]);
out_close:
	if (ret == -1)
		snprintf(err, errsize, "building History of '%s': %s", user,
		    db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	return ret;
}

/* Reads the whole file at path.  Returns a new blob or NULL. */
static struct vfs_blob *
history_slurp(const char *path, char *err, size_t errsize)
{
	unsigned char *data = NULL;
	struct stat sb;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1)
		goto out_err;
	data = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		r = read(fd, data + got, (size_t)sb.st_size - got);
		if (r <= 0)
			goto out_err;
		got += (size_t)r;
	}
	close(fd);
	return vfs_blob_take(data, got);
out_err:
	snprintf(err, errsize, "reading '%s': %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	free(data);
	return NULL;
}

struct vfs_blob *
history_sqlite(
    const struct sim_user *u, int64_t now_ms, char *err, size_t errsize)
{
	const char *tmpdir = getenv("TMPDIR");
	struct history_row *rows;
	struct vfs_blob *b = NULL;
	unsigned h = history_hash(u->name);
	size_t i, n;
	char *path;
	int fd;

	if (u->has_visits) {
		n = u->nvisits;
		rows = xcalloc(n ? n : 1, sizeof(*rows));
		for (i = 0; i < n; i++) {
			rows[i].url = u->visits[i].url;
			rows[i].title = u->visits[i].title;
			rows[i].time_ms = u->visits[i].time_ms;
			rows[i].visit_count = u->visits[i].visit_count;
			rows[i].typed_count = u->visits[i].typed_count;
		}
	} else {
		/* Eight consecutive pool pages, 47 minutes apart. */
		n = HISTORY_GENERATED;
		rows = xcalloc(n, sizeof(*rows));
		for (i = 0; i < n; i++) {
			rows[i].url = history_pool[(h + i) % HISTORY_POOL].url;
			rows[i].title =
			    history_pool[(h + i) % HISTORY_POOL].title;
			rows[i].time_ms =
			    now_ms - 60000 - (int64_t)(n - i) * 47 * 60 * 1000;
			rows[i].visit_count = 1 + (int)((h >> i) % 4);
			rows[i].typed_count = (h + i) % 3 == 0 ? 1 : 0;
		}
	}
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	path = xasprintf("%s/lr-cbsim-history.XXXXXX", tmpdir);
	if ((fd = mkstemp(path)) == -1) {
		snprintf(
		    err, errsize, "mkstemp '%s': %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	if (history_write(path, u->name, rows, n, err, errsize) == 0)
		b = history_slurp(path, err, errsize);
	unlink(path);
out:
	free(path);
	free(rows);
	return b;
}

struct vfs_blob *
history_garbage(const char *seed)
{
	static const char head[] = "\x7f\x45\x4cGARBAGE-NOT-SQLITE ";
	size_t len = 6144, i;
	unsigned char *data = xmalloc(len);
	unsigned x = history_hash(seed) | 1;

	memcpy(data, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (unsigned char)(x >> 24);
	}
	return vfs_blob_take(data, len);
}
