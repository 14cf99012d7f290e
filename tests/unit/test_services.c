/* test_services.c - service keys: reg.exe and sc.exe output in their
 * encodings, "reg enum key" results, the merge with net start and sc's
 * states, and the marks against the previous run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/t.h"
#include "worker/services.h"

/* reg.exe query HKLM\...\Services /s as it is redirected (ANSI, CRLF):
 * the Services key itself, subkeys that must be ignored, a REG_MULTI_SZ,
 * REG_BINARY, a value without data, and a DisplayName over two lines. */
static const char reg_sample[] =
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\ACPI\r\n"
    "    Start    REG_DWORD    0x0\r\n"
    "    Type    REG_DWORD    0x1\r\n"
    "    ErrorControl    REG_DWORD    0x3\r\n"
    "    ImagePath    REG_EXPAND_SZ    System32\\drivers\\ACPI.sys\r\n"
    "    DisplayName    REG_SZ    Microsoft ACPI Driver\r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\ACPI\\Parameters\r\n"
    "    ImagePath    REG_SZ    c:\\not\\the\\service.exe\r\n"
    "    Start    REG_DWORD    0x4\r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Dhcp\r\n"
    "    DisplayName    REG_SZ    @%SystemRoot%\\system32\\dhcpcore.dll,-100\r\n"
    "    ImagePath    REG_EXPAND_SZ    %SystemRoot%\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p\r\n"
    "    ObjectName    REG_SZ    NT Authority\\LocalService\r\n"
    "    Start    REG_DWORD    0x2\r\n"
    "    Type    REG_DWORD    0x20\r\n"
    "    DependOnService    REG_MULTI_SZ    NSI\\0Tdx\r\n"
    "    FailureActions    REG_BINARY    8051010000000000\r\n"
    "    Empty    REG_SZ    \r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Dhcp\\Security\r\n"
    "    Security    REG_BINARY    01001480\r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Spooler\r\n"
    "    DisplayName    REG_SZ    Print\r\n"
    "Spooler\r\n"
    "    Type    REG_DWORD    0x110\r\n"
    "    Start    REG_DWORD    0x4\r\n"
    "    ObjectName    REG_SZ    LocalSystem\r\n"
    "    ImagePath    REG_EXPAND_SZ    %SystemRoot%\\System32\\spoolsv.exe\r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\.NET CLR Data\r\n"
    "\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\CDPUserSvc\r\n"
    "    Type    REG_DWORD    0x60\r\n"
    "    Start    REG_DWORD    0x9\r\n"
    "\r\n";

static const char *
field(const json_t *a, size_t i, const char *name)
{
	return json_string_value(json_object_get(json_array_get(a, i), name));
}

static bool
is(const char *got, const char *want)
{
	return got != NULL && strcmp(got, want) == 0;
}

/* The checks every decoding of reg_sample must pass. */
static int
check_sample(json_t *k)
{
	CHECK(json_array_size(k) == 5);
	CHECK(is(field(k, 0, "key"), "ACPI"));
	CHECK(is(field(k, 0, "display_name"), "Microsoft ACPI Driver"));
	CHECK(is(field(k, 0, "image_path"), "System32\\drivers\\ACPI.sys"));
	CHECK(is(field(k, 0, "start_type"), "boot"));
	CHECK(is(field(k, 0, "type"), "driver"));
	CHECK(json_object_get(json_array_get(k, 0), "account") == NULL);
	CHECK(is(field(k, 1, "key"), "Dhcp"));
	CHECK(is(field(k, 1, "display_name"),
	    "@%SystemRoot%\\system32\\dhcpcore.dll,-100"));
	CHECK(is(field(k, 1, "image_path"),
	    "%SystemRoot%\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p"));
	CHECK(is(field(k, 1, "account"), "NT Authority\\LocalService"));
	CHECK(is(field(k, 1, "start_type"), "auto"));
	CHECK(is(field(k, 1, "type"), "service"));
	/* Two lines of one value, joined; 0x110 is an interactive service. */
	CHECK(is(field(k, 2, "display_name"), "Print\nSpooler"));
	CHECK(is(field(k, 2, "type"), "service"));
	CHECK(is(field(k, 2, "start_type"), "disabled"));
	/* A key without values, and values out of range. */
	CHECK(is(field(k, 3, "key"), ".NET CLR Data"));
	CHECK(is(field(k, 3, "start_type"), "unknown"));
	CHECK(is(field(k, 3, "type"), "other"));
	CHECK(is(field(k, 4, "type"), "other"));
	CHECK(is(field(k, 4, "start_type"), "unknown"));
	return 0;
}

static int
test_reg_ansi_crlf(void)
{
	json_t *k = services_parse_reg(
	    reg_sample, strlen(reg_sample), SERVICES_MAX_KEYS);
	int r = check_sample(k);

	json_decref(k);
	return r;
}

