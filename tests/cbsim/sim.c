/* sim.c - state of the simulated cloud: devices, sessions, commands,
 * captured files, notifications and statistics.
 *
 * Command outcomes are decided when a command is submitted (so "get file"
 * captures the bytes of that moment); the command merely reports "pending"
 * until command_ms has passed.  With command_serial, a session's commands
 * run one after another as a sensor works through its queue: each starts
 * when the one before it is done ("pending" until then, "in progress"
 * while it runs) and takes command_ms.  A closed session keeps its id and status so
 * that polling it answers CLOSE, but drops its commands and files. */
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

/* Services a device runs unless the scenario says otherwise. */
static const char *const sim_default_services[] = {
    "Application Information",
    "Background Tasks Infrastructure Service",
    "Base Filtering Engine",
    "COM+ Event System",
    "Cryptographic Services",
    "DHCP Client",
    "DNS Client",
    "Group Policy Client",
    "Print Spooler",
    "Remote Procedure Call (RPC)",
    "Windows Event Log",
    "Windows Management Instrumentation",
};

/* A fake PE header, the content of the executables the endpoint has. */
static const char sim_mz[] =
    "MZ\x90\x00\x03This program cannot be run in DOS mode.\r\r\n$";

struct sim *
sim_new(void)
{
	struct sim *s = xcalloc(1, sizeof(*s));

	s->start_ms = util_now_ms();
	s->command_ms = 200;
	s->token = xstrdup("SIMSECRETLRKEY000000000/SIMLRID001");
	s->siem_token = xstrdup("SIMSECRETSIEMKEY0000000/SIMSIEMID01");
	s->next_session = 1;
	s->next_file = 1;
	s->next_pid = 4120;
	s->org_key = xstrdup("ABCD1234");
	s->stats.commands_by_name = json_object();
	return s;
}

void
sim_set_string(char **dst, const char *value)
{
	free(*dst);
	*dst = xstrdup(value);
}

/* Releases a session's commands, files and file system. */
static void
sim_session_release(struct sim_session *ss)
{
	struct sim_file *f, *next;
	struct sim_link *l, *lnext;
	size_t i;

	for (i = 0; i < ss->ncmds; i++) {
		json_decref(ss->cmds[i].obj);
		json_decref(ss->cmds[i].result);
	}
	free(ss->cmds);
	ss->cmds = NULL;
	ss->ncmds = ss->cmdcap = 0;
	for (f = ss->files; f != NULL; f = next) {
		next = f->next;
		vfs_blob_unref(f->blob);
		free(f);
	}
	ss->files = NULL;
	for (l = ss->links; l != NULL; l = lnext) {
		lnext = l->next;
		vfs_blob_unref(l->blob);
		free(l);
	}
	ss->links = NULL;
	vfs_clear(&ss->vfs);
}

void
sim_free(struct sim *s)
{
	struct sim_device *d, *dnext;
	struct sim_session *ss, *snext;
	struct sim_notif *n, *nnext;

	if (s == NULL)
		return;
	for (d = s->devices; d != NULL; d = dnext) {
		dnext = d->next;
		sim_device_free(d);
	}
	for (ss = s->sessions; ss != NULL; ss = snext) {
		snext = ss->next;
		sim_session_release(ss);
		free(ss->id);
		free(ss);
	}
	for (n = s->notifs; n != NULL; n = nnext) {
		nnext = n->next;
		json_decref(n->obj);
		free(n);
	}
	json_decref(s->stats.commands_by_name);
	sim_alerts_clear(&s->alerts);
	free(s->pauses);
	free(s->org_key);
	free(s->token);
	free(s->siem_token);
	free(s);
}

/* ---------------------------------------------------------------- devices */

