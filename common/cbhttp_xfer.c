/* cbhttp_xfer.c - one transfer of the Carbon Black HTTP client on libcurl
 * (see cbhttp_int.h): the request's options, and where its body goes.
 *
 * Every transfer has a connect timeout, a total timeout (scaled to the
 * size for downloads) and a low-speed abort: the defaults (300 s
 * connect, no total) would let one hung request stall a worker forever.
 * A body is bounded in memory (JSON, raw bytes) or written to the
 * caller's file (a download), keeping only the start of an error answer;
 * redirects are never followed here, only reported. */
#include "cbhttp_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "xmalloc.h"

/* Where one transfer's body goes, and how it is bounded. */
struct sink {
	struct cbhttp *c;
	char *buf; /* the body in memory */
	size_t len, cap;
	size_t max;       /* bytes allowed (in memory, or in out) */
	FILE *out;        /* download_file: 2xx bodies go here */
	size_t written;   /* bytes written to out */
	bool download;    /* a download: time limit scaled to the size */
	int64_t t0;       /* util_mono_ms() when the transfer started */
	int64_t limit_ms; /* the time limit that was exceeded */
	int64_t expected; /* the size that limit was for */
	bool too_large, too_slow;
	int write_errno; /* writing to out failed */
};

/* The time a download of expected bytes may take. */
static int64_t
download_limit_ms(const struct cbhttp *c, int64_t expected)
{
	return c->dl_base_ms + (expected > 0 ? expected / DL_BYTES_PER_MS : 0);
}

static int64_t
size_to_i64(size_t n)
{
	return n > (size_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

static long
status_now(struct sink *s)
{
	long st = 0;

	curl_easy_getinfo(s->c->curl, CURLINFO_RESPONSE_CODE, &st);
	return st;
}

/* Appends n bytes to the in-memory body. */
static void
keep(struct sink *s, const char *ptr, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < s->len + n + 1)
			cap *= 2;
		s->buf = xrealloc(s->buf, cap);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	long st;

	if (s->out != NULL) {
		st = status_now(s);
		if (st < 200 || st > 299) {
			/* An error answer: keep its start for the message. */
			if (s->len < ERR_BODY_MAX)
				keep(s, ptr,
				    n < ERR_BODY_MAX - s->len
					? n
					: ERR_BODY_MAX - s->len);
			return n;
		}
		if (s->written + n > s->max) {
			s->too_large = true;
			return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
		}
		if (fwrite(ptr, 1, n, s->out) != n) {
			s->write_errno = errno ? errno : EIO;
			return 0;
		}
		s->written += n;
		return n;
	}
	if (s->len + n > s->max) {
		s->too_large = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	keep(s, ptr, n);
	return n;
}

/* Called by libcurl often while a transfer runs, and about once a second
 * when nothing moves.  Non-zero aborts the transfer. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct sink *s = arg;
	curl_off_t cl = -1;
	int64_t expected, limit;
	long st;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	cbhttp_wait_tick(s->c);
	if (!s->download)
		return 0;
	curl_easy_getinfo(s->c->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	st = status_now(s);
	if (cl > 0 && st >= 200 && st <= 299 && (uint64_t)cl > s->max) {
		s->too_large = true; /* no need to wait for the bytes */
		return 1;
	}
	expected = cl >= 0 ? (int64_t)cl : size_to_i64(s->max);
	limit = download_limit_ms(s->c, expected);
	if (util_mono_ms() - s->t0 > limit) {
		s->too_slow = true;
		s->limit_ms = limit;
		s->expected = expected;
		return 1;
	}
	return 0;
}

/* Empties out for a new attempt.  0 or -1 (errno set). */
static int
reset_file(FILE *out)
{
	if (fflush(out) != 0)
		return -1;
	if (ftruncate(fileno(out), 0) == -1)
		return -1;
	rewind(out);
	return 0;
}

/* The pause a 429 asks for: Retry-After in seconds (libcurl also reads an
 * HTTP date; a date in the past comes back negative before curl 8.12),
 * clamped to 1..RETRY_AFTER_MAX_S; RETRY_AFTER_DEFAULT_S when missing or
 * unreadable. */
