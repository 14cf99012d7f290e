/* vfs.h - a simulated endpoint's file system: Windows paths, compared
 * case-insensitively, mapped to immutable reference-counted byte blobs.
 *
 * A blob is shared between a device's template file system, the file
 * systems of its sessions, and files captured by "get file", so each of
 * them sees the bytes as they were when it took its reference. */
#ifndef CBSIM_VFS_H
#define CBSIM_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct vfs_blob {
	int refs;            /* freed when it drops to 0 */
	size_t len;          /* bytes in data */
	unsigned char *data; /* owned; may be NULL when len is 0 */
};

/* Windows file attributes a listing shows besides DIRECTORY/ARCHIVE. */
enum vfs_attr {
	VFS_READONLY = (1 << 0),
	VFS_HIDDEN = (1 << 1),
	VFS_SYSTEM = (1 << 2),
	VFS_REPARSE_POINT = (1 << 10),
};

struct vfs_entry {
	char *key;             /* vfs_normalize()d path; owned */
	char *path;            /* path as written, separators collapsed */
	struct vfs_blob *blob; /* one reference; NULL for a directory */
	int64_t mtime_s;       /* create/write time, epoch seconds */
	unsigned attrs;        /* enum vfs_attr bits */
	bool locked;           /* held open by a process: reads fail */
	struct vfs_entry *next;
};

struct vfs {
	struct vfs_entry *head; /* unordered list; NULL when empty */
};

/* Returns a new blob holding a copy of len bytes of data. */
struct vfs_blob *vfs_blob_new(const void *data, size_t len);
/* Returns a new blob that steals data (malloc'ed, len bytes). */
struct vfs_blob *vfs_blob_take(unsigned char *data, size_t len);
/* Returns b with one more reference. */
struct vfs_blob *vfs_blob_ref(struct vfs_blob *b);
/* Drops one reference; NULL-safe. */
void vfs_blob_unref(struct vfs_blob *b);

/* Returns a new string: lower case, '/' and runs of '\' folded to one '\',
 * no trailing separator.  "C:\\\\Temp\\" and "c:\temp" give "c:\temp". */
char *vfs_normalize(const char *path);

/* Creates or replaces path; takes its own reference to blob (NULL makes a
 * directory). */
void vfs_put(
    struct vfs *v, const char *path, struct vfs_blob *blob, int64_t mtime_s);
/* vfs_put() of a new blob, dropping the caller's reference to it. */
void vfs_put_new(
    struct vfs *v, const char *path, struct vfs_blob *blob, int64_t mtime_s);
/* Sets the attributes and the lock of the existing entry at path.  0, or
 * -1 if there is none. */
int vfs_set(struct vfs *v, const char *path, unsigned attrs, bool locked);
/* True if path is a file another process holds open. */
bool vfs_locked(const struct vfs *v, const char *path);
/* The files (not directories) under dir, at any depth. */
size_t vfs_count_files(const struct vfs *v, const char *dir);
/* Returns the file at path (borrowed), or NULL if absent or a directory. */
struct vfs_blob *vfs_get(const struct vfs *v, const char *path);
/* Removes the file at path: 0, or -1 if there is no such file. */
int vfs_delete(struct vfs *v, const char *path);
/* Adds every entry of src to dst, sharing the blobs. */
void vfs_copy(struct vfs *dst, const struct vfs *src);
/* Removes every entry. */
void vfs_clear(struct vfs *v);

/* Lists a directory as a v3 "files" array (new reference): ".", "..",
 * then its files and subdirectories.  dir may end in "\" or "\*".
 * Returns NULL if the directory does not exist. */
json_t *vfs_list(const struct vfs *v, const char *dir);

#endif