struct sim_device *
sim_device_new(int64_t id)
{
	struct sim_device *d = xcalloc(1, sizeof(*d));
	size_t i,
	    n = sizeof(sim_default_services) / sizeof(sim_default_services[0]);

	d->id = id;
	d->name = xasprintf("WIN-SIM%" PRId64, id);
	d->os = xstrdup("WINDOWS");
	d->os_version = xstrdup("Windows 10 x64");
	d->checkin_after = 1;
	d->last_contact_ago = 30;
	d->lr_enabled = true;
	d->policy = xstrdup("Standard");
	d->services = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++)
		d->services[i] = xstrdup(sim_default_services[i]);
	d->nservices = n;
	return d;
}

void
sim_device_free(struct sim_device *d)
{
	size_t i, j;

	if (d == NULL)
		return;
	for (i = 0; i < d->nusers; i++) {
		for (j = 0; j < d->users[i].nvisits; j++) {
			free(d->users[i].visits[j].url);
			free(d->users[i].visits[j].title);
		}
		free(d->users[i].visits);
		free(d->users[i].name);
		endpoint_free_profiles(&d->users[i]);
	}
	free(d->users);
	for (i = 0; i < d->nservices; i++)
		free(d->services[i]);
	free(d->services);
	vfs_clear(&d->files);
	free(d->name);
	free(d->os);
	free(d->os_version);
	free(d->fail_command);
	free(d->policy);
	json_decref(d->registry);
	free(d);
}

/* Puts a new blob at path in v, dropping our reference. */
static void
sim_put_new(
    struct vfs *v, const char *path, struct vfs_blob *b, int64_t mtime_s)
{
	vfs_put(v, path, b, mtime_s);
	vfs_blob_unref(b);
}

/* Builds the files every session of d starts with: a few system
 * directories and executables, and C:\Users (endpoint.c).  Returns 0 or
 * -1 with err set. */
static int
sim_device_build(
    struct sim_device *d, int64_t now_ms, char *err, size_t errsize)
{
	static const char *const dirs[] = {"C:\\Windows",
	    "C:\\Windows\\System32", "C:\\Windows\\Temp", "C:\\Users",
	    "C:\\Program Files", "C:\\ProgramData"};
	static const char *const exes[] = {"C:\\Windows\\explorer.exe",
	    "C:\\Windows\\System32\\net.exe", "C:\\Windows\\System32\\cmd.exe",
	    "C:\\Windows\\System32\\svchost.exe"};
	int64_t t = now_ms / 1000 - 86400 * 30;
	size_t i;

	vfs_clear(&d->files);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		vfs_put(&d->files, dirs[i], NULL, t);
	for (i = 0; i < sizeof(exes) / sizeof(exes[0]); i++)
		sim_put_new(&d->files, exes[i],
		    vfs_blob_new(sim_mz, sizeof(sim_mz) - 1), t);
	return endpoint_build(&d->files, d, now_ms, err, errsize);
}

int
sim_device_add(struct sim *s, struct sim_device *d, char *err, size_t errsize)
{
	struct sim_device **pp, *old;

	if (sim_device_build(d, util_now_ms(), err, errsize) == -1) {
		sim_device_free(d);
		return -1;
	}
	for (pp = &s->devices; (old = *pp) != NULL; pp = &old->next) {
		if (old->id == d->id) {
			d->next = old->next;
			*pp = d;
			sim_device_free(old);
			/* Sessions find their device by id, so they see d from
			 * now on; those still waiting for the sensor wait for
			 * d's check-in instead (an offline device came back). */
			sessions_retime(s, d, util_now_ms());
			return 0;
		}
	}
	d->next = NULL;
	*pp = d;
	return 0;
}

struct sim_device *
sim_device_find(const struct sim *s, int64_t id)
{
	struct sim_device *d;

	for (d = s->devices; d != NULL; d = d->next)
		if (d->id == id)
			return d;
	return NULL;
}

/* --------------------------------------------------------------- sessions */

