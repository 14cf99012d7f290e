/* services.h - Windows services with detail: the service keys under
 * HKLM\SYSTEM\CurrentControlSet\Services, merged with the running list
 * of "net start", and marked against the device's previous done run.
 *
 * The keys are read with one "reg enum key" (the list of key names) and
 * one "create process" of reg.exe query /s into an output file (every
 * value of every key, a few hundred KB), so a device with 600 keys costs
 * five commands instead of 600.  Only when reg.exe fails are the keys
 * read one "reg enum key" each, at most SERVICES_ENUM_MAX of them (a
 * session takes 250 commands).  Everything parsed comes from the
 * endpoint: lengths and counts are bounded and text is made valid UTF-8. */
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

/* The CONTRACT list: net start's running services (netstart, borrowed:
 * [{"name"}...]) first, in their order, each given the key whose
 * DisplayName is its name (compared without case); then the other keys
 * (keys, borrowed entries), by key name.  A key whose DisplayName is an
 * indirect string ("@%SystemRoot%\...dll,-100") matches no name: its
 * "running" is false when every net start name found its key, and left
 * out (unknown) otherwise.  Returns a new array. */
json_t *services_merge(const json_t *netstart, const json_t *keys);

/* Marks services (the merged list) against prev, the previous done
 * run's list: "new": true on a key prev does not have, "image_path_was"
 * on a key whose ImagePath changed (compared without case; "" when it had
 * none).  Keys are compared without case.  Returns false, marking
 * nothing, when prev has no keyed entry (a run whose registry step
 * failed is no baseline). */
bool services_mark(json_t *services, const json_t *prev);

/* The registry step of a collection, after net start has set "services"
 * in result: reads the keys through session sid, merges them, marks them
 * against the previous done run (sink->previous) and sets
 * "services_baseline".  Devices that are not Windows (result "os") are
 * skipped.  A failure leaves the net start list and "services_error" (a
 * sentence).  Returns 0, or -1 only when the job must stop (shutdown). */
int services_collect(struct lr *lr, const char *sid,
    const struct collect_opts *o, const struct collect_sink *sink,
    int64_t device_id, json_t *result);

#endif
