/* sim.c - state of the simulated cloud: devices, sessions,
 * notifications and statistics.  Commands, the files they capture and
 * their download links are in sim_cmd.c.
 *
 * A command merely reports "pending" until command_ms has passed.  With
 * command_serial, a session's commands run one after another as a sensor
 * works through its queue: each starts when the one before it is done
 * ("pending" until then, "in progress" while it runs) and takes
 * command_ms.  A closed session keeps its id and status so that polling
 * it answers CLOSE, but drops its commands and files. */
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
		vfs_put_new(&d->files, exes[i],
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
