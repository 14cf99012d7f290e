/* chrome.c - Chromium History files: visits, downloads and search terms.
 *
 * Chrome, Edge and Brave share the schema.  Queries are built for the
 * columns the file has, so an old schema without, say, downloads.referrer
 * still reads; a missing downloads, downloads_url_chains or
 * keyword_search_terms table is zero rows, a missing urls table means the
 * file is no History database.  Each list is newest first and capped; the
 * real count comes from SELECT count(*) of the same rows.  Every row is
 * measured as the JSON it becomes, against the file's byte budget. */
#include "chrome.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chrome_db.h"
#include "util.h"

/* Seconds from 1601-01-01 to 1970-01-01. */
#define CHROME_EPOCH_OFFSET_S 11644473600LL
/* Times outside [1990-01-01, 2200-01-01) are not real. */
#define CHROME_TIME_MIN_MS 631152000000LL
#define CHROME_TIME_MAX_MS 7258118400000LL
#define CHROME_MAX_URL 2048   /* bytes of a URL kept */
#define CHROME_MAX_TITLE 1024 /* bytes of a title or search term kept */
#define CHROME_MAX_PATH 2048  /* bytes of a download's path kept */
#define CHROME_MAX_MIME 256   /* bytes of a MIME type kept */
#define CHROME_MAX_CHAIN 32   /* URLs of a download's redirect chain kept */

/* One file's parse: where the rows go and what they may cost. */
struct chrome_run {
	struct chrome_db *c;
	const struct chrome_limits *lim;
	size_t used; /* JSON bytes of the rows added */
	bool full;   /* the budget is spent: no more rows */
	char *err;
	size_t errlen;
};

void
chrome_limits_default(struct chrome_limits *lim)
{
	lim->max_visits = CHROME_MAX_VISITS;
	lim->max_downloads = CHROME_MAX_DOWNLOADS;
	lim->max_searches = CHROME_MAX_SEARCHES;
	lim->budget = CHROME_BUDGET;
	lim->budget_what = "for one History file";
}

int64_t
chrome_time_to_ms(int64_t chrome_us)
{
	return chrome_us / 1000 - CHROME_EPOCH_OFFSET_S * 1000;
}

bool
chrome_time_iso(int64_t chrome_us, char *buf, size_t size)
{
	int64_t ms;

	if (chrome_us <= 0)
		return false;
	ms = chrome_time_to_ms(chrome_us);
	if (ms < CHROME_TIME_MIN_MS || ms >= CHROME_TIME_MAX_MS)
		return false;
	util_iso8601(ms, buf, size);
	return true;
}

const char *
chrome_transition_name(int64_t transition)
{
	/* ui::PageTransition core types, in their numeric order. */
	static const char *const names[] = {"link", "typed", "auto_bookmark",
	    "auto_subframe", "manual_subframe", "generated", "auto_toplevel",
	    "form_submit", "reload", "keyword", "keyword_generated"};
	int64_t core = transition & 0xff;

	return core < (int64_t)(sizeof(names) / sizeof(names[0])) ? names[core]
								  : NULL;
}

const char *
chrome_download_state_name(int64_t state)
{
	switch (state) {
	case 0:
		return "in_progress";
	case 1:
		return "complete";
	case 2:
		return "cancelled";
	case 3: /* an old bug stored interrupted downloads as 3 */
	case 4:
		return "interrupted";
	default:
		return "unknown";
	}
}

const char *
chrome_danger_name(int64_t danger)
{
	/* history::DownloadDangerType, in its numeric order. */
	static const char *const names[] = {"not_dangerous", "dangerous_file",
	    "dangerous_url", "dangerous_content", "maybe_dangerous_content",
	    "uncommon_content", "user_validated", "dangerous_host",
	    "potentially_unwanted", "allowlisted_by_policy"};

	return danger >= 0 &&
		       danger < (int64_t)(sizeof(names) / sizeof(names[0]))
		   ? names[danger]
		   : "unknown";
}

/* Appends row (stolen) to list if it fits the budget; once one does not,
 * none does. */
static void
chrome_add(struct chrome_run *r, json_t *list, json_t *row)
{
	size_t n;

	if (!r->full) {
		n = json_dumpb(row, NULL, 0, JSON_COMPACT) + 1;
		if (r->used + n <= r->lim->budget) {
			r->used += n;
			json_array_append_new(list, row);
			return;
		}
		r->full = true;
	}
	json_decref(row);
}

/* Sets key to the ISO time of column col, unless it is 0 or absurd. */
static void
chrome_set_time(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	char iso[40];

	if (chrome_time_iso(sqlite3_column_int64(st, col), iso, sizeof(iso)))
		json_object_set_new(o, key, json_string(iso));
}

