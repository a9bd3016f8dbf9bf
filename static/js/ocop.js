/* Draws the OCOP section's bar charts from the figures the page carries (json_script #ocop-figures), with the
   local Plotly bundle; the tables beside them hold the same figures when scripts or Plotly are unavailable. */
(function () {
  "use strict";
  var me = document.currentScript;
  var vietnamese = document.documentElement.lang !== "en";
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtons: [["toImage"]],
    toImageButtonOptions: { format: "png", scale: 2 },
    locale: vietnamese ? "vi" : "en",
    locales: { vi: { dictionary: { "Download plot as a PNG": "Tải biểu đồ (PNG)", "Download plot": "Tải biểu đồ" } } },
  };

  function draw() {
    var source = document.getElementById("ocop-figures");
    if (!source || !window.Plotly) return;
    var figures = JSON.parse(source.textContent) || {};
    document.querySelectorAll("[data-ocop-chart]").forEach(function (slot) {
      var figure = figures[slot.getAttribute("data-ocop-chart")];
      if (!figure) { slot.closest(".chart-figure").hidden = true; return; }
      slot.classList.add("is-drawn");
      window.Plotly.newPlot(slot, figure.data, figure.layout, config);
      slot.setAttribute("role", "group");
    });
  }

  function start() {
    if (window.Plotly) { draw(); return; }
    // plotly.js finds its style sheet by this id and then injects no inline style (Content-Security-Policy).
    if (!document.getElementById("plotly.js-style-global")) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.id = "plotly.js-style-global";
      css.className = "no-inline-styles";
      css.href = me.getAttribute("data-plotly-css");
      document.head.appendChild(css);
    }
    // The page's own charts (charts.js) may already be loading the bundle: wait for that one.
    var existing = document.querySelector("script[src*='vendor/plotly/plotly-']");
    if (existing) { existing.addEventListener("load", draw); return; }
    var script = document.createElement("script");
    script.src = me.getAttribute("data-plotly-src");
    script.async = true;
    script.addEventListener("load", draw);
    document.head.appendChild(script);
  }

  // After every deferred script has run, so charts.js has asked for plotly.js first when the page has charts.
  document.addEventListener("DOMContentLoaded", start);
})();
