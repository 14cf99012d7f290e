/* registry.c - service keys of a simulated Windows device.
 *
 * The keys are built when asked, from the device and the session (its
 * number among the device's sessions decides whether
 * "service_keys_after" applies), as JSON objects: {"key", "display_name",
 * "image_path", "start", "type", "account", "description", "depend"
 * (array), "dll" (ServiceDll of a Parameters subkey)}; a field that is
 * missing is a value the key does not have. */
#include "registry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/util.h"
#include "../../common/xmalloc.h"

#define REG_SERVICES "HKLM\\SYSTEM\\CurrentControlSet\\Services"
#define REG_MAX_KEYS 5000 /* a scenario's service_keys, at most */

#define SVCHOST "%SystemRoot%\\system32\\svchost.exe -k "

/* A key Windows has.  running: the name net start prints when it runs
 * (a default service), or NULL: stopped unless the scenario lists it. */
struct registry_builtin {
	const char *running, *key, *display, *image;
	int start, type;
	const char *account, *dll;
};

/* The twelve default running services first (sim.c), then stopped
 * services and drivers; several DisplayNames are indirect strings, as
 * most of Windows' own are. */
static const struct registry_builtin registry_builtins[] = {
    {"Application Information", "Appinfo",
	"@%systemroot%\\system32\\appinfo.dll,-100", SVCHOST "netsvcs -p", 3,
	0x20, "LocalSystem", "%SystemRoot%\\System32\\appinfo.dll"},
    {"Background Tasks Infrastructure Service", "BrokerInfrastructure",
	"Background Tasks Infrastructure Service", SVCHOST "DcomLaunch -p", 2,
	0x20, "LocalSystem", "%SystemRoot%\\System32\\psmsrv.dll"},
    {"Base Filtering Engine", "BFE", "@%SystemRoot%\\system32\\bfe.dll,-1001",
	SVCHOST "LocalServiceNoNetworkFirewall -p", 2, 0x20,
	"NT AUTHORITY\\LocalService", "%SystemRoot%\\System32\\bfe.dll"},
    {"COM+ Event System", "EventSystem", "COM+ Event System",
	SVCHOST "LocalService -p", 2, 0x20, "NT AUTHORITY\\LocalService",
	"%SystemRoot%\\System32\\es.dll"},
    {"Cryptographic Services", "CryptSvc",
	"@%SystemRoot%\\system32\\cryptsvc.dll,-1001",
	SVCHOST "NetworkService -p", 2, 0x20, "NT Authority\\NetworkService",
	"%SystemRoot%\\system32\\cryptsvc.dll"},
    {"DHCP Client", "Dhcp", "@%SystemRoot%\\system32\\dhcpcore.dll,-100",
	SVCHOST "LocalServiceNetworkRestricted -p", 2, 0x20,
	"NT Authority\\LocalService", "%SystemRoot%\\system32\\dhcpcore.dll"},
    {"DNS Client", "Dnscache", "DNS Client", SVCHOST "NetworkService -p", 2,
	0x20, "NT AUTHORITY\\NetworkService",
	"%SystemRoot%\\System32\\dnsrslvr.dll"},
    {"Group Policy Client", "gpsvc", "Group Policy Client",
	SVCHOST "netsvcs -p", 2, 0x20, "LocalSystem",
	"%SystemRoot%\\System32\\gpsvc.dll"},
    {"Print Spooler", "Spooler", "Print Spooler",
	"%SystemRoot%\\System32\\spoolsv.exe", 2, 0x110, "LocalSystem", NULL},
    {"Remote Procedure Call (RPC)", "RpcSs", "Remote Procedure Call (RPC)",
	SVCHOST "rpcss -p", 2, 0x20, "NT AUTHORITY\\NetworkService",
	"%SystemRoot%\\system32\\rpcss.dll"},
    {"Windows Event Log", "EventLog", "Windows Event Log",
	SVCHOST "LocalServiceNetworkRestricted -p", 2, 0x20,
	"NT AUTHORITY\\LocalService", "%SystemRoot%\\System32\\wevtsvc.dll"},
    {"Windows Management Instrumentation", "Winmgmt",
	"Windows Management Instrumentation", SVCHOST "netsvcs -p", 2, 0x20,
	"localSystem", "%SystemRoot%\\system32\\wbem\\WMIsvc.dll"},
    /* stopped services */
    {NULL, "wuauserv", "Windows Update", SVCHOST "netsvcs -p", 3, 0x20,
	"LocalSystem", "%systemroot%\\system32\\wuaueng.dll"},
    {NULL, "BITS", "Background Intelligent Transfer Service",
	SVCHOST "netsvcs -p", 3, 0x20, "LocalSystem",
	"%SystemRoot%\\System32\\qmgr.dll"},
    {NULL, "RemoteRegistry", "Remote Registry", SVCHOST "localService -p", 4,
	0x20, "NT AUTHORITY\\LocalService",
	"%SystemRoot%\\system32\\regsvc.dll"},
    {NULL, "TermService", "@%SystemRoot%\\System32\\termsrv.dll,-268",
	SVCHOST "NetworkService", 3, 0x20, "NT Authority\\NetworkService",
	"%SystemRoot%\\System32\\termsrv.dll"},
    {NULL, "WinRM", "Windows Remote Management (WS-Management)",
	SVCHOST "NetworkService -p", 3, 0x20, "NT AUTHORITY\\NetworkService",
	"%SystemRoot%\\system32\\WsmSvc.dll"},
    {NULL, "Fax", "@%systemroot%\\system32\\fxsresm.dll,-118",
	"%systemroot%\\system32\\fxssvc.exe", 3, 0x10,
	"NT AUTHORITY\\NetworkService", NULL},
    {NULL, "SNMPTRAP", "SNMP Trap", "%SystemRoot%\\System32\\snmptrap.exe", 3,
	0x10, "NT AUTHORITY\\LocalService", NULL},
    {NULL, "TrustedInstaller", "Windows Modules Installer",
	"%SystemRoot%\\servicing\\TrustedInstaller.exe", 3, 0x10, "localSystem",
	NULL},
    {NULL, "sppsvc", "@%SystemRoot%\\system32\\sppsvc.exe,-101",
	"%SystemRoot%\\system32\\sppsvc.exe", 2, 0x10,
	"NT AUTHORITY\\NetworkService", NULL},
    {NULL, "gupdate", "Google Update Service (gupdate)",
	"\"C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe\" /svc", 2,
	0x10, "LocalSystem", NULL},
    {NULL, "MozillaMaintenance", "Mozilla Maintenance Service",
	"\"C:\\Program Files (x86)\\Mozilla Maintenance Service\\maintenanceservice.exe\"",
	3, 0x10, "LocalSystem", NULL},
    {NULL, "WSearch", "@%systemroot%\\system32\\SearchIndexer.exe,-103",
	"%systemroot%\\system32\\SearchIndexer.exe /Embedding", 2, 0x10,
	"LocalSystem", NULL},
    {NULL, "CDPUserSvc", "@%SystemRoot%\\system32\\CDPUserSvc.dll,-100",
	SVCHOST "UnistackSvcGroup", 2, 0x60, NULL,
	"%SystemRoot%\\System32\\CDPUserSvc.dll"},
    {NULL, ".NET CLR Data", NULL, NULL, -1, -1, NULL, NULL},
    /* drivers */
    {NULL, "ACPI", "Microsoft ACPI Driver", "System32\\drivers\\ACPI.sys", 0,
	0x1, NULL, NULL},
    {NULL, "disk", "@disk.inf,%disk_ServiceDesc%;Disk Driver",
	"System32\\drivers\\disk.sys", 0, 0x1, NULL, NULL},
    {NULL, "volmgr", "Volume Manager Driver", "System32\\drivers\\volmgr.sys",
	0, 0x1, NULL, NULL},
    {NULL, "partmgr", "@partmgr.inf,%PartMgr.SvcDesc%;Partition driver",
	"System32\\drivers\\partmgr.sys", 0, 0x1, NULL, NULL},
    {NULL, "FltMgr", "FltMgr", "system32\\drivers\\fltmgr.sys", 0, 0x2, NULL,
	NULL},
    {NULL, "Ntfs", "Ntfs", NULL, 3, 0x2, NULL, NULL},
    {NULL, "Tcpip", "@todo.dll,-100;TCP/IP Protocol Driver",
	"System32\\drivers\\tcpip.sys", 0, 0x1, NULL, NULL},
    {NULL, "AFD", "@%systemroot%\\system32\\drivers\\afd.sys,-1000",
	"\\SystemRoot\\system32\\drivers\\afd.sys", 1, 0x1, NULL, NULL},
    {NULL, "NetBT", "@%SystemRoot%\\system32\\drivers\\netbt.sys,-2",
	"System32\\DRIVERS\\netbt.sys", 1, 0x1, NULL, NULL},
    {NULL, "Null", NULL, NULL, 1, 0x1, NULL, NULL},
    {NULL, "Beep", NULL, NULL, 1, 0x1, NULL, NULL},
    {NULL, "luafv", "@%SystemRoot%\\system32\\drivers\\luafv.sys,-100",
	"\\SystemRoot\\system32\\drivers\\luafv.sys", 2, 0x2, NULL, NULL},
    {NULL, "WdFilter", "@%ProgramFiles%\\Windows Defender\\MpAsDesc.dll,-340",
	"system32\\drivers\\wd\\WdFilter.sys", 0, 0x2, NULL, NULL},
    {NULL, "HTTP", "HTTP Service", "system32\\drivers\\HTTP.sys", 3, 0x1, NULL,
	NULL},
    {NULL, "kbdclass", "@keyboard.inf,%kbdclass.SvcDesc%;Keyboard Class Driver",
	"System32\\drivers\\kbdclass.sys", 3, 0x1, NULL, NULL},
};
#define REGISTRY_NBUILTINS \
	(sizeof(registry_builtins) / sizeof(registry_builtins[0]))

