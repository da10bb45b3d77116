// The agenda's print button (no inline script: the pages' CSP forbids it).
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
