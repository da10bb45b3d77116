// The letter page's file picker: the real file input stays (visually hidden, still
// focusable, so keyboards and uploads without script work); this shows the chosen
// file's name beside the translated button.
(function () {
  "use strict";
  document.querySelectorAll("[data-file-picker]").forEach(function (picker) {
    var input = picker.querySelector("input[type=file]");
    var chosen = picker.querySelector(".file-chosen");
    if (!input || !chosen) return;
    function show() {
      var file = input.files && input.files[0];
      chosen.textContent = file ? file.name : chosen.getAttribute("data-none");
      picker.classList.toggle("has-file", Boolean(file));
    }
    input.addEventListener("change", show);
    show();
  });
})();
