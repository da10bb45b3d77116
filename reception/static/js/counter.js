(function () {
  "use strict";
  var grid = document.querySelector("[data-live-hall]");
  if (!grid || !window.ReceptionLive) return;
  var services = (grid.dataset.services || "").split(",").filter(Boolean);
  var total = grid.querySelector("[data-waiting-total]");
  function update(waiting) {
    if (!waiting) return;
    var sum = 0;
    services.forEach(function (s) { if (waiting[s]) sum += waiting[s].waiting; });
    total.textContent = String(sum);
  }
  window.ReceptionLive.connectHall({
    hall: grid.dataset.liveHall,
    onSnapshot: function (snap) { update(snap.waiting); },
    onDelta: function (ev) { update(ev.waiting); }
  });
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    });
  });
})();
