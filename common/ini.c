/* ini.c - a small, strict INI reader for credentials files. */
#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xmalloc.h"

#define INI_MAX_SIZE (1024 * 1024)

struct ini_entry {
	char *section;
	char *key;
	char *value;
};

struct ini {
	struct ini_entry *v; /* entries in file order; later wins */
	size_t n, cap;
	char **sections; /* every section name seen */
	size_t nsec;
};

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

void
ini_free(struct ini *ini)
{
	if (ini == NULL)
		return;
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->v[i].key);
		free(ini->v[i].value);
	}
	for (size_t i = 0; i < ini->nsec; i++)
		free(ini->sections[i]);
	free(ini->sections);
	free(ini->v);
	free(ini);
}

struct ini *
ini_parse(const char *text, char *err, size_t errlen)
{
	struct ini *ini = xcalloc(1, sizeof(*ini));
	char *copy = xstrdup(text), *line, *next, *cur = NULL;
	int lineno = 0;

	line = copy;
	if ((unsigned char)line[0] == 0xef && (unsigned char)line[1] == 0xbb &&
	    (unsigned char)line[2] == 0xbf)
		line += 3;
	for (; line != NULL; line = next) {
		char *s, *eq;

		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (end == NULL || end[1] != '\0' || end == s + 1) {
				snprintf(err, errlen,
				    "line %d: malformed section header",
				    lineno);
				goto fail;
			}
			*end = '\0';
			ini->sections = xrealloc(
			    ini->sections, (ini->nsec + 1) * sizeof(char *));
			cur = ini->sections[ini->nsec++] = xstrdup(trim(s + 1));
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL &&
		    (eq = strchr(s, ':')) == NULL) {
			snprintf(
			    err, errlen, "line %d: expected key=value", lineno);
			goto fail;
		}
		if (cur == NULL) {
			snprintf(err, errlen,
			    "line %d: key outside of a [profile] section",
			    lineno);
			goto fail;
		}
		*eq = '\0';
		if (*trim(s) == '\0') {
			snprintf(err, errlen, "line %d: empty key", lineno);
			goto fail;
		}
		if (ini->n == ini->cap) {
			ini->cap = ini->cap ? ini->cap * 2 : 16;
			ini->v = xrealloc(ini->v, ini->cap * sizeof(*ini->v));
		}
		ini->v[ini->n].section = cur;
		ini->v[ini->n].key = xstrdup(trim(s));
		ini->v[ini->n].value = xstrdup(trim(eq + 1));
		ini->n++;
	}
	free(copy);
	return ini;
fail:
	free(copy);
	ini_free(ini);
	return NULL;
}

struct ini *
ini_load(const char *path, char *err, size_t errlen)
{
	FILE *f;
	char *buf;
	size_t n;
	struct ini *ini;
	char sub[200];

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(INI_MAX_SIZE + 1);
	n = fread(buf, 1, INI_MAX_SIZE + 1, f);
	fclose(f);
	if (n > INI_MAX_SIZE) {
		snprintf(err, errlen, "%s: file larger than 1 MiB", path);
		free(buf);
		return NULL;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen,
		    "%s: binary data (NUL byte); expected a text INI file",
		    path);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	ini = ini_parse(buf, sub, sizeof(sub));
	if (ini == NULL)
		snprintf(err, errlen, "%s: %s", path, sub);
	free(buf);
	return ini;
}

bool
ini_has_section(const struct ini *ini, const char *section)
{
	for (size_t i = 0; ini != NULL && i < ini->nsec; i++)
		if (strcmp(ini->sections[i], section) == 0)
			return true;
	return false;
}

const char *
ini_get(const struct ini *ini, const char *section, const char *key)
{
	const char *val = NULL;

	for (size_t i = 0; ini != NULL && i < ini->n; i++)
		if (strcmp(ini->v[i].section, section) == 0 &&
		    strcasecmp(ini->v[i].key, key) == 0)
			val = ini->v[i].value;
	return val;
}

int
ini_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; text != NULL && i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(text, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}
