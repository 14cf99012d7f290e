/* cbhttp.c - Carbon Black Cloud HTTP client on libcurl.
 *
 * libcurl rules kept here: curl_global_init() is called once by each
 * daemon's main() before threads start; an easy handle belongs to one
 * thread (one struct cbhttp per thread) and is reused so connections stay
 * alive.  Every transfer has a connect timeout, a total timeout (scaled
 * to the size for downloads) and a low-speed abort: the defaults (300 s
 * connect, no total) would let one hung request stall a worker forever.
 *
 * Every wait (a 429 pause, a backoff) sleeps in slices of at most half a
 * second, so the stop flag cuts it short and the tick keeps running. */
#include "cbhttp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define JSON_MAX (16 * 1024 * 1024) /* largest API answer we parse */
#define ERR_BODY_MAX (64 * 1024)    /* error answer kept by download_file */
#define RETRY_AFTER_MAX_S 3600      /* longest pause we honour */
#define RETRY_AFTER_DEFAULT_S 30    /* a 429 without Retry-After */
#define MAX_429_RETRIES 3           /* 429s sent again in one call */
#define MAX_WAIT_DEFAULT_MS 60000
#define TICK_MS 500 /* tick and nap granularity */
/* A download may take 30 s plus its size at 50 KB/s (50 bytes a ms). */
#define DL_BASE_MS 30000
#define DL_BYTES_PER_MS 50

struct cbhttp {
	CURL *curl;
	char *base;          /* "https://host[:port]", no trailing slash */
	char *origin;        /* scheme://host[:port] of base, for redirects */
	char *auth_header;   /* "X-Auth-Token: SECRET/ID" */
	struct cb_cred cred; /* copy of the settings that matter */
	long timeout_ms;
	int64_t dl_base_ms; /* a download's time limit before its size */
	int retries;
	volatile sig_atomic_t *stop;
	struct cbhttp_gate gate; /* all NULL: no shared pause */
	long max_wait_ms;
	int64_t pause_until; /* our own 429 pause, util_mono_ms() */
	void (*tick)(void *arg);
	void *tick_arg;
	int64_t last_tick; /* util_mono_ms() of the last tick */
	char errbuf[CURL_ERROR_SIZE];
};

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

/* How the body of one call is handled: JSON, raw bytes, or a file. */
struct body_opts {
	bool raw; /* no JSON parsing; follow redirects */
	size_t max;
	FILE *out; /* download_file */
};

static char *
origin_of(const char *url)
{
	const char *p = strstr(url, "://");
	const char *end;

	if (p == NULL)
		return xstrdup(url);
	end = strchr(p + 3, '/');
	return end ? xstrndup(url, (size_t)(end - url)) : xstrdup(url);
}

struct cbhttp *
cbhttp_new(const struct cb_cred *cred, long timeout_ms)
{
	struct cbhttp *c = xcalloc(1, sizeof(*c));

	if ((c->curl = curl_easy_init()) == NULL)
		fatalx("curl_easy_init failed");
	c->base = xstrdup(cred->url);
	c->origin = origin_of(cred->url);
	c->auth_header = xasprintf("X-Auth-Token: %s", cred->token);
	c->cred.ssl_verify = cred->ssl_verify;
	c->cred.ssl_verify_hostname = cred->ssl_verify_hostname;
	c->cred.proxy = cred->proxy ? xstrdup(cred->proxy) : NULL;
	c->cred.ignore_system_proxy = cred->ignore_system_proxy;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	c->dl_base_ms = DL_BASE_MS;
	c->retries = 3;
	c->max_wait_ms = MAX_WAIT_DEFAULT_MS;
	log_add_secret(cred->token);
	return c;
}

void
cbhttp_free(struct cbhttp *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->base);
	free(c->origin);
	/* The header holds the token: wipe it before it goes back to malloc. */
	memset(c->auth_header, 0, strlen(c->auth_header));
	free(c->auth_header);
	free(c->cred.proxy);
	free(c);
}

void
cbhttp_set_retries(struct cbhttp *c, int retries)
{
	c->retries = retries < 0 ? 0 : retries;
}

void
cbhttp_set_stop(struct cbhttp *c, volatile sig_atomic_t *stop)
{
	c->stop = stop;
}

void
cbhttp_set_gate(struct cbhttp *c, const struct cbhttp_gate *g)
{
	if (g != NULL)
		c->gate = *g;
	else
		memset(&c->gate, 0, sizeof(c->gate));
}

void
cbhttp_set_download_base(struct cbhttp *c, long ms)
{
	c->dl_base_ms = ms > 0 ? ms : DL_BASE_MS;
}

void
cbhttp_set_max_wait(struct cbhttp *c, long ms)
{
	c->max_wait_ms = ms < 0 ? 0 : ms;
}

void
cbhttp_set_tick(struct cbhttp *c, void (*tick)(void *arg), void *arg)
{
	c->tick = tick;
	c->tick_arg = arg;
	c->last_tick = 0;
}

