/* app.js - keeps the viewer's pages fresh (served as /static/app.js).
 *
 * The pages work without it: the server renders everything, relative
 * times included.  With it, relative times move on, and the dashboard
 * refreshes its counts and its device table from /api/stats and
 * /api/devices (with the page's own query, so the search, filter, sort
 * and page stay as they are), every 10 s while the tab is visible.
 * Nothing from the data is ever parsed as HTML: rows are built with
 * textContent. */
(function () {
  "use strict";

  var STATUSES = ["queued", "running", "deferred", "done", "failed"];
  var PERIOD_MS = 10000;
  var timer = null;

  function ago(ms, now) {
    var d = now - ms, a = Math.abs(d), n, unit;
    if (a < 45000) return "just now";
    if (a < 90 * 60000) { n = Math.round(a / 60000); unit = "min"; }
    else if (a < 36 * 3600000) { n = Math.round(a / 3600000); unit = "h"; }
    else { n = Math.round(a / 86400000); unit = n === 1 ? "day" : "days"; }
    return d < 0 ? "in " + n + " " + unit : n + " " + unit + " ago";
  }

  function timeEl(iso) {
    var t = document.createElement("time");
    t.setAttribute("datetime", iso);
    t.title = iso;
    t.textContent = ago(Date.parse(iso), Date.now());
    return t;
  }

  function refreshTimes() {
    var now = Date.now(), list = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < list.length; i++) {
      var ms = Date.parse(list[i].getAttribute("datetime"));
      if (!isNaN(ms)) list[i].textContent = ago(ms, now);
    }
  }

  function getJSON(url, done) {
    var x = new XMLHttpRequest();
    x.open("GET", url);
    x.setRequestHeader("Accept", "application/json");
    x.onload = function () {
      if (x.status !== 200) return;
      try { done(JSON.parse(x.responseText)); } catch (e) { /* keep */ }
    };
    x.send();
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== null && text !== undefined) td.textContent = String(text);
    tr.appendChild(td);
    return td;
  }

  function row(d) {
    var tr = document.createElement("tr"), id = String(d.device_id);
    if (!/^[0-9]+$/.test(id)) return null;
    var a = document.createElement("a");
    a.href = "/device/" + id;
    a.textContent = id;
    cell(tr, null).appendChild(a);
    cell(tr, d.device_name);
    var s = document.createElement("span");
    var st = typeof d.status === "string" ? d.status : "";
    s.className = "s " + (STATUSES.indexOf(st) >= 0 ? st : "other");
    s.textContent = st;
    cell(tr, null).appendChild(s);
    cell(tr, d.step);
    var when = cell(tr, null);
    if (typeof d.updated_at === "string" && d.updated_at_ms > 0)
      when.appendChild(timeEl(d.updated_at));
    cell(tr, d.error, "err wrap");
    return tr;
  }

  function setCount(name, value) {
    var el = document.querySelector('[data-count="' + name + '"]');
    if (el && value !== undefined && value !== null)
      el.textContent = String(value);
  }

  function refreshDashboard(table) {
    getJSON("/api/stats", function (o) {
      var c = o.status_counts || {};
      for (var i = 0; i < STATUSES.length; i++)
        setCount(STATUSES[i], c[STATUSES[i]]);
      ["queue_depth", "inflight", "retry_depth", "workers_live",
       "sessions_in_use", "dead", "devices_total"].forEach(function (k) {
        setCount(k, o[k]);
      });
      var h = document.getElementById("health");
      if (h && o.health && /^(ok|degraded|down)$/.test(o.health.state)) {
        h.className = "health h-" + o.health.state;
        h.textContent = "pipeline " + o.health.state;
        h.title = o.health.why || "";
      }
    });
    getJSON("/api/devices" + location.search, function (o) {
      var body = table.tBodies[0];
      if (!body || !Array.isArray(o.devices)) return;
      var fresh = document.createElement("tbody");
      o.devices.forEach(function (d) {
        var tr = row(d);
        if (tr) fresh.appendChild(tr);
      });
      table.replaceChild(fresh, body);
      var m = document.querySelector("[data-matched]");
      if (m && typeof o.matched === "number")
        m.textContent = String(o.matched);
    });
  }

  function tick() {
    timer = null;
    if (document.hidden) return;
    refreshTimes();
    var table = document.getElementById("devices");
    if (table) refreshDashboard(table);
    timer = setTimeout(tick, PERIOD_MS);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      if (timer) clearTimeout(timer);
      timer = null;
    } else if (!timer) {
      tick();
    }
  });
  if (!document.hidden) timer = setTimeout(tick, PERIOD_MS);
})();
