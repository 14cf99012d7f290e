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

/* Schema, as Chrome creates it (History version 6x): every column of
 * the tables lrflow reads, so queries meet the real thing. */
static const char history_schema[] =
    "PRAGMA journal_mode=MEMORY;"
    "CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, "
    "value LONGVARCHAR);"
    "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "url LONGVARCHAR,title LONGVARCHAR,"
    "visit_count INTEGER DEFAULT 0 NOT NULL,"
    "typed_count INTEGER DEFAULT 0 NOT NULL,"
    "last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL);"
    "CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit INTEGER,"
    "transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,"
    "visit_duration INTEGER DEFAULT 0 NOT NULL,"
    "incremented_omnibox_typed_score BOOLEAN DEFAULT FALSE NOT NULL,"
    "opener_visit INTEGER,originator_cache_guid TEXT,"
    "originator_visit_id INTEGER,originator_from_visit INTEGER,"
    "originator_opener_visit INTEGER,"
    "is_known_to_sync BOOLEAN DEFAULT FALSE NOT NULL,"
    "consider_for_ntp_most_visited BOOLEAN DEFAULT FALSE NOT NULL,"
    "external_referrer_url TEXT,visited_link_id INTEGER,app_id TEXT);"
    "CREATE TABLE downloads (id INTEGER PRIMARY KEY,guid VARCHAR NOT NULL,"
    "current_path LONGVARCHAR NOT NULL,target_path LONGVARCHAR NOT NULL,"
    "start_time INTEGER NOT NULL,received_bytes INTEGER NOT NULL,"
    "total_bytes INTEGER NOT NULL,state INTEGER NOT NULL,"
    "danger_type INTEGER NOT NULL,interrupt_reason INTEGER NOT NULL,"
    "hash BLOB NOT NULL,end_time INTEGER NOT NULL,opened INTEGER NOT NULL,"
    "last_access_time INTEGER NOT NULL,transient INTEGER NOT NULL,"
    "referrer VARCHAR NOT NULL,site_url VARCHAR NOT NULL,"
    "embedder_download_data VARCHAR NOT NULL,tab_url VARCHAR NOT NULL,"
    "tab_referrer_url VARCHAR NOT NULL,http_method VARCHAR NOT NULL,"
    "by_ext_id VARCHAR NOT NULL,by_ext_name VARCHAR NOT NULL,"
    "by_web_app_id VARCHAR NOT NULL,etag VARCHAR NOT NULL,"
    "last_modified VARCHAR NOT NULL,mime_type VARCHAR(255) NOT NULL,"
    "original_mime_type VARCHAR(255) NOT NULL);"
    "CREATE TABLE downloads_url_chains (id INTEGER NOT NULL,"
    "chain_index INTEGER NOT NULL,url LONGVARCHAR NOT NULL, "
    "PRIMARY KEY (id, chain_index) );"
    "CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL,"
    "url_id INTEGER NOT NULL,term LONGVARCHAR NOT NULL,"
    "normalized_term LONGVARCHAR NOT NULL);"
    "CREATE INDEX visits_url_index ON visits (url);"
    "CREATE INDEX keyword_search_terms_index1 ON keyword_search_terms "
    "(keyword_id, normalized_term);"
    "INSERT INTO meta VALUES('mmap_status','-1');"
    "INSERT INTO meta VALUES('version','66');"
    "INSERT INTO meta VALUES('last_compatible_version','16');";

/* ui::PageTransition core types and the chain flags Chrome sets. */
#define HISTORY_CHAIN 0x30000000 /* CHAIN_START | CHAIN_END */
enum {
	HISTORY_T_LINK = 0,
	HISTORY_T_TYPED = 1,
	HISTORY_T_AUTO_BOOKMARK = 2,
	HISTORY_T_GENERATED = 5,
	HISTORY_T_FORM_SUBMIT = 7,
	HISTORY_T_RELOAD = 8,
};

/* Downloads every generated history has besides those of its pages: a
 * redirect chain each, and the states and danger types analysts meet. */
static const struct {
	const char *chain[3]; /* URLs, the last is the file; NULL-ended */
	const char *file, *mime;
	int state, danger, done; /* done: received = total */
	int64_t ago_min, bytes;
} history_extra[] = {
    {{"https://www.example.com/download?id=42",
	 "https://cdn.example.net/tools/setup-7.2.msi", NULL},
	"setup-7.2.msi", "application/x-msi", 1, 0, 1, 200, 3145728},
    {{"http://bit.example/x1", "http://update-flash.example.org/get",
	 "http://update-flash.example.org/flash_update.exe"},
	"flash_update.exe", "application/x-msdownload", 2, 2, 0, 150, 901120},
    {{"https://files.example.org/archive/backup-2026.zip", NULL, NULL},
	"backup-2026.zip", "application/zip", 4, 5, 0, 90, 52428800},
    {{"https://drive.example.com/uc?id=9",
	 "https://drive-dl.example.com/report.docm", NULL},
	"report.docm", "application/vnd.ms-word.document.macroEnabled.12", 0, 4,
	0, 20, 70656},
};

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

