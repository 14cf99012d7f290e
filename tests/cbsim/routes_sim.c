/* routes_sim.c - admin routes under /_sim: no key, no latency, and not
 * counted in the statistics they report.
 *
 *   GET  /_sim/stats    counters and open sessions
 *   POST /_sim/notify   {"device_id":N,"type":"THREAT"} or {"raw":<any>}
 *   POST /_sim/device   one scenario device object: add or replace it */
#include "routes_sim.h"

#include <inttypes.h>
#include <stdint.h>

#include "../../common/log.h"
#include "../../common/util.h"
#include "scenario.h"
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

const struct route routes_sim[] = {
    {EVHTTP_REQ_GET, "/_sim/stats", ROUTE_ADMIN, sim_route_stats},
    {EVHTTP_REQ_POST, "/_sim/notify", ROUTE_ADMIN, sim_route_notify},
    {EVHTTP_REQ_POST, "/_sim/device", ROUTE_ADMIN, sim_route_device},
    {0, NULL, 0, NULL},
};
