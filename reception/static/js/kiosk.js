(function () {
  "use strict";
  var IDLE_MS = 45000;
  var busy = document.querySelector(".busy");
  var sent = false;
  var offline = document.querySelector("[data-offline]");
  var busyText = document.querySelector("[data-busy-text]");

  function showPage(html) {
    document.open();
    document.write(html);
    document.close();
  }

  /* The ticket request carries a one-time key: sent again after a network blip, it
     returns the same ticket, so the kiosk retries by itself until it gets an answer. */
  function send(form, data, attempt) {
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (response.ok && response.redirected) { location.href = response.url; return; }
        return response.text().then(showPage);
      })
      .catch(function () {
        if (offline) { offline.hidden = false; busyText.hidden = true; }
        setTimeout(function () { send(form, data, attempt + 1); }, Math.min(10000, 1500 * (attempt + 1)));
      });
  }

  document.querySelectorAll("form.ticket-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sent) return;
      sent = true;
      if (busy) busy.hidden = false;
      var data = new FormData(form);
      if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
      send(form, data, 0);
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
