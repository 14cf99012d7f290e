/* http.h - the connection layer under the viewer's evhttp server.
 *
 * evhttp parses and answers; this layer decides who gets a connection and
 * for how long: a cap on open connections (the listener pauses at the cap),
 * a back-off when accept() fails (out of descriptors), a deadline on
 * reading each request, and the security headers on every response,
 * including the error pages libevent writes itself. */
#ifndef LR_VIEWER_HTTP_H
#define LR_VIEWER_HTTP_H

#include <stddef.h>

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evkeyvalq;
struct http_server;

/* evhttp_set_allowed_methods() value that lets every method reach the
 * request callback, even one libevent does not know (it would answer those
 * 501 itself, without Allow): the callback answers 405 with Allow. */
#define HTTP_ALL_METHODS 0xffff

/* Descriptors kept out of the connection cap: stdio, the listener, the
 * event loop's own, Redis and Sentinel connections, logs. */
#define HTTP_FD_RESERVE 32

/* Guards the connections evhttp accepts on bound (from
 * evhttp_bind_socket_with_handle on http): at most max_conns at once (less
 * when RLIMIT_NOFILE leaves less room; logged), accept errors back off,
 * a request must be read whole within deadline_s of the connection's
 * accept or of the previous response's end, and every response carries
 * the security headers.  Call before the loop runs.  NULL (logged) when
 * the listener cannot be had. */
struct http_server *http_server_new(struct event_base *base,
    struct evhttp *http, struct evhttp_bound_socket *bound, int max_conns,
    int deadline_s);
/* Connections open now. */
int http_server_open(const struct http_server *srv);
/* The cap in force (max_conns, or lower; see above). */
int http_server_cap(const struct http_server *srv);
/* Lets go of the connections (evhttp still owns and closes them) and
 * frees the server; call before evhttp_free().  NULL-safe. */
void http_server_free(struct http_server *srv);

/* Adds the security headers (CSP, nosniff, frame and referrer policy,
 * no-store) to h: the same list every response gets. */
void http_security_headers(struct evkeyvalq *h);

/* Returns a new string: the header lines ("Name: value\r\n") of the
 * security headers that the response header block blk (len bytes, from
 * the status line to the blank line) lacks; "" when it has them all. */
char *http_missing_headers(const char *blk, size_t len);

#endif