/* ------------------------------------------------------------ scenario */

/* Checks one service key spec of the scenario.  0, or -1 with err set. */
static int
registry_check_spec(
    json_t *e, const char *where, size_t i, char *err, size_t errsize)
{
	static const char *const strs[] = {
	    "display_name", "image_path", "account", "description"};
	static const char *const ints[] = {"start", "type"};
	const char *key = json_string_value(json_object_get(e, "key"));
	json_t *v;

	if (!json_is_object(e) || key == NULL || *key == '\0' ||
	    strchr(key, '\\') != NULL) {
		snprintf(err, errsize,
		    "%s: service key %zu: expected an object with a \"key\" (no backslash)",
		    where, i);
		return -1;
	}
	for (size_t k = 0; k < 4; k++)
		if ((v = json_object_get(e, strs[k])) != NULL &&
		    !json_is_string(v) && !json_is_null(v))
			goto bad;
	for (size_t k = 0; k < 2; k++)
		if ((v = json_object_get(e, ints[k])) != NULL &&
		    !json_is_integer(v) && !json_is_null(v))
			goto bad;
	if ((v = json_object_get(e, "remove")) != NULL && !json_is_boolean(v))
		goto bad;
	return 0;
bad:
	snprintf(err, errsize,
	    "%s: service key '%s': display_name, image_path, account and description are strings, start and type integers, remove a boolean",
	    where, key);
	return -1;
}

