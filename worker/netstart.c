/* netstart.c - "net start" output to a JSON array of services.
 *
 * The output looks like this (CRLF line endings, three-space indent):
 *
 *	These Windows services are started:
 *
 *	   Application Information
 *	   DHCP Client
 *
 *	The command completed successfully.
 */
#include "netstart.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "util.h"

#define NETSTART_TRAILER "The command completed successfully."

json_t *
netstart_parse(const void *data, size_t len)
{
	json_t *services = json_array();
	char *text, *line, *next;

	text = utf8_lenient(data, data != NULL ? len : 0);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		char *end;
		bool indented = *line == ' ' || *line == '\t';

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line &&
		       (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (util_strieq(line, NETSTART_TRAILER))
			break;
		if (!indented || *line == '\0')
			continue;
		json_array_append_new(
		    services, json_pack("{s:s}", "name", line));
	}
	free(text);
	return services;
}
