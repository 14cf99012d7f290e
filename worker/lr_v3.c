/* lr_v3.c - the legacy Live Response back end: /integrationServices/v3.
 *
 * What the 2019 seed (cbapi 1.4) sent, per cb-api.md Appendix A.1: the
 * session is created with POST .../cblr/session/{device} {"sensor_id"},
 * closed with PUT .../cblr/session {"session_id", "status": "CLOSE"};
 * commands name their argument "object"; "get file" answers with a
 * top-level integer "file_id". */
#include "lr_backend.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define V3_CBLR "/integrationServices/v3/cblr"
#define V3_DEVICE "/integrationServices/v3/device"

/* Returns a new copy of a non-empty string member, or NULL. */
static char *
v3_strdup(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static int
v3_device_get(struct lr *lr, int64_t device_id, struct lr_device *out)
{
	char path[128], what[96];
	json_t *body, *info;
	const char *type, *ver;

	snprintf(path, sizeof(path), V3_DEVICE "/%" PRId64, device_id);
	snprintf(what, sizeof(what), "look up device %" PRId64, device_id);
	if ((body = lr_call(lr, "GET", path, NULL, what)) == NULL)
		return -1;
	info = json_object_get(body, "deviceInfo");
	if (!json_is_object(info)) {
		json_decref(body);
		return lr_fail(lr, LR_EPROTO,
		    "could not %s: the answer has no deviceInfo", what);
	}
	out->name = v3_strdup(info, "name");
	type = json_string_value(json_object_get(info, "deviceType"));
	ver = json_string_value(json_object_get(info, "osVersion"));
	out->os = lr_os_string(type, ver);
	json_decref(body);
	return 0;
}

static char *
v3_session_open(struct lr *lr, int64_t device_id)
{
	char path[128], what[128];
	json_t *req, *resp;
	char *sid;

	snprintf(path, sizeof(path), V3_CBLR "/session/%" PRId64, device_id);
	snprintf(what, sizeof(what),
	    "open a Live Response session on device %" PRId64, device_id);
	req = json_pack("{s:I}", "sensor_id", (json_int_t)device_id);
	resp = lr_call(lr, "POST", path, req, what);
	json_decref(req);
	if (resp == NULL)
		return NULL;
	if ((sid = v3_strdup(resp, "id")) == NULL)
		lr_fail(lr, LR_EPROTO,
		    "could not %s: the answer has no session id", what);
	json_decref(resp);
	return sid;
}

static int
v3_session_keepalive(struct lr *lr, const char *sid)
{
	char path[256], what[128];

	snprintf(path, sizeof(path), V3_CBLR "/session/%s/keepalive", sid);
	snprintf(
	    what, sizeof(what), "keep Live Response session %s alive", sid);
	return lr_call_ok(lr, "GET", path, what);
}

static json_t *
v3_session_list(struct lr *lr)
{
	return lr_call_list(lr, V3_CBLR "/session", "list sessions");
}

static int64_t
v3_session_device(json_t *session)
{
	json_t *d = json_object_get(session, "sensor_id");

	if (!json_is_integer(d))
		d = json_object_get(session, "device_id");
	return json_is_integer(d) ? (int64_t)json_integer_value(d) : -1;
}

static json_t *
v3_command_list(struct lr *lr, const char *sid)
{
	char path[256], what[128];

	snprintf(path, sizeof(path), V3_CBLR "/session/%s/command", sid);
	snprintf(what, sizeof(what), "list the commands of session %s", sid);
	return lr_call_list(lr, path, what);
}

static json_t *
v3_session_get(struct lr *lr, const char *sid)
{
	char path[256], what[128];

	snprintf(path, sizeof(path), V3_CBLR "/session/%s", sid);
	snprintf(what, sizeof(what), "check Live Response session %s", sid);
	return lr_call(lr, "GET", path, NULL, what);
}

static int
v3_session_close(struct lr *lr, const char *sid)
{
	char what[128];
	json_t *req, *resp;

	snprintf(what, sizeof(what), "close Live Response session %s", sid);
	req = json_pack("{s:s,s:s}", "session_id", sid, "status", "CLOSE");
	resp = lr_call(lr, "PUT", V3_CBLR "/session", req, what);
	json_decref(req);
	json_decref(resp);
	return resp != NULL ? 0 : -1;
}

static json_t *
v3_command_submit(struct lr *lr, const char *sid, const char *name,
    const char *arg, json_t *extra)
{
	char path[256], what[128];
	json_t *req, *resp;

	snprintf(path, sizeof(path), V3_CBLR "/session/%s/command", sid);
	snprintf(what, sizeof(what), "send %s to session %s", name, sid);
	req = json_pack("{s:s,s:s}", "name", name, "session_id", sid);
	if (arg != NULL)
		json_object_set_new(req, "object", json_string(arg));
	if (extra != NULL)
		json_object_update(req, extra);
	resp = lr_call(lr, "POST", path, req, what);
	json_decref(req);
	return resp;
}

static json_t *
v3_command_get(struct lr *lr, const char *sid, long long id)
{
	char path[256], what[128];

	snprintf(
	    path, sizeof(path), V3_CBLR "/session/%s/command/%lld", sid, id);
	snprintf(
	    what, sizeof(what), "check command %lld of session %s", id, sid);
	return lr_call(lr, "GET", path, NULL, what);
}

static int
v3_file_id(json_t *submitted, json_t *completed, char *buf, size_t size)
{
	json_t *id = json_object_get(submitted, "file_id");

	if (!json_is_integer(id))
		id = json_object_get(completed, "file_id");
	if (json_is_integer(id))
		snprintf(
		    buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
	else if (json_is_string(id) && *json_string_value(id) != '\0')
		snprintf(buf, size, "%s", json_string_value(id));
	else
		return -1;
	return 0;
}

static int
v3_file_content(struct lr *lr, const char *sid, const char *file_id, size_t max,
    FILE *out, struct cbhttp_resp *r)
{
	char path[256];

	snprintf(path, sizeof(path), V3_CBLR "/session/%s/file/%s/content", sid,
	    file_id);
	return out != NULL ? cbhttp_download_file(lr->http, path, max, out, r)
			   : cbhttp_download(lr->http, path, max, r);
}

static json_t *
v3_processes(json_t *completed)
{
	return json_object_get(completed, "processes");
}

const struct lr_backend lr_v3_backend = {
    .name = "v3",
    .device_get = v3_device_get,
    .session_open = v3_session_open,
    .session_get = v3_session_get,
    .session_close = v3_session_close,
    .session_keepalive = v3_session_keepalive,
    .session_list = v3_session_list,
    .session_device = v3_session_device,
    .command_list = v3_command_list,
    .command_submit = v3_command_submit,
    .command_get = v3_command_get,
    .file_id = v3_file_id,
    .file_content = v3_file_content,
    .file_delete = NULL, /* v3 keeps no copy to remove */
    .processes = v3_processes,
};