/* Sets key to the integer in column col, unless it is NULL. */
static void
chrome_set_int(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) != SQLITE_NULL)
		json_object_set_new(o, key,
		    json_integer((json_int_t)sqlite3_column_int64(st, col)));
}

/* "t.col" if table has col, else "NULL", for a query built to the file's
 * schema (names are ours, never the file's). */
static char *
chrome_col(
    struct chrome_run *r, const char *table, const char *alias, const char *col)
{
	return chrome_db_has_column(r->c, table, col)
		   ? sqlite3_mprintf("%s%s%s", alias, *alias ? "." : "", col)
		   : sqlite3_mprintf("NULL");
}

/* Sets the error from rc and returns -1. */
static int
chrome_fail(struct chrome_run *r, int rc)
{
	chrome_db_error(r->c, rc, r->err, r->errlen);
	return -1;
}

/* Runs sql (bound ?1 = max) and adds one row per result via row().
 * 0, or -1 with the error set. */
static int
chrome_rows(struct chrome_run *r, const char *sql, int max, json_t *list,
    json_t *(*row)(struct chrome_run *r, sqlite3_stmt *st, void *arg),
    void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sql == NULL)
		return chrome_fail(r, SQLITE_NOMEM);
	if ((rc = sqlite3_prepare_v2(r->c->db, sql, -1, &st, NULL)) !=
	    SQLITE_OK)
		return chrome_fail(r, rc);
	sqlite3_bind_int(st, 1, max);
	while (!r->full && (rc = sqlite3_step(st)) == SQLITE_ROW)
		chrome_add(r, list, row(r, st, arg));
	sqlite3_finalize(st);
	if (!r->full && rc != SQLITE_DONE)
		return chrome_fail(r, rc);
	return 0;
}

/* Counts with sql into entry[key].  0, or -1 with the error set. */
static int
chrome_total(
    struct chrome_run *r, const char *sql, json_t *entry, const char *key)
{
	int64_t n;
	int rc;

	if ((n = chrome_db_count(r->c, sql, &rc)) < 0)
		return chrome_fail(r, rc);
	json_object_set_new(entry, key, json_integer((json_int_t)n));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Visits */

/* url, title, time, transition, visit_count */
static json_t *
chrome_visit_row(struct chrome_run *r, sqlite3_stmt *st, void *arg)
{
	json_t *v =
	    json_pack("{s:o,s:o}", "url", chrome_db_text(st, 0, CHROME_MAX_URL),
		"title", chrome_db_text(st, 1, CHROME_MAX_TITLE));
	const char *tr;

	(void)r;
	(void)arg;
	chrome_set_time(v, "visit_time", st, 2);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
	    (tr = chrome_transition_name(sqlite3_column_int64(st, 3))) != NULL)
		json_object_set_new(v, "transition", json_string(tr));
	chrome_set_int(v, "visit_count", st, 4);
	return v;
}

/* The visits (urls JOIN visits), or urls' last visits when the visits
 * table is missing or empty, as the seed's viewer showed.  0 or -1. */
