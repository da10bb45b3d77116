(function () {
  "use strict";
  var IDLE_MS = 45000;
  var busy = document.querySelector(".busy");
  var sent = false;
  document.querySelectorAll("form.ticket-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }
      sent = true;
      if (busy) busy.hidden = false;
    });
  });
  window.addEventListener("pageshow", function () { sent = false; if (busy) busy.hidden = true; });
  document.querySelectorAll("[data-keypad]").forEach(function (pad) {
    var input = document.getElementById(pad.dataset.keypad);
    pad.addEventListener("click", function (event) {
      var key = event.target.closest("button") && event.target.closest("button").dataset.key;
      if (!key || !input) return;
      if (key === "back") input.value = input.value.slice(0, -1);
      else if (input.value.length < 20) input.value += key;
      input.focus();
    });
  });
  var printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
  var timer;
  function reset() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (location.pathname !== "/kiosk" || location.search) location.href = "/kiosk?reset=1";
    }, IDLE_MS);
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (e) { document.addEventListener(e, reset, { passive: true }); });
  reset();
})();
