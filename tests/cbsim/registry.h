/* registry.h - the simulated registry of a Windows device: the service
 * keys under HKLM\SYSTEM\CurrentControlSet\Services, served by "reg enum
 * key" and printed by reg.exe query /s through "create process".
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

/* Reads a scenario device's "service_keys", "service_keys_after" and
 * "reg_exe" (obj, borrowed) into d->registry.  0, or -1 with err set. */
int registry_scenario(struct sim_device *d, json_t *obj, const char *where,
    char *err, size_t errsize);

/* Runs "reg enum key" on path for session ss of device d: c's result
 * gets sub_keys and values (fixture v3_command_reg_enum_key_complete
 * .json), or the error a missing key gives (0x80070002). */
void registry_enum_key(const struct sim *s, const struct sim_session *ss,
    const struct sim_device *d, struct sim_command *c, const char *path);

/* True if cmdline runs reg.exe query on the Services key with /s. */
bool registry_is_query(const char *cmdline);

/* What reg.exe query <Services> /s prints on d for session ss: a new
 * blob, ANSI with CRLF line ends, as it is when redirected to a file;
 * nothing with "reg_exe": false. */
struct vfs_blob *registry_query_output(const struct sim *s,
    const struct sim_session *ss, const struct sim_device *d);

#endif
