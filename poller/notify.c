/* notify.c - v3 Notifications API payloads.
 *
 * The envelope is {"success": true, "message": "Success",
 * "notifications": [...]}; each notification carries the device at
 * deviceInfo.deviceId (an integer).  Anything else is reported, never
 * guessed at. */
#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

int
notify_parse(json_t *n, struct notify *out, char *err, size_t errlen)
{
	json_t *info, *id, *ti;
	const char *s;
	int64_t dev;

	memset(out, 0, sizeof(*out));
	out->score = -1;
	if (!json_is_object(n)) {
		snprintf(err, errlen, "notification is not a JSON object");
		return -1;
	}
	out->type = json_string_value(json_object_get(n, "type"));
	if (out->type == NULL)
		out->type =
		    "THREAT"; /* as cbc-syslog: a missing type is a threat */
	out->event_id = json_string_value(json_object_get(n, "eventId"));
	info = json_object_get(n, "deviceInfo");
	if (!json_is_object(info)) {
		snprintf(err, errlen, "notification %s has no deviceInfo",
		    out->event_id ? out->event_id : "(no eventId)");
		return -1;
	}
	id = json_object_get(info, "deviceId");
	if (json_is_integer(id)) {
		dev = json_integer_value(id);
	} else if ((s = json_string_value(id)) != NULL) {
		if (util_parse_device_id(s, &dev) == -1)
			dev = -1;
	} else {
		dev = -1;
	}
	if (dev <= 0) {
		snprintf(err, errlen,
		    "notification %s: deviceInfo.deviceId is not a device id",
		    out->event_id ? out->event_id : "(no eventId)");
		return -1;
	}
	out->device_id = dev;
	out->device_name =
	    json_string_value(json_object_get(info, "deviceName"));
	ti = json_object_get(n, "threatInfo");
	if (!json_is_object(ti))
		ti = json_object_get(n, "threatHunterInfo");
	if (json_is_integer(json_object_get(ti, "score")))
		out->score =
		    (int)json_integer_value(json_object_get(ti, "score"));
	return 0;
}

json_t *
notify_list(json_t *body, char *err, size_t errlen)
{
	json_t *list, *ok;
	const char *msg;

	if (!json_is_object(body)) {
		snprintf(
		    err, errlen, "notification response is not a JSON object");
		return NULL;
	}
	ok = json_object_get(body, "success");
	if (ok != NULL && !json_is_true(ok)) {
		msg = json_string_value(json_object_get(body, "message"));
		snprintf(err, errlen,
		    "notification response says success=false: %s",
		    msg ? msg : "(no message)");
		return NULL;
	}
	list = json_object_get(body, "notifications");
	if (list == NULL)
		return json_object_get(body, "success") ? json_null() : NULL;
	if (!json_is_array(list)) {
		snprintf(err, errlen, "notifications is not an array");
		return NULL;
	}
	return list;
}

bool
notify_type_wanted(const char *list, const char *type)
{
	size_t n = strlen(type);
	const char *p = list;

	if (list == NULL || *list == '\0')
		return true;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len > 0 && *p == ' ')
			p++, len--;
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len == n && strncasecmp(p, type, n) == 0)
			return true;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return false;
}

json_t *
notify_synthetic(int64_t device_id, int64_t now_ms)
{
	char eid[33], incident[9], url[160];

	util_random_hex(eid, 16);
	util_random_alnum(incident, 8);
	for (char *p = incident; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	snprintf(url, sizeof(url),
	    "https://defense.conferdeploy.net/investigate?s[c][DEVICE_ID][0]=%lld&s[c][INCIDENT_ID][0]=%s",
	    (long long)device_id, incident);
	/* The seed's canned THREAT notification, with our device and time. */
	return json_pack(
	    "{s:s, s:{s:s, s:n, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}, s:s, s:{s:s, s:[{s:s, s:s, s:s}], s:i, s:s, s:I}, s:I, s:s, s:s, s:s}",
	    "url", url, "deviceInfo", "deviceName", "SYNTHETIC",
	    "deviceHostName", "deviceId", (json_int_t)device_id,
	    "targetPriorityType", "MEDIUM", "externalIpAddress", "0.0.0.0",
	    "deviceType", "WINDOWS", "email", "synthetic", "internalIpAddress",
	    "0.0.0.0", "groupName", "Standard", "targetPriorityCode", 0,
	    "deviceVersion", "Windows", "eventDescription",
	    "[lrflow synthetic notification] [The application CrossProductSystemTest.exe acted as a network server.]",
	    "threatInfo", "summary",
	    "The application CrossProductSystemTest.exe acted as a network server.",
	    "indicators", "sha256Hash",
	    "37fec82d9e18c251b76bcfd5a2b88e12974c5b44862e2a6900b8a1f71b76183f",
	    "indicatorName", "FIXED_PORT_LISTEN", "applicationName",
	    "CrossProductSystemTest.exe", "score", 3, "incidentId", incident,
	    "time", (json_int_t)now_ms, "eventTime", (json_int_t)now_ms,
	    "eventId", eid, "ruleName", "lrflow-synthetic", "type", "THREAT");
}
