/* services_parse.c - the text of the service keys and states as the
 * endpoint's tools print them: reg.exe query /s, sc.exe queryex, and the
 * "reg enum key" results of Live Response.
 *
 * reg.exe query <key> /s prints, for each key under the one asked:
 *
 *	HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Dhcp
 *	    DisplayName    REG_SZ    @%SystemRoot%\system32\dhcpcore.dll,-100
 *	    ImagePath    REG_EXPAND_SZ    %SystemRoot%\system32\svchost.exe -k ...
 *	    Start    REG_DWORD    0x2
 *	    DependOnService    REG_MULTI_SZ    NSI\0Tdx
 *
 * with a blank line between keys; a DWORD is printed in hex.  sc.exe
 * queryex prints one block per service, a blank line before each:
 *
 *	SERVICE_NAME: Dhcp
 *	DISPLAY_NAME: DHCP Client
 *	        TYPE               : 20  WIN32_SHARE_PROCESS
 *	        STATE              : 4  RUNNING
 *	                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)
 *	        WIN32_EXIT_CODE    : 0  (0x0)
 *	        SERVICE_EXIT_CODE  : 0  (0x0)
 *	        CHECKPOINT         : 0x0
 *	        WAIT_HINT          : 0x0
 *	        PID                : 1234
 *	        FLAGS              :
 *
 * TYPE in hex, STATE and PID in decimal, DISPLAY_NAME resolved (the
 * name net start prints).  Redirected to a file, both tools write the
 * console's code page; a Unicode console gives UTF-16LE.  Both are
 * read. */
#include "services.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services_int.h"
#include "utf8.h"
#include "util.h"
#include "xmalloc.h"

/* ------------------------------------------------------------------ */
/* Values */

const char *
services_start_name(long long start)
{
	static const char *const names[] = {
	    "boot", "system", "auto", "manual", "disabled"};

	return start >= 0 && start <= 4 ? names[start] : "unknown";
}

const char *
services_type_name(long long type)
{
	if (type == 0x1 || type == 0x2 || type == 0x8)
		return "driver";
	if ((type & ~0x100LL) == 0x10 || (type & ~0x100LL) == 0x20)
		return "service";
	return "other";
}

char *
services_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

/* Parses a DWORD as reg.exe prints it ("0x2") or as a decimal string.
 * True on success. */
static bool
services_num(const char *s, long long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	*out = strtoll(s, &end, 0);
	while (*end == ' ' || *end == '\t')
		end++;
	return errno == 0 && *end == '\0' && *out >= 0;
}

/* Sets a string field of entry e to a bounded copy of s. */
static void
services_set_string(json_t *e, const char *field, const char *s)
{
	char *v = services_cut(s, SERVICES_FIELD_MAX);

	json_object_set_new(e, field, json_string(v));
	free(v);
}

/* Applies one registry value of the key to its entry e: the text data
 * (s, or NULL) or the number (when has_num). */
static void
services_value(
    json_t *e, const char *name, const char *s, bool has_num, long long num)
{
	if (!has_num)
		has_num = services_num(s, &num);
	if (util_strieq(name, "DisplayName") && s != NULL)
		services_set_string(e, "display_name", s);
	else if (util_strieq(name, "ImagePath") && s != NULL)
		services_set_string(e, "image_path", s);
	else if (util_strieq(name, "ObjectName") && s != NULL)
		services_set_string(e, "account", s);
	else if (util_strieq(name, "Start") && has_num)
		json_object_set_new(
		    e, "start_type", json_string(services_start_name(num)));
	else if (util_strieq(name, "Type") && has_num)
		json_object_set_new(
		    e, "type", json_string(services_type_name(num)));
}

void
services_finish(json_t *entry)
{
	if (json_object_get(entry, "start_type") == NULL)
		json_object_set_new(
		    entry, "start_type", json_string("unknown"));
	if (json_object_get(entry, "type") == NULL)
		json_object_set_new(entry, "type", json_string("other"));
}

char *
services_fold(const char *s)
{
	char *f = xstrdup(s);

	for (char *p = f; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return f;
}

/* ------------------------------------------------------------------ */
/* reg.exe output */

/* UTF-16LE (len bytes, no BOM) to a new UTF-8 string; NULs and unpaired
 * surrogates become U+FFFD. */
static char *
services_utf16(const unsigned char *p, size_t len)
{
	size_t n = len / 2;
	char *out = xmalloc(n * 3 + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		uint32_t cp = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;

		if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
			uint32_t lo = (uint32_t)p[2 * i + 2] |
				      (uint32_t)p[2 * i + 3] << 8;

			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				i++;
			} else
				cp = 0xfffd;
		} else if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0)
			cp = 0xfffd;
		if (cp < 0x80)
			*o++ = (char)cp;
		else if (cp < 0x800) {
			*o++ = (char)(0xc0 | cp >> 6);
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			*o++ = (char)(0xe0 | cp >> 12);
			*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*o++ = (char)(0xf0 | cp >> 18);
			*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
			*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	*o = '\0';
	return out;
}

