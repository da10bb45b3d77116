/* A button pressed once is pressed once: disable the form's buttons on submit. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    setTimeout(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
})();
