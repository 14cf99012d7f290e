/* page.c - HTML escaping, the helpers every page uses, and the frame of
 * each page (head, header bar, tail).
 *
 * Rules: every string from Redis goes through page_escape() (bounded);
 * nothing from Redis ever lands in a tag, an attribute name, a URL or a
 * class; the only links are to our own pages, built from parsed integers
 * and URL-encoded query values; history URLs are shown as text, never as
 * links; no inline script or style, no remote resources (the
 * Content-Security-Policy set in viewer.c forbids them anyway). */
#include "page.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "assets.h"
#include "query.h"
#include "util.h"
#include "xmalloc.h"

const char *const page_statuses[] = {
    "queued", "running", "deferred", "done", "failed", NULL};

void
page_put(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, s, strlen(s));
}

/* True when s (n bytes left) starts with a Unicode direction control;
 * vis gets its visible form, "[U+202E]". */
static bool
bidi_control(const char *s, size_t n, char *vis, size_t size)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;

	if (n >= 2 && u[0] == 0xd8 && u[1] == 0x9c)
		cp = 0x061c;
	else if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
		 (u[2] == 0x8e || u[2] == 0x8f ||
		     (u[2] >= 0xaa && u[2] <= 0xae)))
		cp = 0x2000 + (u[2] - 0x80);
	else if (n >= 3 && u[0] == 0xe2 && u[1] == 0x81 && u[2] >= 0xa6 &&
		 u[2] <= 0xa9)
		cp = 0x2040 + (u[2] - 0x80);
	else
		return false;
	snprintf(vis, size, "[U+%04X]", cp);
	return true;
}

