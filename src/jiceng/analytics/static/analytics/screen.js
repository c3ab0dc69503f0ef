/* The big screen (大屏): dark, no interaction; re-fetches the dashboard JSON every N seconds and redraws. */
(function () {
  "use strict";

  function init() {
    var C = window.JicengCharts;
    var holder = document.getElementById("screen");
    var labels = C.readJson("analytics-labels");
    if (!holder || !labels || !window.echarts) { return; }
    var api = holder.getAttribute("data-api");
    var seconds = parseInt(holder.getAttribute("data-refresh"), 10) || 60;
    var charts = {};

    function chart(id) {
      if (!charts[id]) {
        var el = document.getElementById(id);
        if (!el) { return null; }
        charts[id] = window.echarts.init(el, null, { renderer: "canvas" });
      }
      return charts[id];
    }

    function set(id, option) {
      var c = chart(id);
      if (c) { c.setOption(option, true); }
    }

    function list(id, rows, render) {
      var el = document.getElementById(id);
      if (!el) { return; }
      el.textContent = "";
      if (!rows.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = labels.nothing;
        el.appendChild(none);
        return;
      }
      rows.forEach(function (row, i) {
        var li = document.createElement("li");
        render(li, row, i);
        el.appendChild(li);
      });
      // Whole rows only: drop those the box cannot show.
      while (el.children.length > 1 && el.scrollHeight > el.clientHeight + 1) {
        el.removeChild(el.lastChild);
      }
    }

    var zone = { timeZone: labels.time_zone || undefined, hour12: false };
    function timeText(withDate) {
      var now = new Date();
      try {
        return withDate ? now.toLocaleString(document.documentElement.lang || undefined, zone)
          : now.toLocaleTimeString(document.documentElement.lang || undefined, zone);
      } catch (e) {
        return withDate ? now.toLocaleString() : now.toLocaleTimeString();
      }
    }

    function cell(parent, text, cls) {
      var span = document.createElement("span");
      span.textContent = text;
      if (cls) { span.className = cls; }
      parent.appendChild(span);
    }

    function render(data) {
      C.fillCards(document, data.cards);
      set("chart-trend", C.trend(data, labels, 30, true));
      set("chart-category", data.by_category.length ? C.bars(data.by_category, labels, true, 8) : C.empty(labels, true));
      set("chart-source", data.by_source.length ? C.pie(data.by_source, labels, true) : C.empty(labels, true));
      set("chart-hotspot", data.hotspot.length ? C.hotspot(data, labels, true) : C.empty(labels, true));
      list("rank-children", data.children.slice(0, 8), function (li, r, i) {
        cell(li, String(i + 1), "no");
        cell(li, r.name, "name");
        cell(li, String(r.reported), "n");
        cell(li, C.pct(r.on_time_rate), "rate");
      });
      list("recurring", data.recurring.slice(0, 6), function (li, r) {
        cell(li, r.region_name, "name");
        cell(li, r.category_name, "cat");
        cell(li, String(r.count), "n");
      });
      list("warnings", data.warnings.slice(0, 6), function (li, w) {
        cell(li, w.day.slice(5), "day");
        cell(li, w.region_name, "name");
        cell(li, w.category_name, "cat");
        cell(li, String(w.count), "n");
      });
      var stamp = document.getElementById("updated");
      if (stamp) { stamp.textContent = labels.updated + " " + timeText(false); }
    }

    function refresh() {
      fetch(api, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(render)
        .catch(function () { /* keep the last figures; try again at the next tick */ });
    }

    function tick() {
      var clock = document.getElementById("clock");
      if (clock) { clock.textContent = timeText(true); }
    }

    var first = C.readJson("dashboard-data");
    if (first) { render(first); }
    window.setInterval(refresh, seconds * 1000);
    window.setInterval(tick, 1000);
    tick();
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
