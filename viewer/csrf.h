/* csrf.h - the token that proves a state-changing request (collect now)
 * came from one of our own pages or from a client given the token.
 *
 * The token is HMAC-SHA256(secret, "collect\n" + user), hex: secret is
 * random per process, so a token dies with the process and cannot be
 * forged by a page on another site, and it is bound to the basic-auth
 * user ("-" without auth).  Our pages put it in a hidden form field; API
 * clients send it as the X-LRFlow-Token header (they read it from the
 * device page or /api/token). */
#ifndef LR_VIEWER_CSRF_H
#define LR_VIEWER_CSRF_H

#include <stdbool.h>
#include <stddef.h>

#define CSRF_SECRET_LEN 32
#define CSRF_TOKEN_LEN 64 /* hex characters, without the NUL */

/* HMAC-SHA256 of msg[0..len) with key[0..keylen), into out. */
void csrf_hmac_sha256(const unsigned char *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[32]);
/* The token of user under secret, as hex (65 bytes with the NUL). */
void csrf_token(const unsigned char secret[CSRF_SECRET_LEN], const char *user,
    char out[CSRF_TOKEN_LEN + 1]);
/* True when token (may be NULL) is user's token, compared in constant
 * time. */
bool csrf_token_ok(const unsigned char secret[CSRF_SECRET_LEN],
    const char *user, const char *token);

/* True when the request's Origin (or, without one, its Referer) names
 * host, the Host header the request came with, over http or https.
 * origin and referer may be NULL; when both are, the answer is
 * allow_none.  "null" origins never match. */
bool csrf_origin_ok(
    const char *origin, const char *referer, const char *host, bool allow_none);

#endif