/* One download to insert: borrowed strings. */
struct history_dl {
	const char *const *chain; /* URLs, the last is the file */
	size_t nchain;
	const char *file, *mime, *referrer;
	int state, danger;
	int64_t start_ms, bytes, received;
};

/* The statements a History is written with. */
enum {
	HISTORY_URL,
	HISTORY_VISIT,
	HISTORY_TERM,
	HISTORY_DOWNLOAD,
	HISTORY_CHAIN_URL,
	HISTORY_NSQL
};

/* A small stable hash so each profile gets the same generated history. */
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

/* Inserts download dl (id) and its URL chain, the chain's rows last
 * first, so only ORDER BY chain_index gives the real order. */
static int
history_insert_download(sqlite3_stmt **st, sqlite3_int64 id, const char *user,
    const struct history_dl *dl)
{
	static const int64_t took_ms[] = {0, 5000, 2000, 30000, 30000};
	char guid[37], *path;
	int64_t end_ms;
	size_t i;
	int ret;

	util_uuid(guid);
	path = xasprintf("C:\\Users\\%s\\Downloads\\%s", user, dl->file);
	end_ms = dl->state == 0 ? 0 : dl->start_ms + took_ms[dl->state % 5];
	sqlite3_bind_int64(st[HISTORY_DOWNLOAD], 1, id);
	sqlite3_bind_text(st[HISTORY_DOWNLOAD], 2, guid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st[HISTORY_DOWNLOAD], 3, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(
	    st[HISTORY_DOWNLOAD], 4, history_chrome_time(dl->start_ms));
	sqlite3_bind_int64(st[HISTORY_DOWNLOAD], 5, dl->received);
	sqlite3_bind_int64(st[HISTORY_DOWNLOAD], 6, dl->bytes);
	sqlite3_bind_int(st[HISTORY_DOWNLOAD], 7, dl->state);
	sqlite3_bind_int(st[HISTORY_DOWNLOAD], 8, dl->danger);
	sqlite3_bind_int(st[HISTORY_DOWNLOAD], 9,
	    dl->state == 2   ? 40
	    : dl->state == 4 ? 2
			     : 0);
	sqlite3_bind_int64(
	    st[HISTORY_DOWNLOAD], 10, end_ms ? history_chrome_time(end_ms) : 0);
	sqlite3_bind_text(
	    st[HISTORY_DOWNLOAD], 11, dl->referrer, -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st[HISTORY_DOWNLOAD], 12, dl->mime, -1, SQLITE_STATIC);
	ret = history_step(st[HISTORY_DOWNLOAD]);
	for (i = dl->nchain; ret == 0 && i-- > 0;) {
		sqlite3_bind_int64(st[HISTORY_CHAIN_URL], 1, id);
		sqlite3_bind_int(st[HISTORY_CHAIN_URL], 2, (int)i);
		sqlite3_bind_text(
		    st[HISTORY_CHAIN_URL], 3, dl->chain[i], -1, SQLITE_STATIC);
		ret = history_step(st[HISTORY_CHAIN_URL]);
	}
	free(path);
	return ret;
}

/* Inserts a completed download for URLs of executables and documents. */
static int
history_add_download(sqlite3_stmt **st, sqlite3_int64 *id, const char *user,
    const struct history_row *r)
{
	const char *base = strrchr(r->url, '/');
	size_t n = strlen(r->url);
	bool exe = n >= 4 && strcmp(r->url + n - 4, ".exe") == 0;
	struct history_dl dl;

	if (!exe && (n < 4 || strcmp(r->url + n - 4, ".pdf") != 0))
		return 0;
	memset(&dl, 0, sizeof(dl));
	dl.chain = &r->url;
	dl.nchain = 1;
	dl.file = base ? base + 1 : r->url;
	dl.mime = exe ? "application/x-msdownload" : "application/pdf";
	dl.referrer = "";
	dl.state = 1;            /* complete */
	dl.danger = exe ? 6 : 0; /* user_validated, not_dangerous */
	dl.start_ms = r->time_ms - 5000;
	dl.bytes = dl.received = 482304;
	return history_insert_download(st, ++*id, user, &dl);
}

/* Inserts history_extra[] as downloads, dated before now_ms. */
static int
history_add_extras(
    sqlite3_stmt **st, sqlite3_int64 *id, const char *user, int64_t now_ms)
{
	struct history_dl dl;
	size_t i, k;

	for (i = 0; i < sizeof(history_extra) / sizeof(history_extra[0]); i++) {
		memset(&dl, 0, sizeof(dl));
		dl.chain = history_extra[i].chain;
		for (k = 0; k < 3 && history_extra[i].chain[k] != NULL; k++)
			dl.nchain++;
		dl.file = history_extra[i].file;
		dl.mime = history_extra[i].mime;
		dl.referrer = dl.chain[0];
		dl.state = history_extra[i].state;
		dl.danger = history_extra[i].danger;
		dl.start_ms = now_ms - history_extra[i].ago_min * 60000;
		dl.bytes = history_extra[i].bytes;
		dl.received = history_extra[i].done ? dl.bytes : dl.bytes / 3;
		if (history_insert_download(st, ++*id, user, &dl) == -1)
			return -1;
	}
	return 0;
}

/* The transition of a row's v-th visit: TYPED for the typed ones,
 * GENERATED for a search from the omnibox, else a mix of LINK, RELOAD,
 * FORM_SUBMIT and AUTO_BOOKMARK; with the chain flags. */
static int
history_transition(const struct history_row *r, int v, unsigned h)
{
	static const int mix[] = {HISTORY_T_LINK, HISTORY_T_LINK,
	    HISTORY_T_RELOAD, HISTORY_T_FORM_SUBMIT, HISTORY_T_AUTO_BOOKMARK};

	if (strstr(r->url, "/search?q=") != NULL)
		return HISTORY_CHAIN | HISTORY_T_GENERATED;
	if (v < r->typed_count)
		return HISTORY_CHAIN | HISTORY_T_TYPED;
	return HISTORY_CHAIN | mix[(h + (unsigned)v) % 5];
}

/* Writes the rows (plus history_extra[] when extras) into the database at
 * path, transitions picked by h.  0 or -1 with err set. */
static int
history_write(const char *path, const char *user,
    const struct history_row *rows, size_t n, bool extras, unsigned h,
    int pad_mb, int64_t now_ms, char *err, size_t errsize)
{
	static const char *const sql[HISTORY_NSQL] = {
	    "INSERT INTO urls(url, title, visit_count, typed_count, "
	    "last_visit_time, hidden) VALUES(?, ?, ?, ?, ?, 0)",
	    "INSERT INTO visits(url, visit_time, from_visit, transition, "
	    "segment_id, visit_duration) VALUES(?, ?, 0, ?, 0, ?)",
	    "INSERT INTO keyword_search_terms VALUES(?, ?, ?, ?)",
	    "INSERT INTO downloads VALUES(?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, "
	    "?9, x'', ?10, 0, 0, 0, ?11, '', '', ?11, '', 'GET', '', '', '', "
	    "'', '', ?12, ?12)",
	    "INSERT INTO downloads_url_chains VALUES(?, ?, ?)",
	};
	sqlite3_stmt *st[HISTORY_NSQL] = {NULL};
	sqlite3 *db = NULL;
	sqlite3_int64 id, dl_id = 0;
	int ret = -1, v;
	size_t i;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out_close;
	if (sqlite3_exec(db, history_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto out_close;
	for (i = 0; i < HISTORY_NSQL; i++)
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
			sqlite3_bind_int(st[1], 3,
			    history_transition(&rows[i], v, h + (unsigned)i));
			sqlite3_bind_int64(
			    st[1], 4, 15000000LL + v * 1000000LL);
			if (history_step(st[1]) == -1)
				goto out_finalize;
		}
		if (history_add_search(st[2], rows[i].url, id) == -1 ||
		    history_add_download(st, &dl_id, user, &rows[i]) == -1)
			goto out_finalize;
	}
	if (extras && history_add_extras(st, &dl_id, user, now_ms) == -1)
		goto out_finalize;
	/* history_pad_mb: a table of 1 MiB blobs no reader knows, so the
	 * file is big while its history stays the same. */
	for (v = 0; v < pad_mb; v++)
		if (sqlite3_exec(db,
			v == 0
			    ? "CREATE TABLE lrflow_pad(b BLOB);"
			      "INSERT INTO lrflow_pad VALUES(zeroblob(1048576))"
			    : "INSERT INTO lrflow_pad VALUES(zeroblob(1048576))",
			NULL, NULL, NULL) != SQLITE_OK)
			goto out_finalize;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out_finalize;
	ret = 0;
out_finalize:
	for (i = 0; i < HISTORY_NSQL; i++)
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
history_sqlite(const struct sim_user *u, const char *seed, bool verbatim,
    int pad_mb, int64_t now_ms, char *err, size_t errsize)
{
	const char *tmpdir = getenv("TMPDIR");
	struct history_row *rows;
	struct vfs_blob *b = NULL;
	unsigned h = history_hash(seed);
	size_t i, n;
	char *path;
	int fd;

	verbatim = verbatim && u->has_visits;
	if (verbatim) {
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
	if (history_write(path, u->name, rows, n, !verbatim, h, pad_mb, now_ms,
		err, errsize) == 0)
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