static long
retry_after_429(CURL *curl, curl_off_t ra)
{
	struct curl_header *h = NULL;
	const char *v;

	if (ra > 0)
		return ra > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)ra;
	if (ra < 0)
		return 1; /* a date already past */
	if (curl_easy_header(curl, "Retry-After", 0, CURLH_HEADER, -1, &h) !=
		CURLHE_OK ||
	    h == NULL || h->value == NULL)
		return RETRY_AFTER_DEFAULT_S;
	v = h->value + strspn(h->value, " \t");
	return *v >= '0' && *v <= '9' ? 1 : RETRY_AFTER_DEFAULT_S;
}

int
cbhttp_xfer(struct cbhttp *c, const char *method, const char *url,
    const char *body, bool with_token, const struct cbhttp_body *o,
    struct cbhttp_resp *r, struct cbhttp_attempt *at, bool want_redirect)
{
	struct curl_slist *h = NULL;
	struct sink s = {.c = c, .max = o->max, .out = o->out};
	CURLcode rc;
	curl_off_t ra = -1;
	char *loc = NULL;
	bool post = strcmp(method, "POST") == 0;

	memset(at, 0, sizeof(*at));
	if (o->out != NULL && reset_file(o->out) == -1) {
		snprintf(r->err, sizeof(r->err),
		    "could not empty the download file: %s", strerror(errno));
		r->body = xstrdup("");
		at->write_fail = true;
		at->cc = CURLE_WRITE_ERROR;
		return -1;
	}
	s.download = o->raw;
	curl_easy_reset(c->curl);
	if (with_token)
		h = curl_slist_append(h, c->auth_header);
	h = curl_slist_append(h, "Accept: application/json");
	if (body != NULL)
		h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "lrflow/" LRFLOW_VERSION);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    c->timeout_ms < 10000 ? c->timeout_ms : 10000L);
	if (o->raw) {
		/* A backstop: on_progress applies the limit for the
		 * Content-Length once it is known. */
		int64_t lim = download_limit_ms(c, size_to_i64(o->max));

		curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS,
		    lim > (int64_t)LONG_MAX ? LONG_MAX : (long)lim);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	}
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
	/* libcurl sends a request again by itself when a reused connection
	 * dies before any answer, which for a POST the server may have acted
	 * on would be a blind retry: a POST always gets a new connection. */
	if (post)
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 1L);
	if (!c->cred.ssl_verify) {
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (!c->cred.ssl_verify_hostname) {
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->cred.proxy != NULL)
		curl_easy_setopt(c->curl, CURLOPT_PROXY, c->cred.proxy);
	else if (c->cred.ignore_system_proxy)
		curl_easy_setopt(c->curl, CURLOPT_NOPROXY, "*");
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(
		    c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	c->errbuf[0] = '\0';
	s.t0 = util_mono_ms();
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);

	at->cc = rc;
	curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &at->sent);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (o->out != NULL && r->status >= 200 && r->status <= 299) {
		free(s.buf);
		r->body = NULL;
		r->len = s.written;
	} else {
		r->body = s.buf ? s.buf : xstrdup("");
		r->len = s.len;
	}
	r->too_large = s.too_large;
	if (curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK)
		ra = 0;
	if (rc == CURLE_OK && r->status == 429)
		r->retry_after = retry_after_429(c->curl, ra);
	else if (ra > 0)
		r->retry_after =
		    ra > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)ra;
	if (want_redirect && r->status >= 300 && r->status < 400 &&
	    curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &loc) ==
		CURLE_OK &&
	    loc != NULL)
		at->redirect = xstrdup(loc);
	if (rc == CURLE_OK && o->out != NULL && fflush(o->out) != 0) {
		s.write_errno = errno ? errno : EIO;
		rc = CURLE_WRITE_ERROR;
	}
	if (rc != CURLE_OK) {
		if (s.too_large)
			snprintf(r->err, sizeof(r->err),
			    "response larger than %zu bytes", o->max);
		else if (s.write_errno != 0)
			snprintf(r->err, sizeof(r->err),
			    "could not write the download to its file: %s",
			    strerror(s.write_errno));
		else if (s.too_slow)
			snprintf(r->err, sizeof(r->err),
			    "download timed out after %lld s (the limit for %lld bytes: %d s plus %d KB/s)",
			    (long long)(s.limit_ms / 1000),
			    (long long)s.expected, DL_BASE_MS / 1000,
			    DL_BYTES_PER_MS);
		else
			snprintf(r->err, sizeof(r->err), "%s",
			    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		at->write_fail = s.write_errno != 0;
		r->status = 0;
		if (r->body == NULL)
			r->body = xstrdup("");
		return -1;
	}
	return 0;
}