static int
chrome_visits(struct chrome_run *r, json_t *entry)
{
	json_t *list = json_array();
	char *tr = NULL, *vc = NULL, *sql = NULL;
	bool visits;
	int64_t n = 0;
	int rc, ret = -1;

	visits = chrome_db_has_table(r->c, "visits", &rc);
	if (rc != SQLITE_OK) {
		chrome_fail(r, rc);
		goto out;
	}
	if (!chrome_db_has_table(r->c, "urls", &rc)) {
		if (rc != SQLITE_OK)
			chrome_fail(r, rc);
		else
			snprintf(r->err, r->errlen,
			    "is not a Chrome history database (no urls table)");
		goto out;
	}
	vc = chrome_col(r, "urls", "u", "visit_count");
	if (visits &&
	    (n = chrome_db_count(r->c,
		 "SELECT count(*) FROM visits v JOIN urls u ON u.id = v.url",
		 &rc)) < 0) {
		chrome_fail(r, rc);
		goto out;
	}
	if (n > 0) {
		tr = chrome_col(r, "visits", "v", "transition");
		sql = sqlite3_mprintf(
		    "SELECT u.url, u.title, v.visit_time, %s, %s FROM visits v "
		    "JOIN urls u ON u.id = v.url "
		    "ORDER BY v.visit_time DESC, v.id DESC LIMIT ?1",
		    tr, vc);
	} else {
		if (chrome_total(r,
			"SELECT count(*) FROM urls WHERE last_visit_time > 0",
			entry, "visits_total") == -1)
			goto out;
		sql = sqlite3_mprintf(
		    "SELECT u.url, u.title, u.last_visit_time, NULL, %s "
		    "FROM urls u WHERE u.last_visit_time > 0 "
		    "ORDER BY u.last_visit_time DESC, u.id DESC LIMIT ?1",
		    vc);
	}
	if (chrome_rows(
		r, sql, r->lim->max_visits, list, chrome_visit_row, NULL) == -1)
		goto out;
	if (n > 0)
		json_object_set_new(entry, "visits_total", json_integer(n));
	json_object_set(entry, "visits", list);
	ret = 0;
out:
	sqlite3_free(sql);
	sqlite3_free(tr);
	sqlite3_free(vc);
	json_decref(list);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Downloads */

/* The statements that read a download's redirect chain. */
struct chrome_chain {
	sqlite3_stmt *list; /* first CHROME_MAX_CHAIN urls, in order */
	sqlite3_stmt *last; /* the final url */
};

/* id, target_path, referrer, start, end, received, total, state,
 * danger, mime */
static json_t *
chrome_download_row(struct chrome_run *r, sqlite3_stmt *st, void *arg)
{
	struct chrome_chain *ch = arg;
	json_t *d, *chain = json_array();
	int64_t id = sqlite3_column_int64(st, 0);

	(void)r;
	d = json_pack(
	    "{s:o}", "target_path", chrome_db_text(st, 1, CHROME_MAX_PATH));
	if (ch->list != NULL) {
		sqlite3_bind_int64(ch->list, 1, id);
		sqlite3_bind_int(ch->list, 2, CHROME_MAX_CHAIN);
		while (sqlite3_step(ch->list) == SQLITE_ROW)
			json_array_append_new(
			    chain, chrome_db_text(ch->list, 0, CHROME_MAX_URL));
		sqlite3_reset(ch->list);
		sqlite3_bind_int64(ch->last, 1, id);
		if (sqlite3_step(ch->last) == SQLITE_ROW)
			json_object_set_new(d, "url",
			    chrome_db_text(ch->last, 0, CHROME_MAX_URL));
		sqlite3_reset(ch->last);
	}
	json_object_set_new(d, "url_chain", chain);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		json_object_set_new(
		    d, "referrer", chrome_db_text(st, 2, CHROME_MAX_URL));
	chrome_set_time(d, "start_time", st, 3);
	chrome_set_time(d, "end_time", st, 4);
	chrome_set_int(d, "received_bytes", st, 5);
	chrome_set_int(d, "total_bytes", st, 6);
	json_object_set_new(d, "state",
	    json_string(
		sqlite3_column_type(st, 7) == SQLITE_NULL
		    ? "unknown"
		    : chrome_download_state_name(sqlite3_column_int64(st, 7))));
	json_object_set_new(d, "danger_type",
	    json_string(sqlite3_column_type(st, 8) == SQLITE_NULL
			    ? "unknown"
			    : chrome_danger_name(sqlite3_column_int64(st, 8))));
	if (sqlite3_column_type(st, 9) != SQLITE_NULL)
		json_object_set_new(
		    d, "mime_type", chrome_db_text(st, 9, CHROME_MAX_MIME));
	return d;
}

/* The downloads with their URL chains.  0 or -1. */
static int
chrome_downloads(struct chrome_run *r, json_t *entry)
{
	static const char *const cols[] = {"target_path", "referrer",
	    "start_time", "end_time", "received_bytes", "total_bytes", "state",
	    "danger_type", "mime_type"};
	struct chrome_chain ch = {NULL, NULL};
	char *c[sizeof(cols) / sizeof(cols[0])], *sql = NULL;
	json_t *list = json_array();
	size_t i;
	int rc, ret = -1;

	memset(c, 0, sizeof(c));
	if (!chrome_db_has_table(r->c, "downloads", &rc)) {
		if (rc != SQLITE_OK) {
			chrome_fail(r, rc);
			goto out;
		}
		json_object_set_new(entry, "downloads_total", json_integer(0));
		json_object_set(entry, "downloads", list);
		ret = 0;
		goto out;
	}
	if (chrome_total(r, "SELECT count(*) FROM downloads", entry,
		"downloads_total") == -1)
		goto out;
	if (chrome_db_has_table(r->c, "downloads_url_chains", &rc) &&
	    (sqlite3_prepare_v2(r->c->db,
		 "SELECT url FROM downloads_url_chains WHERE id = ?1 "
		 "ORDER BY chain_index LIMIT ?2",
		 -1, &ch.list, NULL) != SQLITE_OK ||
		sqlite3_prepare_v2(r->c->db,
		    "SELECT url FROM downloads_url_chains WHERE id = ?1 "
		    "ORDER BY chain_index DESC LIMIT 1",
		    -1, &ch.last, NULL) != SQLITE_OK)) {
		chrome_fail(r, sqlite3_errcode(r->c->db));
		goto out;
	}
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		c[i] = chrome_col(r, "downloads", "", cols[i]);
	sql = sqlite3_mprintf(
	    "SELECT id, %s, %s, %s, %s, %s, %s, %s, %s, %s FROM downloads "
	    "ORDER BY %s DESC, id DESC LIMIT ?1",
	    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8],
	    strcmp(c[2], "NULL") != 0 ? "start_time" : "id");
	if (chrome_rows(r, sql, r->lim->max_downloads, list,
		chrome_download_row, &ch) == -1)
		goto out;
	json_object_set(entry, "downloads", list);
	ret = 0;
out:
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		sqlite3_free(c[i]);
	sqlite3_free(sql);
	sqlite3_finalize(ch.list);
	sqlite3_finalize(ch.last);
	json_decref(list);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Search terms */

/* term, url, title, last_visit_time */
static json_t *
chrome_search_row(struct chrome_run *r, sqlite3_stmt *st, void *arg)
{
	json_t *s = json_pack("{s:o,s:o,s:o}", "term",
	    chrome_db_text(st, 0, CHROME_MAX_TITLE), "url",
	    chrome_db_text(st, 1, CHROME_MAX_URL), "title",
	    chrome_db_text(st, 2, CHROME_MAX_TITLE));

	(void)r;
	(void)arg;
	chrome_set_time(s, "visit_time", st, 3);
	return s;
}

/* The search terms, with their URL's last visit.  0 or -1. */
static int
chrome_searches(struct chrome_run *r, json_t *entry)
{
	json_t *list = json_array();
	int rc, ret = -1;

	if (!chrome_db_has_table(r->c, "keyword_search_terms", &rc)) {
		if (rc != SQLITE_OK) {
			chrome_fail(r, rc);
			goto out;
		}
		json_object_set_new(
		    entry, "search_terms_total", json_integer(0));
		json_object_set(entry, "search_terms", list);
		ret = 0;
		goto out;
	}
	if (chrome_total(r,
		"SELECT count(*) FROM keyword_search_terms k "
		"JOIN urls u ON u.id = k.url_id",
		entry, "search_terms_total") == -1 ||
	    chrome_rows(r,
		"SELECT k.term, u.url, u.title, u.last_visit_time "
		"FROM keyword_search_terms k JOIN urls u ON u.id = k.url_id "
		"ORDER BY u.last_visit_time DESC, u.id DESC LIMIT ?1",
		r->lim->max_searches, list, chrome_search_row, NULL) == -1)
		goto out;
	json_object_set(entry, "search_terms", list);
	ret = 0;
out:
	json_decref(list);
	return ret;
}

/* ------------------------------------------------------------------ */

/* Parses an open database into entry (see chrome_history_file). */
static long
chrome_parse(struct chrome_db *c, const struct chrome_limits *lim,
    json_t *entry, char *err, size_t errlen)
{
	struct chrome_run r = {
	    .c = c, .lim = lim, .err = err, .errlen = errlen};
	json_t *out = json_object();
	char part[256];

	err[0] = '\0';
	if (chrome_visits(&r, out) == -1) {
		json_decref(out);
		return -1;
	}
	/* What is read so far stays: a later failure is said beside it. */
	if (chrome_downloads(&r, out) == -1) {
		snprintf(part, sizeof(part), "%s", err);
		snprintf(err, errlen, "has visits, but its downloads %s", part);
	} else if (chrome_searches(&r, out) == -1) {
		snprintf(part, sizeof(part), "%s", err);
		snprintf(err, errlen,
		    "has visits and downloads, but its search terms %s", part);
	} else if (r.full)
		snprintf(err, errlen,
		    "has more rows than fit in %zu bytes of JSON %s: the lists stop there",
		    lim->budget, lim->budget_what);
	json_object_update(entry, out);
	json_decref(out);
	return (long)r.used;
}

long
chrome_history_file(const char *path, const struct chrome_limits *lim,
    json_t *entry, char *err, size_t errlen)
{
	struct chrome_db c;
	long used;

	if (chrome_db_open_file(&c, path, err, errlen) == -1)
		return -1;
	used = chrome_parse(&c, lim, entry, err, errlen);
	chrome_db_close(&c);
	return used;
}

long
chrome_history_mem(const void *data, size_t len,
    const struct chrome_limits *lim, json_t *entry, char *err, size_t errlen)
{
	struct chrome_db c;
	long used;

	if (chrome_db_open_mem(&c, data, len, err, errlen) == -1)
		return -1;
	used = chrome_parse(&c, lim, entry, err, errlen);
	chrome_db_close(&c);
	return used;
}
