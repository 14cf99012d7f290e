/* services.c - the service keys of a Windows device, read through Live
 * Response, merged with net start's list and compared with the last run.
 *
 * reg.exe query <key> /s prints, for each key under the one asked:
 *
 *	HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Dhcp
 *	    DisplayName    REG_SZ    @%SystemRoot%\system32\dhcpcore.dll,-100
 *	    ImagePath    REG_EXPAND_SZ    %SystemRoot%\system32\svchost.exe -k ...
 *	    Start    REG_DWORD    0x2
 *	    DependOnService    REG_MULTI_SZ    NSI\0Tdx
 *
 * with a blank line between keys.  Redirected to a file it writes the
 * console's code page; a Unicode console gives UTF-16LE.  Both are read;
 * a DWORD is printed in hex. */
#include "services.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "utf8.h"
#include "util.h"
#include "xmalloc.h"

#define SERVICES_NAME_MAX 512 /* bytes kept of a key or value name */

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

/* Returns a new copy of the first max bytes of s (valid UTF-8), cut at a
 * character boundary. */
static char *
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

/* A key name as a lookup key: ASCII lower case (new string). */
static char *
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

/* The bytes as valid UTF-8 text (new string): UTF-16LE with a BOM, or
 * without one when it starts like "\r\0\n\0" or "H\0K\0"; else ANSI or
 * UTF-8, leniently. */
static char *
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
	size_t i;
	json_t *e;

	text = services_text(data, data != NULL ? len : 0);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		size_t n;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
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
/* Merging and marking */

/* An index into the keys, for sorting by name. */
struct services_ref {
	const char *key;
	json_t *entry;
	bool used;
};

static int
services_ref_cmp(const void *a, const void *b)
{
	const struct services_ref *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->key, y->key);
}

/* A DisplayName such as "@%SystemRoot%\system32\dhcpcore.dll,-100": a
 * resource the console resolves, never the name net start prints. */
static bool
services_indirect(const char *display)
{
	return display != NULL && display[0] == '@';
}

/* The merged entry of a key (borrowed e), named name. */
static json_t *
services_row(const char *name, const json_t *e)
{
	static const char *const fields[] = {"key", "display_name",
	    "image_path", "start_type", "account", "type"};
	json_t *o = json_pack("{s:s}", "name", name), *v;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((v = json_object_get(e, fields[i])) != NULL)
			json_object_set(o, fields[i], v);
	return o;
}

json_t *
services_merge(const json_t *netstart, const json_t *keys)
{
	size_t n = json_array_size(keys), i, k, unmatched = 0;
	struct services_ref *refs = xcalloc(n ? n : 1, sizeof(*refs));
	json_t *out = json_array(), *s, *row;

	for (i = k = 0; i < n; i++) {
		json_t *e = json_array_get(keys, i);
		const char *key = json_string_value(json_object_get(e, "key"));

		if (key != NULL)
			refs[k++] = (struct services_ref){key, e, false};
	}
	n = k;
	qsort(refs, n, sizeof(*refs), services_ref_cmp);
	json_array_foreach(netstart, i, s)
	{
		const char *name =
		    json_string_value(json_object_get(s, "name"));
		struct services_ref *m = NULL;

		for (k = 0; name != NULL && m == NULL && k < n; k++) {
			const char *d = json_string_value(
			    json_object_get(refs[k].entry, "display_name"));

			if (!refs[k].used && d != NULL &&
			    !services_indirect(d) && util_strieq(d, name))
				m = &refs[k];
		}
		if (m != NULL) {
			m->used = true;
			row = services_row(name, m->entry);
		} else {
			row = json_deep_copy(s);
			unmatched++;
		}
		json_object_set_new(row, "running", json_true());
		json_array_append_new(out, row);
	}
	for (k = 0; k < n; k++) {
		const char *d = json_string_value(
		    json_object_get(refs[k].entry, "display_name"));

		if (refs[k].used)
			continue;
		row = services_row(
		    d != NULL && *d != '\0' ? d : refs[k].key, refs[k].entry);
		/* An indirect name may be one of the running services net
		 * start named but no key claimed: unknown then. */
		if (!services_indirect(d) || unmatched == 0)
			json_object_set_new(row, "running", json_false());
		json_array_append_new(out, row);
	}
	free(refs);
	return out;
}

