/* lr.h - one Live Response interface, back ends per API generation.
 *
 * Straight-line calls that read like the seed: open a session, wait for
 * the device to check in, run commands to completion, fetch files, close.
 * Every call that can fail returns -1 (or NULL) and leaves a sentence an
 * analyst understands in lr_error(), plus a kind that says whether trying
 * again later could help.  The back end (legacy v3, or v6 under
 * /appservices/v6/orgs/{org_key}) is chosen once, in lr_new(); nothing
 * above this file knows the routes. */
#ifndef LR_WORKER_LR_H
#define LR_WORKER_LR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cbhttp.h"
#include "config.h"

enum lr_errkind {
	LR_OK = 0,
	LR_ENOTFOUND,  /* 404: device, session or file gone */
	LR_EAUTH,      /* 401/403: key rejected or not allowed */
	LR_ELIMIT,     /* 403 "session limit reached" */
	LR_ETRANSIENT, /* no answer, 429 or 5xx after retries */
	LR_EPROTO,     /* another 4xx, or an answer we cannot read */
	LR_ECOMMAND,   /* a command ended with status "error" */
	LR_ESESSION,   /* the session ended (error, close, timeout) */
	LR_ETIMEOUT,   /* our deadline passed */
	LR_ESTOPPED,   /* the worker is shutting down */
	LR_ETOOLARGE,  /* a file is over the size limit */
	LR_EGONE,      /* the cloud dropped the session (404 on a command) */
};

struct lr;

/* A device as the cloud describes it. */
struct lr_device {
	char *name;         /* host name, NULL if unknown; owned */
	char *os;           /* "WINDOWS Windows 10 x64", NULL if unknown */
	char *last_contact; /* ISO-8601 as sent (v6), NULL if unknown */
	int64_t
	    last_contact_ms; /* the same in ms since the epoch, 0 if unknown */
	json_t *sensor_states; /* array of strings (v6), NULL if unknown */
};

/* True if key can be an org key: 1..64 letters and digits (it goes into
 * URL paths). */
bool lr_org_key_ok(const char *key);

/* A client on cred (borrowed: must outlive the client) for api (V3 or
 * V6; V6 needs cred->org_key, else NULL).  command_timeout_s bounds each
 * command; *stop (borrowed) makes polls give up with LR_ESTOPPED.  One per
 * thread. */
struct lr *lr_new(const struct cb_cred *cred, enum config_api api,
    int command_timeout_s, volatile sig_atomic_t *stop);
void lr_free(struct lr *lr);
/* Calls tick(arg) at least once a second while a call waits (a device
 * checking in, a command running, a download): the worker renews its
 * leases there.  tick NULL: none. */
void lr_set_tick(struct lr *lr, void (*tick)(void *arg), void *arg);
/* Plugs the shared 429 pause into the client (see cbhttp_set_gate). */
void lr_set_gate(struct lr *lr, const struct cbhttp_gate *gate);
/* Seconds the cloud asked us to wait with its last 429, or -1. */
long lr_retry_after(const struct lr *lr);
/* Sets the poll intervals (tests); the defaults are 1000 and 500 ms.
 * Commands are first expected to take command_ms, until this client has
 * seen some complete. */
void lr_set_intervals(struct lr *lr, int session_ms, int command_ms);

/* The last error: borrowed, valid until the next call on lr. */
const char *lr_error(const struct lr *lr);
enum lr_errkind lr_errkind(const struct lr *lr);
/* Commands submitted through lr so far (for the "commands" counter). */
long long lr_commands(const struct lr *lr);
/* "v3" or "v6". */
const char *lr_api_name(const struct lr *lr);

/* Looks the device up.  0, or -1 (LR_ENOTFOUND when it does not exist). */
int lr_device_get(struct lr *lr, int64_t device_id, struct lr_device *out);
void lr_device_release(struct lr_device *d);

/* Asks for a session on the device.  Returns a new session id string
 * ("1:21212", caller frees) or NULL.  When the answer to the create is
 * lost (the cloud may have made the session), the device's open session
 * is looked up and taken instead of opening a second one nobody closes;
 * with adopt (an earlier attempt may have left one), it is looked up
 * first. */
char *lr_session_open(struct lr *lr, int64_t device_id, bool adopt);
/* Polls the session until it is active, at most timeout_s.  0, or -1:
 * LR_ETIMEOUT (never checked in), LR_ESESSION (ended), LR_ESTOPPED, ... */
int lr_session_wait(struct lr *lr, const char *sid, int timeout_s);
/* Closes the session.  Called on every path, shutdown included: it
 * retries on its own short deadline (about 20 s) whatever the stop flag
 * says, since a session left open holds one of the org's 100.  0 or -1. */
int lr_session_close(struct lr *lr, const char *sid);

/* A command submitted and not yet waited for. */
struct lr_cmd;