/* The next line of the text at *rest (split in place, without its CR LF
 * or LF), its length in *n, and *rest moved past it; NULL at the end. */
static char *
text_line(char **rest, size_t *n)
{
	char *line = *rest, *next;

	if (line == NULL || *line == '\0')
		return NULL;
	if ((next = strchr(line, '\n')) != NULL)
		*next++ = '\0';
	*rest = next;
	*n = strlen(line);
	if (*n > 0 && line[*n - 1] == '\r')
		line[--*n] = '\0';
	return line;
}

char *
services_text(const unsigned char *p, size_t len)
{
	if (len >= 2 && p[0] == 0xff && p[1] == 0xfe)
		return services_utf16(p + 2, len - 2);
	if (len >= 4 && p[0] != 0 && p[1] == 0 && p[3] == 0)
		return services_utf16(p, len);
	if (len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		p += 3, len -= 3;
	return utf8_lenient((const char *)p, len);
}

/* What the reg.exe parser holds between lines. */
struct reg_parse {
	json_t *out;   /* the entries, in output order */
	json_t *index; /* folded key name -> entry (borrowed) */
	json_t *cur;   /* entry of the key being read; NULL: ignored key */
	size_t max_keys;
	char *vname; /* pending value: name, or NULL */
	char *vdata; /* its data so far (continuation lines joined) */
	bool vnum;   /* a REG_DWORD / REG_QWORD */
};

/* Applies the pending value, if any, to the current key. */
static void
reg_flush(struct reg_parse *rp)
{
	long long n;
	bool num = false;

	if (rp->vname != NULL && rp->cur != NULL) {
		num = rp->vnum && services_num(rp->vdata, &n);
		services_value(rp->cur, rp->vname, rp->vdata, num, num ? n : 0);
	}
	free(rp->vname);
	free(rp->vdata);
	rp->vname = rp->vdata = NULL;
}

/* A header line: the entry of a direct subkey of Services, or NULL for
 * any other key (Services itself, Parameters, Security...). */
static json_t *
reg_header(struct reg_parse *rp, const char *line)
{
	static const char *const roots[] = {
	    "HKEY_LOCAL_MACHINE\\SYSTEM\\", "HKLM\\SYSTEM\\"};
	const char *p = NULL, *slash;
	char *key, *fold;
	json_t *e;

	for (size_t i = 0; i < 2 && p == NULL; i++)
		if (strncasecmp(line, roots[i], strlen(roots[i])) == 0)
			p = line + strlen(roots[i]);
	/* <CurrentControlSet or ControlSet001>\Services\<key> */
	if (p == NULL || (slash = strchr(p, '\\')) == NULL ||
	    strncasecmp(slash + 1, "Services\\", 9) != 0)
		return NULL;
	p = slash + 10;
	if (*p == '\0' || strchr(p, '\\') != NULL)
		return NULL;
	key = services_cut(p, SERVICES_NAME_MAX);
	fold = services_fold(key);
	if ((e = json_object_get(rp->index, fold)) == NULL &&
	    json_array_size(rp->out) < rp->max_keys) {
		e = json_pack("{s:s}", "key", key);
		json_array_append_new(rp->out, e);
		json_object_set(rp->index, fold, e);
	}
	free(fold);
	free(key);
	return e;
}

/* A value line, "    <name>    REG_<TYPE>    <data>": starts the pending
 * value.  False if the line is not one. */
static bool
reg_value(struct reg_parse *rp, const char *line)
{
	const char *t, *d, *end;
	char *name;

	if (strncmp(line, "    ", 4) != 0 ||
	    (t = strstr(line + 4, "    REG_")) == NULL)
		return false;
	t += 4;
	for (end = t; isupper((unsigned char)*end) ||
		      isdigit((unsigned char)*end) || *end == '_';
	     end++)
		;
	if (*end != '\0' && strncmp(end, "    ", 4) != 0)
		return false;
	d = *end == '\0' ? end : end + 4;
	reg_flush(rp);
	name = xstrndup(line + 4, (size_t)(t - 4 - (line + 4)));
	rp->vname = services_cut(name, SERVICES_NAME_MAX);
	free(name);
	rp->vdata = services_cut(d, SERVICES_FIELD_MAX);
	rp->vnum = end - t == 9 && (strncmp(t, "REG_DWORD", 9) == 0 ||
				       strncmp(t, "REG_QWORD", 9) == 0);
	return true;
}

/* A line of data that went on past a line break: joined to the pending
 * value with "\n", within SERVICES_FIELD_MAX. */
static void
reg_continue(struct reg_parse *rp, const char *line)
{
	size_t have = strlen(rp->vdata);
	char *joined, *cut;

	if (have >= SERVICES_FIELD_MAX)
		return;
	joined = xasprintf(
	    "%s\n%.*s", rp->vdata, (int)(SERVICES_FIELD_MAX - have), line);
	cut = services_cut(joined, SERVICES_FIELD_MAX);
	free(joined);
	free(rp->vdata);
	rp->vdata = cut;
}

json_t *
services_parse_reg(const void *data, size_t len, size_t max_keys)
{
	struct reg_parse rp = {
	    .out = json_array(), .index = json_object(), .max_keys = max_keys};
	char *text, *line, *next;
	size_t i, n;
	json_t *e;

	text = services_text(data, data != NULL ? len : 0);
	for (next = text; (line = text_line(&next, &n)) != NULL;) {
		if (strspn(line, " \t") == n) {
			reg_flush(&rp); /* a blank line ends a key */
			continue;
		}
		if (strncasecmp(line, "HKEY_", 5) == 0 ||
		    strncasecmp(line, "HKLM\\", 5) == 0) {
			reg_flush(&rp);
			rp.cur = reg_header(&rp, line);
			continue;
		}
		if (reg_value(&rp, line))
			continue;
		if (rp.vname != NULL)
			reg_continue(&rp, line);
	}
	reg_flush(&rp);
	free(text);
	json_array_foreach(rp.out, i, e) services_finish(e);
	json_decref(rp.index);
	return rp.out;
}

/* ------------------------------------------------------------------ */
/* reg enum key results */

json_t *
services_subkeys(const json_t *cmd, size_t max)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(cmd, "sub_keys"), i, v)
	{
		const char *k = json_string_value(v);

		if (json_array_size(out) >= max)
			break;
		if (k == NULL || *k == '\0' || strchr(k, '\\') != NULL ||
		    strlen(k) > SERVICES_NAME_MAX)
			continue;
		json_array_append_new(out, json_string(k));
	}
	return out;
}

