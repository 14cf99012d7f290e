/* store.h - the viewer's asynchronous view of Redis.
 *
 * One hiredis async connection on the viewer's event_base, reconnected
 * with backoff whenever it drops (the viewer may start before Redis).
 * Commands are sent in batches; when every reply of a batch is in, one
 * callback gets them all, converted to JSON (so they outlive hiredis's
 * "valid only during the callback" rule).  Raw commands hand a binary
 * string reply over as bytes (an artifact's content).  No viewer file
 * but store*.c sees hiredis.  The viewer writes only two streams (audit.c,
 * manual.c); everything else it reads. */
#ifndef LR_VIEWER_STORE_H
#define LR_VIEWER_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "rconn.h"

struct event_base;
struct store;
struct store_batch;

/* Called exactly once per batch.  replies is a JSON array with one element
 * per command, in order (borrowed: valid only during the call; incref to
 * keep it), or NULL when Redis was unavailable or the connection failed.
 * Reply mapping: bulk and status strings -> string (invalid UTF-8 and NUL
 * bytes replaced by U+FFFD), integer -> integer, nil -> null, array ->
 * array, error reply -> null (logged). */
typedef void store_done_fn(json_t *replies, void *arg);

/* A new store for addr (copied); starts connecting at once on base. */
struct store *store_new(struct event_base *base, const struct rconn_addr *addr);
/* Closes the connection.  Batches still waiting get their callback with
 * NULL before this returns.  NULL-safe. */
void store_free(struct store *s);
/* True when connected (commands will be sent now). */
bool store_ready(const struct store *s);

/* A new, empty batch; done(replies, arg) is called once store_batch_run()
 * has been called. */
struct store_batch *store_batch_new(
    struct store *s, store_done_fn *done, void *arg);
/* Adds one command: NULL-terminated list of arguments (copied). */
void store_batch_add(struct store_batch *b, const char *arg0, ...)
    __attribute__((sentinel));
/* Makes room for ncmds commands of bytes bytes in all (a hint: a batch
 * grows as needed). */
void store_batch_reserve(struct store_batch *b, size_t ncmds, size_t bytes);
/* Adds one command already in Redis's protocol (len bytes of proto,
 * copied: "*N\r\n$len\r\narg\r\n..."), for a caller that sends many of
 * one shape. */
void store_batch_add_text(struct store_batch *b, const char *proto, size_t len);
/* Sends the batch; the batch is owned by the store from now on.  When Redis
 * is not connected, done(NULL, arg) runs before this returns. */
void store_batch_run(struct store_batch *b);

/* Called exactly once for a raw command: data[0..len) is the string reply,
 * valid only during the call (nil: data NULL, len 0).  ok is false when
 * Redis was unavailable, the connection failed or the reply was an error
 * or not a string. */
typedef void store_raw_fn(const char *data, size_t len, bool ok, void *arg);
/* Sends one command (NULL-terminated arguments, copied) whose reply goes
 * to fn as bytes.  When Redis is not connected, fn runs before this
 * returns. */
void store_raw(struct store *s, store_raw_fn *fn, void *arg, const char *arg0,
    ...) __attribute__((sentinel));

/* Returns a new JSON string of s[0..len) with invalid UTF-8 and NUL bytes
 * replaced by U+FFFD. */
json_t *store_string(const char *s, size_t len);
/* Returns a new object from a flat [k1, v1, k2, v2, ...] array (HGETALL),
 * skipping non-string keys; an empty object for anything else. */
json_t *store_pairs(const json_t *arr);

#endif
