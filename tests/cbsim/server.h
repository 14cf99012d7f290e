/* server.h - the simulator's HTTP front end on libevent's evhttp.
 *
 * Requests are dispatched through route tables (method, path pattern,
 * flags, handler) so that more API versions are one more table.  The
 * front end checks X-Auth-Token, counts requests in sim->stats, adds the
 * scenario's latency with a timer, and sends what the handler set with
 * one of the server_reply_*() calls. */
#ifndef CBSIM_SERVER_H
#define CBSIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "sim.h"
#include "vfs.h"

#define SERVER_MAX_ARGS 4 /* "*" segments a pattern may capture */

enum route_flags {
	ROUTE_API = (1 << 0),   /* X-Auth-Token must be the API key */
	ROUTE_SIEM = (1 << 1),  /* X-Auth-Token must be the SIEM key */
	ROUTE_ADMIN = (1 << 2), /* no auth, no latency, not in stats */
	ROUTE_ORG = (1 << 3),   /* args[0] must be the org key, else 403 */
	/* The handler calls server_fault() itself, at the point where its
	 * route's fault belongs; other API routes get the "any" fault before
	 * their handler runs. */
	ROUTE_FAULT = (1 << 4),
};

/* One request, as a handler sees it. */
struct server_req {
	struct evhttp_request *req;        /* borrowed from evhttp */
	const char *args[SERVER_MAX_ARGS]; /* decoded "*" segments */
	size_t nargs;
	int code;              /* HTTP status; 0 until a reply is set */
	json_t *json;          /* JSON answer; owned */
	struct vfs_blob *blob; /* raw answer; one reference */
	const char *ctype;     /* blob's Content-Type; NULL: octet-stream */
	char *location;        /* Location header; owned */
	int retry_after;       /* Retry-After header when > 0 */
	bool lost;             /* answer `fault` once the handler acted */
	struct sim_fault fault;
};

/* A route.  A table ends with an entry whose pattern is NULL. */
struct route {
	enum evhttp_cmd_type method;
	const char *pattern; /* "/"-separated; a "*" segment matches any one */
	int flags;           /* enum route_flags */
	void (*handler)(struct sim *s, struct server_req *r);
};

/* Returns a new server on base answering for s (both borrowed). */
struct server *server_new(struct event_base *base, struct sim *s);
/* Adds a route table (borrowed: static storage). */
void server_add_routes(struct server *srv, const struct route *table);
/* Binds addr:port (port 0 picks one) and writes "ADDR:PORT" of the bound
 * socket to bound.  Returns 0 or -1 (logged). */
int server_listen(struct server *srv, const char *addr, unsigned port,
    char *bound, size_t boundsize);
/* Sends any delayed answers and frees srv; NULL-safe. */
void server_free(struct server *srv);

/* Answers with body (stolen) as application/json. */
void server_reply_json(struct server_req *r, int code, json_t *body);
/* Answers {"success":false,"message":msg}. */
void server_reply_error(struct server_req *r, int code, const char *msg);
/* Answers the bytes of b (a reference is taken) as octet-stream. */
void server_reply_blob(struct server_req *r, int code, struct vfs_blob *b);
/* Answers {"error_code":code_name,"message":msg}, the v6/v7 style. */
void server_reply_cbc(
    struct server_req *r, int code, const char *code_name, const char *msg);
/* Answers len bytes of data (copied) as ctype. */
void server_reply_raw(struct server_req *r, int code, const char *ctype,
    const void *data, size_t len);
/* Answers code with no body (204). */
void server_reply_empty(struct server_req *r, int code);
/* Answers 302 with a Location header (url copied). */
void server_reply_redirect(struct server_req *r, const char *url);
/* If a /_sim/fault is pending for route, or else for "any", takes it and
 * answers it: returns true, and the handler should stop.  A "lost" fault
 * returns false instead: the handler goes on and acts, and the fault's
 * answer then replaces the handler's. */
bool server_fault(
    struct sim *s, struct server_req *r, enum sim_fault_route route);
/* Parses the request body.  Returns 0 with *out a new reference (NULL if
 * the body is empty), or -1 if it is not JSON. */
int server_body_json(struct server_req *r, json_t **out);

#endif
