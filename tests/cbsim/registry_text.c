/* registry_text.c - what the console tools print of the simulated
 * service keys (registry.c) into a create process output file: reg.exe
 * query <Services> /s, and sc.exe queryex as the service manager sees the
 * keys (display names resolved, states from the device's running list).
 * Both in the ANSI code page with CRLF line ends, as redirected. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/util.h"
#include "../../common/xmalloc.h"

#define REG_ROOT "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services"
#define SC_QUERY \
	"c:\\windows\\system32\\sc.exe queryex type= all state= all bufsize= 262144"

/* -------------------------------------------------------------- reg.exe */

bool
registry_is_query(const char *cmdline)
{
	return util_stristr(cmdline, "reg.exe") != NULL &&
	       util_stristr(cmdline, " query ") != NULL &&
	       util_stristr(cmdline, "\\Services") != NULL &&
	       util_stristr(cmdline, "/s") != NULL;
}

/* Appends text to the growing buffer *out (*len bytes). */
static void
registry_put(char **out, size_t *len, const char *text)
{
	size_t n = strlen(text);

	*out = xrealloc(*out, *len + n + 1);
	memcpy(*out + *len, text, n + 1);
	*len += n;
}

/* Appends "    <name>    <type>    <data>\r\n". */
static void
registry_line(char **out, size_t *len, const char *name, const char *type,
    const char *data)
{
	char *line = xasprintf("    %s    %s    %s\r\n", name, type, data);

	registry_put(out, len, line);
	free(line);
}

/* Appends one key as reg.exe prints it: header, values, blank line, then
 * its subkeys the same way. */
static void
registry_print(char **out, size_t *len, const json_t *o)
{
	const char *key = json_string_value(json_object_get(o, "key"));
	json_t *vals = registry_values(o), *v, *dep;
	char *line, num[32];
	size_t i, k;

	line = xasprintf("%s\\%s\r\n", REG_ROOT, key);
	registry_put(out, len, line);
	free(line);
	json_array_foreach(vals, i, v)
	{
		const char *name =
		    json_string_value(json_object_get(v, "value_name"));
		const char *type =
		    json_string_value(json_object_get(v, "value_type"));
		json_t *data = json_object_get(v, "value_data");

		if (json_is_integer(data)) {
			snprintf(num, sizeof(num), "0x%llx",
			    (unsigned long long)json_integer_value(data) &
				0xffffffffULL);
			registry_line(out, len, name, type, num);
		} else if (json_is_string(data))
			registry_line(
			    out, len, name, type, json_string_value(data));
		else if (json_is_array(data)) {
			char *joined = xstrdup("");

			json_array_foreach(data, k, dep)
			{
				char *next = xasprintf("%s%s%s", joined,
				    k > 0 ? "\\0" : "", json_string_value(dep));

				free(joined);
				joined = next;
			}
			registry_line(out, len, name, type, joined);
			free(joined);
		}
	}
	json_decref(vals);
	registry_put(out, len, "\r\n");
	if (json_object_get(o, "dll") != NULL) {
		line = xasprintf("%s\\%s\\Parameters\r\n", REG_ROOT, key);
		registry_put(out, len, line);
		free(line);
		registry_line(out, len, "ServiceDll", "REG_EXPAND_SZ",
		    json_string_value(json_object_get(o, "dll")));
		registry_line(
		    out, len, "ServiceDllUnloadOnStop", "REG_DWORD", "0x1");
		registry_put(out, len, "\r\n");
	}
	line = xasprintf("%s\\%s\\Security\r\n", REG_ROOT, key);
	registry_put(out, len, line);
	free(line);
	registry_line(out, len, "Security", "REG_BINARY",
	    "01001480900000009C000000140000003000000002001C000100000002801400FF010F00010100000000000100000000");
	registry_put(out, len, "\r\n");
}

struct vfs_blob *
registry_query_output(const struct sim *s, const struct sim_session *ss,
    const struct sim_device *d)
{
	json_t *keys, *e;
	char *out = NULL;
	size_t len = 0, i;

	/* "reg_exe": false: reg.exe prints nothing (blocked by policy). */
	if (json_is_false(json_object_get(d->registry, "reg_exe")))
		return vfs_blob_new(NULL, 0);
	keys = registry_keys(s, ss, d);

	registry_put(&out, &len, "\r\n" REG_ROOT "\r\n\r\n");
	json_array_foreach(keys, i, e) registry_print(&out, &len, e);
	json_decref(keys);
	return vfs_blob_take((unsigned char *)out, len);
}

/* --------------------------------------------------------------- sc.exe */

bool
registry_is_sc(const char *cmdline)
{
	return util_strieq(cmdline, SC_QUERY);
}

/* sc's name of a service type, or NULL for a key sc does not list. */
static const char *
registry_sc_type(json_int_t type)
{
	switch (type) {
	case 0x1:
		return "KERNEL_DRIVER";
	case 0x2:
		return "FILE_SYSTEM_DRIVER";
	case 0x10:
		return "WIN32_OWN_PROCESS";
	case 0x20:
		return "WIN32_SHARE_PROCESS";
	case 0x110:
		return "WIN32_OWN_PROCESS  (interactive)";
	case 0x120:
		return "WIN32_SHARE_PROCESS  (interactive)";
	default:
		return NULL;
	}
}

/* Appends the block of key o, running with pid or stopped. */
static void
registry_sc_block(char **out, size_t *len, const json_t *o, bool running,
    int pid, const char *type)
{
	json_int_t t = json_integer_value(json_object_get(o, "type"));
	bool driver = t == 0x1 || t == 0x2;
	char *block = xasprintf("\r\n"
				"SERVICE_NAME: %s\r\n"
				"DISPLAY_NAME: %s\r\n"
				"        TYPE               : %llx  %s  \r\n"
				"        STATE              : %s \r\n"
				"%s"
				"        WIN32_EXIT_CODE    : %s\r\n"
				"        SERVICE_EXIT_CODE  : 0  (0x0)\r\n"
				"        CHECKPOINT         : 0x0\r\n"
				"        WAIT_HINT          : 0x0\r\n"
				"        PID                : %d\r\n"
				"        FLAGS              : \r\n",
	    json_string_value(json_object_get(o, "key")), registry_resolved(o),
	    (unsigned long long)t, type, running ? "4  RUNNING" : "1  STOPPED",
	    !running ? ""
	    : driver
		? "                                (STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n"
		: "                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n",
	    running || driver ? "0  (0x0)" : "1077  (0x435)", pid);

	registry_put(out, len, block);
	free(block);
}

struct vfs_blob *
registry_sc_output(const struct sim *s, const struct sim_session *ss,
    const struct sim_device *d)
{
	json_t *keys, *e;
	char *out = NULL;
	size_t len = 0, i;
	int pid = 700;

	/* "sc_exe": false: sc.exe prints nothing (blocked by policy). */
	if (json_is_false(json_object_get(d->registry, "sc_exe")))
		return vfs_blob_new(NULL, 0);
	keys = registry_keys(s, ss, d);
	registry_put(&out, &len, "");
	json_array_foreach(keys, i, e)
	{
		const char *type = registry_sc_type(
		    json_integer_value(json_object_get(e, "type")));
		json_int_t t = json_integer_value(json_object_get(e, "type"));
		bool running;

		if (type == NULL)
			continue;
		running = registry_running(d, e);
		pid += 8;
		registry_sc_block(&out, &len, e, running,
		    running && t != 0x1 && t != 0x2 ? pid : 0, type);
	}
	json_decref(keys);
	return vfs_blob_take((unsigned char *)out, len);
}
