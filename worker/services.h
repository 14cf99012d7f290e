/* services.h - Windows services with detail: the service keys under
 * HKLM\SYSTEM\CurrentControlSet\Services, merged with the running list
 * of "net start" through sc.exe's list of services (key name, resolved
 * display name, state), and marked against the device's previous done
 * run.
 *
 * The keys are read with one "create process" of reg.exe query /s into
 * an output file (every value of every key, a few hundred KB), the
 * states with one of sc.exe queryex: with the file's get and delete, six
 * commands however many keys there are.  Only when reg.exe fails are the
 * keys listed with "reg enum key" and read one "reg enum key" each, at
 * most SERVICES_ENUM_MAX of them (a session takes 250 commands).
 * Everything parsed comes from the endpoint: lengths and counts are
 * bounded and text is made valid UTF-8. */
#ifndef LR_WORKER_SERVICES_H
#define LR_WORKER_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "collect.h"
#include "lr.h"

#define SERVICES_KEY "HKLM\\SYSTEM\\CurrentControlSet\\Services"
#define SERVICES_REG_QUERY \
	"c:\\windows\\system32\\reg.exe query " SERVICES_KEY " /s"
/* Every service and driver (type= all), in one buffer: sc's own is 1 KB
 * by default, and the service manager allows 256 KB. */
#define SERVICES_SC_QUERY \
	"c:\\windows\\system32\\sc.exe queryex type= all state= all bufsize= 262144"
#define SERVICES_MAX_KEYS 2000  /* service keys kept from one device */
#define SERVICES_ENUM_MAX 150   /* keys read one by one when reg.exe fails */
#define SERVICES_FIELD_MAX 2048 /* bytes kept of one value */

/* Parses the output of reg.exe query <Services> /s (UTF-16LE with or
 * without a BOM, or ANSI/UTF-8; CRLF or LF) into a new array of service
 * entries, one per direct subkey of Services, in output order, at most
 * max_keys: {"key", "display_name", "image_path", "start_type", "account",
 * "type"} (the fields its values give; see services_finish()).  Values of
 * deeper keys (Parameters, Security...) are ignored; a value whose data
 * runs over several lines keeps them joined by "\n".  Never NULL. */
json_t *services_parse_reg(const void *data, size_t len, size_t max_keys);

/* Parses the output of sc.exe queryex (encodings as above) into a new
 * array, one entry per SERVICE_NAME block, in output order, at most max,
 * the first of a name seen twice (without case): {"key", "display_name",
 * "type" (as services_type_name() says of TYPE), "state"
 * (services_state_name() of STATE), "pid" (a number, when not 0)}, the
 * fields the block has.  A block cut short keeps what it had; lines that
 * are no "LABEL: value" ([SC] errors, "Enum: more data...") are skipped;
 * names with a backslash or over 512 bytes are no keys.  Never NULL. */
json_t *services_parse_sc(const void *data, size_t len, size_t max);

/* "stopped", "start_pending", "stop_pending", "running",
 * "continue_pending", "pause_pending", "paused" for STATE 1..7, else
 * NULL. */
const char *services_state_name(long long state);

/* The sub_keys of a "reg enum key" result (borrowed) as a new array of
 * strings: names only (no backslash, not empty, at most
 * SERVICES_FIELD_MAX bytes), at most max.  Never NULL. */
json_t *services_subkeys(const json_t *cmd, size_t max);

/* The service entry for key from a "reg enum key" result on its key
 * (borrowed): values[] of {value_name, value_type, value_data} (or the
 * registry_* spellings), a DWORD as a number or a "0x.." string.  New
 * reference. */
json_t *services_entry_from_enum(const char *key, const json_t *cmd);

/* Gives entry (from the parsers above) its defaults: "start_type"
 * "unknown" and "type" "other" when the key had no such value. */
void services_finish(json_t *entry);

/* "boot", "system", "auto", "manual", "disabled" for Start 0..4, else
 * "unknown". */
const char *services_start_name(long long start);
/* "driver" for Type 0x1, 0x2, 0x8; "service" for 0x10, 0x20 (alone or
 * with 0x100, interactive); else "other". */
const char *services_type_name(long long type);

/* The list the result contract names: net start's running services (netstart, borrowed:
 * [{"name"}...]) first, in their order, each given its key: the one sc
 * (borrowed services_parse_sc() entries, or NULL) lists with that
 * display name, else the key whose own DisplayName it is (compared
 * without case); then the other keys (keys, borrowed entries, or NULL)
 * and the services only sc lists, by key name.  A key sc lists gets its
 * "running" from sc's state (true unless stopped; "state" beside it when
 * it is neither running nor stopped; "pid"), and sc's display name when
 * its own is indirect ("@%SystemRoot%\...dll,-100") or missing, the
 * registry's kept as "display_name_raw".  Without sc, a key whose
 * DisplayName is indirect matches no name: its "running" is false when
 * every net start name found its key, and left out (unknown) otherwise.
 * Returns a new array. */
json_t *services_merge(
    const json_t *netstart, const json_t *keys, const json_t *sc);

/* Marks services (the merged list) against prev, the previous done
 * run's list: "new": true on a key prev does not have, "image_path_was"
 * on a key whose ImagePath changed (compared without case; "" when it had
 * none; only on entries read from the registry, those with a
 * "start_type").  Keys are compared without case.  Returns false, marking
 * nothing, when prev has no entry read from the registry (a run whose
 * registry step failed is no baseline). */
bool services_mark(json_t *services, const json_t *prev);

/* What reg.exe query (SERVICES_REG_QUERY) or sc.exe queryex
 * (SERVICES_SC_QUERY) printed, run by the caller into an output file:
 * data and len (borrowed), or err (borrowed) when the command or its
 * fetch failed. */
struct services_output {
	const char *data;
	size_t len;
	const char *err;
};

/* The registry step of a collection, after net start has set "services"
 * in result: reads the keys from reg (through session sid, one "reg enum
 * key" each, when reg.exe failed) and the states from sc, merges
 * them, marks them against the previous done run (sink->previous) and
 * sets "services_baseline".  Devices that are not Windows (result "os")
 * are skipped.  sc.exe failing only loses what it adds (the match falls
 * back to DisplayNames; "services_error" says so only when no running
 * service found its key); the registry failing leaves the net start list
 * (with sc's keys and states when sc worked) and "services_error" (a
 * sentence).  Returns 0, or -1 only when the job must stop (shutdown). */
int services_collect(struct lr *lr, const char *sid,
    const struct collect_opts *o, const struct collect_sink *sink,
    int64_t device_id, json_t *result, const struct services_output *reg,
    const struct services_output *sc);

#endif
