// The dashboards' charts, drawn by Chart.js (from npm) from the JSON the page carries
// (#analytics-charts). Each chart's numbers are also in a table beside it, so a canvas
// is only a picture. Right to left (Arabic) the time axis runs from the right and the
// legend and tooltips read right to left. No inline scripts (Content-Security-Policy).
(function () {
  "use strict";

  var COLORS = ["#0b5ed7", "#146c43", "#6f42c1", "#a84d00"];
  var drawn = [];

  function draw() {
    // Charts whose canvas an htmx swap took away are let go.
    drawn = drawn.filter(function (chart) {
      if (document.body.contains(chart.canvas)) return true;
      chart.destroy();
      return false;
    });
    var source = document.getElementById("analytics-charts");
    if (!source || typeof window.Chart === "undefined") return;
    var specs = JSON.parse(source.textContent);
    var root = document.documentElement;
    var rtl = root.dir === "rtl";
    // The tables show Latin digits in every language; the axes do the same.
    var locale = (root.lang || "en") + "-u-nu-latn";
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = specs[canvas.getAttribute("data-chart")];
      if (!spec || window.Chart.getChart(canvas)) return;
      drawn.push(new window.Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (set, index) {
            return {
              label: set.label, data: set.data, display: set.display,
              backgroundColor: COLORS[index % COLORS.length],
              borderColor: COLORS[index % COLORS.length],
              borderDash: index ? [6, 3] : [], pointRadius: 2, spanGaps: false,
            };
          }),
        },
        options: {
          responsive: true, maintainAspectRatio: false, locale: locale,
          animation: still ? false : {},
          interaction: { mode: "index", intersect: false },
          scales: {
            // The axis names each bucket by its day alone (the tooltip and the table
            // say "Week of …"), centred under it with room between names (aligned
            // "inner", the first and last names moved by half their width and met
            // their neighbours).
            x: {
              reverse: rtl,
              ticks: {
                maxRotation: 0, autoSkip: true, autoSkipPadding: 16,
                callback: function (value, index) {
                  return spec.ticks ? spec.ticks[index] : this.getLabelForValue(value);
                },
              },
            },
            y: {
              position: rtl ? "right" : "left", beginAtZero: true, max: spec.max,
              ticks: { precision: spec.precision },
              title: { display: true, text: spec.yTitle },
            },
          },
          plugins: {
            legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
            tooltip: {
              rtl: rtl, textDirection: rtl ? "rtl" : "ltr",
              callbacks: {
                label: function (item) {
                  return item.dataset.label + ": " + item.dataset.display[item.dataIndex];
                },
              },
            },
          },
        },
      }));
    });
  }

  // A new range, bucket or slice brings new numbers through htmx: draw them.
  document.addEventListener("htmx:afterSettle", draw);
  // Back and forward restore the page's markup from htmx's history, without the drawings.
  document.addEventListener("htmx:historyRestore", draw);
  // Another range has other buckets on offer: a new range starts from its own.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "a-range") {
      var bucket = document.getElementById("a-bucket");
      if (bucket) bucket.value = "";
    }
  }, true);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
