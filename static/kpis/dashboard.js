// Charts of the KPI dashboard (Chart.js from our own static files). Data come from the json_script tag.
(function () {
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    const source = document.getElementById("kpi-chart");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    const css = getComputedStyle(document.documentElement);
    const colour = (name) => css.getPropertyValue(name).trim();
    Chart.defaults.font.family = colour("--font");
    Chart.defaults.font.size = 12;
    Chart.defaults.animation = false;
    const trend = document.getElementById("trend-chart");
    if (trend) {
      new Chart(trend, {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            { label: "DSO (days)", data: data.dso, borderColor: "#1f4e79", backgroundColor: "#1f4e79", yAxisID: "days", spanGaps: true },
            { label: "Best possible DSO (days)", data: data.best, borderColor: "#1e7b3c", backgroundColor: "#1e7b3c", yAxisID: "days", spanGaps: true },
            { label: "ADD (days)", data: data.add, borderColor: "#c05621", backgroundColor: "#c05621", yAxisID: "days", spanGaps: true },
            { label: "CEI (%)", data: data.cei, borderColor: "#6b46c1", backgroundColor: "#6b46c1", borderDash: [5, 4], yAxisID: "pct", spanGaps: true },
          ],
        },
        options: {
          responsive: true,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { position: "bottom" } },
          scales: {
            x: { title: { display: true, text: "Month" } },
            days: { position: "left", beginAtZero: true, title: { display: true, text: "Days" } },
            pct: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: "CEI (%)" } },
          },
        },
      });
    }
    const aging = document.getElementById("aging-chart");
    if (aging) {
      const buckets = [["current", "--age-current", "Current"], ["1-30", "--age-1-30", "1–30 days"], ["31-60", "--age-31-60", "31–60 days"],
        ["61-90", "--age-61-90", "61–90 days"], ["91-120", "--age-91-120", "91–120 days"], ["121+", "--age-121", "121+ days"]];
      const money = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
      new Chart(aging, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: buckets.map(([key, cssVar, label]) => ({ label: label, data: data.aging[key], backgroundColor: colour(cssVar) })),
        },
        options: {
          responsive: true,
          plugins: {
            legend: { position: "bottom" },
            tooltip: { callbacks: { label: (ctx) => ctx.dataset.label + ": " + money.format(ctx.parsed.y) + " " + data.currency } },
          },
          scales: {
            x: { stacked: true, title: { display: true, text: "Month end" } },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: "Open amount (" + data.currency + ")" },
                 ticks: { callback: (value) => money.format(value) } },
          },
        },
      });
    }
  });
})();
