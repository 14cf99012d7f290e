/* store_json.c - Redis replies as JSON for the viewer (store.h): every
 * reply is converted inside its callback (hiredis frees it after), and
 * every string made valid UTF-8 on the way. */
#include "store_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] >= 0x01 && p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

json_t *
store_string(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf;
	size_t i = 0, o = 0, n;
	json_t *j;

	/* most replies are plain ASCII: no copy to make them valid */
	for (i = 0; i < len && p[i] >= 0x01 && p[i] < 0x80; i++)
		;
	if (i == len && (j = json_stringn_nocheck(s, len)) != NULL)
		return j;
	i = 0;
	buf = xmalloc(len * 3 + 1);
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i)) == 0) {
			memcpy(buf + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		memcpy(buf + o, p + i, n);
		o += n;
		i += n;
	}
	buf[o] = '\0';
	j = json_stringn(buf, o);
	free(buf);
	return j != NULL ? j : json_string("");
}

json_t *
store_pairs(const json_t *arr)
{
	json_t *obj = json_object();
	size_t i;

	if (!json_is_array(arr))
		return obj;
	for (i = 0; i + 1 < json_array_size(arr); i += 2) {
		const json_t *k = json_array_get(arr, i);

		if (!json_is_string(k))
			continue;
		json_object_set(
		    obj, json_string_value(k), json_array_get(arr, i + 1));
	}
	return obj;
}

json_t *
store_reply_json(const redisReply *r)
{
	json_t *arr;
	size_t i;

	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		return store_string(r->str, r->len);
	case REDIS_REPLY_INTEGER:
		return json_integer(r->integer);
	case REDIS_REPLY_ARRAY:
		arr = json_array();
		for (i = 0; i < r->elements; i++)
			json_array_append_new(
			    arr, store_reply_json(r->element[i]));
		return arr;
	case REDIS_REPLY_ERROR:
		log_warnx("redis: %.*s", (int)r->len, r->str);
		return json_null();
	default:
		return json_null();
	}
}
