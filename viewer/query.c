/* query.c - query strings in, bounded values out (see query.h). */
#include "query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "page.h"
#include "util.h"

/* Copies a search text: control characters (C0, DEL) become spaces,
 * leading and trailing spaces go, at most size - 1 bytes (cut at the start
 * of a UTF-8 character). */
static void
copy_text(char *dst, size_t size, const char *src)
{
	size_t len, i;

	while (*src == ' ' || *src == '\t')
		src++;
	len = strlen(src);
	if (len > size - 1) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			     ? ' '
			     : src[i];
	while (len > 0 && dst[len - 1] == ' ')
		len--;
	dst[len] = '\0';
}

/* Copies v into dst when it is one of allowed (NULL-terminated). */
static void
pick(char *dst, size_t size, const char *v, const char *const *allowed)
{
	for (; *allowed != NULL; allowed++)
		if (strcmp(v, *allowed) == 0) {
			snprintf(dst, size, "%s", v);
			return;
		}
}

void
query_parse(const char *qs, int per_default, int per_max, struct query *out)
{
	static const char *const views[] = {
	    "visits", "downloads", "search_terms", NULL};
	static const char *const svcs[] = {
	    "running", "stopped", "new", "changed", NULL};
	struct evkeyvalq params;
	struct evkeyval *kv;
	long long n;

	memset(out, 0, sizeof(*out));
	out->page = 1;
	out->per = per_default;
	snprintf(out->view, sizeof(out->view), "visits");
	if (qs == NULL || evhttp_parse_query_str(qs, &params) == -1)
		return;
	for (kv = params.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		const char *k = kv->key, *v = kv->value;

		if (strcmp(k, "q") == 0)
			copy_text(out->q, sizeof(out->q), v);
		else if (strcmp(k, "status") == 0)
			pick(
			    out->status, sizeof(out->status), v, page_statuses);
		else if (strcmp(k, "sort") == 0)
			out->sort = strcmp(v, "name") == 0 ? QUERY_SORT_NAME
				    : strcmp(v, "status") == 0
					? QUERY_SORT_STATUS
					: QUERY_SORT_UPDATED;
		else if (strcmp(k, "view") == 0)
			pick(out->view, sizeof(out->view), v, views);
		else if (strcmp(k, "svc") == 0)
			pick(out->svc, sizeof(out->svc), v, svcs);
		else if (strcmp(k, "page") == 0 &&
			 util_parse_int(v, 1, QUERY_MAX_PAGE, &n) == 0)
			out->page = n;
		else if (strcmp(k, "per") == 0 &&
			 util_parse_int(v, 1, 1000000000000LL, &n) == 0)
			out->per = n > per_max ? per_max : (int)n;
		else if (strcmp(k, "profile") == 0 &&
			 util_parse_int(v, 0, QUERY_MAX_PROFILE, &n) == 0)
			out->profile = (int)n;
		else if (strcmp(k, "download") == 0)
			out->download = strcmp(v, "1") == 0;
		else if (strcmp(k, "collect") == 0)
			out->collected = strcmp(v, "requested") == 0;
	}
	evhttp_clear_headers(&params);
}

size_t
query_offset(const struct query *q, size_t max)
{
	unsigned long long off =
	    (unsigned long long)(q->page - 1) * (unsigned long long)q->per;

	return off > max ? max : (size_t)off;
}

const char *
query_sort_name(enum query_sort s)
{
	return s == QUERY_SORT_NAME     ? "name"
	       : s == QUERY_SORT_STATUS ? "status"
					: "updated";
}

/* Appends one "k=v" pair, URL-encoded then HTML-escaped. */
static void
pair(struct evbuffer *out, bool *first, const char *k, const char *v)
{
	char *enc = evhttp_encode_uri(v);

	evbuffer_add_printf(out, "%s%s=", *first ? "?" : "&amp;", k);
	page_escape(out, enc ? enc : "", 4 * QUERY_MAX_TEXT);
	free(enc);
	*first = false;
}

void
query_link(struct evbuffer *out, const struct query *q, long long page)
{
	bool first = true;
	char num[32];

	if (q->q[0] != '\0')
		pair(out, &first, "q", q->q);
	if (q->status[0] != '\0')
		pair(out, &first, "status", q->status);
	if (q->sort != QUERY_SORT_UPDATED)
		pair(out, &first, "sort", query_sort_name(q->sort));
	if (strcmp(q->view, "visits") != 0)
		pair(out, &first, "view", q->view);
	if (q->svc[0] != '\0')
		pair(out, &first, "svc", q->svc);
	if (q->profile > 0) {
		snprintf(num, sizeof(num), "%d", q->profile);
		pair(out, &first, "profile", num);
	}
	snprintf(num, sizeof(num), "%d", q->per);
	pair(out, &first, "per", num);
	if (page > 0) {
		snprintf(num, sizeof(num), "%lld", page);
		pair(out, &first, "page", num);
	}
}
