/* sim_cmd.c - the simulated sensor running Live Response commands:
 * their outcomes, decided when a command is submitted (so "get file"
 * captures the bytes of that moment), their timing (command_ms after the
 * submit, or with command_serial after the session's previous command),
 * and the files and download links they leave (see sim.h). */
#include "sim.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "endpoint.h"
#include "history.h"
#include "registry.h"
#include "sessions.h"

/* Commands the simulator implements (a subset of the Windows list). */
static const char *const sim_commands[] = {"create process", "get file",
    "delete file", "process list", "directory list", "reg enum key"};

bool
sim_command_supported(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(sim_commands) / sizeof(sim_commands[0]); i++)
		if (strcmp(name, sim_commands[i]) == 0)
			return true;
	return false;
}

/* Marks c as ending in a WinHresult error. */
static void
sim_command_fail(struct sim_command *c, long long code, const char *desc)
{
	c->failed = true;
	json_object_set_new(c->result, "result_code", json_integer(code));
	json_object_set_new(
	    c->result, "result_type", json_string("WinHresult"));
	json_object_set_new(c->result, "result_desc", json_string(desc));
}

/* Returns the text `net start` prints for d (new blob, CRLF lines). */
static struct vfs_blob *
sim_net_start(const struct sim_device *d)
{
	char *out, *next;
	size_t i;

	out = xstrdup("These Windows services are started:\r\n\r\n");
	for (i = 0; i < d->nservices; i++) {
		next = xasprintf("%s   %s\r\n", out, d->services[i]);
		free(out);
		out = next;
	}
	next =
	    xasprintf("%s\r\nThe command completed successfully.\r\n\r\n", out);
	free(out);
	return vfs_blob_take((unsigned char *)next, strlen(next));
}

/* Appends one v3 process-list entry to procs. */
static void
sim_process_add(json_t *procs, const struct sim_device *d, int pid, int ppid,
    const char *path, const char *cmdline, const char *sid, const char *user,
    int64_t t)
{
	char guid[48], pguid[48];

	snprintf(guid, sizeof(guid),
	    "%08" PRIx64 "-0000-%04x-01d0-14c0c80ce18b", d->id, (unsigned)pid);
	snprintf(pguid, sizeof(pguid),
	    "%08" PRIx64 "-0000-%04x-01d0-14c0c80ce18b", d->id, (unsigned)ppid);
	json_array_append_new(
	    procs, json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
		       "pid", pid, "create_time", (json_int_t)t, "proc_guid",
		       guid, "path", path, "command_line", cmdline, "sid", sid,
		       "username", user, "parent", ppid, "parent_guid", pguid));
}

/* Returns the v3 processes[] of d (new reference): system processes as
 * NT AUTHORITY\SYSTEM, and an explorer.exe (plus chrome.exe if it has a
 * History) per logged-in user, owned by CORP\<user>. */
static json_t *
sim_processes(const struct sim *s, const struct sim_device *d)
{
	static const char sys[] = "NT AUTHORITY\\SYSTEM", ssid[] = "s-1-5-18";
	static const char sv[] = "c:\\windows\\system32\\svchost.exe";
	json_t *procs = json_array();
	int64_t boot = s->start_ms / 1000 - 3 * 3600;
	char *user, *sid;
	size_t i;
	int pid;

	sim_process_add(procs, d, 4, 0, "", "", ssid, sys, boot);
	sim_process_add(procs, d, 276, 4, "c:\\windows\\system32\\smss.exe",
	    "\\SystemRoot\\System32\\smss.exe", ssid, sys, boot);
	sim_process_add(procs, d, 372, 364, "c:\\windows\\system32\\csrss.exe",
	    "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows", ssid,
	    sys, boot);
	sim_process_add(procs, d, 448, 364,
	    "c:\\windows\\system32\\wininit.exe", "wininit.exe", ssid, sys,
	    boot);
	sim_process_add(procs, d, 560, 448,
	    "c:\\windows\\system32\\services.exe",
	    "C:\\Windows\\system32\\services.exe", ssid, sys, boot);
	sim_process_add(procs, d, 576, 448, "c:\\windows\\system32\\lsass.exe",
	    "C:\\Windows\\system32\\lsass.exe", ssid, sys, boot);
	sim_process_add(procs, d, 680, 560, sv,
	    "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", ssid, sys,
	    boot);
	sim_process_add(procs, d, 744, 560, sv,
	    "C:\\Windows\\system32\\svchost.exe -k RPCSS -p", ssid, sys, boot);
	sim_process_add(procs, d, 892, 560, sv,
	    "C:\\Windows\\system32\\svchost.exe -k netsvcs -p", ssid, sys,
	    boot);
	sim_process_add(procs, d, 1304, 560,
	    "c:\\program files\\confer\\repmgr.exe",
	    "\"C:\\Program Files\\Confer\\RepMgr.exe\"", ssid, sys, boot);
	for (i = 0; i < d->nusers; i++) {
		if (d->users[i].logged_off)
			continue;
		user = xasprintf("CORP\\%s", d->users[i].name);
		sid = xasprintf(
		    "S-1-5-21-3623811015-3361044348-30300820-%zu", 1001 + i);
		pid = 3012 + (int)i * 412;
		sim_process_add(procs, d, pid, 2980 + (int)i * 412,
		    "c:\\windows\\explorer.exe", "C:\\Windows\\Explorer.EXE",
		    sid, user, boot + 120 + (int64_t)i * 60);
		if (d->users[i].history != SIM_HISTORY_NONE)
			sim_process_add(procs, d, pid + 200, pid,
			    "c:\\program files\\google\\chrome\\application\\chrome.exe",
			    "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"",
			    sid, user, boot + 600 + (int64_t)i * 60);
		free(user);
		free(sid);
	}
	return procs;
}

