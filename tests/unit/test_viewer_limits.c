/* test_viewer_limits.c - the pieces of viewer/http.c that need no server:
 * which security headers a response header block lacks, and the one list
 * viewer replies and libevent's own pages both get.  The server side (cap,
 * back-off, deadlines, insertion on the wire) is in t_viewer_http.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include "tests/t.h"
#pragma GCC diagnostic pop
#include "common/log.h"
#include "viewer/http.h"

static const char all[] = "HTTP/1.1 200 OK\r\n"
			  "content-security-policy: default-src 'none'\r\n"
			  "X-CONTENT-TYPE-OPTIONS: nosniff\r\n"
			  "Referrer-Policy: no-referrer\r\n"
			  "X-Frame-Options: DENY\r\n"
			  "Cache-Control: no-store\r\n"
			  "\r\n";

static int
test_complete_block_needs_nothing(void)
{
	char *m = http_missing_headers(all, strlen(all));

	CHECK(strcmp(m, "") == 0);
	free(m);
	return 0;
}

static int
test_libevent_error_page_needs_all(void)
{
	static const char blk[] = "HTTP/1.1 400 Bad Request\r\n"
				  "Content-Type: text/html\r\n"
				  "Connection: close\r\n"
				  "Content-Length: 94\r\n"
				  "\r\n";
	char *m = http_missing_headers(blk, strlen(blk));

	CHECK(strstr(m, "Content-Security-Policy: default-src 'none';") == m);
	CHECK(strstr(m, "\r\nX-Content-Type-Options: nosniff\r\n") != NULL);
	CHECK(strstr(m, "\r\nX-Frame-Options: DENY\r\n") != NULL);
	CHECK(strstr(m, "\r\nReferrer-Policy: no-referrer\r\n") != NULL);
	CHECK(strstr(m, "\r\nCache-Control: no-store\r\n") != NULL);
	CHECK(strlen(m) > 2 && strcmp(m + strlen(m) - 2, "\r\n") == 0);
	free(m);
	return 0;
}

/* A name inside another header's value is not that header. */
static int
test_only_line_starts_count(void)
{
	static const char blk[] =
	    "HTTP/1.1 200 OK\r\n"
	    "X-Note: Cache-Control: no-store, X-Frame-Options: DENY\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Referrer-Policy: no-referrer\r\n"
	    "Content-Security-Policy: default-src 'none'\r\n"
	    "\r\n";
	char *m = http_missing_headers(blk, strlen(blk));

	CHECK(strcmp(m,
		  "X-Frame-Options: DENY\r\nCache-Control: no-store\r\n") == 0);
	free(m);
	return 0;
}

static int
test_reply_headers_are_the_same_list(void)
{
	struct evkeyvalq h;
	struct evkeyval *kv;
	char blk[2048];
	size_t n;
	char *m;

	TAILQ_INIT(&h);
	evhttp_add_header(&h, "Cache-Control", "public");
	evhttp_add_header(&h, "X-Frame-Options", "SAMEORIGIN");
	http_security_headers(&h);
	n = (size_t)snprintf(blk, sizeof(blk), "HTTP/1.1 200 OK\r\n");
	TAILQ_FOREACH(kv, &h, next)
	{
		n += (size_t)snprintf(
		    blk + n, sizeof(blk) - n, "%s: %s\r\n", kv->key, kv->value);
	}
	n += (size_t)snprintf(blk + n, sizeof(blk) - n, "\r\n");
	m = http_missing_headers(blk, n);
	CHECK(strcmp(m, "") == 0);
	/* replaced, not doubled */
	CHECK(strcmp(evhttp_find_header(&h, "X-Frame-Options"), "DENY") == 0);
	CHECK(strstr(blk, "SAMEORIGIN") == NULL);
	/* a route's own caching (/static/) is kept, once */
	CHECK(strcmp(evhttp_find_header(&h, "Cache-Control"), "public") == 0);
	CHECK(strstr(blk, "no-store") == NULL);
	free(m);
	evhttp_clear_headers(&h);
	return 0;
}

int
main(void)
{
	log_init("test_viewer_limits", LOG_ERROR, LOG_TEXT);
	RUN(test_complete_block_needs_nothing);
	RUN(test_libevent_error_page_needs_all);
	RUN(test_only_line_starts_count);
	RUN(test_reply_headers_are_the_same_list);
	return t_done();
}
