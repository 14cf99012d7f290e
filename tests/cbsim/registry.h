/* registry.h - the simulated registry of a Windows device: the service
 * keys under HKLM\SYSTEM\CurrentControlSet\Services, served by "reg enum
 * key" and printed by reg.exe query /s and, as the service manager sees
 * them, by sc.exe queryex through "create process".
 *
 * A device's keys are its running services (the net start names, mapped
 * to the keys Windows has for them, or made up for names it does not
 * know), about thirty stopped services and drivers, then the scenario's
 * "service_keys" and, from a given session of the device on,
 * "service_keys_after" (README). */
#ifndef CBSIM_REGISTRY_H
#define CBSIM_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sim.h"

/* Reads a scenario device's "service_keys", "service_keys_after",
 * "reg_exe" and "sc_exe" (obj, borrowed) into d->registry.  0, or -1
 * with err set. */
int registry_scenario(struct sim_device *d, json_t *obj, const char *where,
    char *err, size_t errsize);

/* Runs "reg enum key" on path for session ss of device d: c's result
 * gets sub_keys and values (fixture v3_command_reg_enum_key_complete
 * .json), or the error a missing key gives (0x80070002). */
void registry_enum_key(const struct sim *s, const struct sim_session *ss,
    const struct sim_device *d, struct sim_command *c, const char *path);

/* The service keys of d as session ss sees them, sorted by name as the
 * registry keeps them (new array of key objects, registry.c). */
json_t *registry_keys(const struct sim *s, const struct sim_session *ss,
    const struct sim_device *d);

/* The values of key object o as "reg enum key" lists them (new array). */
json_t *registry_values(const json_t *o);

/* The display name the service manager gives key object o: its
 * DisplayName, an indirect one resolved (the builtins' real names, the
 * text after ";" of an "@x.inf,%y%;Name" one; raw when unknown), the key
 * name when it has none.  Borrowed from o or static. */
const char *registry_resolved(const json_t *o);

/* True if the service of key object o runs on d: a driver that starts
 * at boot, system or auto start, a service whose resolved name is one
 * of d's net start names. */
bool registry_running(const struct sim_device *d, const json_t *o);

/* True if cmdline runs reg.exe query on the Services key with /s. */
bool registry_is_query(const char *cmdline);

/* What reg.exe query <Services> /s prints on d for session ss: a new
 * blob, ANSI with CRLF line ends, as it is when redirected to a file;
 * nothing with "reg_exe": false (registry_text.c). */
struct vfs_blob *registry_query_output(const struct sim *s,
    const struct sim_session *ss, const struct sim_device *d);

/* True if cmdline is exactly the worker's sc.exe queryex (without
 * case). */
bool registry_is_sc(const char *cmdline);

/* What that sc.exe queryex prints on d for session ss: a new blob, one
 * block per key of a service or driver type (not the user service
 * templates, not keys without Type), display names resolved, ANSI with
 * CRLF line ends; nothing with "sc_exe": false. */
struct vfs_blob *registry_sc_output(const struct sim *s,
    const struct sim_session *ss, const struct sim_device *d);

#endif
