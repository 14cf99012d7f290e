/* netstart.h - the output of "net start", parsed into services. */
#ifndef LR_WORKER_NETSTART_H
#define LR_WORKER_NETSTART_H

#include <stddef.h>

#include <jansson.h>

/* Parses the raw bytes of "net start" output (CRLF or LF, any code page:
 * decoded leniently) into a new JSON array of {"name": "..."} objects, one
 * per indented line, in output order.  The header ("These Windows services
 * are started:") is not indented and so never a service; parsing stops at
 * "The command completed successfully.".  Output that is not in English
 * still works, as its services are indented too.  Never returns NULL;
 * garbage gives an empty array. */
json_t *netstart_parse(const void *data, size_t len);

#endif
