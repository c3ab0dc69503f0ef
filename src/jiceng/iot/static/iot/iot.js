// The device page's charts: one ECharts line chart per metric of the kept readings (vendored ECharts).
document.addEventListener("DOMContentLoaded", () => {
  const holder = document.getElementById("iot-charts");
  const source = document.getElementById("iot-chart-data");
  if (!holder || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  if (!data.series.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = holder.dataset.empty;
    holder.appendChild(p);
    return;
  }
  const charts = data.series.map((s) => {
    const div = document.createElement("div");
    div.className = "iot-chart";
    div.setAttribute("role", "img");
    div.setAttribute("aria-label", s.name);
    holder.appendChild(div);
    const chart = window.echarts.init(div);
    chart.setOption({
      title: { text: s.unit ? `${s.name} (${s.unit})` : s.name, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, bottom: 8, top: 32, containLabel: true },
      // Three days of hours on a phone: drop the labels that would overlap rather than print them on top of
      // each other.
      xAxis: { type: "time", axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", scale: true },
      series: [{ name: s.name, type: "line", showSymbol: s.points.length < 60, data: s.points }],
    });
    return chart;
  });
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
});
