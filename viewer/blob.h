/* blob.h - a raw artifact (a History file) as a download:
 * GET /device/<id>/artifact/<sha256>.
 *
 * Only a sha256 that this device's result (browser_history[].sha256) or
 * one of its past runs (artifacts[].sha256, or the browser_history of a
 * run archived before runs had artifacts) names is served: anything
 * else is 404, whatever P:artifact holds.  The file is streamed from
 * P:artifact:<sha256> with GETRANGE, BLOB_CHUNK bytes at a time, each sent
 * once the previous one left, so memory stays flat whatever the size.
 * Headers: application/octet-stream, Content-Length, nosniff, and
 * Content-Disposition: attachment; filename="History-<user>-<browser>-
 * <profile>.sqlite" with every part cut to [A-Za-z0-9._-]. */
#ifndef LR_VIEWER_BLOB_H
#define LR_VIEWER_BLOB_H

#include <stddef.h>

#include <jansson.h>

struct view;
struct viewer;

#define BLOB_CHUNK (256 * 1024)

/* Serves w's artifact (w->id, w->arg: 64 lowercase hex digits); takes w. */
void blob_start(struct view *w);
/* Ends every download still running (the server is going away). */
void blob_abort_all(struct viewer *v);

/* The profile that names sha: a new {"user","browser","profile"} from
 * history (an array of profiles) or runs (an array of JSON texts or
 * objects, each with "artifacts", or, archived before those existed,
 * "browser_history"), or NULL when none names it. */
json_t *blob_find(const json_t *history, const json_t *runs, const char *sha);
/* "History-<user>-<browser>-<profile>.sqlite" into out, each part made
 * of [A-Za-z0-9._-] only (others become '_'), at most 40 bytes each, a
 * missing part "unknown". */
void blob_filename(char *out, size_t size, const char *user,
    const char *browser, const char *profile);

#endif
