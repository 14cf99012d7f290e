/* lr.c - the Live Response client: requests and their errors, devices
 * and sessions, on any back end (commands and files are in lr_cmd.c).
 *
 * Polling follows the SDKs for the session: every second until it is
 * active.  Commands are polled when they are likely done (lr_poll.c).  Statuses compare without
 * case (v6 answers in lower case), and command id 0 is a valid id. */
#include "lr.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lr_backend.h"
#include "util.h"
#include "xmalloc.h"

#define LR_SESSION_POLL_MS 1000
#define LR_COMMAND_POLL_MS 500
#define LR_HTTP_TIMEOUT_MS 60000
/* The cloud closes a session idle for 15 minutes; polls may not count. */
#define LR_KEEPALIVE_MS (5 * 60 * 1000)
#define LR_CLOSE_TRIES 3

struct lr *
lr_new(const struct cb_cred *cred, enum config_api api, int command_timeout_s,
    volatile sig_atomic_t *stop)
{
	struct lr *lr;
	long timeout_ms = LR_HTTP_TIMEOUT_MS;

	if (api == CONFIG_API_V6 && !lr_org_key_ok(cred->org_key))
		return NULL; /* main() refuses this configuration */
	/* A download may take as long as a command may. */
	if ((long)command_timeout_s * 1000 > timeout_ms)
		timeout_ms = (long)command_timeout_s * 1000;
	lr = xcalloc(1, sizeof(*lr));
	lr->be = api == CONFIG_API_V6 ? &lr_v6_backend : &lr_v3_backend;
	lr->cred = cred;
	lr->http = cbhttp_new(cred, timeout_ms);
	lr->stop = stop;
	lr->command_timeout_s = command_timeout_s > 0 ? command_timeout_s : 120;
	lr->session_poll_ms = LR_SESSION_POLL_MS;
	lr->command_poll_ms = LR_COMMAND_POLL_MS;
	lr->retry_after = -1;
	/* Retries stop early at shutdown; a request in flight still ends. */
	cbhttp_set_stop(lr->http, stop);
	return lr;
}

void
lr_free(struct lr *lr)
{
	if (lr == NULL)
		return;
	lr_ahead_drop(lr);
	cbhttp_free(lr->http);
	free(lr);
}

void
lr_set_tick(struct lr *lr, void (*tick)(void *arg), void *arg)
{
	lr->tick = tick;
	lr->tick_arg = arg;
	cbhttp_set_tick(lr->http, tick, arg); /* during transfers too */
}

void
lr_set_gate(struct lr *lr, const struct cbhttp_gate *gate)
{
	cbhttp_set_gate(lr->http, gate);
}

long
lr_retry_after(const struct lr *lr)
{
	return lr->retry_after;
}

void
lr_wait(struct lr *lr, int64_t ms)
{
	while (ms > 0) {
		int64_t slice = ms > 1000 ? 1000 : ms;

		if (lr->tick != NULL)
			lr->tick(lr->tick_arg);
		util_sleep_ms(slice, lr->stop);
		if (lr->stop != NULL && *lr->stop)
			return;
		ms -= slice;
	}
}

void
lr_keepalive(struct lr *lr, const char *sid)
{
	if (util_mono_ms() - lr->keepalive_ms < LR_KEEPALIVE_MS ||
	    lr->be->session_keepalive == NULL)
		return;
	lr->keepalive_ms = util_mono_ms();
	if (lr->be->session_keepalive(lr, sid) == -1)
		log_debug("session %s: keepalive failed: %s", sid, lr->err);
}

void
lr_set_intervals(struct lr *lr, int session_ms, int command_ms)
{
	lr->session_poll_ms = session_ms;
	lr->command_poll_ms = command_ms;
}

bool
lr_org_key_ok(const char *key)
{
	size_t n;

	if (key == NULL || (n = strlen(key)) == 0 || n > 64)
		return false;
	for (; *key != '\0'; key++)
		if (!isalnum((unsigned char)*key))
			return false;
	return true;
}

