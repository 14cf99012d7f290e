/* routes_sim.c - admin routes under /_sim: no key, no latency, and not
 * counted in the statistics they report.
 *
 *   GET  /_sim/stats    counters and open sessions
 *   POST /_sim/notify   {"device_id":N,"type":"THREAT"} or {"raw":<any>}
 *   POST /_sim/device   one scenario device object: add or replace it
 *   POST /_sim/alerts   one alert spec (see alerts.h) or {"raw":<any>}
 *   POST /_sim/fault    {"route":"alerts","status":500,"count":2} (faults.h)
 *   POST /_sim/drop_session {"device_id":N}: the cloud drops its sessions
 *   DELETE /_sim/device/{id} */
#include "routes_sim.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "alerts.h"
#include "devices.h"
#include "faults.h"
#include "scenario.h"
#include "sessions.h"
#include "sim.h"

/* GET /_sim/stats */
static void
sim_route_stats(struct sim *s, struct server_req *r)
{
	server_reply_json(r, 200, sim_stats_json(s));
}

/* POST /_sim/notify: queue one notification, due now. */
static void
sim_route_notify(struct sim *s, struct server_req *r)
{
	json_t *body, *raw, *dev, *type;

	if (server_body_json(r, &body) == -1 || !json_is_object(body)) {
		server_reply_error(r, 400, "expected a JSON object");
		goto out;
	}
	if ((raw = json_object_get(body, "raw")) != NULL) {
		sim_notify_raw(s, json_incref(raw));
	} else {
		dev = json_object_get(body, "device_id");
		type = json_object_get(body, "type");
		if (!json_is_integer(dev) || json_integer_value(dev) < 1 ||
		    (type != NULL && !json_is_string(type))) {
			server_reply_error(r, 400,
			    "expected {\"device_id\": N, \"type\": \"THREAT\"}");
			goto out;
		}
		sim_notify(s, json_integer_value(dev), json_string_value(type),
		    util_now_ms());
	}
	server_reply_json(r, 200, json_pack("{s:i}", "queued", 1));
out:
	json_decref(body);
}

/* POST /_sim/device: add or replace a device, rebuilding its files. */
static void
sim_route_device(struct sim *s, struct server_req *r)
{
	struct sim_device *d;
	json_t *body;
	int64_t id;
	char err[256];

	if (server_body_json(r, &body) == -1) {
		server_reply_error(r, 400, "expected a JSON object");
		return;
	}
	if ((d = scenario_device(body, err, sizeof(err))) == NULL) {
		server_reply_error(r, 400, err);
		goto out;
	}
	id = d->id;
	if (sim_device_add(s, d, err, sizeof(err)) == -1) {
		server_reply_error(r, 500, err);
		goto out;
	}
	log_info("device %" PRId64 " added", id);
	server_reply_json(r, 200,
	    json_pack("{s:b, s:I}", "success", 1, "deviceId", (json_int_t)id));
out:
	json_decref(body);
}

/* POST /_sim/alerts: create alerts, searchable at once. */
static void
sim_route_alerts(struct sim *s, struct server_req *r)
{
	json_t *body, *ids = json_array();
	long long n;
	char err[256];

	if (server_body_json(r, &body) == -1 || !json_is_object(body)) {
		server_reply_error(r, 400, "expected a JSON object");
		goto out;
	}
	if ((n = alerts_add_spec(s, body, true, ids, err, sizeof(err))) == -1) {
		server_reply_error(r, 400, err);
		goto out;
	}
	log_info("%lld alert(s) queued, %zu in all", n, s->alerts.n);
	server_reply_json(r, 200,
	    json_pack("{s:I, s:O}", "queued", (json_int_t)n, "ids", ids));
out:
	json_decref(ids);
	json_decref(body);
}

/* POST /_sim/fault {"route": "sessions", "status": 500, "count": 1,
 * "malformed": false, "lost": false, "retry_after": 1}: the next count
 * requests of that route get the fault (count 0 clears it). */
static void
sim_route_fault(struct sim *s, struct server_req *r)
{
	enum sim_fault_route route;
	struct sim_fault f;
	json_t *body;
	char err[256];

	if (server_body_json(r, &body) == -1) {
		server_reply_error(r, 400, "expected a JSON object");
		return;
	}
	if (faults_parse(body, &route, &f, err, sizeof(err)) == -1) {
		server_reply_error(r, 400, err);
		goto out;
	}
	s->faults[route] = f;
	log_info("fault on %s: %lld x %s%s", faults_route_name(route),
	    f.remaining, f.malformed ? "malformed" : "status",
	    f.lost ? " after acting" : "");
	server_reply_json(r, 200,
	    json_pack("{s:s, s:I, s:i, s:b, s:b, s:i}", "route",
		faults_route_name(route), "pending", (json_int_t)f.remaining,
		"status", f.status, "malformed", f.malformed, "lost", f.lost,
		"retry_after", f.retry_after));
out:
	json_decref(body);
}

/* POST /_sim/drop_session {"device_id": N}: the cloud closes the device's
 * open sessions, as its idle timeout would. */
static void
sim_route_drop_session(struct sim *s, struct server_req *r)
{
	json_t *body, *dev;
	long long n;

	if (server_body_json(r, &body) == -1 || !json_is_object(body) ||
	    !json_is_integer(dev = json_object_get(body, "device_id")) ||
	    json_integer_value(dev) < 1) {
		server_reply_error(r, 400, "expected {\"device_id\": N}");
		goto out;
	}
	n = sessions_drop_device(s, json_integer_value(dev), util_now_ms());
	server_reply_json(r, 200, json_pack("{s:I}", "dropped", (json_int_t)n));
out:
	json_decref(body);
}

/* DELETE /_sim/device/{id}: the device is gone, its sessions dropped. */
static void
sim_route_device_delete(struct sim *s, struct server_req *r)
{
	int64_t id;

	if (util_parse_device_id(r->args[0], &id) == -1) {
		server_reply_error(r, 400, "expected a numeric device id");
		return;
	}
	if (devices_remove(s, id) == -1)
		server_reply_json(r, 404, json_pack("{s:i}", "deleted", 0));
	else
		server_reply_json(r, 200, json_pack("{s:i}", "deleted", 1));
}

const struct route routes_sim[] = {
    {EVHTTP_REQ_GET, "/_sim/stats", ROUTE_ADMIN, sim_route_stats},
    {EVHTTP_REQ_POST, "/_sim/notify", ROUTE_ADMIN, sim_route_notify},
    {EVHTTP_REQ_POST, "/_sim/device", ROUTE_ADMIN, sim_route_device},
    {EVHTTP_REQ_POST, "/_sim/alerts", ROUTE_ADMIN, sim_route_alerts},
    {EVHTTP_REQ_POST, "/_sim/fault", ROUTE_ADMIN, sim_route_fault},
    {EVHTTP_REQ_POST, "/_sim/drop_session", ROUTE_ADMIN,
	sim_route_drop_session},
    {EVHTTP_REQ_DELETE, "/_sim/device/*", ROUTE_ADMIN, sim_route_device_delete},
    {0, NULL, 0, NULL},
};
