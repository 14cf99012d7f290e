/* cbhttp.h - the Carbon Black Cloud HTTP client (libcurl + jansson).
 *
 * Sends X-Auth-Token on every request to the configured host and to no
 * other: a redirect (v6 file content answers 302 to a storage host) is
 * followed by hand, without the token.  One struct cbhttp per thread: it
 * owns a curl easy handle.
 *
 * Retries.  GET, PUT and DELETE are retried on network errors and 5xx
 * with exponential backoff.  A POST creates things (a Live Response
 * session, a command), so it is retried only when the request certainly
 * did not reach the server: curl could not resolve or connect, or sent
 * nothing at all, or the answer was 503 or 429.  Any other failure of a
 * POST (a timeout after sending, a reset connection, an empty reply,
 * 500/502/504) is returned at once with maybe_acted set: the server may
 * have acted on it, and the caller must find out what was created before
 * trying again.  (A POST always opens a new connection: on a reused one
 * libcurl itself would send it again when the connection dies before an
 * answer.)  4xx other than 429 is never retried.
 *
 * 429 (cb-api.md §3.6): after a 429 every request must wait until the
 * time in Retry-After, or the block grows.  Before every transfer
 * (retries and redirect hops included) the client waits out the longer
 * of its own pause and the shared one a gate reports (the caller keeps
 * the shared one, e.g. in Redis: ratelimit.h).  A 429 answer sets the
 * pause (Retry-After clamped to 1..3600 s; 30 s when absent), tells the
 * gate, and the request is sent again after the pause, at most 3 times
 * per call.  A call never waits more than max_wait in all for pauses:
 * when the pause left is longer, or the stop flag is set, the request is
 * not sent and the call returns as a 429 answer (see cbhttp_resp). */
#ifndef LR_CBHTTP_H
#define LR_CBHTTP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "config.h"

struct cbhttp;

struct cbhttp_resp {
	long status;      /* HTTP status; 0 when no answer at all */
	char *body;       /* response body, NUL-terminated; owned (NULL
			     after a 2xx cbhttp_download_file) */
	size_t len;       /* bytes in body (not counting the NUL), or
			     written to the file by cbhttp_download_file */
	json_t *json;     /* body parsed as JSON, or NULL; owned */
	long retry_after; /* seconds from Retry-After, or -1.  For a 429:
			     the seconds left of the pause, rounded up */
	bool too_large;   /* body exceeded the size limit */
	/* Only for a POST: true when the request may have reached the
	 * server and been acted on (the session or command may exist)
	 * although no usable answer came back (status 0, or a 5xx but 503).
	 * It was not retried; find out what was created before sending
	 * it again.  False for every other method and outcome. */
	bool maybe_acted;
	char err[256]; /* what went wrong, for logs and results; for a 429:
			  "Carbon Black Cloud asked us to pause (HTTP 429)
			  for N more s" */
};

/* The shared 429 pause, plugged in by the caller (cbhttp knows no
 * Redis).  Both callbacks run on the thread making the request. */
struct cbhttp_gate {
	/* ms to wait before sending; 0 = go; -1 = unknown (then only this
	 * client's own pause applies).  Asked before every transfer. */
	int64_t (*remaining_ms)(void *arg);
	/* The cloud answered 429 and asked for retry_after_s (1..3600). */
	void (*paused)(void *arg, long retry_after_s);
	void *arg;
	/* The configured host answered with status (every answer, retries
	 * included; not a redirect's storage host).  May be NULL. */
	void (*answered)(void *arg, long status);
};

/* A client for cred (copied).  timeout_ms bounds each request (0: 30 s);
 * downloads have their own limit, scaled to the size (see below). */
struct cbhttp *cbhttp_new(const struct cb_cred *cred, long timeout_ms);
void cbhttp_free(struct cbhttp *c);
/* Retries on 5xx/network errors (default 3; 0 disables).  The retries of
 * a 429 (at most 3) are counted apart. */
void cbhttp_set_retries(struct cbhttp *c, int retries);
/* Aborts retries and pauses early once *stop is set.  A request is still
 * sent when stop is set and nothing asks us to wait (so sessions can be
 * closed at shutdown). */
void cbhttp_set_stop(struct cbhttp *c, volatile sig_atomic_t *stop);
/* The shared pause (copied; NULL: none, only this client's own pause). */
void cbhttp_set_gate(struct cbhttp *c, const struct cbhttp_gate *g);
/* The part of a download's time limit that does not depend on its size
 * (default 30000 ms; tests shorten it). */
void cbhttp_set_download_base(struct cbhttp *c, long ms);
/* The longest a call waits for pauses before giving up with a 429
 * answer; default 60000 ms; 0 never waits. */
void cbhttp_set_max_wait(struct cbhttp *c, long ms);
/* tick(arg) is called at least once a second while a transfer runs and
 * during every pause and backoff sleep (e.g. to renew a lease during a
 * long download).  It must not use this client.  NULL: none. */
void cbhttp_set_tick(struct cbhttp *c, void (*tick)(void *arg), void *arg);

/* method "GET", "POST", "PUT", "DELETE"; path is appended to the base URL
 * ("/integrationServices/v3/notification"); body (borrowed, may be NULL)
 * is sent as JSON.  Returns 0 when an HTTP answer arrived (any status: look
 * at r->status; 429 also when a pause stopped the request from being
 * sent), -1 when none did (r->err says why; r->maybe_acted for a POST).
 * Release r after. */
int cbhttp_request(struct cbhttp *c, const char *method, const char *path,
    json_t *body, struct cbhttp_resp *r);
/* GETs raw bytes (not parsed as JSON) into r->body, at most max bytes
 * (r->too_large and -1 beyond).  Follows up to 3 redirects; the token
 * goes only to the configured host.  Each transfer is aborted (and
 * retried, as any timeout) once it has run longer than 30 s plus the
 * expected size at 50 KB/s (the Content-Length once known, else max);
 * a transfer stalled for 60 s is aborted too. */
int cbhttp_download(
    struct cbhttp *c, const char *path, size_t max, struct cbhttp_resp *r);
/* As cbhttp_download, but a 2xx body is written to out (which the caller
 * opened for writing and reading, seekable, e.g. with tmpfile()): out is
 * truncated before every attempt, so a retried download never appends
 * twice, and flushed at the end (its position is left at the end of the
 * data).  r->len is the bytes written and r->body is NULL.  For any other
 * status, r->body holds the first 64 KB of the answer, for the message,
 * and nothing is written to out.  On -1 out holds an unknown part. */
int cbhttp_download_file(struct cbhttp *c, const char *path, size_t max,
    FILE *out, struct cbhttp_resp *r);
void cbhttp_resp_release(struct cbhttp_resp *r);

/* True for statuses worth retrying later (408, 429, 5xx, or no answer). */
bool cbhttp_transient(long status);

#endif