const char *
lr_error(const struct lr *lr)
{
	return lr->err;
}

enum lr_errkind
lr_errkind(const struct lr *lr)
{
	return lr->errkind;
}

long long
lr_commands(const struct lr *lr)
{
	return lr->ncommands;
}

const char *
lr_api_name(const struct lr *lr)
{
	return lr->be->name;
}

int
lr_fail(struct lr *lr, enum lr_errkind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lr->err, sizeof(lr->err), fmt, ap);
	va_end(ap);
	lr->errkind = kind;
	return -1;
}

bool
lr_stopping(const struct lr *lr)
{
	return lr->stop != NULL && *lr->stop;
}

/* Copies the server's own explanation of a 4xx (message, reason or
 * errorMessage), printable ASCII only, into buf: "" if none. */
static void
lr_server_reason(const struct cbhttp_resp *r, char *buf, size_t size)
{
	static const char *const keys[] = {
	    "message", "reason", "errorMessage", "error"};
	const char *msg = NULL;
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < 4 && msg == NULL; i++)
		if (json_is_object(r->json))
			msg = json_string_value(
			    json_object_get(r->json, keys[i]));
	if (msg == NULL && r->json == NULL && r->body != NULL)
		msg = r->body;
	if (msg == NULL || size < 4)
		return;
	buf[n++] = ':';
	buf[n++] = ' ';
	for (; *msg != '\0' && n + 1 < size && n < 160; msg++)
		buf[n++] = isprint((unsigned char)*msg) ? *msg : ' ';
	buf[n] = '\0';
}

json_t *
lr_call(struct lr *lr, const char *method, const char *path, json_t *body,
    const char *what)
{
	struct cbhttp_resp r;
	char reason[200];
	json_t *json = NULL;

	lr->errkind = LR_OK;
	lr->err[0] = '\0';
	lr->status = 0;
	lr->retry_after = -1;
	lr->maybe_acted = false;
	lr->reason[0] = '\0';
	if (cbhttp_request(lr->http, method, path, body, &r) == -1) {
		lr->maybe_acted = r.maybe_acted;
		lr_fail(lr, LR_ETRANSIENT,
		    "could not %s: no answer from Carbon Black Cloud (%s)",
		    what, r.err);
		goto out;
	}
	lr_server_reason(&r, reason, sizeof(reason));
	lr->status = r.status;
	snprintf(lr->reason, sizeof(lr->reason), "%s", reason);
	if (r.status == 401)
		lr_fail(lr, LR_EAUTH,
		    "could not %s: Carbon Black Cloud rejected the API key (HTTP 401); check the Live Response key",
		    what);
	else if (r.status == 403 && util_stristr(r.body ? r.body : "", "limit"))
		lr_fail(lr, LR_ELIMIT,
		    "could not %s: the Live Response session limit is reached (HTTP 403%s)",
		    what, reason);
	else if (r.status == 403)
		lr_fail(lr, LR_EAUTH,
		    "could not %s: the API key is not allowed to do this (HTTP 403%s)",
		    what, reason);
	else if (r.status == 404)
		lr_fail(lr, LR_ENOTFOUND,
		    "could not %s: not found (HTTP 404%s)", what, reason);
	else if (r.status == 429 && (lr->retry_after = r.retry_after, 1))
		lr_fail(lr, LR_ETRANSIENT,
		    "could not %s: Carbon Black Cloud is rate limiting us (HTTP 429)",
		    what);
	else if (r.status >= 500 && (lr->maybe_acted = r.maybe_acted))
		lr_fail(lr, LR_ETRANSIENT,
		    "could not %s: Carbon Black Cloud had a server error (HTTP %ld)",
		    what, r.status);
	else if (r.status >= 500)
		lr_fail(lr, LR_ETRANSIENT,
		    "could not %s: Carbon Black Cloud had a server error (HTTP %ld) and kept failing after retries",
		    what, r.status);
	else if (r.status < 200 || r.status > 299)
		lr_fail(lr, LR_EPROTO,
		    "could not %s: Carbon Black Cloud refused the request (HTTP %ld%s)",
		    what, r.status, reason);
	else if (r.len > 0 && r.json == NULL)
		lr_fail(lr, LR_EPROTO,
		    "could not %s: Carbon Black Cloud sent an answer that is not JSON",
		    what);
	else
		json = r.json != NULL ? json_incref(r.json) : json_object();
out:
	cbhttp_resp_release(&r);
	return json;
}