static int
test_reg_lf_and_utf8_bom(void)
{
	size_t n = strlen(reg_sample), j = 3;
	char *lf = malloc(n + 4);
	json_t *k;
	int r;

	memcpy(lf, "\xef\xbb\xbf", 3);
	for (size_t i = 0; i < n; i++)
		if (reg_sample[i] != '\r')
			lf[j++] = reg_sample[i];
	k = services_parse_reg(lf, j, SERVICES_MAX_KEYS);
	r = check_sample(k);
	json_decref(k);
	free(lf);
	return r;
}

/* reg_sample widened to UTF-16LE, with a BOM or without. */
static unsigned char *
widen(const char *s, bool bom, size_t *len)
{
	size_t n = strlen(s), j = 0;
	unsigned char *w = malloc(2 * n + 2);

	if (bom) {
		w[j++] = 0xff;
		w[j++] = 0xfe;
	}
	for (size_t i = 0; i < n; i++) {
		w[j++] = (unsigned char)s[i];
		w[j++] = 0;
	}
	*len = j;
	return w;
}

static int
test_reg_utf16(void)
{
	size_t len;
	unsigned char *w = widen(reg_sample, true, &len);
	json_t *k = services_parse_reg(w, len, SERVICES_MAX_KEYS);

	CHECK(check_sample(k) == 0);
	json_decref(k);
	free(w);
	w = widen(reg_sample, false, &len);
	k = services_parse_reg(w, len, SERVICES_MAX_KEYS);
	CHECK(check_sample(k) == 0);
	json_decref(k);
	free(w);
	/* Non-ASCII: "Café" with é as U+00E9, and a surrogate pair (U+1F600)
	 * in UTF-16 become UTF-8; an unpaired surrogate becomes U+FFFD. */
	{
		static const unsigned char u[] = {0xff, 0xfe, 'H', 0, 'K', 0,
		    'L', 0, 'M', 0, '\\', 0, 'S', 0, 'Y', 0, 'S', 0, 'T', 0,
		    'E', 0, 'M', 0, '\\', 0, 'C', 0, '\\', 0, 'S', 0, 'e', 0,
		    'r', 0, 'v', 0, 'i', 0, 'c', 0, 'e', 0, 's', 0, '\\', 0,
		    'C', 0, 'a', 0, 'f', 0, 0xe9, 0, '\r', 0, '\n', 0, ' ', 0,
		    ' ', 0, ' ', 0, ' ', 0, 'D', 0, 'i', 0, 's', 0, 'p', 0, 'l',
		    0, 'a', 0, 'y', 0, 'N', 0, 'a', 0, 'm', 0, 'e', 0, ' ', 0,
		    ' ', 0, ' ', 0, ' ', 0, 'R', 0, 'E', 0, 'G', 0, '_', 0, 'S',
		    0, 'Z', 0, ' ', 0, ' ', 0, ' ', 0, ' ', 0, 0x3d, 0xd8, 0x00,
		    0xde, 'x', 0, 0x00, 0xd8, 'y', 0};

		k = services_parse_reg(u, sizeof(u), SERVICES_MAX_KEYS);
		CHECK(json_array_size(k) == 1);
		CHECK(is(field(k, 0, "key"), "Caf\xc3\xa9"));
		CHECK(is(field(k, 0, "display_name"),
		    "\xf0\x9f\x98\x80x\xef\xbf\xbdy"));
		json_decref(k);
	}
	return 0;
}

/* An ANSI code page byte (0xE9, é in 1252) is no UTF-8: replaced, the
 * rest kept. */
static int
test_reg_ansi_bytes(void)
{
	const char in[] =
	    "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\Caf\xe9\r\n"
	    "    DisplayName    REG_SZ    Service caf\xe9\r\n";
	json_t *k = services_parse_reg(in, strlen(in), SERVICES_MAX_KEYS);

	CHECK(json_array_size(k) == 1);
	CHECK(is(field(k, 0, "key"), "Caf\xef\xbf\xbd"));
	CHECK(is(field(k, 0, "display_name"), "Service caf\xef\xbf\xbd"));
	json_decref(k);
	return 0;
}

/* Hostile output: a value of 1 MB is cut to SERVICES_FIELD_MAX (at a
 * character), the number of keys to the limit, a repeated header is one
 * key, garbage and NULs are no keys. */
