/* The dashboard page: draws its charts from the JSON the page carries; clicking an area opens its
 * dashboard (drill-down). */
(function () {
  "use strict";

  function init() {
    var C = window.JicengCharts;
    var data = C.readJson("dashboard-data");
    var labels = C.readJson("analytics-labels");
    var holder = document.getElementById("dashboard");
    if (!data || !labels || !holder || !window.echarts) { return; }
    var regionUrl = holder.getAttribute("data-region-url");
    var charts = [];

    function draw(id, option) {
      var el = document.getElementById(id);
      if (!el) { return null; }
      var chart = window.echarts.init(el);
      chart.setOption(option);
      charts.push(chart);
      return chart;
    }

    function drill(params) {
      var code = params && params.data && params.data.code;
      if (code) { window.location.href = regionUrl.replace("{code}", encodeURIComponent(code)); }
    }

    var trend = draw("chart-trend", C.trend(data, labels, 30, false));
    draw("chart-category", data.by_category.length ? C.bars(data.by_category, labels, false, 10) : C.empty(labels));
    draw("chart-source", data.by_source.length ? C.pie(data.by_source, labels, false) : C.empty(labels));
    draw("chart-platform", data.by_platform.length ? C.pie(data.by_platform, labels, false) : C.empty(labels));
    var hot = draw("chart-hotspot", data.hotspot.length ? C.hotspot(data, labels, false) : C.empty(labels));
    if (hot) { hot.on("click", drill); }

    var range = document.getElementById("trend-range");
    if (range && trend) {
      range.addEventListener("click", function (e) {
        var button = e.target.closest("button[data-range]");
        if (!button) { return; }
        range.querySelectorAll("button").forEach(function (b) { b.classList.toggle("active", b === button); });
        trend.setOption(C.trend(data, labels, parseInt(button.getAttribute("data-range"), 10), false), true);
      });
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