/* Checks a list of specs.  0, or -1 with err set. */
static int
registry_check_list(json_t *list, const char *where, char *err, size_t errsize)
{
	json_t *e;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) > REG_MAX_KEYS) {
		snprintf(err, errsize, "%s: expected an array of service keys",
		    where);
		return -1;
	}
	json_array_foreach(list, i, e) if (registry_check_spec(e, where, i, err,
					       errsize) == -1) return -1;
	return 0;
}

int
registry_scenario(struct sim_device *d, json_t *obj, const char *where,
    char *err, size_t errsize)
{
	json_t *keys = json_object_get(obj, "service_keys");
	json_t *after = json_object_get(obj, "service_keys_after"), *n;
	json_t *reg_exe = json_object_get(obj, "reg_exe");
	json_t *sc_exe = json_object_get(obj, "sc_exe");
	char ctx[96];

	if (keys == NULL && after == NULL && reg_exe == NULL && sc_exe == NULL)
		return 0;
	if ((reg_exe != NULL && !json_is_boolean(reg_exe)) ||
	    (sc_exe != NULL && !json_is_boolean(sc_exe))) {
		snprintf(err, errsize,
		    "%s: reg_exe and sc_exe: expected booleans", where);
		return -1;
	}
	snprintf(ctx, sizeof(ctx), "%s.service_keys", where);
	if (keys != NULL && registry_check_list(keys, ctx, err, errsize) == -1)
		return -1;
	snprintf(ctx, sizeof(ctx), "%s.service_keys_after", where);
	if (after != NULL) {
		n = json_object_get(after, "sessions");
		if (!json_is_integer(n) || json_integer_value(n) < 0) {
			snprintf(err, errsize,
			    "%s: expected {\"sessions\": N >= 0, \"keys\": [...]}",
			    ctx);
			return -1;
		}
		if (registry_check_list(json_object_get(after, "keys"), ctx,
			err, errsize) == -1)
			return -1;
	}
	json_decref(d->registry);
	d->registry = json_pack("{s:O*,s:O*,s:O*,s:O*}", "keys", keys, "after",
	    after, "reg_exe", reg_exe, "sc_exe", sc_exe);
	return 0;
}

