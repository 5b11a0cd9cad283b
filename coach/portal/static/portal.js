// Draws each chart spec the server put in <script type="application/json" class="chart-spec">
// with Chart.js, and asks before a form marked data-confirm is sent. No other behaviour.
(function () {
  "use strict";

  function dataset(spec) {
    var kind = spec.kind || null;
    var out = {
      label: spec.label,
      data: spec.data,
      borderColor: spec.color,
      backgroundColor: spec.fillColor || spec.color,
      borderWidth: 2,
      tension: 0.25,
      spanGaps: true,
      fill: spec.fill || false,
      pointRadius: spec.points === false ? 0 : (spec.pointRadius || 3),
      pointHoverRadius: spec.points === false ? 0 : 6,
      pointBackgroundColor: spec.pointColors || spec.color,
      pointBorderColor: spec.pointColors || spec.color,
      borderDash: spec.dashed ? [6, 4] : [],
      yAxisID: spec.axis || "y",
      order: kind === "line" ? 0 : 1
    };
    if (kind) { out.type = kind; }
    return out;
  }

  function axis(spec, position) {
    var out = {
      position: position,
      title: { display: !!spec.title, text: spec.title },
      grid: { color: "rgba(0,0,0,0.06)", drawOnChartArea: position === "left" }
    };
    if (spec.min !== undefined) { out.min = spec.min; }
    if (spec.max !== undefined) { out.max = spec.max; }
    return out;
  }

  function draw(node) {
    var spec = JSON.parse(node.textContent);
    var canvas = document.getElementById(spec.id);
    if (!canvas || typeof Chart === "undefined") { return; }
    var scales = { x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
                   y: axis(spec.y || {}, "left") };
    if (spec.y2) { scales.y2 = axis(spec.y2, "right"); }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets.map(dataset) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true,
            filter: function (item) { return item.text.indexOf("first score") !== 0; } } }
        }
      }
    });
  }

  document.querySelectorAll("script.chart-spec").forEach(draw);
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  document.documentElement.classList.add("charts-ready");
})();