static int
test_reg_hostile(void)
{
	size_t big = 1 << 20, n;
	char *buf = malloc(big + 4096), *p = buf;
	json_t *k;

	p += sprintf(p, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Big\r\n"
			"    ImagePath    REG_SZ    ");
	for (size_t i = 0; i < big / 2; i++) {
		*p++ = '\xc3'; /* é, two bytes each */
		*p++ = '\xa9';
	}
	p += sprintf(p, "\r\n    Start    REG_DWORD    0x3\r\n"
			"HKLM\\SYSTEM\\CurrentControlSet\\Services\\BIG\r\n"
			"    Type    REG_DWORD    0x10\r\n");
	k = services_parse_reg(buf, (size_t)(p - buf), SERVICES_MAX_KEYS);
	CHECK(json_array_size(k) == 1);
	n = strlen(field(k, 0, "image_path"));
	CHECK(n <= SERVICES_FIELD_MAX && n >= SERVICES_FIELD_MAX - 1);
	CHECK(n % 2 == 0); /* never half a character */
	CHECK(is(field(k, 0, "start_type"), "manual"));
	CHECK(is(field(k, 0, "type"), "service"));
	json_decref(k);

	p = buf;
	for (int i = 0; i < 3000; i++)
		p += sprintf(
		    p, "HKLM\\SYSTEM\\CurrentControlSet\\Services\\k%d\n", i);
	k = services_parse_reg(buf, (size_t)(p - buf), 2000);
	CHECK(json_array_size(k) == 2000);
	json_decref(k);

	memset(buf, 0, 4096);
	memcpy(buf + 100, "\x01\x02garbage    REG_SZ    x\n", 25);
	k = services_parse_reg(buf, 4096, SERVICES_MAX_KEYS);
	CHECK(json_array_size(k) == 0);
	json_decref(k);
	k = services_parse_reg(NULL, 0, SERVICES_MAX_KEYS);
	CHECK(json_is_array(k) && json_array_size(k) == 0);
	json_decref(k);
	free(buf);
	return 0;
}

/* sc.exe queryex type= all state= all as redirected (ANSI, CRLF): a
 * running shared service, a stopped one, a start-pending and a paused
 * one, a driver, a per-user instance, and what sc prints besides blocks
 * (an [SC] error, "Enum: more data", the wrapped controls line). */
static const char sc_sample[] =
    "\r\n"
    "SERVICE_NAME: Dhcp\r\n"
    "DISPLAY_NAME: DHCP Client\r\n"
    "        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n"
    "        STATE              : 4  RUNNING \r\n"
    "                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n"
    "        WIN32_EXIT_CODE    : 0  (0x0)\r\n"
    "        SERVICE_EXIT_CODE  : 0  (0x0)\r\n"
    "        CHECKPOINT         : 0x0\r\n"
    "        WAIT_HINT          : 0x0\r\n"
    "        PID                : 1388\r\n"
    "        FLAGS              : \r\n"
    "\r\n"
    "SERVICE_NAME: Fax\r\n"
    "DISPLAY_NAME: Fax\r\n"
    "        TYPE               : 10  WIN32_OWN_PROCESS  \r\n"
    "        STATE              : 1  STOPPED \r\n"
    "        WIN32_EXIT_CODE    : 1077  (0x435)\r\n"
    "        SERVICE_EXIT_CODE  : 0  (0x0)\r\n"
    "        CHECKPOINT         : 0x0\r\n"
    "        WAIT_HINT          : 0x0\r\n"
    "        PID                : 0\r\n"
    "        FLAGS              : \r\n"
    "\r\n"
    "[SC] EnumQueryServicesStatus:OpenService FAILED 5:\r\n"
    "\r\n"
    "SERVICE_NAME: wuauserv\r\n"
    "DISPLAY_NAME: Windows Update\r\n"
    "        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n"
    "        STATE              : 2  START_PENDING \r\n"
    "                                (NOT_STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n"
    "        PID                : 4420\r\n"
    "\r\n"
    "SERVICE_NAME: Spooler\r\n"
    "DISPLAY_NAME: Print Spooler\r\n"
    "        TYPE               : 110  WIN32_OWN_PROCESS  (interactive)\r\n"
    "        STATE              : 7  PAUSED \r\n"
    "\r\n"
    "SERVICE_NAME: ACPI\r\n"
    "DISPLAY_NAME: Microsoft ACPI Driver\r\n"
    "        TYPE               : 1  KERNEL_DRIVER  \r\n"
    "        STATE              : 4  RUNNING \r\n"
    "        PID                : 0\r\n"
    "\r\n"
    "SERVICE_NAME: CDPUserSvc_4f1e2\r\n"
    "DISPLAY_NAME: Connected Devices Platform User Service_4f1e2\r\n"
    "        TYPE               : f0   USER_OWN_PROCESS INSTANCE  \r\n"
    "        STATE              : 4  RUNNING \r\n"
    "        PID                : 5120\r\n"
    "\r\n"
    "Enum: more data, need 5064 bytes start resume at index 74\r\n";

static const char *
sfield(const json_t *a, size_t i, const char *name)
{
	return field(a, i, name);
}

