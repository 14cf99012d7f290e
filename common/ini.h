/* ini.h - the Carbon Black SDKs' credentials files (INI: [profile] key=value).
 *
 * Accepts '#' and ';' comments, whitespace around keys and values, a UTF-8
 * BOM, CRLF line ends.  Section and key names are case-sensitive for
 * sections (profiles) and case-insensitive for keys, as in the SDKs. */
#ifndef LR_INI_H
#define LR_INI_H

#include <stdbool.h>
#include <stddef.h>

struct ini;

/* Parses the file at path.  Returns a new ini (ini_free) or NULL with a
 * message in err ("line 3: expected key=value"). */
struct ini *ini_load(const char *path, char *err, size_t errlen);
/* Same, from a NUL-terminated string (name is used in messages). */
struct ini *ini_parse(const char *text, char *err, size_t errlen);
void ini_free(struct ini *ini);
bool ini_has_section(const struct ini *ini, const char *section);
/* Returns the value, borrowed from ini, or NULL if absent. */
const char *ini_get(
    const struct ini *ini, const char *section, const char *key);
/* Parses the SDKs' booleans: 1/yes/true/on, 0/no/false/off (any case).
 * Returns 0 and sets *out, or -1 if the text is none of those. */
int ini_bool(const char *text, bool *out);

#endif
