// Print buttons on receipts, and the rating chart of the statistics page (ECharts, vendored).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
  const holder = document.getElementById("rating-chart");
  const source = document.getElementById("rating-data");
  if (!holder || !source || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  if (!data.names.length) { holder.hidden = true; return; }
  const colors = ["#2e7d32", "#66bb6a", "#fbc02d", "#ef6c00", "#c62828"];
  const chart = window.echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: data.names, inverse: true },
    series: data.levels.map((level, i) => ({
      name: level.label, type: "bar", stack: "ratings", data: level.values, itemStyle: { color: colors[i] },
    })),
  });
  window.addEventListener("resize", () => chart.resize());
});
