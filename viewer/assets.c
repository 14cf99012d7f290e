/* assets.c - the embedded stylesheet and script (see assets.h). */
#include "assets.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "sha256.h"
#include "viewer_int.h"

/* Defined by the generated file (viewer/static/embed.sh). */
extern const char assets_app_css[], assets_app_js[];
extern const size_t assets_app_css_len, assets_app_js_len;

static struct assets_file files[] = {
    {"app.css", "text/css; charset=utf-8", assets_app_css, 0},
    {"app.js", "text/javascript; charset=utf-8", assets_app_js, 0},
};

const struct assets_file *
assets_find(const char *name)
{
	files[0].len = assets_app_css_len;
	files[1].len = assets_app_js_len;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(files[i].name, name) == 0)
			return &files[i];
	return NULL;
}

const char *
assets_version(void)
{
	static char version[13];
	struct sha256 s;
	unsigned char d[32];

	if (version[0] != '\0')
		return version;
	sha256_init(&s);
	sha256_update(&s, assets_app_css, assets_app_css_len);
	sha256_update(&s, assets_app_js, assets_app_js_len);
	sha256_final(&s, d);
	for (int i = 0; i < 6; i++)
		snprintf(version + 2 * i, 3, "%02x", d[i]);
	return version;
}

/* ---------------------------------------------------------------- */
/* GET /static/<name> */

void
assets_route(struct viewer *v, struct evhttp_request *req, const char *rest)
{
	const struct assets_file *f = assets_find(rest);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *qs = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *inm = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "If-None-Match");
	struct evkeyvalq params;
	struct evbuffer *body;
	char etag[32];
	bool versioned = false;

	(void)v;
	if (f == NULL) {
		viewer_reply_text(req, 404, "Not Found", "no such file\n");
		return;
	}
	if (qs != NULL && evhttp_parse_query_str(qs, &params) == 0) {
		const char *ver = evhttp_find_header(&params, "v");

		versioned = ver != NULL && strcmp(ver, assets_version()) == 0;
		evhttp_clear_headers(&params);
	}
	snprintf(etag, sizeof(etag), "\"%s\"", assets_version());
	evhttp_add_header(out, "ETag", etag);
	/* the page links ?v=<hash>: that URL never changes its content */
	evhttp_add_header(out, "Cache-Control",
	    versioned ? "public, max-age=31536000, immutable" : "no-cache");
	if (inm != NULL && strcmp(inm, etag) == 0) {
		viewer_reply(req, 304, "Not Modified", f->ctype, NULL);
		return;
	}
	body = evbuffer_new();
	evbuffer_add(body, f->data, f->len);
	viewer_reply(req, 200, "OK", f->ctype, body);
	evbuffer_free(body);
}
