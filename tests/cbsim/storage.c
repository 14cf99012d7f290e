/* storage.c - the storage host behind v6 file content 302s.
 *
 * It mimics a pre-signed object store URL: anyone holding the URL gets
 * the bytes, no key needed, so a client must not send its API key there
 * (each request that does counts in token_leaks and is logged, but is
 * still served).  URLs stay valid while their session is open. */
#include "storage.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "sessions.h"

#define STORAGE_PREFIX "/lr-content/"

struct storage {
	struct evhttp *http; /* owned */
	struct sim *sim;     /* borrowed */
};

/* Answers every storage request. */
static void
storage_handle(struct evhttp_request *req, void *arg)
{
	struct storage *st = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evkeyvalq params = {0};
	struct evbuffer *buf = evbuffer_new();
	struct vfs_blob *b = NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (buf == NULL)
		fatalx("evbuffer_new failed");
	/* A URL dies with its session, idle timeout included. */
	sessions_expire(st->sim, util_now_ms());
	if (evhttp_find_header(evhttp_request_get_input_headers(req),
		"X-Auth-Token") != NULL) {
		st->sim->stats.token_leaks++;
		log_warnx("storage: request for %s carries X-Auth-Token: the "
			  "API key leaked to the storage host",
		    path ? path : "?");
	}
	if ((cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) && path != NULL &&
	    strncmp(path, STORAGE_PREFIX, strlen(STORAGE_PREFIX)) == 0 &&
	    query != NULL && evhttp_parse_query_str(query, &params) == 0)
		b = sim_link_find(st->sim, path + strlen(STORAGE_PREFIX),
		    evhttp_find_header(&params, "sig"));
	if (b != NULL) {
		st->sim->stats.files_served++;
		evhttp_add_header(
		    out, "Content-Type", "application/octet-stream");
		evbuffer_add(buf, b->data, b->len);
		evhttp_send_reply(req, 200, "OK", buf);
	} else {
		evhttp_add_header(out, "Content-Type", "application/xml");
		evbuffer_add_printf(
		    buf, "<Error><Code>NoSuchKey</Code></Error>");
		evhttp_send_reply(req, 404, "Not Found", buf);
	}
	log_debug("storage: %s -> %d", path ? path : "?", b ? 200 : 404);
	evhttp_clear_headers(&params);
	evbuffer_free(buf);
}

/* Binds addr on port (0: a free one); writes "ADDR:PORT" into
 * s->storage. */
static int
storage_bind(struct storage *st, const char *addr, unsigned port)
{
	struct evhttp_bound_socket *h;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if ((h = evhttp_bind_socket_with_handle(
		 st->http, addr, (ev_uint16_t)port)) == NULL)
		return -1;
	if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&sin,
		&len) == -1 ||
	    sin.sin_family != AF_INET) {
		evhttp_del_accept_socket(st->http, h);
		return -1;
	}
	snprintf(st->sim->storage, sizeof(st->sim->storage), "%s:%u", addr,
	    (unsigned)ntohs(sin.sin_port));
	return 0;
}

struct storage *
storage_new(
    struct event_base *base, struct sim *s, const char *addr, unsigned port)
{
	struct storage *st = xcalloc(1, sizeof(*st));

	st->sim = s;
	if ((st->http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_max_headers_size(st->http, 8192);
	evhttp_set_max_body_size(st->http, 10240);
	evhttp_set_timeout(st->http, 10);
	evhttp_set_gencb(st->http, storage_handle, st);
	if (addr != NULL) {
		if (storage_bind(st, addr, port) == -1) {
			log_error("storage: cannot listen on %s:%u (an IPv4 "
				  "address is needed)",
			    addr, port);
			storage_free(st);
			return NULL;
		}
	} else if (storage_bind(st, "127.0.0.2", 0) == -1) {
		log_warnx("storage: cannot bind 127.0.0.2, using 127.0.0.1");
		if (storage_bind(st, "127.0.0.1", 0) == -1) {
			log_error("storage: cannot listen");
			storage_free(st);
			return NULL;
		}
	}
	log_info("storage host on %s", s->storage);
	return st;
}

void
storage_free(struct storage *st)
{
	if (st == NULL)
		return;
	evhttp_free(st->http);
	free(st);
}
