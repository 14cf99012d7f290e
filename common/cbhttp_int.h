/* cbhttp_int.h - what the parts of the Carbon Black HTTP client share.
 *
 * cbhttp.c is the client: its settings, and the request engine
 * (exchange(): retries, redirects by hand, the 429 answers).
 * cbhttp_xfer.c is one transfer on libcurl, with its body's bounds (JSON
 * in memory, raw bytes, or a file) and a download's time limit.
 * cbhttp_wait.c is every wait: the tick, backoff sleeps and the 429 pause
 * (the client's own and the gate's). */
#ifndef LR_CBHTTP_INT_H
#define LR_CBHTTP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "cbhttp.h"

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

/* How the body of one call is handled: JSON, raw bytes, or a file. */
struct cbhttp_body {
	bool raw; /* no JSON parsing; follow redirects */
	size_t max;
	FILE *out; /* download_file */
};

/* What one transfer left behind, beyond the response. */
struct cbhttp_attempt {
	CURLcode cc;
	long sent;       /* CURLINFO_REQUEST_SIZE: bytes of request sent */
	char *redirect;  /* Location of a 3xx, when asked for */
	bool write_fail; /* the file could not be written: no retry */
};

static inline bool
cbhttp_stopped(const struct cbhttp *c)
{
	return c->stop != NULL && *c->stop;
}

/* One transfer of method to url (cbhttp_xfer.c), no retries: body (may be
 * NULL) sent as JSON, with the token when with_token, the answer into r
 * as o says.  at says what it left behind (the Location of a 3xx when
 * want_redirect).  Returns 0 with an answer in r, or -1 (r->err). */
int cbhttp_xfer(struct cbhttp *c, const char *method, const char *url,
    const char *body, bool with_token, const struct cbhttp_body *o,
    struct cbhttp_resp *r, struct cbhttp_attempt *at, bool want_redirect);

/* Waits (cbhttp_wait.c). */
/* Calls the tick if one is set and the last was TICK_MS ago or more. */
void cbhttp_wait_tick(struct cbhttp *c);
/* Sleeps before retry number attempt (0-based): exponential with jitter,
 * never shorter than retry_after seconds (up to a minute). */
void cbhttp_wait_backoff(struct cbhttp *c, int attempt, long retry_after);
/* The pause in force: the longer of ours and the gate's, in ms. */
int64_t cbhttp_wait_left(struct cbhttp *c);
/* Waits out the pause in force while *waited (ms spent waiting in this
 * call) stays within max_wait.  Returns 0 to go on, or the ms left of a
 * pause that will not be waited out (too long, or stopping). */
int64_t cbhttp_wait_pause(struct cbhttp *c, int64_t *waited);
/* Makes r the answer for a pause of left_ms that was not waited out. */
void cbhttp_wait_answer(struct cbhttp_resp *r, int64_t left_ms);
/* A 429 arrived for method path asking for s seconds: start (or extend)
 * our pause and share it through the gate. */
void cbhttp_wait_paused(
    struct cbhttp *c, const char *method, const char *path, long s);

#endif
