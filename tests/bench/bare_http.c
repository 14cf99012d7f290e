/* bare_http.c - the baseline of the viewer's benchmark (figure 5): a bare
 * evhttp server that answers GET PATH with bytes read from a file at start,
 * from memory, as a tuned server does: TCP_NODELAY on every connection,
 * keep-alive, nothing else.
 *
 *   bare_http PATH=FILE...
 *
 * Listens on 127.0.0.1, an ephemeral port, and prints "listening on PORT"
 * once ready; runs until SIGTERM or SIGINT.  An unknown path is a 404.
 * Each answer carries the Content-Type the viewer's does (JSON for /api/,
 * else HTML), so the two send the same kind of header block. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#define MAX_ROUTES 8
#define MAX_FDS 65536

static struct route {
	const char *path;
	char *body;
	size_t len;
	const char *ctype;
} routes[MAX_ROUTES];
static int nroutes;

/* The connection each descriptor was last seen with: TCP_NODELAY is set
 * once per connection, not once per request. */
static const void *nodelay_on[MAX_FDS];

static char *
slurp(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (n == cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

static void
nodelay(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev =
	    evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	int one = 1;

	if (fd < 0 || fd >= MAX_FDS || nodelay_on[fd] == evcon)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	nodelay_on[fd] = evcon;
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *out;

	(void)arg;
	nodelay(req);
	for (int i = 0; i < nroutes; i++) {
		if (strcmp(uri, routes[i].path) != 0)
			continue;
		out = evbuffer_new();
		/* by reference: the bytes stay in memory, nothing is copied */
		evbuffer_add_reference(
		    out, routes[i].body, routes[i].len, NULL, NULL);
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", routes[i].ctype);
		evhttp_send_reply(req, 200, "OK", out);
		evbuffer_free(out);
		return;
	}
	evhttp_send_error(req, 404, NULL);
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct event *sigterm, *sigint;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	evutil_socket_t lfd;
	int one = 1;

	for (int i = 1; i < argc && nroutes < MAX_ROUTES; i++) {
		char *eq = strchr(argv[i], '=');
		struct route *r = &routes[nroutes];

		if (eq == NULL || argv[i][0] != '/') {
			fprintf(stderr, "usage: bare_http PATH=FILE...\n");
			return 2;
		}
		*eq = '\0';
		r->path = argv[i];
		if ((r->body = slurp(eq + 1, &r->len)) == NULL) {
			perror(eq + 1);
			return 1;
		}
		r->ctype = strncmp(r->path, "/api/", 5) == 0
			       ? "application/json"
			       : "text/html; charset=utf-8";
		nroutes++;
	}
	if (nroutes == 0) {
		fprintf(stderr, "usage: bare_http PATH=FILE...\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL ||
	    (http = evhttp_new(base)) == NULL)
		return 1;
	evhttp_set_gencb(http, on_request, NULL);
	if ((bound = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) ==
	    NULL) {
		perror("bind");
		return 1;
	}
	lfd = evhttp_bound_socket_get_fd(bound);
	/* Linux hands the option down to accepted sockets; nodelay() makes
	 * sure of it on each connection anyway. */
	setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1) {
		perror("getsockname");
		return 1;
	}
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	printf("listening on %d\n", ntohs(sin.sin_port));
	fflush(stdout);
	event_base_dispatch(base);
	event_free(sigterm);
	event_free(sigint);
	evhttp_free(http);
	event_base_free(base);
	for (int i = 0; i < nroutes; i++)
		free(routes[i].body);
	return 0;
}