void
page_escape(struct evbuffer *out, const char *s, size_t max)
{
	size_t len, i, start;
	bool cut = false;

	if (s == NULL)
		return;
	len = strlen(s);
	if (len > max) {
		len = max;
		/* back up to the start of a UTF-8 character */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
		cut = true;
	}
	for (i = start = 0; i < len; i++) {
		const char *ent;
		char vis[16];

		/* Unicode direction controls would reorder a title or URL on
		 * screen (U+202A-202E, U+2066-2069, U+200E/200F, U+061C):
		 * shown as visible escapes, never obeyed. */
		if (bidi_control(s + i, len - i, vis, sizeof(vis))) {
			evbuffer_add(out, s + start, i - start);
			page_put(out, vis);
			i += (unsigned char)s[i] == 0xd8 ? 1 : 2;
			start = i + 1;
			continue;
		}
		switch (s[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		evbuffer_add(out, s + start, i - start);
		page_put(out, ent);
		start = i + 1;
	}
	evbuffer_add(out, s + start, len - start);
	if (cut)
		page_put(out, "\xe2\x80\xa6"); /* … */
}

char *
page_escape_str(const char *s, size_t max)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *r;

	if (b == NULL)
		return xstrdup("");
	page_escape(b, s, max);
	n = evbuffer_get_length(b);
	r = xmalloc(n + 1);
	evbuffer_remove(b, r, n);
	r[n] = '\0';
	evbuffer_free(b);
	return r;
}

void
page_value(struct evbuffer *out, const json_t *v)
{
	char *s;

	if (v == NULL) /* a field the data left out */
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		page_escape(out, json_string_value(v), PAGE_MAX_STR);
		break;
	case JSON_INTEGER:
		page_int(out, json_integer_value(v));
		break;
	case JSON_REAL:
		evbuffer_add_printf(out, "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		page_put(out, "true");
		break;
	case JSON_FALSE:
		page_put(out, "false");
		break;
	case JSON_NULL:
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		page_escape(out, s, PAGE_MAX_STR);
		free(s);
		break;
	}
}

void
page_field(struct evbuffer *out, const json_t *obj, const char *name)
{
	page_value(out, json_object_get(obj, name));
}

const char *
page_str(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

json_t *
page_parse(const json_t *fields, const char *name)
{
	const char *s = page_str(fields, name);

	if (s == NULL)
		return NULL;
	return json_loads(s, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

const char *
page_status_class(const char *status)
{
	static const char *const known[] = {
	    "queued", "running", "deferred", "done", "failed", NULL};

	for (int i = 0; status != NULL && known[i] != NULL; i++)
		if (strcmp(status, known[i]) == 0)
			return known[i];
	return "other";
}

/* ---------------------------------------------------------------- */
/* Times */

void
page_int(struct evbuffer *out, int64_t v)
{
	char buf[24];
	size_t i = sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do
		buf[--i] = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		buf[--i] = '-';
	evbuffer_add(out, buf + i, sizeof(buf) - i);
}

/* util_iso8601's text, without gmtime_r and strftime (they cost more
 * than the rest of a table row): the civil date from the day number (H.
 * Hinnant's days_from_civil, run backwards). */
const char *
page_iso_ms(int64_t ms, char *buf, size_t size)
{
	int64_t days, secs, era, doe, yoe, doy, mp, y, m, d;

	if (ms < 0)
		ms = 0;
	days = ms / 86400000;
	secs = (ms / 1000) % 86400;
	days += 719468;
	era = days / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y > 9999 || size < 25)
		return util_iso8601(ms, buf, size);
	buf[0] = (char)('0' + y / 1000);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = 'T';
	buf[11] = (char)('0' + secs / 36000);
	buf[12] = (char)('0' + secs / 3600 % 10);
	buf[13] = ':';
	buf[14] = (char)('0' + secs % 3600 / 600);
	buf[15] = (char)('0' + secs % 3600 / 60 % 10);
	buf[16] = ':';
	buf[17] = (char)('0' + secs % 60 / 10);
	buf[18] = (char)('0' + secs % 10);
	buf[19] = '.';
	buf[20] = (char)('0' + ms % 1000 / 100);
	buf[21] = (char)('0' + ms % 100 / 10);
	buf[22] = (char)('0' + ms % 10);
	buf[23] = 'Z';
	buf[24] = '\0';
	return buf;
}

int64_t
page_time_ms(const json_t *v)
{
	int64_t ms;
	json_int_t t;

	if (json_is_string(v))
		return util_parse_iso8601(json_string_value(v), &ms) == 0 ? ms
									  : -1;
	if (json_is_integer(v))
		t = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) >= 0 &&
		 json_real_value(v) < 1e17)
		t = (json_int_t)json_real_value(v);
	else
		return -1;
	if (t > 100000000000000000LL || t <= 0)
		return -1;
	if (t >= 1000000000000000LL)
		return t / 1000 - 11644473600000LL; /* webkit us */
	if (t < 100000000000LL)
		return t * 1000; /* seconds */
	return t;
}

void
page_ago(struct evbuffer *out, int64_t ms, int64_t now_ms)
{
	int64_t d = now_ms - ms, a = d < 0 ? -d : d;
	const char *unit;
	int64_t n;

	if (a < 45000) {
		page_put(out, "just now");
		return;
	}
	if (a < 90 * 60000LL) {
		n = (a + 30000) / 60000;
		unit = "min";
	} else if (a < 36 * 3600000LL) {
		n = (a + 1800000) / 3600000;
		unit = "h";
	} else {
		n = (a + 43200000) / 86400000;
		unit = n == 1 ? "day" : "days";
	}
	if (d < 0)
		page_put(out, "in ");
	page_int(out, n);
	page_put(out, " ");
	page_put(out, unit);
	if (d >= 0)
		page_put(out, " ago");
}

void
page_when_ms(struct evbuffer *out, int64_t ms, int64_t now_ms)
{
	char iso[32];
	size_t n;

	if (ms <= 0)
		return;
	n = strlen(page_iso_ms(ms, iso, sizeof(iso)));
	page_put(out, "<time datetime=\"");
	evbuffer_add(out, iso, n);
	page_put(out, "\" title=\"");
	evbuffer_add(out, iso, n);
	page_put(out, "\">");
	page_ago(out, ms, now_ms);
	page_put(out, "</time>");
}

void
page_when(struct evbuffer *out, const json_t *v, int64_t now_ms)
{
	int64_t ms = page_time_ms(v);

	if (ms > 0)
		page_when_ms(out, ms, now_ms);
	else
		page_value(out, v);
}

/* ---------------------------------------------------------------- */
/* Paging */

void
page_pager(struct evbuffer *out, const char *base, const struct query *q,
    size_t total, size_t of)
{
	size_t first = query_offset(q, total), last = first + (size_t)q->per;

	if (last > total)
		last = total;
	page_put(out, "<p class=\"pager\">");
	if (total == 0)
		page_put(out, "Nothing to show");
	else
		evbuffer_add_printf(out, "Showing %zu\xe2\x80\x93%zu of %zu",
		    first + 1, last, total);
	if (of > total)
		evbuffer_add_printf(out, " (%zu in all)", of);
	if (q->page > 1 && total > 0) {
		long long prev = q->page - 1,
			  lastp = (long long)((total + (size_t)q->per - 1) /
					      (size_t)q->per);

		if (prev > lastp) /* past the end: back to the last page */
			prev = lastp;
		evbuffer_add_printf(out, " <a rel=\"prev\" href=\"%s", base);
		query_link(out, q, prev);
		page_put(out, "\">\xe2\x86\x90 previous</a>");
	}
	if (last < total) {
		evbuffer_add_printf(out, " <a rel=\"next\" href=\"%s", base);
		query_link(out, q, q->page + 1);
		page_put(out, "\">next \xe2\x86\x92</a>");
	}
	page_put(out, "</p>\n");
}

/* ---------------------------------------------------------------- */
/* Frame */

void
page_begin(struct evbuffer *out, const struct page_ctx *ctx, const char *title)
{
	const char *health = ctx != NULL ? ctx->health : NULL;

	page_put(out,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width\">\n"
	    /* same-origin: our own forms carry their Origin (a
		       * no-referrer page sends "Origin: null"); other sites
		       * still get nothing */
	    "<meta name=\"referrer\" content=\"same-origin\">\n");
	page_put(out, "<title>");
	page_escape(out, title, PAGE_MAX_STR);
	page_put(out, "</title>\n");
	evbuffer_add_printf(out,
	    "<link rel=\"stylesheet\" href=\"/static/app.css?v=%s\">\n"
	    "<script src=\"/static/app.js?v=%s\" defer></script>\n",
	    assets_version(), assets_version());
	if (ctx != NULL && ctx->refresh_s > 0)
		evbuffer_add_printf(out,
		    "<noscript><meta http-equiv=\"refresh\" content=\"%d\">"
		    "</noscript>\n",
		    ctx->refresh_s);
	page_put(out, "</head>\n<body>\n<header class=\"top\">"
		      "<a class=\"brand\" href=\"/\">lrflow</a>");
	if (ctx != NULL && ctx->org != NULL) {
		page_put(out, "<span class=\"org\" title=\"the Redis key "
			      "prefix these results are under\">keys ");
		page_escape(out, ctx->org, 128);
		page_put(out, ":*");
		page_put(out, "</span>");
	}
	if (health != NULL) {
		const char *cls = strcmp(health, "ok") == 0     ? "ok"
				  : strcmp(health, "down") == 0 ? "down"
								: "degraded";

		evbuffer_add_printf(
		    out, "<span id=\"health\" class=\"health h-%s\"", cls);
		if (ctx->health_why != NULL) {
			page_put(out, " title=\"");
			page_escape(out, ctx->health_why, 512);
			page_put(out, "\"");
		}
		evbuffer_add_printf(out, ">pipeline %s</span>", cls);
	}
	page_put(out, "</header>\n<main>\n");
}

void
page_end(struct evbuffer *out)
{
	page_put(out, "</main>\n</body>\n</html>\n");
}

void
page_message(struct evbuffer *out, const char *title, const char *text)
{
	page_begin(out, NULL, title);
	page_put(out, "<h1>");
	page_escape(out, title, PAGE_MAX_STR);
	page_put(out, "</h1>\n<p>");
	page_escape(out, text, PAGE_MAX_STR);
	page_put(out, "</p>\n");
	page_end(out);
}

void
page_shown_of(struct evbuffer *out, size_t shown, size_t have,
    const json_t *total, const char *what)
{
	size_t all = json_is_integer(total) && json_integer_value(total) > 0
			 ? (size_t)json_integer_value(total)
			 : have;

	if (all < have)
		all = have;
	if (shown < all)
		evbuffer_add_printf(out,
		    "<p class=\"muted\">Showing %zu of %zu %s.</p>\n", shown,
		    all, what);
}