void
cbhttp_resp_release(struct cbhttp_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

bool
cbhttp_transient(long status)
{
	return status == 0 || status == 408 || status == 429 ||
	       (status >= 500 && status <= 599);
}

static bool
stopped(const struct cbhttp *c)
{
	return c->stop != NULL && *c->stop;
}

/* Calls the tick if one is set and the last was TICK_MS ago or more. */
static void
tick(struct cbhttp *c)
{
	int64_t now;

	if (c->tick == NULL)
		return;
	now = util_mono_ms();
	if (c->last_tick != 0 && now - c->last_tick < TICK_MS)
		return;
	c->last_tick = now;
	c->tick(c->tick_arg);
}

/* Sleeps ms in slices, ticking, until done or stopped. */
static void
nap(struct cbhttp *c, int64_t ms)
{
	int64_t end = util_mono_ms() + ms, left;

	while ((left = end - util_mono_ms()) > 0 && !stopped(c)) {
		util_sleep_ms(left < TICK_MS ? left : TICK_MS, c->stop);
		tick(c);
	}
}

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
	tick(s->c);
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

/* What one transfer left behind, beyond the response. */
struct attempt {
	CURLcode cc;
	long sent;       /* CURLINFO_REQUEST_SIZE: bytes of request sent */
	char *redirect;  /* Location of a 3xx, when asked for */
	bool write_fail; /* the file could not be written: no retry */
};

/* One transfer, no retries.  with_token says whether to authenticate.
 * Returns 0 with an answer in r, or -1. */
static int
perform(struct cbhttp *c, const char *method, const char *url, const char *body,
    bool with_token, const struct body_opts *o, struct cbhttp_resp *r,
    struct attempt *at, bool want_redirect)
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

static void
backoff(struct cbhttp *c, int attempt, long retry_after)
{
	char rnd[3];
	int64_t ms = 500LL << (attempt < 6 ? attempt : 6);

	util_random_alnum(rnd, 2);
	ms = ms / 2 + (ms / 2) * ((unsigned char)rnd[0] % 100) / 100;
	if (retry_after > 0 && retry_after * 1000 > ms)
		ms = retry_after * 1000 > 60000 ? 60000 : retry_after * 1000;
	nap(c, ms);
}

/* Whether the request certainly did not reach the server. */
static bool
not_sent(const struct attempt *at)
{
	return at->cc == CURLE_COULDNT_RESOLVE_HOST ||
	       at->cc == CURLE_COULDNT_RESOLVE_PROXY ||
	       at->cc == CURLE_COULDNT_CONNECT || at->sent == 0;
}

/* Whether a failed attempt may be sent again.  A POST that may have been
 * acted on is not, and says so in r->maybe_acted. */
static bool
retryable(bool post, struct cbhttp_resp *r, int rc, const struct attempt *at)
{
	if (rc == -1) {
		if (r->too_large || at->write_fail)
			return false;
		if (!post || not_sent(at))
			return true;
		r->maybe_acted = true;
		return false;
	}
	if (r->status < 500 || r->status > 599)
		return false;
	if (!post || r->status == 503)
		return true;
	r->maybe_acted = true;
	return false;
}

/* The pause in force: the longer of ours and the gate's, in ms. */
static int64_t
pause_left(struct cbhttp *c)
{
	int64_t left = c->pause_until - util_mono_ms(), g;

	if (left < 0)
		left = 0;
	if (c->gate.remaining_ms != NULL &&
	    (g = c->gate.remaining_ms(c->gate.arg)) > left)
		left = g;
	return left;
}

/* Waits out the pause in force while *waited (ms spent waiting in this
 * call) stays within max_wait.  Returns 0 to go on, or the ms left of a
 * pause that will not be waited out (too long, or stopping). */
static int64_t
wait_pause(struct cbhttp *c, int64_t *waited)
{
	int64_t left, t0;

	while ((left = pause_left(c)) > 0) {
		if (stopped(c) || left > c->max_wait_ms - *waited)
			return left;
		log_debug(
		    "waiting %.1f s for the Carbon Black Cloud rate limit",
		    (double)left / 1000);
		t0 = util_mono_ms();
		nap(c, left);
		*waited += util_mono_ms() - t0;
	}
	return 0;
}

/* Makes r the answer for a pause of left_ms that was not waited out. */
static void
pause_answer(struct cbhttp_resp *r, int64_t left_ms)
{
	r->status = 429;
	r->retry_after = (long)((left_ms + 999) / 1000);
	if (r->body == NULL)
		r->body = xstrdup("");
	snprintf(r->err, sizeof(r->err),
	    "Carbon Black Cloud asked us to pause (HTTP 429) for %ld more s",
	    r->retry_after);
}

/* A 429 arrived: start (or extend) our pause and share it. */
static void
paused(struct cbhttp *c, const char *method, const char *path, long s)
{
	int64_t until = util_mono_ms() + (int64_t)s * 1000;

	if (until > c->pause_until)
		c->pause_until = until;
	if (c->gate.paused != NULL)
		c->gate.paused(c->gate.arg, s);
	else
		log_info(
		    "HTTP %s %s: Carbon Black Cloud asked us to pause for %ld s (HTTP 429)",
		    method, path, s);
}

static int
exchange(struct cbhttp *c, const char *method, const char *path,
    const char *body, const struct body_opts *o, struct cbhttp_resp *r)
{
	char *url = NULL;
	bool with_token = true, post = strcmp(method, "POST") == 0;
	int rc = -1, hops = 0, fails = 0, pauses = 0;
	int64_t t0, waited = 0, left;
	struct attempt at;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	if (path[0] != '/') {
		snprintf(r->err, sizeof(r->err), "bad path '%s'", path);
		return -1;
	}
	url = xasprintf("%s%s", c->base, path);
	for (;;) {
		/* r is empty here. */
		if ((left = wait_pause(c, &waited)) > 0) {
			pause_answer(r, left);
			rc = 0;
			break;
		}
		t0 = util_mono_ms();
		if (body != NULL && log_enabled(LOG_DEBUG))
			log_debug("sending HTTP %s %s with %.300s", method,
			    path, body);
		rc = perform(
		    c, method, url, body, with_token, o, r, &at, o->raw);
		log_debug("HTTP %s %s took %.3fs (%s%ld)", method,
		    with_token ? path : "[redirect]",
		    (double)(util_mono_ms() - t0) / 1000,
		    rc == 0 ? "response " : "", rc == 0 ? r->status : 0L);
		if (rc == 0 && with_token && c->gate.answered != NULL)
			c->gate.answered(c->gate.arg, r->status);
		if (at.redirect != NULL && hops < 3) {
			/* Follow by hand; the token stays with our own host. */
			char *org = origin_of(at.redirect);

			with_token = strcmp(org, c->origin) == 0;
			free(org);
			free(url);
			url = at.redirect;
			hops++;
			cbhttp_resp_release(r);
			continue;
		}
		free(at.redirect);
		if (rc == 0 && r->status == 429) {
			/* The server did not act: sending again is safe for
			 * any method, once the pause is over. */
			paused(c, method, path, r->retry_after);
			if (pauses < MAX_429_RETRIES && !stopped(c)) {
				pauses++;
				log_debug("HTTP %s %s: 429 (%d of %d)", method,
				    path, pauses, MAX_429_RETRIES);
				cbhttp_resp_release(r);
				continue;
			}
			pause_answer(r, pause_left(c));
			break;
		}
		if (!retryable(post, r, rc, &at) || fails >= c->retries ||
		    stopped(c))
			break;
		log_info("HTTP %s %s: %s, retrying (%d of %d)", method, path,
		    rc == -1 ? r->err : "server error", fails + 1, c->retries);
		backoff(c, fails, r->retry_after);
		if (stopped(c))
			break; /* r still says what failed */
		cbhttp_resp_release(r);
		fails++;
	}
	free(url);
	if (rc == 0 && !o->raw && r->len > 0) {
		json_error_t je;

		r->json = json_loadb(r->body, r->len, JSON_DECODE_ANY, &je);
		if (r->json == NULL && r->status < 300)
			snprintf(r->err, sizeof(r->err),
			    "malformed JSON from %s: %s", path, je.text);
	}
	if (rc == 0 && r->status >= 400 && r->err[0] == '\0') {
		const char *msg = NULL;

		if (json_is_object(r->json))
			msg = json_string_value(
			    json_object_get(r->json, "message"));
		snprintf(r->err, sizeof(r->err), "HTTP %ld from %s%s%s",
		    r->status, path, msg ? ": " : "", msg ? msg : "");
	}
	if (r->maybe_acted)
		log_warnx(
		    "HTTP %s %s: %s; not sent again: the server may have acted on it",
		    method, path, r->err);
	return rc;
}

int
cbhttp_request(struct cbhttp *c, const char *method, const char *path,
    json_t *body, struct cbhttp_resp *r)
{
	struct body_opts o = {.max = JSON_MAX};
	char *text = NULL;
	int rc;

	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	rc = exchange(c, method, path, text, &o, r);
	free(text);
	return rc;
}

int
cbhttp_download(
    struct cbhttp *c, const char *path, size_t max, struct cbhttp_resp *r)
{
	struct body_opts o = {.raw = true, .max = max};

	return exchange(c, "GET", path, NULL, &o, r);
}

int
cbhttp_download_file(struct cbhttp *c, const char *path, size_t max, FILE *out,
    struct cbhttp_resp *r)
{
	struct body_opts o = {.raw = true, .max = max, .out = out};

	return exchange(c, "GET", path, NULL, &o, r);
}