int
lr_call_ok(
    struct lr *lr, const char *method, const char *path, const char *what)
{
	json_t *resp = lr_call(lr, method, path, NULL, what);

	json_decref(resp);
	return resp != NULL ? 0 : -1;
}

json_t *
lr_call_list(struct lr *lr, const char *path, const char *what)
{
	json_t *list = lr_call(lr, "GET", path, NULL, what);

	/* An array, or {"results": [...]}: take either. */
	if (json_is_object(list) &&
	    json_is_array(json_object_get(list, "results"))) {
		json_t *a = json_incref(json_object_get(list, "results"));

		json_decref(list);
		list = a;
	}
	if (list != NULL && !json_is_array(list)) {
		json_decref(list);
		lr_fail(lr, LR_EPROTO, "could not %s: the answer is not a list",
		    what);
		return NULL;
	}
	return list;
}

/* ------------------------------------------------------------------ */
/* Devices and sessions */

int
lr_device_get(struct lr *lr, int64_t device_id, struct lr_device *out)
{
	memset(out, 0, sizeof(*out));
	return lr->be->device_get(lr, device_id, out);
}

void
lr_device_release(struct lr_device *d)
{
	free(d->name);
	free(d->os);
	free(d->last_contact);
	json_decref(d->sensor_states);
	memset(d, 0, sizeof(*d));
}

char *
lr_os_string(const char *type, const char *version)
{
	char *os;
	size_t n;

	if (type == NULL && version == NULL)
		return NULL;
	os = xasprintf("%s%s%s", type ? type : "", type && version ? " " : "",
	    version ? version : "");
	n = strlen(os);
	while (n > 0 && os[n - 1] == ' ') /* "Server 2012 R2 x64 " */
		os[--n] = '\0';
	return os;
}

/* After a create whose answer was lost: the device's session the cloud
 * made, if any (a new id string), else NULL.  Only one job per device
 * runs at a time, so an open session on it is the one we asked for (or an
 * analyst's, which we share as the console does). */
static char *
lr_session_adopt(struct lr *lr, int64_t device_id)
{
	json_t *list, *sess;
	char *sid = NULL;
	size_t i;

	if (lr->be->session_list == NULL ||
	    (list = lr->be->session_list(lr)) == NULL)
		return NULL;
	json_array_foreach(list, i, sess)
	{
		const char *id = json_string_value(json_object_get(sess, "id"));

		if (id != NULL && lr->be->session_device(sess) == device_id &&
		    lr_session_state(sess) != LR_STATE_ENDED) {
			free(sid);
			sid = xstrdup(id); /* the newest wins: lists are in
					      creation order */
		}
	}
	json_decref(list);
	return sid;
}