/* --------------------------------------------------------------- keys */

/* The key object of a builtin, named as net start does when it runs. */
static json_t *
registry_from_builtin(const struct registry_builtin *b)
{
	json_t *o = json_pack("{s:s}", "key", b->key);

	if (b->display)
		json_object_set_new(o, "display_name", json_string(b->display));
	if (b->image)
		json_object_set_new(o, "image_path", json_string(b->image));
	if (b->start >= 0)
		json_object_set_new(o, "start", json_integer(b->start));
	if (b->type >= 0)
		json_object_set_new(o, "type", json_integer(b->type));
	if (b->account)
		json_object_set_new(o, "account", json_string(b->account));
	if (b->dll)
		json_object_set_new(o, "dll", json_string(b->dll));
	if (b->type == 0x20 || b->type == 0x10)
		json_object_set_new(
		    o, "depend", json_pack("[s,s]", "RpcSs", "Tcpip"));
	return o;
}

/* A key for a running service Windows has no builtin for: the display
 * name without what cannot be in a key name. */
static json_t *
registry_made_up(const char *display)
{
	char key[128];
	size_t n = 0;

	for (const char *p = display; *p != '\0' && n + 1 < sizeof(key); p++)
		if (isalnum((unsigned char)*p))
			key[n++] = *p;
	key[n] = '\0';
	if (n == 0)
		snprintf(key, sizeof(key), "Service%zu", strlen(display));
	return json_pack("{s:s,s:s,s:s,s:i,s:i,s:s}", "key", key,
	    "display_name", display, "image_path",
	    "%SystemRoot%\\system32\\svchost.exe -k netsvcs -p", "start", 2,
	    "type", 0x20, "account", "LocalSystem");
}

/* The index of the key named key in keys (without case), or -1. */
static long
registry_find(json_t *keys, const char *key)
{
	json_t *e;
	size_t i;

	json_array_foreach(keys, i,
	    e) if (util_strieq(json_string_value(json_object_get(e, "key")),
		       key)) return (long)i;
	return -1;
}

/* Applies the specs of list to keys: adds, changes (only the fields a
 * spec has; null removes a value) or removes keys. */
static void
registry_apply(json_t *keys, json_t *list)
{
	json_t *spec, *v;
	const char *f;
	size_t i;

	json_array_foreach(list, i, spec)
	{
		const char *key =
		    json_string_value(json_object_get(spec, "key"));
		long at = registry_find(keys, key);
		json_t *o;

		if (json_is_true(json_object_get(spec, "remove"))) {
			if (at >= 0)
				json_array_remove(keys, (size_t)at);
			continue;
		}
		if (at < 0) {
			o = json_pack("{s:s}", "key", key);
			json_array_append_new(keys, o);
		} else
			o = json_array_get(keys, (size_t)at);
		json_object_foreach(spec, f, v)
		{
			if (strcmp(f, "key") == 0 || strcmp(f, "remove") == 0)
				continue;
			if (json_is_null(v))
				json_object_del(o, f);
			else
				json_object_set(o, f, v);
		}
	}
}

/* How many of d's sessions were opened up to and including ss. */
static long
registry_session_number(const struct sim *s, const struct sim_session *ss)
{
	const struct sim_session *x;
	long n = 0;

	for (x = s->sessions; x != NULL; x = x->next) {
		if (x->device_id == ss->device_id)
			n++;
		if (x == ss)
			break;
	}
	return n;
}

static int
registry_cmp(const void *a, const void *b)
{
	const char *x =
	    json_string_value(json_object_get(*(json_t *const *)a, "key"));
	const char *y =
	    json_string_value(json_object_get(*(json_t *const *)b, "key"));

	return strcasecmp(x, y);
}

