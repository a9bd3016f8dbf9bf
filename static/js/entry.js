// Shows, while the official types, whether the value meets the target. The page works without it:
// the server says the same after saving. Numbers are read as officials write them ("12,5", "76.611").
(function () {
  "use strict";
  var labels = { met: "Đạt", notMet: "Chưa đạt", none: "Chưa có số liệu", bad: "Chưa đọc được" };
  if (document.documentElement.lang === "en") {
    labels = { met: "Met", notMet: "Not met", none: "No data", bad: "Cannot read" };
  }

  function parseNumber(text) {
    text = text.replace(/[\s\u00a0%]/g, "");
    if (!/^[+-]?[0-9.,]+$/.test(text)) return null;
    var dots = (text.match(/\./g) || []).length, commas = (text.match(/,/g) || []).length;
    if (dots && commas) {
      var decimalMark = text.lastIndexOf(",") > text.lastIndexOf(".") ? "," : ".";
      var thousands = decimalMark === "," ? "." : ",";
      text = text.split(thousands).join("").replace(decimalMark, ".");
    } else if (commas) {
      text = commas > 1 ? text.split(",").join("") : text.replace(",", ".");
    } else if (dots > 1 || (dots === 1 && /\.\d{3}$/.test(text) && !/^[+-]?0\./.test(text))) {
      text = text.split(".").join("");
    }
    var value = Number(text);
    return isNaN(value) ? null : value;
  }

  function parseBool(text) {
    text = text.trim().toLowerCase();
    if (["có", "co", "đạt", "dat", "x", "1", "yes", "true", "y", "c"].indexOf(text) >= 0) return true;
    if (["không", "khong", "không đạt", "chưa đạt", "0", "no", "false", "n", "k"].indexOf(text) >= 0) return false;
    return null;
  }

  function judge(input) {
    var raw = input.value.trim();
    if (!raw) return "none";
    var op = input.dataset.op, bound = input.dataset.bound;
    if (input.dataset.kind === "bool") {
      var yes = parseBool(raw);
      if (yes === null) return "bad";
      return yes === (op === "yes") ? "met" : "notMet";
    }
    var value = parseNumber(raw);
    if (value === null || (op === "yes" || op === "no")) return "bad";
    if (input.dataset.kind === "percent" && (value < 0 || value > 100)) return "bad";
    var parts = bound.split(" ").map(Number), b = parts[0];
    var ok = { ">=": value >= b, "<=": value <= b, ">": value > b, "<": value < b, "=": value === b,
      "between": value >= parts[0] && value <= parts[1] }[op];
    return ok ? "met" : "notMet";
  }

  var classes = { met: "status-met", notMet: "status-not-met", none: "status-no-data", bad: "status-not-met" };
  function update(input) {
    var cell = document.querySelector('[data-met-for="' + input.dataset.metTarget + '"]');
    if (!cell) return;
    var verdict = judge(input);
    cell.innerHTML = "";
    var badge = document.createElement("span");
    badge.className = "status " + classes[verdict];
    badge.textContent = labels[verdict];
    cell.appendChild(badge);
  }

  document.querySelectorAll(".value-input").forEach(function (input) {
    input.addEventListener("input", function () { update(input); });
    input.addEventListener("change", function () { update(input); });
  });
})();

// Finding one's way on a long form: back to where the official was after saving, the banner's links put the cursor
// in the bad field, the sticky save bar never covers the field being typed in, the phone's index menu closes
// after a jump.
(function () {
  "use strict";
  var form = document.querySelector(".entry-form");
  if (!form) return;
  var bar = form.querySelector(".entry-actions");

  // Saving returns to the row that was at the top of the screen (the server redirects to #row-…).
  form.addEventListener("submit", function () {
    var position = form.querySelector(".entry-position");
    if (!position) return;
    var rows = form.querySelectorAll(".entry-row");
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getBoundingClientRect().bottom > 0) { position.value = rows[i].id; return; }
    }
  });

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    var details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    return true;
  }
  document.querySelectorAll("[data-focus]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (focusField(link.dataset.focus)) event.preventDefault();
    });
  });

  // After a save with errors the banner takes focus: it is read out and lists a link to every field.
  var banner = document.getElementById("error-banner") || document.getElementById("submit-warning");
  if (banner) {
    banner.focus();
    banner.scrollIntoView({ block: "start" });
  }

  // Belt and braces for browsers without scroll-padding on focus: lift the field above the save bar.
  if (bar) {
    form.addEventListener("focusin", function (event) {
      var target = event.target;
      if (bar.contains(target)) return;
      var barTop = bar.getBoundingClientRect().top, box = target.getBoundingClientRect();
      if (box.bottom > barTop - 8) window.scrollBy(0, box.bottom - barTop + 16);
    });
  }

  var menu = document.querySelector(".entry-index-menu");
  if (menu) {
    menu.addEventListener("click", function (event) {
      if (event.target.closest("a")) menu.open = false;
    });
  }
})();
