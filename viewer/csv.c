/* csv.c - CSV cells, quoted and defused (see csv.h). */
#include "csv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

void
csv_cell(struct evbuffer *out, const char *s, bool first)
{
	size_t len, i, start;
	bool quote = false, prefix;

	if (!first)
		evbuffer_add(out, ",", 1);
	if (s == NULL)
		return;
	len = strlen(s);
	if (len > CSV_MAX_CELL) {
		len = CSV_MAX_CELL;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	prefix = len > 0 && strchr("=+-@\t\r", s[0]) != NULL;
	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			quote = true;
	if (quote)
		evbuffer_add(out, "\"", 1);
	if (prefix)
		evbuffer_add(out, "'", 1);
	for (i = start = 0; i < len; i++) {
		if (s[i] != '"')
			continue;
		evbuffer_add(out, s + start, i + 1 - start);
		evbuffer_add(out, "\"", 1); /* doubled */
		start = i + 1;
	}
	evbuffer_add(out, s + start, len - start);
	if (quote)
		evbuffer_add(out, "\"", 1);
}

void
csv_value(struct evbuffer *out, const json_t *v, bool first)
{
	char *s;

	switch (v != NULL ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		csv_cell(out, json_string_value(v), first);
		break;
	case JSON_INTEGER:
		if (!first)
			evbuffer_add(out, ",", 1);
		evbuffer_add_printf(
		    out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		if (!first)
			evbuffer_add(out, ",", 1);
		evbuffer_add_printf(out, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		if (!first)
			evbuffer_add(out, ",", 1);
		evbuffer_add_printf(
		    out, "%s", json_is_true(v) ? "true" : "false");
		break;
	case JSON_NULL:
		csv_cell(out, NULL, first);
		break;
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		csv_cell(out, s, first);
		free(s);
		break;
	}
}

void
csv_end_row(struct evbuffer *out)
{
	evbuffer_add(out, "\r\n", 2);
}

void
csv_header(struct evbuffer *out, const char *const *names)
{
	for (size_t i = 0; names[i] != NULL; i++)
		csv_cell(out, names[i], i == 0);
	csv_end_row(out);
}
