// Moves the progress bars of the runs still going, every two seconds, until each has finished.
(function () {
  "use strict";
  function poll() {
    var rows = document.querySelectorAll("tr[data-progress-url]");
    if (!rows.length) { return; }
    var pending = rows.length;
    var finished = false;
    rows.forEach(function (row) {
      fetch(row.getAttribute("data-progress-url"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (run) {
          if (run) {
            row.querySelector("progress").value = run.percent;
            row.querySelector(".run-count").textContent = run.units_done + "/" + run.units_total;
            row.querySelector(".run-status").textContent = run.status_label;
            var error = row.querySelector(".run-error");
            error.textContent = run.error;
            error.hidden = !run.error;
            if (run.status === "done" || run.status === "failed") {
              row.removeAttribute("data-progress-url");
              finished = true;
            }
          }
        })
        .catch(function () {})
        .finally(function () {
          pending -= 1;
          if (pending === 0) {
            if (finished && !document.querySelector("tr[data-progress-url]")) { return; }
            window.setTimeout(poll, 2000);
          }
        });
    });
  }
  window.setTimeout(poll, 2000);
})();
