/* vfs.c - case-insensitive Windows paths mapped to shared byte blobs.
 *
 * Sizes are tiny (a few dozen files per device), so a linked list and
 * linear search are plenty.  A directory exists if it was put explicitly
 * (blob NULL) or if any path lies under it. */
#include "vfs.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../common/xmalloc.h"

struct vfs_blob *
vfs_blob_new(const void *data, size_t len)
{
	unsigned char *copy = NULL;

	if (len > 0) {
		copy = xmalloc(len);
		memcpy(copy, data, len);
	}
	return vfs_blob_take(copy, len);
}

struct vfs_blob *
vfs_blob_take(unsigned char *data, size_t len)
{
	struct vfs_blob *b = xmalloc(sizeof(*b));

	b->refs = 1;
	b->len = len;
	b->data = data;
	return b;
}

struct vfs_blob *
vfs_blob_ref(struct vfs_blob *b)
{
	if (b != NULL)
		b->refs++;
	return b;
}

void
vfs_blob_unref(struct vfs_blob *b)
{
	if (b == NULL || --b->refs > 0)
		return;
	free(b->data);
	free(b);
}

/* Copies path with separators folded; lower-cases too if fold is set. */
static char *
vfs_clean(const char *path, bool fold)
{
	char *out = xmalloc(strlen(path) + 1), *o = out;
	const char *p;

	for (p = path; *p != '\0'; p++) {
		if (*p == '\\' || *p == '/') {
			if (o > out && o[-1] == '\\')
				continue;
			*o++ = '\\';
		} else
			*o++ = fold ? (char)tolower((unsigned char)*p) : *p;
	}
	while (o > out && o[-1] == '\\')
		o--;
	*o = '\0';
	return out;
}

char *
vfs_normalize(const char *path)
{
	return vfs_clean(path, true);
}

/* Returns the entry whose key equals the normalised key, or NULL. */
static struct vfs_entry *
vfs_find(const struct vfs *v, const char *key)
{
	struct vfs_entry *e;

	for (e = v->head; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

void
vfs_put(struct vfs *v, const char *path, struct vfs_blob *blob, int64_t mtime_s)
{
	char *key = vfs_normalize(path);
	struct vfs_entry *e;

	if ((e = vfs_find(v, key)) != NULL) {
		free(key);
		vfs_blob_unref(e->blob);
	} else {
		e = xmalloc(sizeof(*e));
		e->key = key;
		e->path = vfs_clean(path, false);
		e->attrs = 0;
		e->locked = false;
		e->next = v->head;
		v->head = e;
	}
	e->blob = vfs_blob_ref(blob);
	e->mtime_s = mtime_s;
}

void
vfs_put_new(
    struct vfs *v, const char *path, struct vfs_blob *blob, int64_t mtime_s)
{
	vfs_put(v, path, blob, mtime_s);
	vfs_blob_unref(blob);
}

int
vfs_set(struct vfs *v, const char *path, unsigned attrs, bool locked)
{
	char *key = vfs_normalize(path);
	struct vfs_entry *e = vfs_find(v, key);

	free(key);
	if (e == NULL)
		return -1;
	e->attrs = attrs;
	e->locked = locked;
	return 0;
}

bool
vfs_locked(const struct vfs *v, const char *path)
{
	char *key = vfs_normalize(path);
	struct vfs_entry *e = vfs_find(v, key);

	free(key);
	return e != NULL && e->blob != NULL && e->locked;
}

size_t
vfs_count_files(const struct vfs *v, const char *dir)
{
	char *key = vfs_normalize(dir);
	size_t n = 0, klen = strlen(key);
	const struct vfs_entry *e;

	for (e = v->head; e != NULL; e = e->next)
		if (e->blob != NULL && strncmp(e->key, key, klen) == 0 &&
		    e->key[klen] == '\\')
			n++;
	free(key);
	return n;
}

struct vfs_blob *
vfs_get(const struct vfs *v, const char *path)
{
	char *key = vfs_normalize(path);
	struct vfs_entry *e = vfs_find(v, key);

	free(key);
	return e != NULL ? e->blob : NULL;
}

/* Frees one entry and its reference. */
static void
vfs_entry_free(struct vfs_entry *e)
{
	free(e->key);
	free(e->path);
	vfs_blob_unref(e->blob);
	free(e);
}

int
vfs_delete(struct vfs *v, const char *path)
{
	char *key = vfs_normalize(path);
	struct vfs_entry **pp, *e;
	int ret = -1;

	for (pp = &v->head; (e = *pp) != NULL; pp = &e->next) {
		if (e->blob != NULL && strcmp(e->key, key) == 0) {
			*pp = e->next;
			vfs_entry_free(e);
			ret = 0;
			break;
		}
	}
	free(key);
	return ret;
}

void
vfs_copy(struct vfs *dst, const struct vfs *src)
{
	const struct vfs_entry *e;

	for (e = src->head; e != NULL; e = e->next) {
		vfs_put(dst, e->path, e->blob, e->mtime_s);
		vfs_set(dst, e->path, e->attrs, e->locked);
	}
}

void
vfs_clear(struct vfs *v)
{
	struct vfs_entry *e, *next;

	for (e = v->head; e != NULL; e = next) {
		next = e->next;
		vfs_entry_free(e);
	}
	v->head = NULL;
}

/* Returns one v3 directory-list entry (new reference): attributes in
 * the order of their Windows bits. */
static json_t *
vfs_file_json(
    const char *name, bool dir, unsigned attrs, size_t size, int64_t t)
{
	json_t *a = json_array();

	if (attrs & VFS_READONLY)
		json_array_append_new(a, json_string("READONLY"));
	if (attrs & VFS_HIDDEN)
		json_array_append_new(a, json_string("HIDDEN"));
	if (attrs & VFS_SYSTEM)
		json_array_append_new(a, json_string("SYSTEM"));
	json_array_append_new(a, json_string(dir ? "DIRECTORY" : "ARCHIVE"));
	if (attrs & VFS_REPARSE_POINT)
		json_array_append_new(a, json_string("REPARSE_POINT"));
	return json_pack("{s:o, s:I, s:s, s:s, s:I, s:I, s:I}", "attributes", a,
	    "create_time", (json_int_t)t, "filename", name, "alt_name", "",
	    "last_access_time", (json_int_t)t, "last_write_time", (json_int_t)t,
	    "size", (json_int_t)size);
}

/* True if array (of v3 entries) already lists filename. */
static bool
vfs_listed(json_t *files, const char *name)
{
	size_t i;
	json_t *f;

	json_array_foreach(files, i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "filename")),
			name) == 0)
			return true;
	}
	return false;
}

