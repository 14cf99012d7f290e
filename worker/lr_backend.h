/* lr_backend.h - what a Live Response back end provides (private to
 * lr.c and lr_*.c).  The back end knows routes and field names; lr.c owns
 * polling, deadlines and error wording. */
#ifndef LR_WORKER_LR_BACKEND_H
#define LR_WORKER_LR_BACKEND_H

#include "cbhttp.h"
#include "lr.h"

struct lr_backend {
	const char *name; /* "v3" */
	/* Fills *out from the device record.  0 or -1 (lr error set). */
	int (*device_get)(
	    struct lr *lr, int64_t device_id, struct lr_device *out);
	/* Returns a new session id or NULL. */
	char *(*session_open)(struct lr *lr, int64_t device_id);
	/* Returns the session object (new reference) or NULL. */
	json_t *(*session_get)(struct lr *lr, const char *sid);
	int (*session_close)(struct lr *lr, const char *sid);
	/* Submits a command; returns the answer (new reference) or NULL. */
	json_t *(*command_submit)(struct lr *lr, const char *sid,
	    const char *name, const char *arg, json_t *extra);
	/* Returns the command object (new reference) or NULL. */
	json_t *(*command_get)(struct lr *lr, const char *sid, long long id);
	/* Copies the file id of a "get file" command into buf; 0 or -1. */
	int (*file_id)(
	    json_t *submitted, json_t *completed, char *buf, size_t size);
	/* Downloads a fetched file; r as cbhttp_download.  0 or -1. */
	int (*file_content)(struct lr *lr, const char *sid, const char *file_id,
	    size_t max, struct cbhttp_resp *r);
	/* The processes array of a completed "process list" (borrowed). */
	json_t *(*processes)(json_t *completed);
};

struct lr {
	const struct lr_backend *be;
	const struct cb_cred *cred; /* borrowed */
	struct cbhttp *http;
	volatile sig_atomic_t *stop; /* borrowed */
	int command_timeout_s;
	int session_poll_ms;
	int command_poll_ms;
	long long ncommands;
	enum lr_errkind errkind;
	char err[512];
};

extern const struct lr_backend lr_v3_backend;

/* Sets the error and returns -1. */
int lr_fail(struct lr *lr, enum lr_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends a request and checks the answer.  Returns the parsed body (new
 * reference; an empty object when there is none) for a 2xx status, else
 * NULL with the error set to "could not <what>: <reason>". */
json_t *lr_call(struct lr *lr, const char *method, const char *path,
    json_t *body, const char *what);

#endif
