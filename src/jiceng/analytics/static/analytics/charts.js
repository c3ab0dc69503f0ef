/* Chart options for the dashboards and the big screen, from the dashboard JSON (ECharts, no inline code).
 * Tooltips render as rich text inside the canvas: the Content-Security-Policy allows no inline styles. */
(function () {
  "use strict";

  var PALETTE = ["#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#4e342e",
    "#558b2f", "#283593"];

  function theme(dark) {
    return {
      text: dark ? "#d7e3f4" : "#333",
      axis: dark ? "#4b6584" : "#ccc",
      split: dark ? "rgba(120,160,210,0.15)" : "#eee",
      background: "transparent"
    };
  }

  function base(dark) {
    var t = theme(dark);
    return {
      color: PALETTE,
      backgroundColor: t.background,
      textStyle: { color: t.text },
      tooltip: { renderMode: "richText", confine: true },
      animation: !dark
    };
  }

  function merge(a, b) {
    var out = {};
    Object.keys(a).forEach(function (k) { out[k] = a[k]; });
    Object.keys(b).forEach(function (k) { out[k] = b[k]; });
    return out;
  }

  function trend(data, labels, days, dark) {
    var t = theme(dark);
    var points = data.trend.slice(-days);
    return merge(base(dark), {
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      legend: { data: [labels.reported, labels.closed], top: 0, textStyle: { color: t.text } },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: {
        type: "category",
        data: points.map(function (p) { return p.day.slice(5); }),
        axisLine: { lineStyle: { color: t.axis } }
      },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: t.split } } },
      series: [
        { name: labels.reported, type: "line", showSymbol: false, areaStyle: { opacity: 0.12 },
          data: points.map(function (p) { return p.reported; }) },
        { name: labels.closed, type: "line", showSymbol: false,
          data: points.map(function (p) { return p.closed; }) }
      ]
    });
  }

  function bars(rows, labels, dark, limit) {
    var t = theme(dark);
    var top = rows.slice(0, limit || 10).reverse();
    return merge(base(dark), {
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: t.split } } },
      yAxis: { type: "category", data: top.map(function (r) { return r.name; }),
        axisLine: { lineStyle: { color: t.axis } }, axisLabel: { color: t.text } },
      series: [{ name: labels.reported, type: "bar", data: top.map(function (r) { return r.reported; }),
        label: { show: true, position: "right", color: t.text } }]
    });
  }

  function pie(rows, labels, dark) {
    var t = theme(dark);
    return merge(base(dark), {
      tooltip: { trigger: "item", renderMode: "richText", confine: true },
      series: [{ name: labels.reported, type: "pie", radius: ["30%", "55%"],
        // Labels wrap rather than being cut at the chart's edge.
        label: { color: t.text, formatter: "{b}\n{d}%", overflow: "break", minMargin: 4 },
        labelLine: { length: 8, length2: 8 },
        data: rows.filter(function (r) { return r.reported > 0; })
          .map(function (r) { return { name: r.name, value: r.reported }; }) }]
    });
  }

  function hotspot(data, labels, dark) {
    return merge(base(dark), {
      tooltip: { renderMode: "richText", confine: true },
      series: [{
        name: labels.events, type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false },
        leafDepth: 2, visibleMin: 1,
        label: { show: true, formatter: "{b}\n{c}" },
        levels: [
          { upperLabel: { show: false } },
          { upperLabel: { show: true, height: 20, color: "#fff", formatter: "{b} {c}" },
            itemStyle: { borderColor: dark ? "#0b1a30" : "#fff", borderWidth: 3, gapWidth: 3 } },
          { colorSaturation: [0.35, 0.6], itemStyle: { borderWidth: 1, gapWidth: 1, borderColorSaturation: 0.6 } }
        ],
        data: data.hotspot.map(function (h) {
          return { name: h.name, value: h.value, code: h.code,
            children: h.children.map(function (c) { return { name: c.name, value: c.value, code: c.code }; }) };
        })
      }]
    });
  }

  function empty(labels, dark) {
    return merge(base(dark), {
      title: { text: labels.none, left: "center", top: "middle",
        textStyle: { color: theme(dark).text, fontSize: 14, fontWeight: "normal" } }
    });
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function fillCards(root, cards) {
    root.querySelectorAll("[data-card]").forEach(function (el) {
      var value = cards[el.getAttribute("data-card")];
      el.textContent = el.getAttribute("data-format") === "pct" ? pct(value) : String(value);
    });
  }

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  window.JicengCharts = {
    trend: trend, bars: bars, pie: pie, hotspot: hotspot, empty: empty, pct: pct,
    fillCards: fillCards, readJson: readJson
  };
})();
