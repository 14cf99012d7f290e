/* profiles.c - users and browser profiles from directory listings.
 *
 * C:\Users holds a folder per person who ever logged on, beside shared
 * and system ones; a Chromium "User Data" folder holds "Default" and
 * "Profile N" beside caches, "System Profile", "Guest Profile" and
 * files such as "Local State".  Only the person's folders and the real
 * profiles are taken. */
#include "profiles.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collect.h"
#include "util.h"
#include "xmalloc.h"

const struct profiles_browser profiles_browsers[PROFILES_NBROWSERS] = {
    {"chrome", "appdata\\local\\google\\chrome\\user data", "Chrome"},
    {"edge", "appdata\\local\\microsoft\\edge\\user data", "Edge"},
    {"brave", "appdata\\local\\bravesoftware\\brave-browser\\user data",
	"Brave"},
};

bool
profiles_is_dir(json_t *file)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(file, "attributes"), i, a)
	{
		const char *s = json_string_value(a);

		if (s != NULL && util_strieq(s, "DIRECTORY"))
			return true;
	}
	return false;
}

const char *
profiles_file_name(json_t *file)
{
	const char *name = json_string_value(json_object_get(file, "filename"));

	return name != NULL ? name
			    : json_string_value(json_object_get(file, "name"));
}

bool
profiles_system_user(const char *name)
{
	static const char *const skip[] = {"Public", "Default", "Default User",
	    "All Users", "systemprofile", "LocalService", "NetworkService",
	    "desktop.ini"};
	size_t i, n = strlen(name);

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (util_strieq(name, skip[i]))
			return true;
	return n > 0 && name[n - 1] == '$';
}

/* Orders names without case (then byte for byte, so the order is
 * total). */
static int
profiles_cmp(const void *a, const void *b)
{
	const char *x = json_string_value(*(json_t *const *)a);
	const char *y = json_string_value(*(json_t *const *)b);
	const unsigned char *p = (const unsigned char *)x;
	const unsigned char *q = (const unsigned char *)y;

	for (; *p != '\0' && tolower(*p) == tolower(*q); p++, q++)
		;
	if (tolower(*p) != tolower(*q))
		return tolower(*p) - tolower(*q);
	return strcmp(x, y);
}

/* Returns a new array: the strings of a, sorted without case. */
static json_t *
profiles_sorted(json_t *a)
{
	size_t i, n = json_array_size(a);
	json_t **v = xcalloc(n + 1, sizeof(*v)), *out = json_array();

	for (i = 0; i < n; i++)
		v[i] = json_array_get(a, i);
	qsort(v, n, sizeof(*v), profiles_cmp);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

bool
profiles_has(json_t *a, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);

		if (s != NULL && util_strieq(s, name))
			return true;
	}
	return false;
}

json_t *
profiles_user_folders(json_t *files, size_t max)
{
	json_t *names = json_array(), *f, *out;
	size_t i;

	json_array_foreach(files, i, f)
	{
		const char *name = profiles_file_name(f);

		if (name == NULL || !profiles_is_dir(f) ||
		    !collect_user_ok(name) || profiles_system_user(name) ||
		    profiles_has(names, name))
			continue;
		if (json_array_size(names) >= max)
			break;
		json_array_append_new(names, json_string(name));
	}
	out = profiles_sorted(names);
	json_decref(names);
	return out;
}

json_t *
profiles_users(json_t *folders, json_t *logged_in)
{
	json_t *all = json_array(), *u, *out;
	size_t i;

	json_array_extend(all, folders);
	json_array_foreach(logged_in, i, u)
	{
		const char *s = json_string_value(u);

		if (s != NULL && !profiles_has(all, s))
			json_array_append(all, u);
	}
	out = profiles_sorted(all);
	json_decref(all);
	return out;
}

long
profiles_profile_number(const char *name)
{
	static const char prefix[] = "Profile ";
	const char *p;
	long n = 0;

	if (util_strieq(name, "Default"))
		return 0;
	if (strncasecmp(name, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	p = name + sizeof(prefix) - 1;
	if (*p < '1' || *p > '9')
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > 99999999)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

/* Orders profile names: Default, then Profile N by N. */
static int
profiles_profile_cmp(const void *a, const void *b)
{
	long x =
	    profiles_profile_number(json_string_value(*(json_t *const *)a));
	long y =
	    profiles_profile_number(json_string_value(*(json_t *const *)b));

	return x < y ? -1 : x > y;
}

json_t *
profiles_browser_profiles(json_t *files, size_t max, size_t *skipped)
{
	size_t i, n = 0, cap = json_array_size(files);
	json_t **v = xcalloc(cap + 1, sizeof(*v)), *out = json_array(), *f;

	json_array_foreach(files, i, f)
	{
		const char *name = profiles_file_name(f);
		size_t k;
		bool dup = false;

		if (name == NULL || !profiles_is_dir(f) ||
		    profiles_profile_number(name) < 0)
			continue;
		for (k = 0; k < n; k++)
			dup = dup || util_strieq(json_string_value(v[k]), name);
		if (!dup)
			v[n++] = json_object_get(f, "filename") != NULL
				     ? json_object_get(f, "filename")
				     : json_object_get(f, "name");
	}
	qsort(v, n, sizeof(*v), profiles_profile_cmp);
	for (i = 0; i < n && i < max; i++)
		json_array_append(out, v[i]);
	*skipped = n > max ? n - max : 0;
	free(v);
	return out;
}

/* Lower-cases the ASCII letters of s in place; returns s. */
static char *
profiles_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

char *
profiles_user_data_path(const char *user, const struct profiles_browser *b)
{
	return profiles_lower(xasprintf("c:\\users\\%s\\%s", user, b->dir));
}

char *
profiles_history_path(
    const char *user, const struct profiles_browser *b, const char *profile)
{
	return profiles_lower(
	    xasprintf("c:\\users\\%s\\%s\\%s\\history", user, b->dir, profile));
}

bool
profiles_cmd_safe(const char *path)
{
	const unsigned char *p = (const unsigned char *)path;

	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || strchr("\"%!^&|<>", *p) != NULL)
			return false;
	return true;
}

char *
profiles_copy_command(const char *src, const char *dst)
{
	if (!profiles_cmd_safe(src) || !profiles_cmd_safe(dst))
		return NULL;
	return xasprintf(
	    "c:\\windows\\system32\\cmd.exe /c copy /y /b \"%s\" \"%s\"", src,
	    dst);
}

bool
profiles_sharing_violation(const char *err)
{
	return err != NULL &&
	       (util_stristr(err, PROFILES_E_SHARING) != NULL ||
		   util_stristr(err, "sharing violation") != NULL ||
		   util_stristr(err, "being used by another process") != NULL);
}

bool
profiles_not_found(const char *err)
{
	return err != NULL && (util_stristr(err, "0x80070002") != NULL ||
				  util_stristr(err, "0x80070003") != NULL);
}
