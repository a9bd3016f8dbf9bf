/* Draws the page's Plotly charts from its chart data endpoint (one request per page). Without JavaScript,
   or when the request fails, the tables and text beside each chart carry the same figures. */
(function () {
  "use strict";
  var root = document.querySelector("[data-charts-src]");
  if (!root) return;
  var slots = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"));
  var vietnamese = document.documentElement.lang !== "en";
  // One button, download as PNG, in the page's language (plotly.js's own "vi" locale gives dates and months;
  // the button's words are ours).
  var config = {
    responsive: true,
    displaylogo: false,
    modeBarButtons: [["toImage"]],
    toImageButtonOptions: { format: "png", scale: 2 },
    locale: vietnamese ? "vi" : "en",
    locales: { vi: { dictionary: { "Download plot as a PNG": "Tải biểu đồ (PNG)", "Download plot": "Tải biểu đồ" } } },
  };

  // On a narrow screen a long title is wrapped so that it never runs under the download button.
  function fitTitle(slot, layout) {
    var title = layout.title;
    if (!title || !title.text) return;
    var room = Math.floor((slot.clientWidth - 56) / 8);
    if (room <= 0 || title.text.length <= room) return;
    var lines = [], line = "";
    title.text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > room) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    lines.push(line);
    title.text = lines.join("<br>");
    layout.margin = layout.margin || {};
    layout.margin.t = (layout.margin.t || 40) + 18 * (lines.length - 1);
    if (layout.height) layout.height += 18 * (lines.length - 1);
  }

  function draw(figures) {
    slots.forEach(function (slot) {
      var figure = figures[slot.getAttribute("data-chart")];
      var holder = slot.closest(".chart-figure") || slot;
      if (!figure) {
        // no chart (one period is no line): the table beside it, when there is one, stands in its place
        var table = holder.querySelector("details.chart-table");
        if (table) { slot.hidden = true; table.open = true; } else { holder.hidden = true; }
        return;
      }
      slot.classList.add("is-drawn");
      fitTitle(slot, figure.layout);
      window.Plotly.newPlot(slot, figure.data, figure.layout, config);
      // a drawn chart holds a button (download): a group keeps its label, an image may not contain controls
      slot.setAttribute("role", "group");
    });
  }

  // plotly.js and the chart data are requested together, once the page is shown; drawn when both have arrived.
  var me = document.currentScript || document.querySelector("script[data-plotly]");
  var library = new Promise(function (resolve, reject) {
    if (window.Plotly) return resolve();
    var script = document.createElement("script");
    script.src = me.getAttribute("data-plotly");
    script.async = true;
    script.onload = resolve;
    script.onerror = reject;
    document.head.appendChild(script);
  });
  var data = fetch(root.getAttribute("data-charts-src"), {
    credentials: "same-origin", headers: { Accept: "application/json" },
  }).then(function (response) {
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  });
  Promise.all([library, data])
    .then(function (results) { draw(results[1].figures || {}); })
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
