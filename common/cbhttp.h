/* cbhttp.h - the Carbon Black Cloud HTTP client (libcurl + jansson).
 *
 * Sends X-Auth-Token on every request to the configured host and to no
 * other: a redirect (v6 file content answers 302 to a storage host) is
 * followed by hand, without the token.  Retries network errors and 5xx
 * (502/503/504 and 500) with exponential backoff; never retries 4xx.
 * One struct cbhttp per thread: it owns a curl easy handle. */
#ifndef LR_CBHTTP_H
#define LR_CBHTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"

struct cbhttp;

struct cbhttp_resp {
	long status;      /* HTTP status; 0 when no answer at all */
	char *body;       /* response body, NUL-terminated; owned */
	size_t len;       /* bytes in body (not counting the NUL) */
	json_t *json;     /* body parsed as JSON, or NULL; owned */
	long retry_after; /* seconds from Retry-After, or -1 */
	bool too_large;   /* body exceeded the size limit */
	char err[256];    /* what went wrong, for logs and results */
};

/* A client for cred (copied).  timeout_ms bounds each request (0: 30 s). */
struct cbhttp *cbhttp_new(const struct cb_cred *cred, long timeout_ms);
void cbhttp_free(struct cbhttp *c);
/* Retries on 5xx/network errors (default 3; 0 disables). */
void cbhttp_set_retries(struct cbhttp *c, int retries);
/* Aborts retries and sleeps early once *stop is set. */
void cbhttp_set_stop(struct cbhttp *c, volatile sig_atomic_t *stop);

/* method "GET", "POST", "PUT", "DELETE"; path is appended to the base URL
 * ("/integrationServices/v3/notification"); body (borrowed, may be NULL)
 * is sent as JSON.  Returns 0 when an HTTP answer arrived (any status: look
 * at r->status), -1 when none did (r->err says why).  Release r after. */
int cbhttp_request(struct cbhttp *c, const char *method, const char *path,
    json_t *body, struct cbhttp_resp *r);
/* GETs raw bytes (not parsed as JSON), at most max bytes (r->too_large and
 * -1 beyond).  Follows up to 3 redirects; the token goes only to the
 * configured host. */
int cbhttp_download(
    struct cbhttp *c, const char *path, size_t max, struct cbhttp_resp *r);
void cbhttp_resp_release(struct cbhttp_resp *r);

/* True for statuses worth retrying later (408, 429, 5xx, or no answer). */
bool cbhttp_transient(long status);

#endif
