/* cbhttp.c - Carbon Black Cloud HTTP client on libcurl: the client, its
 * settings, and the request engine (retries, redirects followed by hand,
 * 429 answers); one transfer is cbhttp_xfer.c, every wait cbhttp_wait.c.
 *
 * libcurl rules kept here: curl_global_init() is called once by each
 * daemon's main() before threads start; an easy handle belongs to one
 * thread (one struct cbhttp per thread) and is reused so connections stay
 * alive. */
#include "cbhttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cbhttp_int.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

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

/* Whether the request certainly did not reach the server. */
static bool
not_sent(const struct cbhttp_attempt *at)
{
	return at->cc == CURLE_COULDNT_RESOLVE_HOST ||
	       at->cc == CURLE_COULDNT_RESOLVE_PROXY ||
	       at->cc == CURLE_COULDNT_CONNECT || at->sent == 0;
}

/* Whether a failed attempt may be sent again.  A POST that may have been
 * acted on is not, and says so in r->maybe_acted. */
static bool
retryable(
    bool post, struct cbhttp_resp *r, int rc, const struct cbhttp_attempt *at)
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

static int
exchange(struct cbhttp *c, const char *method, const char *path,
    const char *body, const struct cbhttp_body *o, struct cbhttp_resp *r)
{
	char *url = NULL;
	bool with_token = true, post = strcmp(method, "POST") == 0;
	int rc = -1, hops = 0, fails = 0, pauses = 0;
	int64_t t0, waited = 0, left;
	struct cbhttp_attempt at;

	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	if (path[0] != '/') {
		snprintf(r->err, sizeof(r->err), "bad path '%s'", path);
		return -1;
	}
	url = xasprintf("%s%s", c->base, path);
	for (;;) {
		/* r is empty here. */
		if ((left = cbhttp_wait_pause(c, &waited)) > 0) {
			cbhttp_wait_answer(r, left);
			rc = 0;
			break;
		}
		t0 = util_mono_ms();
		if (body != NULL && log_enabled(LOG_DEBUG))
			log_debug("sending HTTP %s %s with %.300s", method,
			    path, body);
		rc = cbhttp_xfer(
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
			cbhttp_wait_paused(c, method, path, r->retry_after);
			if (pauses < MAX_429_RETRIES && !cbhttp_stopped(c)) {
				pauses++;
				log_debug("HTTP %s %s: 429 (%d of %d)", method,
				    path, pauses, MAX_429_RETRIES);
				cbhttp_resp_release(r);
				continue;
			}
			cbhttp_wait_answer(r, cbhttp_wait_left(c));
			break;
		}
		if (!retryable(post, r, rc, &at) || fails >= c->retries ||
		    cbhttp_stopped(c))
			break;
		log_info("HTTP %s %s: %s, retrying (%d of %d)", method, path,
		    rc == -1 ? r->err : "server error", fails + 1, c->retries);
		cbhttp_wait_backoff(c, fails, r->retry_after);
		if (cbhttp_stopped(c))
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
	struct cbhttp_body o = {.max = JSON_MAX};
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
	struct cbhttp_body o = {.raw = true, .max = max};

	return exchange(c, "GET", path, NULL, &o, r);
}

int
cbhttp_download_file(struct cbhttp *c, const char *path, size_t max, FILE *out,
    struct cbhttp_resp *r)
{
	struct cbhttp_body o = {.raw = true, .max = max, .out = out};

	return exchange(c, "GET", path, NULL, &o, r);
}