/* The first of the fields that o has (borrowed), or NULL. */
static json_t *
services_either(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return v != NULL ? v : json_object_get(o, b);
}

json_t *
services_entry_from_enum(const char *key, const json_t *cmd)
{
	json_t *e = json_pack("{s:s}", "key", key), *v;
	size_t i;

	json_array_foreach(json_object_get(cmd, "values"), i, v)
	{
		const char *name = json_string_value(
		    services_either(v, "value_name", "registry_name"));
		json_t *data =
		    services_either(v, "value_data", "registry_data");

		if (name == NULL)
			continue;
		if (json_is_integer(data))
			services_value(e, name, NULL, true,
			    (long long)json_integer_value(data));
		else if (json_is_string(data))
			services_value(
			    e, name, json_string_value(data), false, 0);
	}
	services_finish(e);
	return e;
}

/* ------------------------------------------------------------------ */
/* sc.exe output */

const char *
services_state_name(long long state)
{
	static const char *const names[] = {"stopped", "start_pending",
	    "stop_pending", "running", "continue_pending", "pause_pending",
	    "paused"};

	return state >= 1 && state <= 7 ? names[state - 1] : NULL;
}

/* What the sc.exe parser holds between lines. */
struct sc_parse {
	json_t *out;   /* the entries, in output order */
	json_t *index; /* folded service name -> true */
	json_t *cur;   /* entry of the block being read; NULL: ignored */
	bool in;       /* a block is open (its name line was read) */
	int heads;     /* its lines at column 0: name, display name */
	int fields;    /* its indented "LABEL : value" lines */
	size_t max;
};

/* "LABEL: value" at column 0 or "    LABEL     : value" indented, the
 * label in capitals, digits and "_" (or bytes of a translated one): true
 * with *label (llen bytes) and *value (trailing blanks cut, in place).
 * False for anything else: the "(STOPPABLE, ...)" line, "[SC] ..." and
 * "Enum: more data..." messages. */
