/* profiles.h - the users and browser profiles of a Windows device, read
 * from "directory list" answers, and the paths and command lines built
 * from them.
 *
 * Folder names come from the endpoint: only names that pass these checks
 * go into paths, and only paths that pass profiles_cmd_safe() go on a
 * command line. */
#ifndef LR_WORKER_PROFILES_H
#define LR_WORKER_PROFILES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* A Chromium browser and where its profiles live under a user's folder. */
struct profiles_browser {
	const char *name; /* "chrome", "edge", "brave" */
	const char *dir;  /* "appdata\local\google\chrome\user data" */
	const char *what; /* "Chrome", for sentences */
};

#define PROFILES_NBROWSERS 3
/* Chrome, Edge, Brave: the order of browser_history entries. */
extern const struct profiles_browser profiles_browsers[PROFILES_NBROWSERS];

/* The HRESULT of a file another process holds open. */
#define PROFILES_E_SHARING "0x80070020"

/* True if a directory-list entry (files[] element) is a directory. */
bool profiles_is_dir(json_t *file);
/* The name of a directory-list entry ("filename", or the v1 "name"), or
 * NULL. */
const char *profiles_file_name(json_t *file);

/* True for the folders under C:\Users that are not a person's:
 * Public, Default, Default User, All Users, the service profiles
 * (systemprofile, LocalService, NetworkService) and names ending in '$'
 * (compared without case). */
bool profiles_system_user(const char *name);
/* The user folders of a C:\Users listing (files[]): directories, not ".",
 * "..", system folders, nor names that cannot be a folder name
 * (collect_user_ok); a new array of at most max names, sorted without
 * case. */
json_t *profiles_user_folders(json_t *files, size_t max);
/* A new array: folders and the logged-in users not among them (compared
 * without case), sorted without case. */
json_t *profiles_users(json_t *folders, json_t *logged_in);
/* True if the string array a holds name (compared without case). */
bool profiles_has(json_t *a, const char *name);

/* 0 for "Default", N for "Profile N" (N from 1, digits only, no leading
 * zero), -1 for any other name ("System Profile", "Guest Profile",
 * "Crash Reports", ...). */
long profiles_profile_number(const char *name);
/* The profile folders of a "User Data" listing (files[]): "Default"
 * first, then "Profile N" by N, at most max; *skipped gets how many
 * more there were.  New array of names as listed. */
json_t *profiles_browser_profiles(json_t *files, size_t max, size_t *skipped);

/* New strings: a user's "User Data" folder of browser b, and a profile's
 * History file in it, lower case:
 * c:\users\jdoe\appdata\local\google\chrome\user data\default\history. */
char *profiles_user_data_path(
    const char *user, const struct profiles_browser *b);
char *profiles_history_path(
    const char *user, const struct profiles_browser *b, const char *profile);

/* True if path can go between double quotes on a cmd.exe command line
 * and mean itself: no '"', no '%' (expanded even inside quotes), no '!',
 * '^', '&', '|', '<', '>', no control characters. */
bool profiles_cmd_safe(const char *path);
/* The command line that copies src to dst byte for byte, overwriting
 * dst: cmd.exe /c copy /y /b "src" "dst".  NULL unless both are
 * profiles_cmd_safe().  New string. */
char *profiles_copy_command(const char *src, const char *dst);

/* True if the error of a failed "get file" says another process holds
 * the file (HRESULT 0x80070020, or the words Windows uses for it). */
bool profiles_sharing_violation(const char *err);
/* True if the error of a failed command says the path does not exist
 * (HRESULT 0x80070002 or 0x80070003). */
bool profiles_not_found(const char *err);

#endif
