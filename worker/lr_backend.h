/* lr_backend.h - what a Live Response back end provides (private to
 * lr.c and lr_*.c).  The back end knows routes and field names; lr.c owns
 * polling, deadlines and error wording. */
#ifndef LR_WORKER_LR_BACKEND_H
#define LR_WORKER_LR_BACKEND_H

#include "cbhttp.h"
#include "lr.h"

struct lr_backend {
	const char *name; /* "v3" or "v6" */
	/* Fills *out from the device record.  0 or -1 (lr error set). */
	int (*device_get)(
	    struct lr *lr, int64_t device_id, struct lr_device *out);
	/* Returns a new session id or NULL. */
	char *(*session_open)(struct lr *lr, int64_t device_id);
	/* Returns the session object (new reference) or NULL. */
	json_t *(*session_get)(struct lr *lr, const char *sid);
	int (*session_close)(struct lr *lr, const char *sid);
	/* Every open session (array, new reference) or NULL: to find the
	 * one a create whose answer was lost made. */
	json_t *(*session_list)(struct lr *lr);
	/* The device id of a session object from session_list, or -1. */
	int64_t (*session_device)(json_t *session);
	/* The session's commands (array, new reference) or NULL. */
	json_t *(*command_list)(struct lr *lr, const char *sid);
	/* Resets the session's idle timer.  0 or -1. */
	int (*session_keepalive)(struct lr *lr, const char *sid);
	/* Submits a command; returns the answer (new reference) or NULL. */
	json_t *(*command_submit)(struct lr *lr, const char *sid,
	    const char *name, const char *arg, json_t *extra);
	/* Returns the command object (new reference) or NULL. */
	json_t *(*command_get)(struct lr *lr, const char *sid, long long id);
	/* Copies the file id of a "get file" command into buf; 0 or -1. */
	int (*file_id)(
	    json_t *submitted, json_t *completed, char *buf, size_t size);
	/* Downloads a fetched file into out, or into r->body when out is
	 * NULL; r as cbhttp_download_file / cbhttp_download.  0 or -1. */
	int (*file_content)(struct lr *lr, const char *sid, const char *file_id,
	    size_t max, FILE *out, struct cbhttp_resp *r);
	/* Removes a fetched file from the cloud once downloaded, or NULL
	 * when the API keeps no copy.  Failure is only logged. */
	void (*file_delete)(
	    struct lr *lr, const char *sid, const char *file_id);
	/* The processes array of a completed "process list" (borrowed). */
	json_t *(*processes)(json_t *completed);
};

/* How a device runs a session's commands (lr_poll.c). */
enum lr_device_mode {
	LR_DEVICE_UNKNOWN = 0,
	LR_DEVICE_IN_ORDER, /* one after another, as a sensor does */
	LR_DEVICE_AT_ONCE,  /* all at once */
};

/* How long commands of one name took (lr_poll.c). */
struct lr_estimate {
	char name[24]; /* "" for a free slot */
	int64_t ms;    /* moving average */
	long n;        /* samples */
};

#define LR_ESTIMATES 16

/* One command's polls (lr_poll.c). */
struct lr_poll {
	const char *name;     /* borrowed */
	int64_t start_ms;     /* when it could start (util_mono_ms) */
	int64_t est_ms;       /* how long it is expected to take */
	int64_t due_ms;       /* the first poll */
	int64_t step_ms;      /* the last wait after the first */
	int64_t sent_ms;      /* when the last poll was sent */
	int polls;            /* waits so far */
	bool late;            /* due already when the wait began */
	bool known;           /* est_ms is this name's own, not a guess */
	long long seq;        /* the command's place in the order sent */
	bool probe;           /* the first poll tells how the device works */
	int64_t probe_due_ms; /* the first poll, were it not a probe */
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
	/* util_mono_ms() when a command of the session was last seen
	 * complete (0 if none), and the last sent of those. */
	int64_t seen_ms;
	long long seen_seq;
	enum lr_device_mode device; /* found out once per session */
	/* When the device is likely done with what was sent to it (0 if
	 * nothing is), and how many commands are sent and not settled. */
	int64_t queue_ms;
	long outstanding;
	struct lr_cmd *ahead;    /* sent ahead, not yet taken; in order */
	void (*tick)(void *arg); /* called while waiting; see lr_set_tick */
	void *tick_arg;
	int64_t keepalive_ms; /* util_mono_ms() of the last keepalive */
	long retry_after;     /* Retry-After of the last 429, -1 if none */
	bool maybe_acted;     /* the last POST failed after it may have
				 created something */
	enum lr_errkind errkind;
	long status;      /* HTTP status of the last lr_call, 0 if none */
	char reason[200]; /* the server's words for a 4xx: ": ...", or "" */
	char err[512];
};