struct sim_session *
sim_session_open(struct sim *s, const struct sim_device *d, bool v6)
{
	struct sim_session *ss = xcalloc(1, sizeof(*ss)), **pp;

	ss->id = xasprintf("%lld:%" PRId64, s->next_session++, d->id);
	ss->device_id = d->id;
	ss->create_ms = util_now_ms();
	ss->touch_ms = ss->create_ms;
	ss->checkin_ms = d->checkin_after < 0
			     ? -1
			     : ss->create_ms + (int64_t)d->checkin_after * 1000;
	vfs_copy(&ss->vfs, &d->files);
	for (pp = &s->sessions; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = ss;
	s->stats.sessions_opened++;
	if (v6)
		s->stats.v6_sessions_opened++;
	if (++s->stats.sessions_open_now > s->stats.sessions_open_peak)
		s->stats.sessions_open_peak = s->stats.sessions_open_now;
	ss->v6 = v6;
	log_info("session %s opened on device %" PRId64, ss->id, d->id);
	return ss;
}

struct sim_session *
sim_session_find(const struct sim *s, const char *id)
{
	struct sim_session *ss;

	for (ss = s->sessions; ss != NULL; ss = ss->next)
		if (strcmp(ss->id, id) == 0)
			return ss;
	return NULL;
}

bool
sim_session_active(const struct sim_session *ss, int64_t now_ms)
{
	return !ss->closed && ss->checkin_ms >= 0 && now_ms >= ss->checkin_ms;
}

/* Ends an open session at at_ms, whoever closed it. */
static void
sim_session_end(struct sim *s, struct sim_session *ss, int64_t at_ms)
{
	ss->closed = true;
	ss->close_ms = at_ms;
	s->stats.temp_files_left += (long long)endpoint_temp_files(&ss->vfs);
	sim_session_release(ss);
	s->stats.sessions_open_now--;
}

void
sim_session_close(struct sim *s, struct sim_session *ss)
{
	if (ss->closed)
		return;
	sim_session_end(s, ss, util_now_ms());
	s->stats.sessions_closed++;
	if (ss->v6)
		s->stats.v6_sessions_closed++;
	log_info("session %s closed", ss->id);
}

void
sim_session_drop(struct sim *s, struct sim_session *ss, int64_t at_ms)
{
	if (ss->closed)
		return;
	sim_session_end(s, ss, at_ms);
	ss->dropped = true;
	s->stats.sessions_dropped++;
	log_info("session %s dropped by the cloud", ss->id);
}

/* --------------------------------------------------------------- commands */

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
			sim_put_new(&ss->vfs, out,
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
		sim_put_new(&ss->vfs, out, b, now_ms / 1000);
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

/* ---------------------------------------------------------- notifications */

/* Appends n to the queue. */
static void
sim_notif_push(struct sim *s, json_t *obj, int64_t due_ms)
{
	struct sim_notif *n = xcalloc(1, sizeof(*n)), **pp;

	n->obj = obj;
	n->due_ms = due_ms;
	for (pp = &s->notifs; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = n;
}

/* Returns the type-specific block of a synthetic notification. */
static json_t *
sim_notif_detail(const char *type, const char *incident, int64_t t)
{
	static const char sha[] =
	    "37fec82d9e18c251b76bcfd5a2b88e12974c5b44862e2a6900b8a1f71b76183f";

	if (strcmp(type, "POLICY_ACTION") == 0)
		return json_pack("{s:s, s:s, s:s, s:s}", "sha256Hash", sha,
		    "action", "TERMINATE", "reputation", "KNOWN_MALWARE",
		    "applicationName", "ShippingInvoice.pdf.exe");
	return json_pack("{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], s:i, "
			 "s:s, s:I}",
	    "summary",
	    "The application ShippingInvoice.pdf.exe acted as a network server.",
	    "indicators", "sha256Hash", sha, "indicatorName",
	    "FIXED_PORT_LISTEN", "applicationName", "ShippingInvoice.pdf.exe",
	    "sha256Hash", sha, "indicatorName", "UNKNOWN_APP",
	    "applicationName", "ShippingInvoice.pdf.exe", "score", 7,
	    "incidentId", incident, "time", (json_int_t)t);
}

void
sim_notify(struct sim *s, int64_t device_id, const char *type, int64_t due_ms)
{
	const struct sim_device *d = sim_device_find(s, device_id);
	const char *name = d ? d->name : "unknown";
	const char *os = d ? d->os : "WINDOWS";
	const char *ver = d ? d->os_version : "";
	const char *email = d && d->nusers > 0 ? d->users[0].name : "unknown";
	const char *key;
	char event_id[33], incident[9], ip[32];
	char *url, *link, *desc;
	json_t *obj;
	size_t i;

	if (type == NULL)
		type = "THREAT";
	util_random_hex(event_id, 16);
	util_random_alnum(incident, 8);
	for (i = 0; i < 8; i++)
		if (incident[i] >= 'a' && incident[i] <= 'z')
			incident[i] = (char)(incident[i] - 'a' + 'A');
	snprintf(ip, sizeof(ip), "10.0.%d.%d", (int)(device_id / 250 % 250),
	    (int)(device_id % 250 + 1));
	url = xasprintf("https://defense.conferdeploy.example/investigate?"
			"s[searchWindow]=ALL&s[c][DEVICE_ID][0]=%" PRId64
			"&s[c][INCIDENT_ID][0]=%s",
	    device_id, incident);
	link = xasprintf("https://defense.conferdeploy.example#device/%" PRId64
			 "/incident/%s",
	    device_id, incident);
	desc = xasprintf("[lrflow-sim] [Carbon Black has detected a threat "
			 "against your company.] [%s] [The application "
			 "ShippingInvoice.pdf.exe acted as a network server.] "
			 "[Incident id: %s] [Threat score: 7] [Group: "
			 "Standard] [Email: %s] [Name: %s] [Type and OS: %s "
			 "%s] [Severity: Monitored]\n",
	    link, incident, email, name, os, ver);
	if (strcmp(type, "POLICY_ACTION") == 0)
		key = "policyAction";
	else if (strcmp(type, "THREAT_HUNTER") == 0)
		key = "threatHunterInfo";
	else
		key = "threatInfo";
	obj = json_pack("{s:s, s:{s:s, s:n, s:I, s:s, s:s, s:s, s:s, s:s, "
			"s:s, s:i, s:s}, s:s, s:o, s:I, s:s, s:s, s:s}",
	    "url", url, "deviceInfo", "deviceName", name, "deviceHostName",
	    "deviceId", (json_int_t)device_id, "targetPriorityType", "MEDIUM",
	    "externalIpAddress", "203.0.113.10", "deviceType", os, "email",
	    email, "internalIpAddress", ip, "groupName", "Standard",
	    "targetPriorityCode", 0, "deviceVersion", ver, "eventDescription",
	    desc, key, sim_notif_detail(type, incident, due_ms), "eventTime",
	    (json_int_t)due_ms, "ruleName", "lrflow-sim-notifications", "type",
	    type, "eventId", event_id);
	free(url);
	free(link);
	free(desc);
	if (obj == NULL)
		fatalx("building notification for device %" PRId64, device_id);
	sim_notif_push(s, obj, due_ms);
}

void
sim_notify_raw(struct sim *s, json_t *obj)
{
	sim_notif_push(s, obj, 0);
}

json_t *
sim_notify_take(struct sim *s, int64_t now_ms)
{
	json_t *out = json_array();
	struct sim_notif **pp, *n;

	for (pp = &s->notifs; (n = *pp) != NULL;) {
		if (n->due_ms > now_ms) {
			pp = &n->next;
			continue;
		}
		*pp = n->next;
		json_array_append_new(out, n->obj);
		free(n);
	}
	s->stats.notifications_served += (long long)json_array_size(out);
	return out;
}

/* ------------------------------------------------------------------ stats */

json_t *
sim_stats_json(const struct sim *s)
{
	const struct sim_stats *st = &s->stats;
	const struct sim_session *ss;
	json_t *open = json_array();
	long long nopen = 0, ntemp = 0;

	for (ss = s->sessions; ss != NULL; ss = ss->next) {
		if (ss->closed)
			continue;
		json_array_append_new(open, json_string(ss->id));
		nopen++;
		ntemp += (long long)endpoint_temp_files(&ss->vfs);
	}
	json_t *o;

	o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O, s:I, s:I, "
		      "s:o}",
	    "requests", (json_int_t)st->requests, "unauthorized",
	    (json_int_t)st->unauthorized, "errors", (json_int_t)st->errors,
	    "sessions_opened", (json_int_t)st->sessions_opened,
	    "sessions_closed", (json_int_t)st->sessions_closed, "sessions_open",
	    (json_int_t)nopen, "commands", (json_int_t)st->commands,
	    "commands_by_name", st->commands_by_name, "notifications_served",
	    (json_int_t)st->notifications_served, "files_served",
	    (json_int_t)st->files_served, "open_sessions", open);
	json_object_update_new(
	    o, json_pack("{s:I, s:I, s:I, s:I, s:s, s:I, s:I, s:I, s:I}",
		   "alerts_total", (json_int_t)s->alerts.n, "alert_searches",
		   (json_int_t)st->alert_searches, "alerts_returned",
		   (json_int_t)st->alerts_returned, "token_leaks",
		   (json_int_t)st->token_leaks, "storage", s->storage,
		   "v6_sessions_opened", (json_int_t)st->v6_sessions_opened,
		   "v6_sessions_closed", (json_int_t)st->v6_sessions_closed,
		   "device_lookups", (json_int_t)st->device_lookups,
		   "faults_served", (json_int_t)st->faults_served));
	json_object_update_new(
	    o, json_pack("{s:I, s:I, s:I, s:I}", "sessions_open_peak",
		   (json_int_t)st->sessions_open_peak, "sessions_dropped",
		   (json_int_t)st->sessions_dropped, "rate_limited",
		   (json_int_t)st->rate_limited, "requests_in_pause",
		   (json_int_t)st->requests_in_pause));
	json_object_update_new(o,
	    json_pack("{s:I, s:I, s:I, s:I, s:b}", "copies",
		(json_int_t)st->copies, "temp_files", (json_int_t)ntemp,
		"temp_files_left", (json_int_t)st->temp_files_left,
		"commands_waiting_peak", (json_int_t)st->commands_waiting_peak,
		"command_serial", s->command_serial));
	return o;
}

json_t *
sim_supported_commands(bool windows)
{
	static const char *const win[] = {"put file", "get file", "memdump",
	    "create directory", "delete file", "directory list", "reg enum key",
	    "reg query value", "reg create key", "reg delete key",
	    "reg delete value", "reg set value", "process list", "kill",
	    "create process", NULL};
	static const char *const posix[] = {"put file", "get file", "memdump",
	    "create directory", "delete file", "directory list", "process list",
	    "kill", "create process", NULL};
	json_t *a = json_array();

	for (const char *const *v = windows ? win : posix; *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

void
sim_session_sensor_fields(
    json_t *o, const struct sim_device *d, const struct sim_session *ss)
{
	bool win = d == NULL || util_strieq(d->os, "WINDOWS");
	char ip[48];

	if (d == NULL) {
		json_object_update_new(
		    o, json_pack("{s:n, s:n, s:n, s:n, s:n, s:n, s:n}",
			   "hostname", "address", "os_version",
			   "current_working_directory", "supported_commands",
			   "drives", "sensor_check_in_time"));
		return;
	}
	snprintf(ip, sizeof(ip), "::ffff:10.0.%d.%d",
	    (int)(ss->device_id / 250 % 250), (int)(ss->device_id % 250 + 1));
	json_object_update_new(
	    o, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:I}", "hostname",
		   d->name, "address", ip, "os_version", d->os_version,
		   "current_working_directory",
		   win ? "C:\\Windows\\system32" : "/", "supported_commands",
		   sim_supported_commands(win), "drives",
		   win ? json_pack("[s, s, s]", "A:\\", "C:\\", "D:\\")
		       : json_pack("[s]", "/"),
		   "sensor_check_in_time", (json_int_t)ss->checkin_ms));
}