/* Orders two listing entries by name without case, as NTFS lists. */
static int
vfs_name_cmp(const void *a, const void *b)
{
	const char *x =
	    json_string_value(json_object_get(*(json_t *const *)a, "filename"));
	const char *y =
	    json_string_value(json_object_get(*(json_t *const *)b, "filename"));

	return strcasecmp(x, y);
}

/* Sorts a listing by name. */
static void
vfs_sort(json_t *files)
{
	size_t i, n = json_array_size(files);
	json_t **v = xcalloc(n + 1, sizeof(*v));

	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(files, i));
	qsort(v, n, sizeof(*v), vfs_name_cmp);
	json_array_clear(files);
	for (i = 0; i < n; i++)
		json_array_append_new(files, v[i]);
	free(v);
}

json_t *
vfs_list(const struct vfs *v, const char *dir)
{
	char *key = vfs_normalize(dir), *name;
	const struct vfs_entry *e;
	json_t *files = NULL;
	size_t klen;
	const char *rest, *slash;
	bool exists = false;
	int64_t t = 0;

	/* "c:\temp\*" lists "c:\temp". */
	klen = strlen(key);
	if (klen > 0 && key[klen - 1] == '*') {
		key[--klen] = '\0';
		while (klen > 0 && key[klen - 1] == '\\')
			key[--klen] = '\0';
	}
	files = json_array();
	/* Entries directly in dir first, with their own attributes; then
	 * the folders only deeper paths imply. */
	for (e = v->head; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0 && e->blob == NULL) {
			exists = true;
			t = e->mtime_s;
			continue;
		}
		if (strncmp(e->key, key, klen) != 0 || e->key[klen] != '\\')
			continue;
		exists = true;
		if (t == 0)
			t = e->mtime_s;
		/* Show names as written, lower-cased keys only match. */
		rest = e->path + klen + 1;
		if (strchr(rest, '\\') == NULL && !vfs_listed(files, rest))
			json_array_append_new(files,
			    vfs_file_json(rest, e->blob == NULL, e->attrs,
				e->blob ? e->blob->len : 0, e->mtime_s));
	}
	for (e = v->head; e != NULL; e = e->next) {
		if (strncmp(e->key, key, klen) != 0 || e->key[klen] != '\\')
			continue;
		rest = e->path + klen + 1;
		if ((slash = strchr(rest, '\\')) == NULL)
			continue;
		name = xstrndup(rest, (size_t)(slash - rest));
		if (!vfs_listed(files, name))
			json_array_append_new(
			    files, vfs_file_json(name, true, 0, 0, e->mtime_s));
		free(name);
	}
	free(key);
	if (!exists) {
		json_decref(files);
		return NULL;
	}
	vfs_sort(files);
	json_array_insert_new(files, 0, vfs_file_json("..", true, 0, 0, t));
	json_array_insert_new(files, 0, vfs_file_json(".", true, 0, 0, t));
	return files;
}
