/* endpoint.h - a simulated Windows endpoint's people: the folders under
 * C:\Users (theirs and the system's, with Windows' attributes), their
 * browsers' "User Data" folders and profiles, and the one command line
 * "create process" carries out for real: cmd.exe's copy. */
#ifndef CBSIM_ENDPOINT_H
#define CBSIM_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sim.h"
#include "vfs.h"

/* Where a copy's temporary files go; counted by /_sim/stats. */
#define ENDPOINT_TEMP_DIR "C:\\Windows\\Temp"

/* Reads a scenario device's "logged_off", "profiles", "locked" and
 * "missing_history" into d (whose users, "history", "corrupt_history" and
 * "no_chrome" are already read), and gives each user without "profiles"
 * Chrome's Default profile unless no_chrome.  0, or -1 with err set. */
int endpoint_parse(struct sim_device *d, json_t *obj, const char *where,
    char *err, size_t errsize);
/* Gives d's users the profiles a user gets without "profiles" (Chrome's
 * Default, unless no_chrome). */
void endpoint_default_profiles(struct sim_device *d);
/* Frees u's profiles. */
void endpoint_free_profiles(struct sim_user *u);

/* Puts C:\Users into files: Public, Default, Default User, All Users,
 * desktop.ini, and per user NTUSER.DAT, Desktop and each browser's
 * User Data with its profiles' History files (and the folders and files
 * that are no profile).  0, or -1 with err set. */
int endpoint_build(struct vfs *files, const struct sim_device *d,
    int64_t now_ms, char *err, size_t errsize);

/* If cmdline is exactly c:\windows\system32\cmd.exe /c copy /y /b "SRC"
 * "DST" (without case), copies the file SRC to DST in v as copy would
 * (a lock does not stop it), sets *rc (0, or 1 when SRC is no file or
 * DST's folder does not exist) and *words (what copy prints) and returns
 * true; else false. */
bool endpoint_copy(struct vfs *v, const char *cmdline, int64_t now_s, int *rc,
    const char **words);

/* The files under ENDPOINT_TEMP_DIR in v. */
size_t endpoint_temp_files(const struct vfs *v);

#endif