/* Runs "create process": an output_file receives what reg.exe query or
 * sc.exe queryex print (registry_text.c) for those command lines, the
 * `net start` text for a net start, else nothing (an empty file). */
static void
sim_run_create_process(struct sim *s, struct sim_session *ss,
    const struct sim_device *d, struct sim_command *c, json_t *req,
    int64_t now_ms)
{
	const char *cmdline = json_string_value(json_object_get(req, "object"));
	const char *out =
	    json_string_value(json_object_get(req, "output_file"));
	struct vfs_blob *b;
	const char *words;
	int rc = 0;

	if (cmdline == NULL)
		cmdline = "";
	if (endpoint_copy(&ss->vfs, cmdline, now_ms / 1000, &rc, &words)) {
		s->stats.copies++;
		if (out != NULL && *out != '\0')
			vfs_put_new(&ss->vfs, out,
			    vfs_blob_new(words, strlen(words)), now_ms / 1000);
	} else if (out != NULL && *out != '\0') {
		if (registry_is_query(cmdline))
			b = registry_query_output(s, ss, d);
		else if (registry_is_sc(cmdline))
			b = registry_sc_output(s, ss, d);
		else if (util_stristr(cmdline, "net") != NULL &&
			 util_stristr(cmdline, "start") != NULL)
			b = sim_net_start(d);
		else
			b = vfs_blob_new(NULL, 0);
		vfs_put_new(&ss->vfs, out, b, now_ms / 1000);
	}
	json_object_set_new(c->result, "pid", json_integer(s->next_pid));
	json_object_set_new(c->result, "return_code", json_integer(rc));
	s->next_pid += 4;
}

