/* The rating tablet: the on-screen keypad for the ticket number, and going back to
   the start by itself — after the thank-you screen, when a visitor walks away, and
   every few seconds while a counter's tablet waits for the next visit to end. */
(function () {
  "use strict";

  document.querySelectorAll("[data-keypad]").forEach(function (pad) {
    var input = document.getElementById(pad.dataset.keypad);
    if (!input) return;
    /* The keypad has every key a ticket number needs: keep the system keyboard away. */
    input.setAttribute("inputmode", "none");
    pad.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      var key = button.dataset.key;
      if (key === "back") input.value = input.value.slice(0, -1);
      else if (input.value.length < 12) input.value += key;
    });
  });

  var box = document.querySelector("[data-return-after]");
  if (!box) return;
  var seconds = Number(box.dataset.returnAfter) || 60;
  var target = box.dataset.returnTo || "/rate?reset=1";
  var timer;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(function () { location.href = target; }, seconds * 1000);
  }
  ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
    document.addEventListener(name, later, { passive: true });
  });
  later();
})();
