/* assets.h - the stylesheet and the script the pages link, compiled into
 * the binary (viewer/static/, embedded by viewer/static/embed.sh) and
 * served as files: /static/app.css and /static/app.js, with an ETag and a
 * version query (?v=) so a browser caches them until they change. */
#ifndef LR_VIEWER_ASSETS_H
#define LR_VIEWER_ASSETS_H

#include <stddef.h>

/* One file served under /static/. */
struct assets_file {
	const char *name;  /* "app.css" */
	const char *ctype; /* "text/css; charset=utf-8" */
	const char *data;
	size_t len;
};

/* The file called name (after "/static/"), or NULL. */
const struct assets_file *assets_find(const char *name);
/* A short hash of every asset's content (12 hex characters): the ?v= of
 * the links and the ETag. */
const char *assets_version(void);

#endif
