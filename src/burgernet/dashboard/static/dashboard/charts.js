/*
 * Dashboard charts: every <canvas data-chart="ID"> becomes a Chart.js chart of the data in the
 * <script type="application/json" id="ID"> (Django's json_script). The same figures are in the
 * table behind each chart. No inline script (CSP).
 */
(function () {
  "use strict";
  var COLOURS = ["#154273", "#e17000", "#39870c", "#a90061", "#007bc7", "#ffb612", "#42145f", "#8fcae7", "#673327", "#ca005d", "#777c00", "#01689b"];

  function build(canvas) {
    var holder = document.getElementById(canvas.dataset.chart);
    if (!holder || typeof Chart === "undefined") return;
    var spec = JSON.parse(holder.textContent);
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = COLOURS[i % COLOURS.length];
      return {
        label: ds.label,
        data: ds.data,
        backgroundColor: colour,
        borderColor: colour,
        fill: false,
        tension: 0.2,
        pointRadius: spec.type === "line" ? 2 : 0,
      };
    });
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: datasets.length > 1, position: "bottom" } },
        scales: {
          x: { stacked: !!spec.stacked },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  function start() {
    document.querySelectorAll("canvas[data-chart]").forEach(build);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
