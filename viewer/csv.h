/* csv.h - RFC 4180 CSV that is safe to open in a spreadsheet.
 *
 * A cell is quoted when it holds a comma, a double quote, CR or LF (a
 * quote inside is doubled); a text cell starting with '=', '+', '-', '@',
 * TAB or CR is prefixed with a single quote, so no spreadsheet takes it
 * for a formula.  Rows end in CRLF.  Cells are cut at CSV_MAX_CELL bytes
 * (at a UTF-8 character). */
#ifndef LR_VIEWER_CSV_H
#define LR_VIEWER_CSV_H

#include <stdbool.h>

#include <jansson.h>

struct evbuffer;

#define CSV_MAX_CELL 8192
#define CSV_MAX_ROWS 100000 /* rows of one export, at most */

/* Appends one text cell (NULL: empty), preceded by a comma unless first. */
void csv_cell(struct evbuffer *out, const char *s, bool first);
/* Appends a JSON value as a cell: strings as csv_cell, numbers and
 * booleans as their text (never prefixed), arrays and objects as compact
 * JSON text (checked as text), null or NULL as empty. */
void csv_value(struct evbuffer *out, const json_t *v, bool first);
/* Ends a row. */
void csv_end_row(struct evbuffer *out);
/* Appends a header row from a NULL-terminated list of names. */
void csv_header(struct evbuffer *out, const char *const *names);

#endif
