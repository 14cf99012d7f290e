/* viewer.h - lr-viewer: the HTTP server that shows Live Response results.
 *
 * One evhttp server and one asynchronous Redis connection (store.c) on the
 * caller's event_base; routes are a table in viewer.c, HTML comes from
 * page.c and JSON from api.c. */
#ifndef LR_VIEWER_VIEWER_H
#define LR_VIEWER_VIEWER_H

#include <stdbool.h>

struct config;
struct event_base;
struct viewer;

/* A new viewer for cfg (borrowed; must outlive the viewer) on base.  Starts
 * connecting to Redis at once (and keeps retrying).  NULL on a bad Redis
 * URL (logged). */
struct viewer *viewer_new(const struct config *cfg, struct event_base *base);
/* Binds cfg->listen, logs "listening on http://ADDR:PORT/" and prints the
 * same line to stdout (with the real port when 0 was asked).  0 or -1
 * (logged). */
int viewer_listen(struct viewer *v);
/* The port viewer_listen() bound (0 before). */
int viewer_port(const struct viewer *v);
/* Closes the server and the Redis connection; NULL-safe. */
void viewer_free(struct viewer *v);

/* Returns a new string: the base64 encoding of s (caller frees). */
char *viewer_base64(const char *s);
/* True when the Authorization header value grants access for the expected
 * base64 of "user:password" (compared in constant time). */
bool viewer_auth_ok(const char *expected_b64, const char *header);

#endif
