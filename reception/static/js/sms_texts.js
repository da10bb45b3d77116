/* Live preview of an SMS text as the administrator types: the server fills in the
   sample values and counts the segments (the same rules as the messages sent). */
(function () {
  "use strict";
  document.querySelectorAll("form[data-sms-preview]").forEach(function (form) {
    var area = form.querySelector("textarea[name=text]");
    var body = form.querySelector("[data-preview-body]");
    var error = form.querySelector("[data-preview-error]");
    var characters = form.querySelector("[data-preview-characters]");
    var segments = form.querySelector("[data-preview-segments]");
    if (!area || !body || !error) return;
    var timer = null;
    var asked = 0;

    function show(answer) {
      if (answer.ok) {
        error.hidden = true;
        error.textContent = "";
        body.textContent = answer.body;
        characters.textContent = answer.characters;
        segments.textContent = answer.segments;
        segments.className = answer.segments > 2 ? "badge badge-late" : "";
      } else {
        error.textContent = answer.message;
        error.hidden = false;
      }
    }

    function ask() {
      var mine = ++asked;
      var data = new FormData(form);
      data.set("action", "preview");
      fetch(form.dataset.smsPreview, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (answer) { if (mine === asked) show(answer); })
        .catch(function () { /* the Preview button still works */ });
    }

    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 300);
    });
  });
})();