static bool
sc_split(char *line, const char **label, size_t *llen, char **value)
{
	char *p = line + strspn(line, " \t"), *colon, *end;
	size_t n = 0;

	while (isupper((unsigned char)p[n]) || p[n] == '_' ||
	       (unsigned char)p[n] >= 0x80 ||
	       (n > 0 && isdigit((unsigned char)p[n])))
		n++;
	colon = p + n + strspn(p + n, " \t");
	if (n == 0 || *colon != ':')
		return false;
	*label = p;
	*llen = n;
	*value = colon + 1 + strspn(colon + 1, " \t");
	end = *value + strlen(*value);
	while (end > *value && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return true;
}

/* True if the label (n bytes) is word. */
static bool
sc_is(const char *label, size_t n, const char *word)
{
	return strlen(word) == n && strncmp(label, word, n) == 0;
}

/* A number as sc prints it, in base: digits, then a blank or the end.
 * True on success. */
static bool
sc_num(const char *s, int base, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, base);
	return errno == 0 && end != s && *out >= 0 &&
	       (*end == '\0' || *end == ' ' || *end == '\t');
}

/* Starts the block of the service named name: a new entry, or none (cur
 * NULL) for a name no key can have, one seen before, or past the limit. */
static void
sc_begin(struct sc_parse *sp, const char *name)
{
	char *fold;

	sp->in = true;
	sp->heads = 1;
	sp->fields = 0;
	sp->cur = NULL;
	if (*name == '\0' || strchr(name, '\\') != NULL ||
	    strlen(name) > SERVICES_NAME_MAX ||
	    json_array_size(sp->out) >= sp->max)
		return;
	fold = services_fold(name);
	if (json_object_get(sp->index, fold) == NULL) {
		sp->cur = json_pack("{s:s}", "key", name);
		json_array_append_new(sp->out, sp->cur);
		json_object_set_new(sp->index, fold, json_true());
	}
	free(fold);
}

/* An indented field of the current block.  The English labels are
 * known; a translated one is taken by its place (TYPE first, STATE
 * second, PID seventh). */
static void
sc_field(struct sc_parse *sp, const char *label, size_t n, const char *value)
{
	static const char *const known[] = {"TYPE", "STATE", "WIN32_EXIT_CODE",
	    "SERVICE_EXIT_CODE", "CHECKPOINT", "WAIT_HINT", "PID", "FLAGS"};
	int at = sp->fields++, which = -1;
	long long v;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (sc_is(label, n, known[i]))
			which = (int)i;
	if (which == -1)
		which = at;
	if (sp->cur == NULL)
		return;
	if (which == 0 && sc_num(value, 16, &v))
		json_object_set_new(
		    sp->cur, "type", json_string(services_type_name(v)));
	else if (which == 1 && sc_num(value, 10, &v) &&
		 services_state_name(v) != NULL)
		json_object_set_new(
		    sp->cur, "state", json_string(services_state_name(v)));
	else if (which == 6 && sc_num(value, 10, &v) && v > 0 &&
		 v <= 0xffffffffLL)
		json_object_set_new(sp->cur, "pid", json_integer(v));
}

/* One line (no line end) of sc's output. */
static void
sc_line(struct sc_parse *sp, char *line)
{
	bool indented = *line == ' ' || *line == '\t';
	const char *label;
	char *value, *d;
	size_t n;

	if (strspn(line, " \t") == strlen(line)) {
		sp->in = false; /* a blank line ends a block */
		sp->cur = NULL;
		return;
	}
	if (!sc_split(line, &label, &n, &value))
		return;
	if (indented) {
		if (sp->in)
			sc_field(sp, label, n, value);
		return;
	}
	if (sc_is(label, n, "SERVICE_NAME"))
		sc_begin(sp, value);
	else if (sp->in && sp->heads == 1 && sp->fields == 0) {
		sp->heads = 2; /* DISPLAY_NAME, or its translation */
		if (sp->cur != NULL) {
			d = services_cut(value, SERVICES_FIELD_MAX);
			json_object_set_new(
			    sp->cur, "display_name", json_string(d));
			free(d);
		}
	} else if (!sc_is(label, n, "DISPLAY_NAME"))
		sc_begin(sp, value); /* a translated SERVICE_NAME */
}

json_t *
services_parse_sc(const void *data, size_t len, size_t max)
{
	struct sc_parse sp = {
	    .out = json_array(), .index = json_object(), .max = max};
	char *text, *line, *next;

	size_t n;

	text = services_text(data, data != NULL ? len : 0);
	for (next = text; (line = text_line(&next, &n)) != NULL;)
		sc_line(&sp, line);
	free(text);
	json_decref(sp.index);
	return sp.out;
}
