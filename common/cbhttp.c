/* cbhttp.c - Carbon Black Cloud HTTP client on libcurl.
 *
 * libcurl rules kept here: curl_global_init() is called once by each
 * daemon's main() before threads start; an easy handle belongs to one
 * thread (one struct cbhttp per thread) and is reused so connections stay
 * alive.  Every transfer has a connect timeout, a total timeout and a
 * low-speed abort: the defaults (300 s connect, no total) would let one
 * hung request stall a worker forever. */
#include "cbhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define JSON_MAX (16 * 1024 * 1024) /* largest API answer we parse */

struct cbhttp {
	CURL *curl;
	char *base;          /* "https://host[:port]", no trailing slash */
	char *origin;        /* scheme://host[:port] of base, for redirects */
	char *auth_header;   /* "X-Auth-Token: SECRET/ID" */
	struct cb_cred cred; /* copy of the settings that matter */
	long timeout_ms;
	int retries;
	volatile sig_atomic_t *stop;
	char errbuf[CURL_ERROR_SIZE];
};

struct sink {
	char *buf;
	size_t len, cap, max;
	bool too_large;
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
	c->retries = 3;
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

static size_t
on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->len + n > s->max) {
		s->too_large = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
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
	return n;
}

/* One transfer, no retries.  with_token says whether to authenticate. */
static int
perform(struct cbhttp *c, const char *method, const char *url, const char *body,
    bool with_token, size_t max, struct cbhttp_resp *r, char **redirect)
{
	struct curl_slist *h = NULL;
	struct sink s = {.max = max};
	CURLcode rc;
	curl_off_t ra = -1;
	char *loc = NULL;

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
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
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
	rc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);

	r->body = s.buf ? s.buf : xstrdup("");
	r->len = s.len;
	r->too_large = s.too_large;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
	    ra > 0)
		r->retry_after = (long)ra;
	if (redirect != NULL && r->status >= 300 && r->status < 400 &&
	    curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &loc) ==
		CURLE_OK &&
	    loc != NULL)
		*redirect = xstrdup(loc);
	if (rc != CURLE_OK) {
		if (s.too_large)
			snprintf(r->err, sizeof(r->err),
			    "response larger than %zu bytes", max);
		else
			snprintf(r->err, sizeof(r->err), "%s",
			    c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		r->status = 0;
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
	util_sleep_ms(ms, c->stop);
}

static bool
retryable(const struct cbhttp_resp *r, int rc)
{
	if (rc == -1)
		return !r->too_large;
	return r->status >= 500 && r->status <= 599;
}

static int
exchange(struct cbhttp *c, const char *method, const char *path,
    const char *body, bool raw, size_t max, struct cbhttp_resp *r)
{
	char *url = NULL, *redirect = NULL;
	bool with_token = true;
	int rc = -1, hops = 0;
	int64_t t0;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	if (path[0] != '/') {
		snprintf(r->err, sizeof(r->err), "bad path '%s'", path);
		return -1;
	}
	url = xasprintf("%s%s", c->base, path);
	for (int attempt = 0;; attempt++) {
		t0 = util_mono_ms();
		if (body != NULL && log_enabled(LOG_DEBUG))
			log_debug("sending HTTP %s %s with %.300s", method,
			    path, body);
		rc = perform(c, method, url, body, with_token, max, r,
		    raw ? &redirect : NULL);
		log_debug("HTTP %s %s took %.3fs (%s%ld)", method,
		    with_token ? path : "[redirect]",
		    (double)(util_mono_ms() - t0) / 1000,
		    rc == 0 ? "response " : "", rc == 0 ? r->status : 0L);
		if (redirect != NULL && hops < 3) {
			/* Follow by hand; the token stays with our own host. */
			char *o = origin_of(redirect);

			with_token = strcmp(o, c->origin) == 0;
			free(o);
			free(url);
			url = redirect;
			redirect = NULL;
			hops++;
			cbhttp_resp_release(r);
			attempt--;
			continue;
		}
		free(redirect);
		redirect = NULL;
		if (!retryable(r, rc) || attempt >= c->retries ||
		    (c->stop != NULL && *c->stop))
			break;
		log_info("HTTP %s %s: %s, retrying (%d of %d)", method, path,
		    rc == -1 ? r->err : "server error", attempt + 1,
		    c->retries);
		{
			long ra = r->retry_after;

			cbhttp_resp_release(r);
			backoff(c, attempt, ra);
		}
	}
	free(url);
	if (rc == 0 && !raw && r->len > 0) {
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
	return rc;
}

int
cbhttp_request(struct cbhttp *c, const char *method, const char *path,
    json_t *body, struct cbhttp_resp *r)
{
	char *text = NULL;
	int rc;

	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	rc = exchange(c, method, path, text, false, JSON_MAX, r);
	free(text);
	return rc;
}

int
cbhttp_download(
    struct cbhttp *c, const char *path, size_t max, struct cbhttp_resp *r)
{
	return exchange(c, "GET", path, NULL, true, max, r);
}