/* Submits a command without waiting for it: name, arg and extra as
 * lr_command().  A submit whose answer was lost is looked up in the
 * session's commands, never sent twice blindly.  Returns the command
 * (caller passes it to lr_await() or lr_cmd_free()) or NULL with the
 * error set.  Commands sent one after another run on the device in that
 * order; wait for them in the same order. */
struct lr_cmd *lr_send(struct lr *lr, const char *sid, const char *name,
    const char *arg, json_t *extra);
/* Waits for c (NULL: returns NULL at once, the error as lr_send left it)
 * and frees it: the completed command (new reference), or NULL with the
 * error set as lr_command() does.  The first poll goes when the command
 * is likely done (lr_poll.c). */
json_t *lr_await(struct lr *lr, struct lr_cmd *c);
/* Forgets c without waiting for it; NULL-safe. */
void lr_cmd_free(struct lr *lr, struct lr_cmd *c);
/* Sends a command the job will run later with lr_command() (or a call
 * built on it: lr_get_file, lr_process_list...) on the same sid, name and
 * arg, so that the device works on it meanwhile; lr_command() then only
 * waits for it.  0, or -1 (logged; the later call sends it again and
 * says what is wrong).  Commands sent ahead and never taken are
 * forgotten by lr_ahead_drop(), and when a session opens. */
int lr_send_ahead(struct lr *lr, const char *sid, const char *name,
    const char *arg, json_t *extra);
/* Forgets every command sent ahead (the session is closing or gone). */
void lr_ahead_drop(struct lr *lr);

/* Runs a command to completion: name ("process list"), arg (the path or
 * command line, or NULL), extra fields (borrowed, or NULL: "wait",
 * "output_file").  Returns the completed command object (new reference)
 * or NULL; LR_ECOMMAND carries result_desc and the HRESULT, LR_EGONE says
 * the cloud dropped the session.  A submit whose answer was lost is looked
 * up in the session's commands, never sent twice blindly.  A command sent
 * ahead (lr_send_ahead) on the same sid, name and arg is waited for
 * rather than sent again. */
json_t *lr_command(struct lr *lr, const char *sid, const char *name,
    const char *arg, json_t *extra);
/* Runs "get file" on path and downloads the bytes (at most max).  On 0,
 * *data is a new buffer (caller frees; NUL-terminated) of *len bytes. */
int lr_get_file(struct lr *lr, const char *sid, const char *path, size_t max,
    char **data, size_t *len);
/* The same, streamed into out (a file the caller opened; it is truncated
 * first) rather than memory: *len bytes.  0 or -1. */
int lr_get_file_to(struct lr *lr, const char *sid, const char *path, size_t max,
    FILE *out, size_t *len);
/* Runs "delete file" on path.  0 or -1. */
int lr_delete_file(struct lr *lr, const char *sid, const char *path);
/* Runs cmdline with "create process" writing its output to a new file
 * under c:\windows\temp, fetches that file (at most max bytes) and
 * deletes it on every path (a failed delete is only a warning; at
 * shutdown the delete is sent, not waited for).  0 with *data (new, NUL-terminated, *len bytes), or -1 with
 * the error of the create or the fetch. */
int lr_run_output(struct lr *lr, const char *sid, const char *cmdline,
    size_t max, char **data, size_t *len);
/* Command lines run at once into output files (lr_run_output, for
 * several). */
struct lr_outputs;

/* Sends the n command lines (borrowed; they must outlive the batch),
 * each with "create process" writing to a new file under
 * c:\windows\temp.  Never NULL; a send that failed is that output's
 * error. */
struct lr_outputs *lr_outputs_send(
    struct lr *lr, const char *sid, const char *const *cmdlines, size_t n);
/* Waits for the creates in order, sending each one's "get file" as it
 * completes, then fetches each file (at most max bytes) and sends its
 * delete on every path (at shutdown, every delete not yet sent is sent
 * all the same, and not waited for).  0 when
 * each output has its bytes or its own error, -1 when the job cannot go
 * on (the worker stops, or the cloud dropped the session): lr's error
 * says which.  Once only. */
int lr_outputs_fetch(struct lr *lr, struct lr_outputs *o, size_t max);
/* Waits for the deletes lr_outputs_fetch() sent (a failure is logged;
 * lr's error is left as it was; at shutdown they are not waited for).
 * The caller may send other commands first: the device works on them
 * all.  NULL-safe. */
void lr_outputs_finish(struct lr *lr, struct lr_outputs *o);
/* Output i: 0 with *data (borrowed from o, NUL-terminated) and *len, or
 * -1 with *kind and *err (borrowed from o). */
int lr_outputs_get(const struct lr_outputs *o, size_t i, const char **data,
    size_t *len, enum lr_errkind *kind, const char **err);
void lr_outputs_free(struct lr *lr, struct lr_outputs *o);

/* Runs "process list": returns the processes array (new reference) or
 * NULL. */
json_t *lr_process_list(struct lr *lr, const char *sid);

#endif