bool
services_mark(json_t *services, const json_t *prev)
{
	json_t *index = json_object(), *e;
	size_t i;
	bool usable;

	json_array_foreach(prev, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));
		char *fold;

		if (key == NULL)
			continue;
		fold = services_fold(key);
		json_object_set(index, fold, e);
		free(fold);
	}
	usable = json_object_size(index) > 0;
	json_array_foreach(usable ? services : NULL, i, e)
	{
		const char *key = json_string_value(json_object_get(e, "key"));
		const char *now, *was;
		json_t *p;
		char *fold;

		if (key == NULL)
			continue;
		fold = services_fold(key);
		p = json_object_get(index, fold);
		free(fold);
		if (p == NULL) {
			json_object_set_new(e, "new", json_true());
			continue;
		}
		now = json_string_value(json_object_get(e, "image_path"));
		was = json_string_value(json_object_get(p, "image_path"));
		if (!util_strieq(now ? now : "", was ? was : ""))
			json_object_set_new(
			    e, "image_path_was", json_string(was ? was : ""));
	}
	json_decref(index);
	return usable;
}

/* ------------------------------------------------------------------ */
/* Collection */

/* True when the job must stop: the worker is shutting down. */
static bool
services_stopped(struct lr *lr, const struct collect_opts *o)
{
	return lr_errkind(lr) == LR_ESTOPPED || (o->stop != NULL && *o->stop);
}

/* The names of the service keys (one "reg enum key"): a new array, or
 * NULL with *err set (new string). */
static json_t *
services_names(struct lr *lr, const char *sid, char **err)
{
	json_t *cmd = lr_command(lr, sid, "reg enum key", SERVICES_KEY, NULL);
	json_t *names;

	if (cmd == NULL) {
		*err = xstrdup(lr_error(lr));
		return NULL;
	}
	names = services_subkeys(cmd, SERVICES_MAX_KEYS);
	json_decref(cmd);
	return names;
}

/* reg.exe query /s into an output file, fetched, deleted, parsed: a new
 * array of entries, or NULL with *err set (new string). */
static json_t *
services_reg_query(struct lr *lr, const char *sid, const struct collect_opts *o,
    int64_t device_id, char **err)
{
	char rnd[13], *out_path, *data = NULL;
	json_t *extra, *cmd, *keys = NULL;
	size_t len = 0;
	bool created;

	util_random_alnum(rnd, 12);
	out_path = xasprintf("c:\\windows\\temp\\cblr.%s.tmp", rnd);
	extra = json_pack("{s:b,s:s}", "wait", 1, "output_file", out_path);
	cmd = lr_command(lr, sid, "create process", SERVICES_REG_QUERY, extra);
	json_decref(extra);
	if ((created = cmd != NULL)) {
		json_decref(cmd);
		if (lr_get_file(lr, sid, out_path, o->max_file_size, &data,
			&len) == 0) {
			keys = services_parse_reg(data, len, SERVICES_MAX_KEYS);
			if (json_array_size(keys) == 0) {
				*err = xasprintf(
				    "reg.exe printed no service keys (%zu bytes)",
				    len);
				json_decref(keys);
				keys = NULL;
			}
		}
	}
	if (keys == NULL && *err == NULL)
		*err = xstrdup(lr_error(lr));
	/* The file may be there whatever failed: remove it. */
	if (lr_errkind(lr) != LR_ESTOPPED &&
	    lr_delete_file(lr, sid, out_path) == -1 && created)
		log_warnx("session %s: could not delete %s: %s", sid, out_path,
		    lr_error(lr));
	log_debug("device %" PRId64
		  ": reg.exe query printed %zu bytes, %zu keys",
	    device_id, len, json_array_size(keys));
	free(data);
	free(out_path);
	return keys;
}

/* Reads each key with its own "reg enum key", the first
 * SERVICES_ENUM_MAX of them; the others keep only their name.  Returns
 * a new array, or NULL when stopped; *nread says how many were read. */
static json_t *
services_enum_each(struct lr *lr, const char *sid, const struct collect_opts *o,
    const json_t *names, size_t *nread)
{
	json_t *keys = json_array(), *v;
	bool gone = false;
	size_t i;

	*nread = 0;
	json_array_foreach(names, i, v)
	{
		const char *key = json_string_value(v);
		json_t *cmd = NULL, *e;
		char *path;

		if (i < SERVICES_ENUM_MAX && !gone) {
			path = xasprintf("%s\\%s", SERVICES_KEY, key);
			cmd = lr_command(lr, sid, "reg enum key", path, NULL);
			free(path);
			if (cmd == NULL && services_stopped(lr, o)) {
				json_decref(keys);
				return NULL;
			}
			gone =
			    cmd == NULL && (lr_errkind(lr) == LR_EGONE ||
					       lr_errkind(lr) == LR_ESESSION);
		}
		if (cmd != NULL) {
			e = services_entry_from_enum(key, cmd);
			(*nread)++;
		} else {
			e = json_pack("{s:s}", "key", key);
			services_finish(e);
		}
		json_array_append_new(keys, e);
		json_decref(cmd);
	}
	return keys;
}

