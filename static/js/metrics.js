// Draws the metrics page's charts from the JSON each card carries (json_script).
// The server decides what is drawn; this file only decides how it looks.
(function () {
  "use strict";

  const PALETTE = ["#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"];
  const SEVERITY = ["#dc3545", "#fd7e14", "#ffc107", "#6c757d"];

  function colour(dataset, index, kind) {
    if (kind === "stacked") return SEVERITY[index % SEVERITY.length];
    const slot = dataset.color !== undefined ? dataset.color : index;
    return PALETTE[slot % PALETTE.length];
  }

  // A dashed line across the whole plot at the budget (100%), however many bars there are.
  const budgetLine = {
    id: "budgetLine",
    afterDatasetsDraw(chart, args, options) {
      if (!options || options.value === undefined) return;
      const y = chart.scales.y.getPixelForValue(options.value);
      const { left, right } = chart.chartArea;
      const ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#212529";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.restore();
    },
  };

  function baseOptions(spec) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const value = item.parsed[spec.kind === "hbars" ? "x" : "y"];
              const shown = value === null || value === undefined ? "—" : value;
              const unit = item.dataset.unit || spec.unit || "";
              return `${item.dataset.label}: ${shown}${unit.startsWith("%") ? "" : " "}${unit}`;
            },
          },
        },
      },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkip: true } },
        y: { beginAtZero: true, title: { display: Boolean(spec.unit), text: spec.unit } },
      },
    };
  }

  function config(spec) {
    const kind = spec.kind;
    const options = baseOptions(spec);
    const datasets = spec.datasets.map((dataset, index) => {
      const fill = colour(dataset, index, kind);
      const drawn = {
        label: dataset.label,
        data: dataset.data,
        backgroundColor: fill,
        borderColor: fill,
        spanGaps: true,
      };
      if (dataset.dashed) drawn.borderDash = [6, 4];
      if (dataset.type) drawn.type = dataset.type;
      if (dataset.axis) drawn.yAxisID = dataset.axis;
      return drawn;
    });
    let type = "bar";
    if (kind === "lines" || kind === "line") {
      type = "line";
      datasets.forEach((d) => { d.pointRadius = 2; d.tension = 0.2; });
    }
    if (kind === "stacked") {
      options.scales.x.stacked = true;
      options.scales.y.stacked = true;
      options.scales.y.ticks = { precision: 0 };
    }
    if (kind === "bars" || kind === "line") options.scales.y.ticks = { precision: 0 };
    if (kind === "hbars") {
      options.indexAxis = "y";
      options.scales = { x: { beginAtZero: true, ticks: { precision: 0 } }, y: {} };
      options.plugins.legend.display = false;
    }
    if (kind === "budget") {
      // Bars in red once a service has spent its whole budget, and the 100% line to compare.
      const values = datasets[0].data;
      datasets[0].backgroundColor = values.map((v) => (v >= 100 ? "#dc3545" : v >= 50 ? "#ffc107" : "#198754"));
      datasets[0].borderColor = datasets[0].backgroundColor;
      datasets.push({
        type: "line",
        label: "Budget (100%)",
        data: values.map(() => 100),
        borderColor: "#212529",
        borderDash: [4, 4],
        borderWidth: 1.5,
        pointRadius: 0,
        backgroundColor: "#212529",
      });
      options.scales.y.suggestedMax = 120;
      options.plugins.budgetLine = { value: 100 };
    }
    if (kind === "followthrough") {
      options.scales.y = { beginAtZero: true, max: 100, title: { display: true, text: "% done by due date" } };
      options.scales.y2 = {
        beginAtZero: true,
        position: "right",
        grid: { drawOnChartArea: false },
        title: { display: true, text: "median days to close" },
      };
      datasets[0].unit = "%";
      datasets[1].unit = "days";
      datasets[1].pointRadius = 3;
    }
    const plugins = kind === "budget" ? [budgetLine] : [];
    return { type, data: { labels: spec.labels, datasets }, options, plugins };
  }

  function draw() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source || window.Chart.getChart(canvas)) return;
      const chart = new window.Chart(canvas, config(JSON.parse(source.textContent)));
      canvas.dataset.drawn = chart.data.datasets.length;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