/* Runs "get file": captures the bytes now and exposes file_id. */
static void
sim_run_get_file(struct sim *s, struct sim_session *ss, struct sim_command *c,
    const char *path)
{
	struct vfs_blob *b = path ? vfs_get(&ss->vfs, path) : NULL;
	struct sim_file *f;

	util_uuid(c->file_uuid);
	if (b == NULL) {
		sim_command_fail(c, SIM_E_FILE_NOT_FOUND, "File not found");
		return;
	}
	if (vfs_locked(&ss->vfs, path)) {
		sim_command_fail(c, SIM_E_SHARING,
		    "The process cannot access the file because it is being used by another process.");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->id = s->next_file++;
	f->blob = vfs_blob_ref(b);
	memcpy(f->uuid, c->file_uuid, sizeof(f->uuid));
	f->next = ss->files;
	ss->files = f;
	json_object_set_new(c->obj, "file_id", json_integer(f->id));
}

/* Records how many of ss's commands are submitted and not done at
 * now_ms, if more than ever before. */
static void
sim_count_waiting(struct sim *s, const struct sim_session *ss, int64_t now_ms)
{
	long long n = 0;

	for (size_t i = ss->ncmds; i > 0 && ss->cmds[i - 1].done_ms > now_ms;
	     i--)
		n++;
	if (n > s->stats.commands_waiting_peak)
		s->stats.commands_waiting_peak = n;
}

struct sim_command *
sim_command_run(struct sim *s, struct sim_session *ss, const char *name,
    json_t *req, int64_t now_ms)
{
	const struct sim_device *d = sim_device_find(s, ss->device_id);
	json_t *object = json_object_get(req, "object"), *files;
	const char *path = json_string_value(object);
	struct sim_command *c;
	json_int_t n;

	if (ss->ncmds == ss->cmdcap) {
		ss->cmdcap = ss->cmdcap ? ss->cmdcap * 2 : 8;
		ss->cmds = xrealloc(ss->cmds, ss->cmdcap * sizeof(*ss->cmds));
	}
	c = &ss->cmds[ss->ncmds];
	c->obj = json_pack("{s:I, s:s, s:I, s:i, s:s, s:O?, s:i, s:I}", "id",
	    (json_int_t)ss->ncmds, "session_id", ss->id, "sensor_id",
	    (json_int_t)ss->device_id, "command_timeout", SIM_COMMAND_TIMEOUT,
	    "name", name, "object", object, "completion_time", 0, "create_time",
	    (json_int_t)now_ms);
	c->result = json_object();
	c->failed = false;
	c->file_uuid[0] = '\0';
	c->submit_ms = now_ms;
	c->start_ms = now_ms;
	if (s->command_serial && ss->ncmds > 0 &&
	    ss->cmds[ss->ncmds - 1].done_ms > now_ms)
		c->start_ms = ss->cmds[ss->ncmds - 1].done_ms;
	c->done_ms = c->start_ms + s->command_ms;
	ss->ncmds++;
	sim_count_waiting(s, ss, now_ms);
	sessions_touch(ss, now_ms);

	/* Open sessions always have a device (deleting one drops them), but
	 * never dereference a missing one. */
	if (d == NULL)
		sim_command_fail(c, SIM_E_PATH_NOT_FOUND, "Device not found");
	else if (d->fail_command != NULL && strcmp(d->fail_command, name) == 0)
		sim_command_fail(c, SIM_E_ACCESS_DENIED, "Access is denied");
	else if (strcmp(name, "create process") == 0)
		sim_run_create_process(s, ss, d, c, req, now_ms);
	else if (strcmp(name, "get file") == 0)
		sim_run_get_file(s, ss, c, path);
	else if (strcmp(name, "delete file") == 0) {
		if (path == NULL || vfs_delete(&ss->vfs, path) == -1)
			sim_command_fail(
			    c, SIM_E_FILE_NOT_FOUND, "File not found");
	} else if (strcmp(name, "reg enum key") == 0)
		registry_enum_key(s, ss, d, c, path);
	else if (strcmp(name, "process list") == 0)
		json_object_set_new(
		    c->result, "processes", sim_processes(s, d));
	else if (strcmp(name, "directory list") == 0) {
		if (path == NULL || (files = vfs_list(&ss->vfs, path)) == NULL)
			sim_command_fail(
			    c, SIM_E_PATH_NOT_FOUND, "Path not found");
		else
			json_object_set_new(c->result, "files", files);
	}

	s->stats.commands++;
	n = json_integer_value(
	    json_object_get(s->stats.commands_by_name, name));
	json_object_set_new(
	    s->stats.commands_by_name, name, json_integer(n + 1));
	log_debug("session %s command %zu '%s' -> %s", ss->id, ss->ncmds - 1,
	    name, c->failed ? "error" : "complete");
	return c;
}

struct sim_command *
sim_command_find(struct sim_session *ss, long long id)
{
	if (id < 0 || (size_t)id >= ss->ncmds)
		return NULL;
	return &ss->cmds[id];
}

json_t *
sim_command_json(const struct sim_command *c, int64_t now_ms)
{
	json_t *o = json_copy(c->obj);

	if (now_ms < 0 || now_ms < c->start_ms) {
		json_object_set_new(o, "status", json_string("pending"));
		return o;
	}
	if (now_ms < c->done_ms) {
		json_object_set_new(o, "status", json_string("in progress"));
		return o;
	}
	json_object_set_new(
	    o, "status", json_string(c->failed ? "error" : "complete"));
	json_object_set_new(
	    o, "completion_time", json_integer(c->done_ms / 1000));
	json_object_update(o, c->result);
	return o;
}

struct sim_file *
sim_file_find(const struct sim_session *ss, long long id)
{
	struct sim_file *f;

	for (f = ss->files; f != NULL; f = f->next)
		if (f->id == id)
			return f;
	return NULL;
}

struct sim_file *
sim_file_find_uuid(const struct sim_session *ss, const char *uuid)
{
	struct sim_file *f;

	for (f = ss->files; f != NULL; f = f->next)
		if (strcmp(f->uuid, uuid) == 0)
			return f;
	return NULL;
}

int
sim_file_delete(struct sim_session *ss, const char *uuid)
{
	struct sim_file **pp, *f;

	for (pp = &ss->files; (f = *pp) != NULL; pp = &f->next) {
		if (strcmp(f->uuid, uuid) == 0) {
			*pp = f->next;
			vfs_blob_unref(f->blob);
			free(f);
			return 0;
		}
	}
	return -1;
}

struct sim_link *
sim_link_new(struct sim_session *ss, const struct sim_file *f)
{
	struct sim_link *l = xcalloc(1, sizeof(*l));

	util_random_hex(l->key, 16);
	util_random_hex(l->sig, 16);
	l->blob = vfs_blob_ref(f->blob);
	l->next = ss->links;
	ss->links = l;
	return l;
}

struct vfs_blob *
sim_link_find(const struct sim *s, const char *key, const char *sig)
{
	const struct sim_session *ss;
	const struct sim_link *l;

	for (ss = s->sessions; ss != NULL; ss = ss->next) {
		if (ss->closed)
			continue;
		for (l = ss->links; l != NULL; l = l->next)
			if (strcmp(l->key, key) == 0)
				return sig != NULL && strcmp(l->sig, sig) == 0
					   ? l->blob
					   : NULL;
	}
	return NULL;
}
