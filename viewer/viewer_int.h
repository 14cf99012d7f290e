/* viewer_int.h - what the viewer's route modules share: the server state,
 * one request waiting for Redis, and the reply helpers (viewer_reply.c).
 *
 * Modules: viewer.c (server, routes table, dispatch), viewer_reply.c
 * (replies and the helpers every route uses), viewer_auth.c (basic
 * authentication), overview.c and overview_rows.c (/, /api/stats,
 * /api/devices, /metrics), detail.c (a device's page, history, JSON and
 * CSV), blob.c (a raw artifact, streamed), manual.c (collect now),
 * audit.c (lr:audit), assets.c (/static/). */
#ifndef LR_VIEWER_VIEWER_INT_H
#define LR_VIEWER_VIEWER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "csrf.h"
#include "query.h"

struct config;
struct event_base;
struct evbuffer;
struct evhttp;
struct http_server;
struct overview_guess;
struct overview_id;
struct evhttp_request;
struct store;

extern const char viewer_ct_html[], viewer_ct_json[], viewer_ct_text[],
    viewer_ct_prom[], viewer_ct_csv[];

struct viewer {
	const struct config *cfg; /* borrowed */
	struct event_base *base;  /* borrowed */
	struct evhttp *http;
	struct http_server *srv; /* connection cap, deadlines (http.c) */
	struct store *store;
	char *auth_b64; /* base64 of user:password, or NULL */
	char user[128]; /* the basic-auth user, or "-" */
	unsigned char secret[CSRF_SECRET_LEN]; /* collect tokens; random */
	char token[CSRF_TOKEN_LEN + 1];        /* user's collect token */
	int port;               /* bound port, after viewer_listen */
	struct view *overviews; /* overview reads in flight (overview_join.c) */
	struct overview_guess *guesses; /* pages' last ids (overview_read.c) */
	int64_t skew_ms; /* Redis's clock minus ours, at the last TIME */
	bool skew_known; /* a TIME was read */
	bool dead_zset;  /* P:dead was a ZSET at the last read */
};

/* What a request waiting for Redis is for. */
enum view_kind {
	VIEW_DASHBOARD,
	VIEW_API_STATS,
	VIEW_API_DEVICES,
	VIEW_METRICS,
	VIEW_DEVICE_HTML,
	VIEW_DEVICE_JSON,
	VIEW_HISTORY,
	VIEW_CSV,
	VIEW_ARTIFACT,
	VIEW_COLLECT,
	VIEW_HEALTH,
};

/* One request waiting for Redis. */
struct view {
	struct viewer *v;
	struct evhttp_request *req; /* owned by evhttp until answered */
	enum view_kind kind;
	int64_t id;              /* device routes */
	struct query q;          /* the parsed query string */
	char arg[80];            /* CSV: the table; artifact: the sha256 */
	char addr[64];           /* the client's address, for the audit */
	json_t *first;           /* overview: stage-1 replies */
	json_t *second;          /* overview: stage-2 replies, when kept */
	struct overview_id *idv; /* overview: the device ids read */
	size_t nids;
	unsigned flags;    /* overview: how the list is read (overview_int.h) */
	size_t s2, row0;   /* overview: where stage 2's replies start */
	int64_t now_guess; /* overview: Redis's time, guessed */
	struct view *next; /* overview: the next read in flight */
	struct view *joined; /* overview: the next request it answers too */
	json_t *ctx;         /* the route's own data */
};

/* A new view of req for kind; the query string is parsed into w->q with
 * the page sizes given. */
struct view *viewer_view_new(struct viewer *v, struct evhttp_request *req,
    enum view_kind kind, int per_default, int per_max);
void viewer_view_free(struct view *w);

/* Sets the headers every answer carries (security headers, and
 * Cache-Control: no-store unless the route set its own) and ctype. */
void viewer_headers(struct evhttp_request *req, const char *ctype);
/* Sends the one reply of req with our headers; body may be NULL. */
void viewer_reply(struct evhttp_request *req, int code, const char *reason,
    const char *ctype, struct evbuffer *body);
void viewer_reply_text(
    struct evhttp_request *req, int code, const char *reason, const char *text);
void viewer_reply_page(struct evhttp_request *req, int code, const char *reason,
    const char *title, const char *text);
/* Sends v (stolen) as compact JSON. */
void viewer_reply_json(
    struct evhttp_request *req, int code, const char *reason, json_t *v);
void viewer_reply_json_error(
    struct evhttp_request *req, int code, const char *reason, const char *msg);
/* 503 in the shape w's route speaks. */
void viewer_unavailable(struct view *w);

/* Returns a new "P:name" or "P:name:id" key. */
char *viewer_key(const struct viewer *v, const char *name, const char *id);
/* The integer at arr[i] (a number or a decimal string), else 0. */
json_int_t viewer_int_at(const json_t *arr, size_t i);
/* Redis's memory from an INFO memory answer: a new {"used", "max",
 * "full"}; full when a maxmemory is set and reached (writes refused). */
json_t *viewer_redis_memory(const json_t *reply);
/* The client's address of req into buf ("-" if unknown). */
void viewer_peer(struct evhttp_request *req, char *buf, size_t size);

/* Route handlers: rest is what follows the route's prefix. */
typedef void viewer_handler(
    struct viewer *v, struct evhttp_request *req, const char *rest);
viewer_handler overview_dashboard, overview_api_stats, overview_api_devices,
    overview_metrics;
viewer_handler detail_route, detail_api_route, assets_route;

#endif
