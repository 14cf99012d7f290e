/* test_services.c - service keys: reg.exe output in its encodings, "reg
 * enum key" results, the merge with net start, and the marks against the
 * previous run. */
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

/* net start's names first, in order, matched to keys by DisplayName
 * without case; then the other keys by name; an indirect name matches
 * nothing. */
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
	json_t *m = services_merge(ns, keys), *all;

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
	m = services_merge(all, keys);
	CHECK(json_array_size(m) == 3);
	CHECK(is(field(m, 2, "key"), "Dhcp"));
	CHECK(json_is_false(json_object_get(json_array_get(m, 2), "running")));
	json_decref(m);
	/* No registry keys: the net start list as it was, running. */
	m = services_merge(ns, NULL);
	CHECK(json_array_size(m) == 3);
	CHECK(json_is_true(json_object_get(json_array_get(m, 2), "running")));
	json_decref(m);
	json_decref(all);
	json_decref(ns);
	json_decref(keys);
	return 0;
}

static int
test_mark(void)
{
	json_t *prev = json_loads(
	    "[{\"name\": \"x\", \"key\": \"DHCP\", \"image_path\": \"svchost.exe -k a\"},"
	    " {\"name\": \"y\", \"key\": \"Spooler\", \"image_path\": \"spoolsv.exe\"},"
	    " {\"name\": \"z\", \"key\": \"Gone\"},"
	    " {\"name\": \"w\", \"key\": \"NoPath\"}]",
	    0, NULL);
	json_t *cur = json_loads(
	    "[{\"name\": \"Only net start\", \"running\": true},"
	    " {\"name\": \"x\", \"key\": \"Dhcp\", \"image_path\": \"c:\\\\evil.exe\"},"
	    " {\"name\": \"y\", \"key\": \"spooler\", \"image_path\": \"SPOOLSV.EXE\"},"
	    " {\"name\": \"n\", \"key\": \"EvilSvc\", \"image_path\": \"c:\\\\e.exe\"},"
	    " {\"name\": \"w\", \"key\": \"NoPath\", \"image_path\": \"now.exe\"}]",
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
	json_decref(cur);

	/* A previous run without keys is no baseline: nothing marked. */
	cur = json_loads("[{\"name\": \"n\", \"key\": \"EvilSvc\"}]", 0, NULL);
	CHECK(!services_mark(cur, keyless));
	CHECK(!services_mark(cur, NULL));
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
	RUN(test_enum_key);
	RUN(test_names);
	RUN(test_merge);
	RUN(test_mark);
	return t_done();
}
