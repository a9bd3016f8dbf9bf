// On every page: the number of unread notifications on the header's badge, fetched after the page has loaded.
(function () {
  "use strict";
  var link = document.querySelector("[data-unread-url]");
  if (!link || !window.fetch) return;
  fetch(link.dataset.unreadUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data || !data.unread) return;
      var badge = link.querySelector(".notif-badge");
      badge.textContent = data.unread;
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + link.dataset.unreadLabel;
      badge.appendChild(hidden);
      badge.hidden = false;
    })
    .catch(function () {});

  // Buttons and links that ask first ("Duyệt tất cả 12 giá trị?", "Thu hồi …?"): data-confirm holds the question.
  document.addEventListener("click", function (event) {
    var control = event.target.closest("[data-confirm]");
    if (control && !window.confirm(control.dataset.confirm)) event.preventDefault();
  });
})();
