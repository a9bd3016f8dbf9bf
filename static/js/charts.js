/* Draws the page's Plotly charts from its chart data endpoint (one request per page). Without JavaScript,
   or when the request fails, the tables and text beside each chart carry the same figures. */
(function () {
  "use strict";
  var root = document.querySelector("[data-charts-src]");
  if (!root) return;
  var slots = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
  };

  function draw(figures) {
    slots.forEach(function (slot) {
      var figure = figures[slot.getAttribute("data-chart")];
      var holder = slot.closest(".chart-figure") || slot;
      if (!figure) {
        holder.hidden = true;
        return;
      }
      slot.classList.add("is-drawn");
      window.Plotly.newPlot(slot, figure.data, figure.layout, config);
    });
  }

  if (!window.Plotly) {
    root.classList.add("charts-unavailable");
    return;
  }
  fetch(root.getAttribute("data-charts-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(function (payload) { draw(payload.figures || {}); })
    .catch(function () { root.classList.add("charts-unavailable"); });

  // Printing: open the tables that stand for the charts and fit the charts to the paper's width.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details.chart-table, details.criterion").forEach(function (d) {
      if (!d.open) { d.open = true; d.setAttribute("data-opened-for-print", ""); }
    });
    slots.forEach(function (slot) { if (slot.classList.contains("is-drawn")) window.Plotly.Plots.resize(slot); });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("[data-opened-for-print]").forEach(function (d) {
      d.open = false; d.removeAttribute("data-opened-for-print");
    });
    slots.forEach(function (slot) { if (slot.classList.contains("is-drawn")) window.Plotly.Plots.resize(slot); });
  });
})();
