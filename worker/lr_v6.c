/* lr_v6.c - the current Live Response back end, per cb-api.md §3.2-3.3
 * and Appendix A.2: /appservices/v6/orgs/{org_key}/liveresponse.
 *
 * What differs from v3: the session is created with POST .../sessions
 * {"device_id"} (201) and closed with DELETE .../sessions/{sid} (204);
 * commands name their argument "path"; "get file" gives its file id in
 * file_details.file_id (a UUID); the content answers 302 to a storage
 * host (cbhttp_download follows it without the token) and the cloud's
 * copy is removed after.  The device comes from the Devices v6 API. */
#include "lr_v6.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lr_backend.h"
#include "util.h"
#include "xmalloc.h"

#define V6_ORGS "/appservices/v6/orgs/"
#define V6_PATH 512 /* longest route we build */

/* Returns a new copy of a non-empty string member, or NULL. */
static char *
v6_strdup(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* Writes V6_ORGS{org_key}/liveresponse/sessions + the rest into buf. */
static void v6_path(const struct lr *lr, char *buf, size_t size,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
v6_path(const struct lr *lr, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(
	    buf, size, V6_ORGS "%s/liveresponse/sessions", lr->cred->org_key);
	if (n < 0 || (size_t)n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Rewrites a 401/403 error (not the session limit) into a sentence that
 * names what the key is missing: permission, or the org key. */
static void
v6_auth_hint(struct lr *lr, const char *what, const char *permission)
{
	const char *org = lr->cred->org_key;

	if (lr->errkind != LR_EAUTH)
		return;
	if (lr->status == 401)
		lr_fail(lr, LR_EAUTH,
		    "could not %s: Carbon Black Cloud rejected the API key (HTTP 401%s); check the API ID and secret key in the credentials, and that the key's access level grants %s",
		    what, lr->reason, permission);
	else
		lr_fail(lr, LR_EAUTH,
		    "could not %s: Carbon Black Cloud refused the API key (HTTP %ld%s); its access level needs %s, and org key %s must be the key's own organization",
		    what, lr->status, lr->reason, permission, org);
}

/* ------------------------------------------------------------------ */
/* Reading answers (no HTTP: the unit tests call these) */

char *
lr_v6_session_id(json_t *session)
{
	return v6_strdup(session, "id");
}

json_t *
lr_v6_command_body(
    const char *sid, const char *name, const char *arg, json_t *extra)
{
	json_t *req = json_pack("{s:s,s:s}", "name", name, "session_id", sid);

	if (arg != NULL)
		json_object_set_new(req, "path", json_string(arg));
	if (extra != NULL)
		json_object_update(req, extra);
	return req;
}

/* Copies id (a string or an integer) into buf if it can go into a URL
 * path.  0 or -1. */
static int
v6_copy_file_id(json_t *id, char *buf, size_t size)
{
	const char *s;
	int n;

	if (json_is_integer(id))
		n = snprintf(
		    buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	else if ((s = json_string_value(id)) != NULL && *s != '\0' &&
		 strspn(s, "0123456789abcdefABCDEF-") == strlen(s))
		n = snprintf(buf, size, "%s", s);
	else
		return -1;
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
lr_v6_file_id(json_t *submitted, json_t *completed, char *buf, size_t size)
{
	json_t *cands[] = {
	    json_object_get(
		json_object_get(submitted, "file_details"), "file_id"),
	    json_object_get(
		json_object_get(completed, "file_details"), "file_id"),
	    json_object_get(submitted, "file_id"),
	    json_object_get(completed, "file_id"),
	};

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (cands[i] != NULL &&
		    v6_copy_file_id(cands[i], buf, size) == 0)
			return 0;
	return -1;
}

int
lr_v6_device_parse(json_t *body, struct lr_device *out)
{
	json_t *states, *v;
	const char *lc;
	size_t i;

	if (!json_is_object(body))
		return -1;
	out->name = v6_strdup(body, "name");
	out->os = lr_os_string(json_string_value(json_object_get(body, "os")),
	    json_string_value(json_object_get(body, "os_version")));
	lc = json_string_value(json_object_get(body, "last_contact_time"));
	if (lc != NULL && *lc != '\0') {
		out->last_contact = xstrdup(lc);
		if (util_parse_iso8601(lc, &out->last_contact_ms) == -1) {
			log_debug(
			    "device: unreadable last_contact_time %.40s", lc);
			out->last_contact_ms = 0;
		}
	}
	states = json_object_get(body, "sensor_states");
	if (json_is_array(states)) {
		out->sensor_states = json_array();
		json_array_foreach(states, i, v) if (json_is_string(v))
		    json_array_append(out->sensor_states, v);
	}
	return 0;
}

json_t *
lr_v6_processes(json_t *completed)
{
	return json_object_get(completed, "processes");
}

const char *
lr_v6_permission(const char *command)
{
	static const struct {
		const char *command, *permission;
	} perms[] = {
	    {"get file", "org.liveresponse.file READ"},
	    {"directory list", "org.liveresponse.file READ"},
	    {"delete file", "org.liveresponse.file READ and DELETE"},
	    {"put file", "org.liveresponse.file CREATE and READ"},
	    {"process list", "org.liveresponse.process READ"},
	    {"create process",
		"org.liveresponse.process EXECUTE (and org.liveresponse.file READ and DELETE for its output)"},
	};

	for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++)
		if (util_strieq(command, perms[i].command))
			return perms[i].permission;
	return "the org.liveresponse permission for this command";
}

/* ------------------------------------------------------------------ */
/* The back end */

static int
v6_device_get(struct lr *lr, int64_t device_id, struct lr_device *out)
{
	char path[V6_PATH], what[96];
	json_t *body;

	snprintf(path, sizeof(path), V6_ORGS "%s/devices/%" PRId64,
	    lr->cred->org_key, device_id);
	snprintf(what, sizeof(what), "look up device %" PRId64, device_id);
	if ((body = lr_call(lr, "GET", path, NULL, what)) == NULL) {
		v6_auth_hint(lr, what, "device READ");
		return -1;
	}
	if (lr_v6_device_parse(body, out) == -1) {
		json_decref(body);
		return lr_fail(lr, LR_EPROTO,
		    "could not %s: the answer is not a device record", what);
	}
	json_decref(body);
	return 0;
}

static char *
v6_session_open(struct lr *lr, int64_t device_id)
{
	char path[V6_PATH], what[128];
	json_t *req, *resp;
	char *sid;

	v6_path(lr, path, sizeof(path), "%s", "");
	snprintf(what, sizeof(what),
	    "open a Live Response session on device %" PRId64, device_id);
	req = json_pack("{s:I}", "device_id", (json_int_t)device_id);
	resp = lr_call(lr, "POST", path, req, what);
	json_decref(req);
	if (resp == NULL) {
		v6_auth_hint(
		    lr, what, "org.liveresponse.session CREATE and READ");
		return NULL;
	}
	if (lr->status != 201 && lr->status != 200)
		log_debug("device %" PRId64
			  ": session create answered HTTP %ld",
		    device_id, lr->status);
	if ((sid = lr_v6_session_id(resp)) == NULL)
		lr_fail(lr, LR_EPROTO,
		    "could not %s: the answer has no session id", what);
	json_decref(resp);
	return sid;
}

static json_t *
v6_session_get(struct lr *lr, const char *sid)
{
	char path[V6_PATH], what[128];
	json_t *s;

	v6_path(lr, path, sizeof(path), "/%s", sid);
	snprintf(what, sizeof(what), "check Live Response session %s", sid);
	if ((s = lr_call(lr, "GET", path, NULL, what)) == NULL)
		v6_auth_hint(lr, what, "org.liveresponse.session READ");
	return s;
}

static int
v6_session_close(struct lr *lr, const char *sid)
{
	char path[V6_PATH], what[128];
	json_t *resp;

	v6_path(lr, path, sizeof(path), "/%s", sid);
	snprintf(what, sizeof(what), "close Live Response session %s", sid);
	if ((resp = lr_call(lr, "DELETE", path, NULL, what)) != NULL) {
		json_decref(resp);
		return 0;
	}
	if (lr->errkind == LR_ENOTFOUND) {
		/* Gone already (timed out, or closed by someone else). */
		log_debug("session %s was already closed (HTTP 404)", sid);
		lr->errkind = LR_OK;
		lr->err[0] = '\0';
		return 0;
	}
	v6_auth_hint(lr, what, "org.liveresponse.session READ and DELETE");
	return -1;
}

static json_t *
v6_session_list(struct lr *lr)
{
	char path[V6_PATH];

	v6_path(lr, path, sizeof(path), "%s", "");
	return lr_call_list(lr, path, "list Live Response sessions");
}

static int64_t
v6_session_device(json_t *session)
{
	json_t *d = json_object_get(session, "device_id");

	return json_is_integer(d) ? (int64_t)json_integer_value(d) : -1;
}

static json_t *
v6_command_list(struct lr *lr, const char *sid)
{
	char path[V6_PATH], what[128];

	v6_path(lr, path, sizeof(path), "/%s/commands", sid);
	snprintf(what, sizeof(what), "list the commands of session %s", sid);
	return lr_call_list(lr, path, what);
}

static int
v6_session_keepalive(struct lr *lr, const char *sid)
{
	char path[V6_PATH], what[128];

	v6_path(lr, path, sizeof(path), "/%s/keepalive", sid);
	snprintf(
	    what, sizeof(what), "keep Live Response session %s alive", sid);
	return lr_call_ok(lr, "GET", path, what);
}

static json_t *
v6_command_submit(struct lr *lr, const char *sid, const char *name,
    const char *arg, json_t *extra)
{
	char path[V6_PATH], what[128];
	json_t *req, *resp;

	v6_path(lr, path, sizeof(path), "/%s/commands", sid);
	snprintf(what, sizeof(what), "send %s to session %s", name, sid);
	req = lr_v6_command_body(sid, name, arg, extra);
	resp = lr_call(lr, "POST", path, req, what);
	json_decref(req);
	if (resp == NULL)
		v6_auth_hint(lr, what, lr_v6_permission(name));
	return resp;
}

static json_t *
v6_command_get(struct lr *lr, const char *sid, long long id)
{
	char path[V6_PATH], what[128];

	v6_path(lr, path, sizeof(path), "/%s/commands/%lld", sid, id);
	snprintf(
	    what, sizeof(what), "check command %lld of session %s", id, sid);
	return lr_call(lr, "GET", path, NULL, what);
}

static int
v6_file_content(struct lr *lr, const char *sid, const char *file_id, size_t max,
    FILE *out, struct cbhttp_resp *r)
{
	char path[V6_PATH];

	v6_path(lr, path, sizeof(path), "/%s/files/%s/content", sid, file_id);
	/* 302 to a storage host: followed by hand, without the token. */
	return out != NULL ? cbhttp_download_file(lr->http, path, max, out, r)
			   : cbhttp_download(lr->http, path, max, r);
}

static void
v6_file_delete(struct lr *lr, const char *sid, const char *file_id)
{
	char path[V6_PATH];
	struct cbhttp_resp r;

	v6_path(lr, path, sizeof(path), "/%s/files/%s", sid, file_id);
	if (cbhttp_request(lr->http, "DELETE", path, NULL, &r) == -1)
		log_debug("session %s: could not remove file %s: %s", sid,
		    file_id, r.err);
	else if (r.status != 204 && r.status != 200 && r.status != 404)
		log_debug("session %s: could not remove file %s: HTTP %ld", sid,
		    file_id, r.status);
	cbhttp_resp_release(&r);
}

const struct lr_backend lr_v6_backend = {
    .name = "v6",
    .device_get = v6_device_get,
    .session_open = v6_session_open,
    .session_get = v6_session_get,
    .session_close = v6_session_close,
    .session_keepalive = v6_session_keepalive,
    .session_list = v6_session_list,
    .session_device = v6_session_device,
    .command_list = v6_command_list,
    .command_submit = v6_command_submit,
    .command_get = v6_command_get,
    .file_id = lr_v6_file_id,
    .file_content = v6_file_content,
    .file_delete = v6_file_delete,
    .processes = lr_v6_processes,
};