char *
lr_session_open(struct lr *lr, int64_t device_id, bool adopt)
{
	char *sid = NULL;

	/* An earlier attempt may have died with a session open on the
	 * device (killed while the create was on the wire): use it rather
	 * than leave it holding one of the org's sessions. */
	if (adopt && (sid = lr_session_adopt(lr, device_id)) != NULL) {
		log_info(
		    "device %" PRId64
		    ": took over session %s left open by an earlier attempt",
		    device_id, sid);
		goto check;
	}
	sid = lr->be->session_open(lr, device_id);

	if (sid == NULL && lr->maybe_acted) {
		char err[sizeof(lr->err)];
		enum lr_errkind kind = lr->errkind;

		snprintf(err, sizeof(err), "%s", lr->err);
		log_warnx(
		    "device %" PRId64
		    ": the answer to the session create was lost; looking for the session the cloud may have made",
		    device_id);
		if ((sid = lr_session_adopt(lr, device_id)) != NULL)
			log_info("device %" PRId64 ": took over session %s",
			    device_id, sid);
		else
			lr_fail(lr, kind, "%s", err);
	}
check:
	lr->keepalive_ms = util_mono_ms();
	lr_ahead_drop(lr); /* an earlier session's */
	lr_poll_reset(lr);
	/* The id goes into URL paths: refuse anything but "1:21212"-like. */
	if (sid != NULL &&
	    (strlen(sid) > 100 ||
		strspn(sid, "0123456789abcdefABCDEF:-_.") != strlen(sid))) {
		lr_fail(lr, LR_EPROTO,
		    "Carbon Black Cloud returned an unusable session id");
		free(sid);
		return NULL;
	}
	return sid;
}

enum lr_state
lr_session_state(json_t *session)
{
	static const char *const ended[] = {"error", "close", "closed",
	    "timeout", "inactive", "cancelled", "canceled"};
	const char *status =
	    json_string_value(json_object_get(session, "status"));

	if (status == NULL)
		return LR_STATE_UNKNOWN;
	if (util_strieq(status, "active"))
		return LR_STATE_ACTIVE;
	for (size_t i = 0; i < sizeof(ended) / sizeof(ended[0]); i++)
		if (util_strieq(status, ended[i]))
			return LR_STATE_ENDED;
	return LR_STATE_PENDING;
}

int
lr_session_wait(struct lr *lr, const char *sid, int timeout_s)
{
	int64_t deadline = util_mono_ms() + (int64_t)timeout_s * 1000, left;

	for (;;) {
		json_t *s;
		enum lr_state state;

		if (lr_stopping(lr))
			return lr_fail(lr, LR_ESTOPPED,
			    "the worker shut down while waiting for the device to check in");
		if ((s = lr->be->session_get(lr, sid)) == NULL)
			return -1;
		state = lr_session_state(s);
		if (state == LR_STATE_UNKNOWN) {
			json_decref(s);
			return lr_fail(lr, LR_EPROTO,
			    "Live Response session %s has no status", sid);
		}
		if (state == LR_STATE_ACTIVE) {
			json_decref(s);
			return 0;
		}
		if (state == LR_STATE_ENDED) {
			lr_fail(lr, LR_ESESSION,
			    "Live Response session %s ended with status %s before the device checked in",
			    sid,
			    json_string_value(json_object_get(s, "status")));
			json_decref(s);
			return -1;
		}
		json_decref(s);
		/* The last poll is at the deadline, not a period before it. */
		if ((left = deadline - util_mono_ms()) <= 0)
			return lr_fail(lr, LR_ETIMEOUT,
			    "the device did not check in within %d s",
			    timeout_s);
		lr_wait(lr,
		    left < lr->session_poll_ms ? left : lr->session_poll_ms);
	}
}

int
lr_session_close(struct lr *lr, const char *sid)
{
	int ret = -1;

	/* Even at shutdown: the stop flag must not cut these retries short. */
	cbhttp_set_stop(lr->http, NULL);
	for (int i = 0; i < LR_CLOSE_TRIES && ret == -1; i++) {
		if (i > 0)
			util_sleep_ms(2000 * i, NULL);
		ret = lr->be->session_close(lr, sid);
		if (ret == -1 &&
		    (lr->errkind == LR_EAUTH || lr->errkind == LR_EPROTO))
			break; /* asking again will not help */
	}
	cbhttp_set_stop(lr->http, lr->stop);
	return ret;
}