json_t *
registry_keys(const struct sim *s, const struct sim_session *ss,
    const struct sim_device *d)
{
	json_t *keys = json_array(), *after, **v, *sorted;
	bool used[REGISTRY_NBUILTINS] = {false};
	size_t i, k, n;

	for (i = 0; i < d->nservices; i++) {
		for (k = 0; k < REGISTRY_NBUILTINS; k++)
			if (registry_builtins[k].running != NULL &&
			    util_strieq(
				registry_builtins[k].running, d->services[i]))
				break;
		if (k < REGISTRY_NBUILTINS && !used[k]) {
			used[k] = true;
			json_array_append_new(
			    keys, registry_from_builtin(&registry_builtins[k]));
		} else if (registry_find(keys, d->services[i]) < 0)
			json_array_append_new(
			    keys, registry_made_up(d->services[i]));
	}
	for (k = 0; k < REGISTRY_NBUILTINS; k++)
		if (!used[k] && registry_builtins[k].running == NULL &&
		    registry_find(keys, registry_builtins[k].key) < 0)
			json_array_append_new(
			    keys, registry_from_builtin(&registry_builtins[k]));
	registry_apply(keys, json_object_get(d->registry, "keys"));
	after = json_object_get(d->registry, "after");
	if (after != NULL &&
	    registry_session_number(s, ss) >
		json_integer_value(json_object_get(after, "sessions")))
		registry_apply(keys, json_object_get(after, "keys"));
	n = json_array_size(keys);
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_array_get(keys, i);
	qsort(v, n, sizeof(*v), registry_cmp);
	sorted = json_array();
	for (i = 0; i < n; i++)
		json_array_append(sorted, v[i]);
	free(v);
	json_decref(keys);
	return sorted;
}

/* --------------------------------------------------------- sc's view */

/* What the indirect DisplayNames of the stopped builtins resolve to. */
static const char *const registry_resolved_names[][2] = {
    {"TermService", "Remote Desktop Services"}, {"Fax", "Fax"},
    {"sppsvc", "Software Protection"}, {"WSearch", "Windows Search"},
    {"CDPUserSvc", "Connected Devices Platform User Service"},
    {"AFD", "Ancillary Function Driver for Winsock"}, {"NetBT", "NetBT"},
    {"luafv", "UAC File Virtualization"},
    {"WdFilter", "Microsoft Defender Antivirus Mini-Filter Driver"}};

const char *
registry_resolved(const json_t *o)
{
	const char *key = json_string_value(json_object_get(o, "key"));
	const char *d = json_string_value(json_object_get(o, "display_name"));
	const char *semi;
	size_t k;

	if (d == NULL || *d == '\0')
		return key; /* the service manager names it by its key */
	if (d[0] != '@')
		return d;
	if ((semi = strrchr(d, ';')) != NULL && semi[1] != '\0')
		return semi +
		       1; /* "@disk.inf,%disk_ServiceDesc%;Disk Driver" */
	for (k = 0; k < REGISTRY_NBUILTINS; k++)
		if (registry_builtins[k].running != NULL &&
		    util_strieq(registry_builtins[k].key, key) &&
		    util_strieq(registry_builtins[k].display, d))
			return registry_builtins[k].running;
	for (k = 0; k < sizeof(registry_resolved_names) /
			    sizeof(registry_resolved_names[0]);
	     k++)
		if (util_strieq(registry_resolved_names[k][0], key))
			return registry_resolved_names[k][1];
	return d; /* unresolved: the service manager gives it raw */
}

bool
registry_running(const struct sim_device *d, const json_t *o)
{
	json_int_t type = json_integer_value(json_object_get(o, "type"));
	json_t *start = json_object_get(o, "start");
	const char *name = registry_resolved(o);

	if (type == 0x1 || type == 0x2)
		return json_is_integer(start) && json_integer_value(start) <= 2;
	for (size_t i = 0; i < d->nservices; i++)
		if (util_strieq(d->services[i], name))
			return true;
	return false;
}

/* --------------------------------------------------------- reg enum key */

