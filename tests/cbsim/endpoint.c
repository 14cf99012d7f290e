/* endpoint.c - user folders, browser profiles and cmd.exe's copy.
 *
 * C:\Users looks as on Windows 10: Public (read-only), Default (hidden),
 * the junctions Default User and All Users (hidden, system, reparse
 * point), a hidden system desktop.ini, and one folder per user, logged
 * on or not.  A browser's User Data holds its profiles ("Default",
 * "Profile N") beside what is no profile: Crash Reports, System Profile,
 * Guest Profile (with a History of its own), Local State. */
#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "history.h"
#include "scenario.h"

/* The browsers and their User Data folder under a user's. */
static const struct {
	const char *name, *dir;
} endpoint_browsers[] = {
    {"chrome", "AppData\\Local\\Google\\Chrome\\User Data"},
    {"edge", "AppData\\Local\\Microsoft\\Edge\\User Data"},
    {"brave", "AppData\\Local\\BraveSoftware\\Brave-Browser\\User Data"},
};

#define ENDPOINT_NBROWSERS \
	(sizeof(endpoint_browsers) / sizeof(endpoint_browsers[0]))

static const char endpoint_copy_prefix[] =
    "c:\\windows\\system32\\cmd.exe /c copy /y /b \"";

/* The index of browser name, or -1. */
static int
endpoint_browser(const char *name)
{
	for (size_t i = 0; i < ENDPOINT_NBROWSERS; i++)
		if (strcmp(endpoint_browsers[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Adds profile browser/name to u. */
static struct sim_profile *
endpoint_add_profile(struct sim_user *u, const char *browser, const char *name)
{
	struct sim_profile *p;

	u->profiles =
	    xrealloc(u->profiles, (u->nprofiles + 1) * sizeof(*u->profiles));
	p = &u->profiles[u->nprofiles++];
	memset(p, 0, sizeof(*p));
	p->browser = xstrdup(browser);
	p->name = xstrdup(name);
	return p;
}

/* The profile "user/browser/name" of d, or NULL. */
static struct sim_profile *
endpoint_find(struct sim_device *d, const char *spec)
{
	const char *s1 = strchr(spec, '/'), *s2;
	size_t i, k, ulen, blen;

	if (s1 == NULL || (s2 = strchr(s1 + 1, '/')) == NULL)
		return NULL;
	ulen = (size_t)(s1 - spec);
	blen = (size_t)(s2 - s1 - 1);
	for (i = 0; i < d->nusers; i++) {
		struct sim_user *u = &d->users[i];

		if (strlen(u->name) != ulen ||
		    strncmp(u->name, spec, ulen) != 0)
			continue;
		for (k = 0; k < u->nprofiles; k++)
			if (strlen(u->profiles[k].browser) == blen &&
			    strncmp(u->profiles[k].browser, s1 + 1, blen) ==
				0 &&
			    strcmp(u->profiles[k].name, s2 + 1) == 0)
				return &u->profiles[k];
	}
	return NULL;
}

/* True if name can be a folder name. */
static bool
endpoint_name_ok(const char *name)
{
	return name != NULL && *name != '\0' && strlen(name) <= 64 &&
	       strpbrk(name, "\\/:*?\"<>|") == NULL;
}

/* Reads "profiles": {"user": {"chrome": ["Default", ...], ...}}. */
static int
endpoint_parse_profiles(struct sim_device *d, json_t *profiles,
    const char *where, char *err, size_t errsize)
{
	const char *user, *browser;
	json_t *browsers, *list, *e;
	struct sim_user *u;
	size_t i;

	if (profiles == NULL || json_is_null(profiles))
		return 0;
	if (!json_is_object(profiles))
		goto out_bad;
	json_object_foreach(profiles, user, browsers)
	{
		if (!endpoint_name_ok(user) || !json_is_object(browsers))
			goto out_bad;
		u = scenario_add_user(d, user);
		u->has_profiles = true;
		json_object_foreach(browsers, browser, list)
		{
			if (endpoint_browser(browser) < 0 ||
			    !json_is_array(list))
				goto out_bad;
			json_array_foreach(list, i, e)
			{
				const char *name = json_string_value(e);
				char spec[200];

				snprintf(spec, sizeof(spec), "%s/%s/%s", user,
				    browser, name ? name : "");
				if (!endpoint_name_ok(name) ||
				    endpoint_find(d, spec) != NULL)
					goto out_bad;
				endpoint_add_profile(u, browser, name);
			}
		}
	}
	return 0;
out_bad:
	snprintf(err, errsize,
	    "%s.profiles: expected {\"user\": {\"chrome\"|\"edge\"|\"brave\": [distinct folder names]}}",
	    where);
	return -1;
}

/* Marks the profiles listed in obj[key] ("user/browser/profile"): locked
 * or missing their History. */
static int
endpoint_parse_marks(struct sim_device *d, json_t *obj, const char *key,
    const char *where, char *err, size_t errsize)
{
	json_t *list = json_object_get(obj, key), *e;
	struct sim_profile *p;
	size_t i;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list)) {
		snprintf(err, errsize,
		    "%s.%s: expected an array of \"user/browser/profile\"",
		    where, key);
		return -1;
	}
	json_array_foreach(list, i, e)
	{
		const char *spec = json_string_value(e);

		if (spec == NULL || (p = endpoint_find(d, spec)) == NULL) {
			snprintf(err, errsize,
			    "%s.%s[%zu]: no such profile (\"user/browser/profile\" of \"profiles\", or user/chrome/Default)",
			    where, key, i);
			return -1;
		}
		if (strcmp(key, "locked") == 0)
			p->locked = true;
		else
			p->missing = true;
	}
	return 0;
}

void
endpoint_default_profiles(struct sim_device *d)
{
	size_t i, k;

	for (i = 0; i < d->nusers; i++) {
		struct sim_user *u = &d->users[i];

		if (!u->has_profiles && u->history != SIM_HISTORY_NONE)
			endpoint_add_profile(u, "chrome", "Default");
		u->has_profiles = true;
		/* no_chrome wins over listed Chrome profiles. */
		if (u->history != SIM_HISTORY_NONE)
			continue;
		for (k = 0; k < u->nprofiles;) {
			if (strcmp(u->profiles[k].browser, "chrome") != 0) {
				k++;
				continue;
			}
			free(u->profiles[k].browser);
			free(u->profiles[k].name);
			memmove(&u->profiles[k], &u->profiles[k + 1],
			    (u->nprofiles - k - 1) * sizeof(*u->profiles));
			u->nprofiles--;
		}
	}
}

int
endpoint_parse(struct sim_device *d, json_t *obj, const char *where, char *err,
    size_t errsize)
{
	json_t *off = json_object_get(obj, "logged_off"), *e;
	size_t i;

	if (off != NULL && !json_is_null(off)) {
		if (!json_is_array(off))
			goto out_bad_off;
		json_array_foreach(off, i, e)
		{
			if (!endpoint_name_ok(json_string_value(e)))
				goto out_bad_off;
			scenario_add_user(d, json_string_value(e))->logged_off =
			    true;
		}
	}
	if (endpoint_parse_profiles(
		d, json_object_get(obj, "profiles"), where, err, errsize) == -1)
		return -1;
	endpoint_default_profiles(d);
	if (endpoint_parse_marks(d, obj, "locked", where, err, errsize) == -1 ||
	    endpoint_parse_marks(
		d, obj, "missing_history", where, err, errsize) == -1)
		return -1;
	return 0;
out_bad_off:
	snprintf(err, errsize, "%s.logged_off: expected an array of user names",
	    where);
	return -1;
}

void
endpoint_free_profiles(struct sim_user *u)
{
	for (size_t k = 0; k < u->nprofiles; k++) {
		free(u->profiles[k].browser);
		free(u->profiles[k].name);
	}
	free(u->profiles);
	u->profiles = NULL;
	u->nprofiles = 0;
}

/* Puts a directory at path with attributes attrs. */
static void
endpoint_dir(struct vfs *v, const char *path, unsigned attrs, int64_t t)
{
	vfs_put(v, path, NULL, t);
	vfs_set(v, path, attrs, false);
}

/* Puts a file holding text at path with attributes attrs. */
static void
endpoint_file(struct vfs *v, const char *path, const char *text, unsigned attrs,
    int64_t t)
{
	struct vfs_blob *b = vfs_blob_new(text, strlen(text));

	vfs_put(v, path, b, t);
	vfs_blob_unref(b);
	vfs_set(v, path, attrs, false);
}

/* The folders of C:\Users that are nobody's. */
static void
endpoint_system_folders(struct vfs *v, int64_t t)
{
	static const char ini[] =
	    "\r\n[.ShellClassInfo]\r\nLocalizedResourceName=@%SystemRoot%\\"
	    "system32\\shell32.dll,-21813\r\n";

	endpoint_dir(v, "C:\\Users\\Public", VFS_READONLY, t);
	endpoint_dir(v, "C:\\Users\\Public\\Documents", VFS_READONLY, t);
	endpoint_dir(v, "C:\\Users\\Default", VFS_HIDDEN | VFS_READONLY, t);
	endpoint_file(
	    v, "C:\\Users\\Default\\NTUSER.DAT", "regf", VFS_HIDDEN, t);
	endpoint_dir(v, "C:\\Users\\Default User",
	    VFS_HIDDEN | VFS_SYSTEM | VFS_REPARSE_POINT, t);
	endpoint_dir(v, "C:\\Users\\All Users",
	    VFS_HIDDEN | VFS_SYSTEM | VFS_REPARSE_POINT, t);
	endpoint_file(
	    v, "C:\\Users\\desktop.ini", ini, VFS_HIDDEN | VFS_SYSTEM, t);
}

/* A browser's User Data folder without its profiles. */
static int
endpoint_user_data(struct vfs *v, const struct sim_user *u, const char *dir,
    const char *browser, int64_t now_ms, char *err, size_t errsize)
{
	int64_t t = now_ms / 1000 - 86400 * 7;
	struct vfs_blob *b;
	char *p, *seed;

	p = xasprintf("%s\\Crash Reports", dir);
	endpoint_dir(v, p, 0, t);
	free(p);
	p = xasprintf("%s\\System Profile", dir);
	endpoint_dir(v, p, 0, t);
	free(p);
	p = xasprintf("%s\\Local State", dir);
	endpoint_file(v, p, "{\"profile\":{\"info_cache\":{}}}", 0, t);
	free(p);
	/* A guest session's History: no profile, never to be taken. */
	seed = xasprintf("%s/%s/Guest Profile", u->name, browser);
	if ((b = history_sqlite(u, seed, false, 0, now_ms, err, errsize)) ==
	    NULL) {
		free(seed);
		return -1;
	}
	free(seed);
	p = xasprintf("%s\\Guest Profile\\History", dir);
	vfs_put(v, p, b, t);
	vfs_blob_unref(b);
	free(p);
	return 0;
}

/* One profile's folder and History. */
static int
endpoint_profile(struct vfs *v, const struct sim_user *u,
    const struct sim_profile *pr, const char *dir, int64_t now_ms, char *err,
    size_t errsize)
{
	char *seed, *p;
	struct vfs_blob *b;

	p = xasprintf("%s\\%s\\Preferences", dir, pr->name);
	endpoint_file(v, p, "{}", 0, now_ms / 1000);
	free(p);
	if (pr->missing)
		return 0;
	seed = xasprintf("%s/%s/%s", u->name, pr->browser, pr->name);
	if (u->history == SIM_HISTORY_CORRUPT)
		b = history_garbage(seed);
	else
		b = history_sqlite(u, seed,
		    strcmp(pr->browser, "chrome") == 0 &&
			strcmp(pr->name, "Default") == 0,
		    u->pad_mb, now_ms, err, errsize);
	free(seed);
	if (b == NULL)
		return -1;
	p = xasprintf("%s\\%s\\History", dir, pr->name);
	vfs_put(v, p, b, now_ms / 1000);
	vfs_blob_unref(b);
	vfs_set(v, p, 0, pr->locked);
	free(p);
	return 0;
}

int
endpoint_build(struct vfs *files, const struct sim_device *d, int64_t now_ms,
    char *err, size_t errsize)
{
	int64_t t = now_ms / 1000 - 86400 * 30;
	size_t i, bi, k;
	char *path, *dir;

	endpoint_system_folders(files, t);
	for (i = 0; i < d->nusers; i++) {
		const struct sim_user *u = &d->users[i];

		path = xasprintf("C:\\Users\\%s\\NTUSER.DAT", u->name);
		endpoint_file(files, path, "regf", VFS_HIDDEN, t);
		free(path);
		path = xasprintf("C:\\Users\\%s\\Desktop", u->name);
		endpoint_dir(files, path, 0, t);
		free(path);
		for (bi = 0; bi < ENDPOINT_NBROWSERS; bi++) {
			bool any = false;

			dir = xasprintf("C:\\Users\\%s\\%s", u->name,
			    endpoint_browsers[bi].dir);
			for (k = 0; k < u->nprofiles; k++) {
				const struct sim_profile *pr = &u->profiles[k];

				if (strcmp(pr->browser,
					endpoint_browsers[bi].name) != 0)
					continue;
				if ((!any && endpoint_user_data(files, u, dir,
						 pr->browser, now_ms, err,
						 errsize) == -1) ||
				    endpoint_profile(files, u, pr, dir, now_ms,
					err, errsize) == -1) {
					free(dir);
					return -1;
				}
				any = true;
			}
			free(dir);
		}
	}
	return 0;
}

/* The parent folder of path (new string), "" for none. */
static char *
endpoint_parent(const char *path)
{
	const char *bs = strrchr(path, '\\');

	return bs != NULL ? xstrndup(path, (size_t)(bs - path)) : xstrdup("");
}

bool
endpoint_copy(struct vfs *v, const char *cmdline, int64_t now_s, int *rc,
    const char **words)
{
	size_t n = sizeof(endpoint_copy_prefix) - 1;
	const char *src, *mid, *dst, *end;
	char *s, *d, *parent;
	struct vfs_blob *b;
	json_t *dir;

	if (strncasecmp(cmdline, endpoint_copy_prefix, n) != 0)
		return false;
	src = cmdline + n;
	if ((mid = strchr(src, '"')) == NULL || strncmp(mid, "\" \"", 3) != 0)
		return false;
	dst = mid + 3;
	if ((end = strchr(dst, '"')) == NULL || end[1] != '\0' || end == dst ||
	    mid == src)
		return false;
	s = xstrndup(src, (size_t)(mid - src));
	d = xstrndup(dst, (size_t)(end - dst));
	parent = endpoint_parent(d);
	dir = vfs_list(v, parent);
	if ((b = vfs_get(v, s)) == NULL) {
		*rc = 1;
		*words = "The system cannot find the file specified.\r\n"
			 "        0 file(s) copied.\r\n";
	} else if (dir == NULL) {
		*rc = 1;
		*words = "The system cannot find the path specified.\r\n"
			 "        0 file(s) copied.\r\n";
	} else {
		vfs_put(v, d, b, now_s);
		*rc = 0;
		*words = "        1 file(s) copied.\r\n";
	}
	json_decref(dir);
	free(parent);
	free(s);
	free(d);
	return true;
}

size_t
endpoint_temp_files(const struct vfs *v)
{
	return vfs_count_files(v, ENDPOINT_TEMP_DIR);
}
