// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Confirm destructive buttons.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    // A button marked data-once cannot be clicked twice while its form is sent.
    if (button && button.hasAttribute("data-once")) {
      if (button.dataset.sent) { event.preventDefault(); return; }
      button.dataset.sent = "1";
      window.setTimeout(function () { button.disabled = true; }, 0);
    }
  });

  // Clinic picker: switch on change.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Day board: fetch the lanes again every N seconds, unless the user is typing or the
  // tab is hidden. A failed fetch leaves the board as it is.
  var board = document.getElementById("board");
  if (board && board.dataset.refresh) {
    var seconds = parseInt(board.dataset.refresh, 10) || 30;
    window.setInterval(function () {
      if (document.hidden) { return; }
      var active = document.activeElement;
      if (active && board.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) { return; }
      fetch(board.dataset.partialUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) {
          if (!response.ok || response.redirected) { throw new Error("refresh failed"); }
          return response.text();
        })
        .then(function (html) { board.innerHTML = html; })
        .catch(function () { /* keep what is shown */ });
    }, seconds * 1000);
  }
})();