extern const struct lr_backend lr_v3_backend;
extern const struct lr_backend lr_v6_backend;

/* Where a session or command stands, from its "status" in any case. */
enum lr_state {
	LR_STATE_UNKNOWN = 0, /* no status */
	LR_STATE_PENDING,     /* not there yet; keep polling */
	LR_STATE_ACTIVE,      /* session: the device checked in */
	LR_STATE_COMPLETE,    /* command: done */
	LR_STATE_ERROR,       /* command: failed on the device */
	LR_STATE_CANCELLED,   /* command: cancelled */
	LR_STATE_ENDED,       /* session: will never become active */
};

/* The state of a session object ("ACTIVE", "active", "ERROR", ...). */
enum lr_state lr_session_state(json_t *session);
/* The state of a command object ("complete", "COMPLETE", ...). */
enum lr_state lr_command_state(json_t *cmd);
/* Reads a command's id into *id.  0 (id 0 included), or -1 if it has
 * none. */
int lr_command_id(json_t *cmd, long long *id);
/* Writes why a command failed: result_desc and the HRESULT, unsigned
 * ("File not found (0x80070002)"). */
void lr_command_reason(json_t *cmd, char *buf, size_t size);
/* "WINDOWS Windows 10 x64" from an OS type and version, either NULL;
 * NULL when both are.  Caller frees. */
char *lr_os_string(const char *type, const char *version);

/* Whether the cloud's echo of a command argument (its "object") names
 * the argument sent: without case, runs of '\\' and '/' as one. */
bool lr_same_object(const char *echo, const char *sent);

/* Sleeps ms in slices of at most a second, ticking between them; ends
 * early once the worker stops. */
void lr_wait(struct lr *lr, int64_t ms);
/* Keeps a session alive through a long wait (every 5 minutes). */
void lr_keepalive(struct lr *lr, const char *sid);
/* True once the worker is stopping. */
bool lr_stopping(const struct lr *lr);

/* The expected time of a command named name, in ms. */
int64_t lr_poll_estimate(struct lr *lr, const char *name);
/* Starts the polls of a command submitted at submit_ms, likely to start
 * at start_ms (after those sent before it), the seq-th sent
 * (lr->ncommands then). */
void lr_poll_start(struct lr *lr, struct lr_poll *p, const char *name,
    int64_t start_ms, int64_t submit_ms, long long seq);
/* How long to wait before the next poll (set p->sent_ms when it goes). */
int64_t lr_poll_next(struct lr *lr, struct lr_poll *p);
/* The command was seen settled: learns from its time. */
void lr_poll_done(struct lr *lr, const struct lr_poll *p);
/* A new session: no command of it seen yet. */
void lr_poll_reset(struct lr *lr);

/* Sets the error and returns -1. */
int lr_fail(struct lr *lr, enum lr_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends a request and checks the answer.  Returns the parsed body (new
 * reference; an empty object when there is none) for a 2xx status, else
 * NULL with the error set to "could not <what>: <reason>". */
json_t *lr_call(struct lr *lr, const char *method, const char *path,
    json_t *body, const char *what);

/* Sends a request without a body, for its status only.  0 or -1. */
int lr_call_ok(
    struct lr *lr, const char *method, const char *path, const char *what);
/* GETs path and returns the list it answers (an array, or the "results"
 * of an object), new reference, or NULL with the error set. */
json_t *lr_call_list(struct lr *lr, const char *path, const char *what);

#endif