json_t *
registry_values(const json_t *o)
{
	static const char *const strs[][3] = {
	    {"image_path", "ImagePath", "REG_EXPAND_SZ"},
	    {"display_name", "DisplayName", "REG_SZ"},
	    {"account", "ObjectName", "REG_SZ"},
	    {"description", "Description", "REG_SZ"}};
	json_t *out = json_array(), *v;

	if ((v = json_object_get(o, "start")) != NULL)
		json_array_append_new(
		    out, json_pack("{s:O,s:s,s:s}", "value_data", v,
			     "value_name", "Start", "value_type", "REG_DWORD"));
	if ((v = json_object_get(o, "type")) != NULL)
		json_array_append_new(
		    out, json_pack("{s:O,s:s,s:s}", "value_data", v,
			     "value_name", "Type", "value_type", "REG_DWORD"));
	json_array_append_new(
	    out, json_pack("{s:i,s:s,s:s}", "value_data", 1, "value_name",
		     "ErrorControl", "value_type", "REG_DWORD"));
	for (size_t i = 0; i < 4; i++)
		if ((v = json_object_get(o, strs[i][0])) != NULL)
			json_array_append_new(
			    out, json_pack("{s:O,s:s,s:s}", "value_data", v,
				     "value_name", strs[i][1], "value_type",
				     strs[i][2]));
	if ((v = json_object_get(o, "depend")) != NULL)
		json_array_append_new(out,
		    json_pack("{s:O,s:s,s:s}", "value_data", v, "value_name",
			"DependOnService", "value_type", "REG_MULTI_SZ"));
	return out;
}

/* The path below Services, or NULL when path is not under it; "" for
 * Services itself.  Accepts HKLM or HKEY_LOCAL_MACHINE, any case, a
 * trailing backslash. */
static char *
registry_rel(const char *path, char *buf, size_t size)
{
	size_t n;

	if (strncasecmp(path, "HKEY_LOCAL_MACHINE\\", 19) == 0)
		snprintf(buf, size, "HKLM\\%s", path + 19);
	else
		snprintf(buf, size, "%s", path);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\\')
		buf[--n] = '\0';
	if (strncasecmp(buf, REG_SERVICES, strlen(REG_SERVICES)) != 0)
		return NULL;
	if (buf[strlen(REG_SERVICES)] == '\0')
		return buf + strlen(REG_SERVICES);
	if (buf[strlen(REG_SERVICES)] != '\\')
		return NULL;
	return buf + strlen(REG_SERVICES) + 1;
}

/* Marks c as failed the way a missing key does. */
static void
registry_not_found(struct sim_command *c)
{
	c->failed = true;
	json_object_set_new(
	    c->result, "result_code", json_integer(SIM_E_FILE_NOT_FOUND));
	json_object_set_new(
	    c->result, "result_type", json_string("WinHresult"));
	json_object_set_new(c->result, "result_desc",
	    json_string("The system cannot find the file specified."));
}

void
registry_enum_key(const struct sim *s, const struct sim_session *ss,
    const struct sim_device *d, struct sim_command *c, const char *path)
{
	char buf[1024], *rel = NULL, *sub;
	json_t *keys, *subs, *vals, *e = NULL;
	long at = -1;
	size_t i;

	if (path != NULL && util_strieq(d->os, "WINDOWS"))
		rel = registry_rel(path, buf, sizeof(buf));
	if (rel == NULL) {
		registry_not_found(c);
		return;
	}
	keys = registry_keys(s, ss, d);
	if ((sub = strchr(rel, '\\')) != NULL)
		*sub++ = '\0';
	if (*rel != '\0' && (at = registry_find(keys, rel)) >= 0)
		e = json_array_get(keys, (size_t)at);
	subs = json_array();
	vals = json_array();
	if (*rel == '\0') {
		json_array_foreach(keys, i, e)
		    json_array_append(subs, json_object_get(e, "key"));
	} else if (e != NULL && sub == NULL) {
		json_decref(vals);
		vals = registry_values(e);
		if (json_object_get(e, "dll") != NULL)
			json_array_append_new(subs, json_string("Parameters"));
		json_array_append_new(subs, json_string("Security"));
	} else if (e != NULL && util_strieq(sub, "Parameters") &&
		   json_object_get(e, "dll") != NULL) {
		json_array_append_new(
		    vals, json_pack("{s:O,s:s,s:s}", "value_data",
			      json_object_get(e, "dll"), "value_name",
			      "ServiceDll", "value_type", "REG_EXPAND_SZ"));
	} else {
		json_decref(subs);
		json_decref(vals);
		json_decref(keys);
		registry_not_found(c);
		return;
	}
	json_object_set_new(c->result, "sub_keys", subs);
	json_object_set_new(c->result, "values", vals);
	json_decref(keys);
}
