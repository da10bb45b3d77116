/* "I'm here" on a remote ticket's page: ask the phone for its location once, put it
   in the form and send it. Without location (refused, no support) the visitor is
   told to check in at the kiosk with their code. */
(function () {
  "use strict";
  var form = document.querySelector("[data-here]");
  if (!form || !navigator.geolocation) return;
  var note = form.querySelector("[data-here-note]");
  var fallback = document.querySelector("[data-no-location]");
  form.hidden = false;
  if (fallback) fallback.hidden = true;
  var sending = false;
  form.addEventListener("submit", function (event) {
    if (form.elements.latitude.value) return;
    event.preventDefault();
    if (sending) return;
    sending = true;
    note.textContent = form.dataset.waiting;
    navigator.geolocation.getCurrentPosition(function (position) {
      form.elements.latitude.value = String(position.coords.latitude);
      form.elements.longitude.value = String(position.coords.longitude);
      form.elements.accuracy.value = String(Math.round(position.coords.accuracy));
      form.submit();
    }, function () {
      sending = false;
      note.textContent = form.dataset.refused;
      if (fallback) fallback.hidden = false;
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  });
})();
