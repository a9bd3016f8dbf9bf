/* Draws the OCOP section's bar charts from the figures the page carries (json_script #ocop-figures), with the
   local Plotly bundle; the tables beside them hold the same figures when scripts or Plotly are unavailable. */
(function () {
  "use strict";
  var me = document.currentScript;
  var config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };

  function draw() {
    var source = document.getElementById("ocop-figures");
    if (!source || !window.Plotly) return;
    var figures = JSON.parse(source.textContent) || {};
    document.querySelectorAll("[data-ocop-chart]").forEach(function (slot) {
      var figure = figures[slot.getAttribute("data-ocop-chart")];
      if (!figure) { slot.closest(".chart-figure").hidden = true; return; }
      slot.classList.add("is-drawn");
      window.Plotly.newPlot(slot, figure.data, figure.layout, config);
    });
  }

  function start() {
    if (window.Plotly) { draw(); return; }
    // The page may not load Plotly for its own charts: load the same local bundle once.
    var existing = document.querySelector("script[src*='vendor/plotly/plotly-']");
    if (existing) { existing.addEventListener("load", draw); return; }
    var script = document.createElement("script");
    script.src = me.getAttribute("data-plotly-src");
    script.addEventListener("load", draw);
    document.head.appendChild(script);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