/* Adds the keys of names that keys lacks (reg.exe skipped them), with
 * their name only. */
static void
services_add_missing(json_t *keys, const json_t *names)
{
	json_t *seen = json_object(), *v, *e;
	size_t i;

	json_array_foreach(keys, i, v)
	{
		char *fold =
		    services_fold(json_string_value(json_object_get(v, "key")));

		json_object_set_new(seen, fold, json_true());
		free(fold);
	}
	json_array_foreach(names, i, v)
	{
		char *fold = services_fold(json_string_value(v));

		if (json_object_get(seen, fold) == NULL &&
		    json_array_size(keys) < SERVICES_MAX_KEYS) {
			e = json_pack("{s:O}", "key", v);
			services_finish(e);
			json_array_append_new(keys, e);
			json_object_set_new(seen, fold, json_true());
		}
		free(fold);
	}
	json_decref(seen);
}

/* Marks services against the previous done run and records it. */
static void
services_baseline(const struct collect_sink *sink, int64_t device_id,
    json_t *services, json_t *result)
{
	json_t *prev = NULL;
	char at[64] = "";
	int r;

	if (sink->previous == NULL)
		return;
	r = sink->previous(sink->arg, &prev, at, sizeof(at));
	if (r == -1)
		log_warnx(
		    "device %" PRId64
		    ": the previous run's services could not be read; nothing is marked new or changed",
		    device_id);
	else if (r == 1 && services_mark(services, prev) && at[0] != '\0')
		json_object_set_new(
		    result, "services_baseline", json_string(at));
	json_decref(prev);
}

int
services_collect(struct lr *lr, const char *sid, const struct collect_opts *o,
    const struct collect_sink *sink, int64_t device_id, json_t *result)
{
	const char *os = json_string_value(json_object_get(result, "os"));
	char *names_err = NULL, *reg_err = NULL, *partial = NULL;
	json_t *names, *keys, *merged;
	size_t nread;
	int ret = 0;

	if (os != NULL && strncasecmp(os, "WINDOWS", 7) != 0)
		return 0; /* no registry, no reg commands */
	names = services_names(lr, sid, &names_err);
	if (names == NULL && services_stopped(lr, o))
		return -1;
	keys = services_reg_query(lr, sid, o, device_id, &reg_err);
	if (keys == NULL && services_stopped(lr, o)) {
		ret = -1;
		goto out;
	}
	if (keys != NULL && names != NULL)
		services_add_missing(keys, names);
	else if (keys == NULL && names != NULL) {
		log_warnx(
		    "device %" PRId64
		    ": reg.exe failed (%s); reading the service keys one by one",
		    device_id, reg_err);
		if ((keys = services_enum_each(lr, sid, o, names, &nread)) ==
		    NULL) {
			ret = -1;
			goto out;
		}
		if (nread < json_array_size(names))
			partial = xasprintf(
			    "reg.exe could not list the service keys (%s), so they were read one by one: %zu of %zu keys have their values",
			    reg_err, nread, json_array_size(names));
	}
	if (keys == NULL) {
		char *msg = xasprintf(
		    "could not read the service keys from the registry: %s%s%s",
		    names_err != NULL ? names_err : reg_err,
		    names_err != NULL ? "; reg.exe: " : "",
		    names_err != NULL ? reg_err : "");

		log_warnx("device %" PRId64 ": %s", device_id, msg);
		json_object_set_new(result, "services_error", json_string(msg));
		free(msg);
		goto out;
	}
	merged = services_merge(json_object_get(result, "services"), keys);
	services_baseline(sink, device_id, merged, result);
	json_object_set_new(result, "services", merged);
	if (partial != NULL)
		json_object_set_new(
		    result, "services_error", json_string(partial));
	log_info("device %" PRId64 ": %zu service keys", device_id,
	    json_array_size(keys));
	json_decref(keys);
out:
	json_decref(names);
	free(partial);
	free(names_err);
	free(reg_err);
	return ret;
}