static long long
ifield(const json_t *a, size_t i, const char *name)
{
	json_t *v = json_object_get(json_array_get(a, i), name);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* The checks every decoding of sc_sample must pass. */
static int
check_sc(json_t *s)
{
	CHECK(json_array_size(s) == 6);
	CHECK(is(sfield(s, 0, "key"), "Dhcp"));
	CHECK(is(sfield(s, 0, "display_name"), "DHCP Client"));
	CHECK(is(sfield(s, 0, "type"), "service"));
	CHECK(is(sfield(s, 0, "state"), "running"));
	CHECK(ifield(s, 0, "pid") == 1388);
	CHECK(is(sfield(s, 1, "key"), "Fax"));
	CHECK(is(sfield(s, 1, "state"), "stopped"));
	CHECK(ifield(s, 1, "pid") == -1); /* PID 0: none */
	CHECK(is(sfield(s, 2, "key"), "wuauserv"));
	CHECK(is(sfield(s, 2, "state"), "start_pending"));
	CHECK(ifield(s, 2, "pid") == 4420);
	CHECK(is(sfield(s, 3, "type"), "service")); /* 0x110, in hex */
	CHECK(is(sfield(s, 3, "state"), "paused"));
	CHECK(is(sfield(s, 4, "key"), "ACPI"));
	CHECK(is(sfield(s, 4, "type"), "driver"));
	CHECK(is(sfield(s, 4, "state"), "running"));
	CHECK(is(sfield(s, 5, "key"), "CDPUserSvc_4f1e2"));
	CHECK(is(sfield(s, 5, "type"), "other"));
	return 0;
}

static int
test_sc_sample(void)
{
	size_t len, n = strlen(sc_sample), j = 0;
	unsigned char *w;
	char *lf = malloc(n + 1);
	json_t *s = services_parse_sc(sc_sample, n, SERVICES_MAX_KEYS);

	CHECK(check_sc(s) == 0);
	json_decref(s);
	/* sc through a Unicode console: UTF-16LE, with a BOM or without */
	w = widen(sc_sample, true, &len);
	s = services_parse_sc(w, len, SERVICES_MAX_KEYS);
	CHECK(check_sc(s) == 0);
	json_decref(s);
	free(w);
	w = widen(sc_sample, false, &len);
	s = services_parse_sc(w, len, SERVICES_MAX_KEYS);
	CHECK(check_sc(s) == 0);
	json_decref(s);
	free(w);
	/* LF only */
	for (size_t i = 0; i < n; i++)
		if (sc_sample[i] != '\r')
			lf[j++] = sc_sample[i];
	s = services_parse_sc(lf, j, SERVICES_MAX_KEYS);
	CHECK(check_sc(s) == 0);
	json_decref(s);
	free(lf);
	return 0;
}

/* Output cut anywhere still parses: a block cut short keeps its name and
 * what came before the cut; nothing is made up. */
static int
test_sc_truncated(void)
{
	size_t n = strlen(sc_sample);
	const char *cut = strstr(sc_sample, "        STATE              : 1");
	json_t *s;

	for (size_t k = 0; k <= n; k++) {
		s = services_parse_sc(sc_sample, k, SERVICES_MAX_KEYS);
		CHECK(json_array_size(s) <= 6);
		json_decref(s);
	}
	/* cut inside Fax's block, before its STATE */
	s = services_parse_sc(
	    sc_sample, (size_t)(cut - sc_sample), SERVICES_MAX_KEYS);
	CHECK(json_array_size(s) == 2);
	CHECK(is(sfield(s, 1, "key"), "Fax"));
	CHECK(is(sfield(s, 1, "display_name"), "Fax"));
	CHECK(is(sfield(s, 1, "type"), "service"));
	CHECK(sfield(s, 1, "state") == NULL);
	json_decref(s);
	/* cut in the middle of a name: the name as far as it goes */
	s = services_parse_sc(sc_sample, 18, SERVICES_MAX_KEYS);
	CHECK(json_array_size(s) == 1);
	CHECK(is(sfield(s, 0, "key"), "Dh"));
	CHECK(sfield(s, 0, "state") == NULL);
	json_decref(s);
	/* a DISPLAY_NAME without its SERVICE_NAME starts nothing */
	s = services_parse_sc(
	    "\r\nDISPLAY_NAME: Orphan\r\n        STATE : 4  RUNNING\r\n", 49,
	    SERVICES_MAX_KEYS);
	CHECK(json_array_size(s) == 0);
	json_decref(s);
	return 0;
}

/* Hostile output: a display name of 1 MB is cut to SERVICES_FIELD_MAX, a
 * name of 1 MB or with a backslash is no key, the count stops at max, a
 * name seen twice is one entry, a state out of range or a huge PID is
 * dropped, translated labels are read by place. */
static int
test_sc_hostile(void)
{
	size_t big = 1 << 20;
	char *buf = malloc(2 * big + 4096), *p = buf;
	json_t *s;

	p += sprintf(p, "SERVICE_NAME: Big\r\nDISPLAY_NAME: ");
	memset(p, 'x', big);
	p += big;
	p += sprintf(p, "\r\n        STATE              : 9  WEIRD\r\n"
			"        PID                : 99999999999\r\n\r\n"
			"SERVICE_NAME: ");
	memset(p, 'y', big);
	p += big;
	p += sprintf(p,
	    "\r\n        STATE              : 4  RUNNING\r\n\r\n"
	    "SERVICE_NAME: a\\b\r\n        STATE : 4  RUNNING\r\n\r\n"
	    "SERVICE_NAME: BIG\r\nDISPLAY_NAME: again\r\n\r\n");
	s = services_parse_sc(buf, (size_t)(p - buf), SERVICES_MAX_KEYS);
	CHECK(json_array_size(s) == 1);
	CHECK(is(sfield(s, 0, "key"), "Big"));
	CHECK(strlen(sfield(s, 0, "display_name")) == SERVICES_FIELD_MAX);
	CHECK(sfield(s, 0, "state") == NULL);
	CHECK(ifield(s, 0, "pid") == -1);
	json_decref(s);

	p = buf;
	for (int i = 0; i < 3000; i++)
		p += sprintf(p, "SERVICE_NAME: s%d\n", i);
	s = services_parse_sc(buf, (size_t)(p - buf), 2000);
	CHECK(json_array_size(s) == 2000);
	json_decref(s);

	/* German sc: ANZEIGENAME, TYP, STATUS; PID seventh */
	p = buf;
	p += sprintf(p,
	    "\r\nSERVICE_NAME: Dhcp\r\nANZEIGENAME: DHCP-Client\r\n"
	    "        TYP                : 20  WIN32_SHARE_PROCESS\r\n"
	    "        STATUS             : 4  RUNNING\r\n"
	    "        WIN32_BEENDIGUNGSCODE : 0  (0x0)\r\n"
	    "        DIENST_BEENDIGUNGSCODE : 0  (0x0)\r\n"
	    "        PR\xdc"
	    "FPUNKT           : 0x0\r\n"
	    "        WARTE_HINWEIS      : 0x0\r\n"
	    "        PID                : 812\r\n");
	s = services_parse_sc(buf, (size_t)(p - buf), 10);
	CHECK(json_array_size(s) == 1);
	CHECK(is(sfield(s, 0, "display_name"), "DHCP-Client"));
	CHECK(is(sfield(s, 0, "type"), "service"));
	CHECK(is(sfield(s, 0, "state"), "running"));
	CHECK(ifield(s, 0, "pid") == 812);
	json_decref(s);

	memset(buf, 0, 4096);
	memcpy(buf + 100, "SERVICE_NAME\x01: x\n", 17);
	s = services_parse_sc(buf, 4096, SERVICES_MAX_KEYS);
	CHECK(json_array_size(s) == 0);
	json_decref(s);
	s = services_parse_sc(NULL, 0, SERVICES_MAX_KEYS);
	CHECK(json_is_array(s) && json_array_size(s) == 0);
	json_decref(s);
	CHECK(is(services_state_name(1), "stopped"));
	CHECK(is(services_state_name(3), "stop_pending"));
	CHECK(is(services_state_name(5), "continue_pending"));
	CHECK(is(services_state_name(6), "pause_pending"));
	CHECK(services_state_name(0) == NULL && services_state_name(8) == NULL);
	free(buf);
	return 0;
}

/* The fixture's "reg enum key" on one key, and the same in v6 spellings
 * with a DWORD as a string. */
static int
test_enum_key(void)
{
	json_t *cmd = t_fixture("v3_command_reg_enum_key_complete.json");
	json_t *e, *subs, *v6;

	CHECK(cmd != NULL);
	e = services_entry_from_enum("ACPI", cmd);
	CHECK(is(json_string_value(json_object_get(e, "key")), "ACPI"));
	CHECK(is(json_string_value(json_object_get(e, "display_name")),
	    "Microsoft ACPI Driver"));
	CHECK(is(json_string_value(json_object_get(e, "image_path")),
	    "system32\\drivers\\ACPI.sys"));
	CHECK(is(json_string_value(json_object_get(e, "start_type")), "boot"));
	CHECK(is(json_string_value(json_object_get(e, "type")), "driver"));
	json_decref(e);
	subs = services_subkeys(cmd, 10);
	CHECK(json_array_size(subs) == 2);
	CHECK(is(json_string_value(json_array_get(subs, 0)), "Parameters"));
	json_decref(subs);
	subs = services_subkeys(cmd, 1);
	CHECK(json_array_size(subs) == 1);
	json_decref(subs);
	json_decref(cmd);

	v6 = json_loads(
	    "{\"sub_keys\": [\"Dhcp\", \"\", \"a\\\\b\", 7, \"Tcpip\"],"
	    " \"values\": [{\"registry_name\": \"Start\", \"registry_data\": \"0x4\","
	    " \"registry_type\": \"REG_DWORD\"}, {\"registry_name\": \"ObjectName\","
	    " \"registry_data\": \"LocalSystem\"}, {\"value_data\": 1}]}",
	    0, NULL);
	CHECK(v6 != NULL);
	e = services_entry_from_enum("X", v6);
	CHECK(is(
	    json_string_value(json_object_get(e, "start_type")), "disabled"));
	CHECK(is(
	    json_string_value(json_object_get(e, "account")), "LocalSystem"));
	CHECK(is(json_string_value(json_object_get(e, "type")), "other"));
	json_decref(e);
	subs = services_subkeys(v6, 100);
	CHECK(json_array_size(subs) == 2); /* "", "a\\b" and 7 dropped */
	CHECK(is(json_string_value(json_array_get(subs, 1)), "Tcpip"));
	json_decref(subs);
	json_decref(v6);
	return 0;
}

static int
test_names(void)
{
	CHECK(is(services_start_name(0), "boot"));
	CHECK(is(services_start_name(1), "system"));
	CHECK(is(services_start_name(2), "auto"));
	CHECK(is(services_start_name(3), "manual"));
	CHECK(is(services_start_name(4), "disabled"));
	CHECK(is(services_start_name(5), "unknown"));
	CHECK(is(services_start_name(-1), "unknown"));
	CHECK(is(services_type_name(0x1), "driver"));
	CHECK(is(services_type_name(0x2), "driver"));
	CHECK(is(services_type_name(0x8), "driver"));
	CHECK(is(services_type_name(0x4), "other"));
	CHECK(is(services_type_name(0x10), "service"));
	CHECK(is(services_type_name(0x20), "service"));
	CHECK(is(services_type_name(0x110), "service"));
	CHECK(is(services_type_name(0x120), "service"));
	CHECK(is(services_type_name(0x50), "other"));
	CHECK(is(services_type_name(0x60), "other"));
	CHECK(is(services_type_name(0x100), "other"));
	return 0;
}

/* Without sc (it failed): net start's names first, in order, matched to
 * keys by DisplayName without case; then the other keys by name; an
 * indirect name matches nothing. */
static int
test_merge(void)
{
	json_t *ns = json_loads("[{\"name\": \"DHCP Client\"},"
				" {\"name\": \"print spooler\"},"
				" {\"name\": \"Unknown One\"}]",
	    0, NULL);
	json_t *keys = json_loads(
	    "[{\"key\": \"Spooler\", \"display_name\": \"Print Spooler\","
	    "  \"image_path\": \"spoolsv.exe\", \"start_type\": \"auto\","
	    "  \"type\": \"service\", \"account\": \"LocalSystem\"},"
	    " {\"key\": \"Dhcp\", \"display_name\": \"@dhcpcore.dll,-100\","
	    "  \"start_type\": \"auto\", \"type\": \"service\"},"
	    " {\"key\": \"ACPI\", \"start_type\": \"boot\", \"type\": \"driver\"}]",
	    0, NULL);
	json_t *m = services_merge(ns, keys, NULL), *all;

	CHECK(json_array_size(m) == 5);
	CHECK(is(field(m, 0, "name"), "DHCP Client"));
	CHECK(json_object_get(json_array_get(m, 0), "key") == NULL);
	CHECK(json_is_true(json_object_get(json_array_get(m, 0), "running")));
	CHECK(is(field(m, 1, "name"), "print spooler"));
	CHECK(is(field(m, 1, "key"), "Spooler"));
	CHECK(is(field(m, 1, "display_name"), "Print Spooler"));
	CHECK(is(field(m, 1, "image_path"), "spoolsv.exe"));
	CHECK(is(field(m, 1, "account"), "LocalSystem"));
	CHECK(json_is_true(json_object_get(json_array_get(m, 1), "running")));
	CHECK(is(field(m, 2, "name"), "Unknown One"));
	/* the others, by key: ACPI (no DisplayName: named by its key), Dhcp */
	CHECK(is(field(m, 3, "key"), "ACPI"));
	CHECK(is(field(m, 3, "name"), "ACPI"));
	CHECK(json_is_false(json_object_get(json_array_get(m, 3), "running")));
	CHECK(is(field(m, 4, "key"), "Dhcp"));
	CHECK(is(field(m, 4, "name"), "@dhcpcore.dll,-100"));
	/* Two net start names found no key: Dhcp may be one of them. */
	CHECK(json_object_get(json_array_get(m, 4), "running") == NULL);
	json_decref(m);
	/* When every running service found its key, an indirect one is
	 * known to be stopped. */
	all = json_loads("[{\"name\": \"Print Spooler\"}]", 0, NULL);
	m = services_merge(all, keys, NULL);
	CHECK(json_array_size(m) == 3);
	CHECK(is(field(m, 2, "key"), "Dhcp"));
	CHECK(json_is_false(json_object_get(json_array_get(m, 2), "running")));
	json_decref(m);
	/* No registry keys: the net start list as it was, running. */
	m = services_merge(ns, NULL, NULL);
	CHECK(json_array_size(m) == 3);
	CHECK(json_is_true(json_object_get(json_array_get(m, 2), "running")));
	json_decref(m);
	json_decref(all);
	json_decref(ns);
	json_decref(keys);
	return 0;
}

/* With sc: the indirect DisplayName matched through sc's resolved
 * name, which becomes display_name (the raw one kept); every key's
 * running from sc's state, pending states said; a service only sc lists
 * is added; a key sc does not list keeps the old rule. */
static int
test_merge_sc(void)
{
	json_t *ns = json_loads("[{\"name\": \"DHCP Client\"},"
				" {\"name\": \"print spooler\"},"
				" {\"name\": \"Windows Update\"},"
				" {\"name\": \"Unknown One\"}]",
	    0, NULL);
	json_t *keys = json_loads(
	    "[{\"key\": \"Spooler\", \"display_name\": \"Print Spooler\","
	    "  \"image_path\": \"spoolsv.exe\", \"start_type\": \"auto\","
	    "  \"type\": \"service\", \"account\": \"LocalSystem\"},"
	    " {\"key\": \"Dhcp\", \"display_name\": \"@dhcpcore.dll,-100\","
	    "  \"image_path\": \"svchost.exe -k x\","
	    "  \"start_type\": \"auto\", \"type\": \"service\"},"
	    " {\"key\": \"wuauserv\", \"display_name\": \"Windows Update\","
	    "  \"start_type\": \"manual\", \"type\": \"service\"},"
	    " {\"key\": \"Fax\", \"display_name\": \"@fxsresm.dll,-118\","
	    "  \"start_type\": \"manual\", \"type\": \"service\"},"
	    " {\"key\": \"TermService\", \"display_name\": \"@termsrv.dll,-268\","
	    "  \"start_type\": \"manual\", \"type\": \"service\"},"
	    " {\"key\": \"ACPI\", \"display_name\": \"Microsoft ACPI Driver\","
	    "  \"start_type\": \"boot\", \"type\": \"driver\"}]",
	    0, NULL);
	json_t *sc = services_parse_sc(sc_sample, strlen(sc_sample), 100);
	json_t *m = services_merge(ns, keys, sc), *e;

	CHECK(json_array_size(m) == 4 + 4);
	e = json_array_get(m, 0);
	CHECK(is(field(m, 0, "name"), "DHCP Client"));
	CHECK(is(field(m, 0, "key"), "Dhcp"));
	CHECK(is(field(m, 0, "display_name"), "DHCP Client"));
	CHECK(is(field(m, 0, "display_name_raw"), "@dhcpcore.dll,-100"));
	CHECK(is(field(m, 0, "image_path"), "svchost.exe -k x"));
	CHECK(json_is_true(json_object_get(e, "running")));
	CHECK(json_object_get(e, "state") == NULL);
	CHECK(json_integer_value(json_object_get(e, "pid")) == 1388);
	/* Spooler is paused: active, so running, with its state */
	e = json_array_get(m, 1);
	CHECK(is(field(m, 1, "key"), "Spooler"));
	CHECK(json_object_get(e, "display_name_raw") == NULL);
	CHECK(json_is_true(json_object_get(e, "running")));
	CHECK(is(field(m, 1, "state"), "paused"));
	e = json_array_get(m, 2);
	CHECK(is(field(m, 2, "key"), "wuauserv"));
	CHECK(is(field(m, 2, "state"), "start_pending"));
	e = json_array_get(m, 3);
	CHECK(is(field(m, 3, "name"), "Unknown One"));
	CHECK(json_object_get(e, "key") == NULL);
	CHECK(json_is_true(json_object_get(e, "running")));
	/* the others by key: ACPI (driver, running), CDPUserSvc_4f1e2 (sc
	 * alone), Fax (stopped, raw name: sc calls it "Fax"), TermService
	 * (sc does not list it; net start's Unknown One found no key, so an
	 * indirect name stays unknown) */
	CHECK(is(field(m, 4, "key"), "ACPI"));
	CHECK(json_is_true(json_object_get(json_array_get(m, 4), "running")));
	CHECK(json_object_get(json_array_get(m, 4), "pid") == NULL);
	CHECK(is(field(m, 5, "key"), "CDPUserSvc_4f1e2"));
	CHECK(is(field(m, 5, "name"),
	    "Connected Devices Platform User Service_4f1e2"));
	CHECK(is(field(m, 5, "type"), "other"));
	CHECK(json_object_get(json_array_get(m, 5), "start_type") == NULL);
	CHECK(json_is_true(json_object_get(json_array_get(m, 5), "running")));
	CHECK(is(field(m, 6, "key"), "Fax"));
	CHECK(is(field(m, 6, "name"), "Fax"));
	CHECK(is(field(m, 6, "display_name_raw"), "@fxsresm.dll,-118"));
	CHECK(json_is_false(json_object_get(json_array_get(m, 6), "running")));
	CHECK(json_object_get(json_array_get(m, 6), "pid") == NULL);
	CHECK(is(field(m, 7, "key"), "TermService"));
	CHECK(is(field(m, 7, "name"), "@termsrv.dll,-268"));
	CHECK(json_object_get(json_array_get(m, 7), "running") == NULL);
	json_decref(m);

	/* The registry failed: sc's services alone, with their state. */
	m = services_merge(ns, NULL, sc);
	CHECK(is(field(m, 0, "key"), "Dhcp"));
	CHECK(is(field(m, 0, "display_name"), "DHCP Client"));
	CHECK(is(field(m, 0, "type"), "service"));
	CHECK(json_object_get(json_array_get(m, 0), "start_type") == NULL);
	json_decref(m);

	/* An empty sc list is as no sc: the old rule. */
	json_decref(sc);
	sc = json_array();
	m = services_merge(ns, keys, sc);
	CHECK(json_object_get(json_array_get(m, 0), "key") == NULL);
	json_decref(m);
	json_decref(sc);
	json_decref(ns);
	json_decref(keys);
	return 0;
}

static int
test_mark(void)
{
	json_t *prev = json_loads(
	    "[{\"name\": \"x\", \"key\": \"DHCP\", \"image_path\": \"svchost.exe -k a\", \"start_type\": \"auto\"},"
	    " {\"name\": \"y\", \"key\": \"Spooler\", \"image_path\": \"spoolsv.exe\", \"start_type\": \"auto\"},"
	    " {\"name\": \"z\", \"key\": \"Gone\", \"start_type\": \"auto\"},"
	    " {\"name\": \"w\", \"key\": \"NoPath\", \"start_type\": \"auto\"},"
	    " {\"name\": \"v\", \"key\": \"ScOnly\", \"image_path\": \"v.exe\", \"start_type\": \"auto\"}]",
	    0, NULL);
	json_t *cur = json_loads(
	    "[{\"name\": \"Only net start\", \"running\": true},"
	    " {\"name\": \"x\", \"key\": \"Dhcp\", \"image_path\": \"c:\\\\evil.exe\", \"start_type\": \"auto\"},"
	    " {\"name\": \"y\", \"key\": \"spooler\", \"image_path\": \"SPOOLSV.EXE\", \"start_type\": \"auto\"},"
	    " {\"name\": \"n\", \"key\": \"EvilSvc\", \"image_path\": \"c:\\\\e.exe\", \"start_type\": \"auto\"},"
	    " {\"name\": \"w\", \"key\": \"NoPath\", \"image_path\": \"now.exe\", \"start_type\": \"auto\"},"
	    " {\"name\": \"v\", \"key\": \"ScOnly\", \"running\": true}]",
	    0, NULL);
	json_t *keyless = json_loads("[{\"name\": \"DHCP Client\"}]", 0, NULL);
	json_t *e;

	CHECK(services_mark(cur, prev));
	e = json_array_get(cur, 0);
	CHECK(json_object_get(e, "new") == NULL);
	e = json_array_get(cur, 1); /* Dhcp = DHCP, without case */
	CHECK(json_object_get(e, "new") == NULL);
	CHECK(is(json_string_value(json_object_get(e, "image_path_was")),
	    "svchost.exe -k a"));
	e = json_array_get(cur, 2); /* only the case changed: the same */
	CHECK(json_object_get(e, "new") == NULL);
	CHECK(json_object_get(e, "image_path_was") == NULL);
	e = json_array_get(cur, 3);
	CHECK(json_is_true(json_object_get(e, "new")));
	CHECK(json_object_get(e, "image_path_was") == NULL);
	e = json_array_get(cur, 4); /* had none */
	CHECK(is(json_string_value(json_object_get(e, "image_path_was")), ""));
	/* known to sc alone (the registry failed): no ImagePath to compare */
	e = json_array_get(cur, 5);
	CHECK(json_object_get(e, "new") == NULL);
	CHECK(json_object_get(e, "image_path_was") == NULL);
	json_decref(cur);

	/* A previous run without keys is no baseline: nothing marked; nor
	 * is one whose keys came from sc alone (no start type). */
	cur = json_loads("[{\"name\": \"n\", \"key\": \"EvilSvc\"}]", 0, NULL);
	CHECK(!services_mark(cur, keyless));
	CHECK(!services_mark(cur, NULL));
	{
		json_t *sc_only = json_loads(
		    "[{\"name\": \"DHCP Client\", \"key\": \"Dhcp\", \"running\": true}]",
		    0, NULL);

		CHECK(!services_mark(cur, sc_only));
		json_decref(sc_only);
	}
	CHECK(json_object_get(json_array_get(cur, 0), "new") == NULL);
	json_decref(cur);
	json_decref(keyless);
	json_decref(prev);
	return 0;
}

int
main(void)
{
	RUN(test_reg_ansi_crlf);
	RUN(test_reg_lf_and_utf8_bom);
	RUN(test_reg_utf16);
	RUN(test_reg_ansi_bytes);
	RUN(test_reg_hostile);
	RUN(test_sc_sample);
	RUN(test_sc_truncated);
	RUN(test_sc_hostile);
	RUN(test_enum_key);
	RUN(test_names);
	RUN(test_merge);
	RUN(test_merge_sc);
	RUN(test_mark);
	return t_done();
}
