/* Pages whose content is a server-rendered view of a hall (the supervisor's page, the
   counter page) re-render their live region when the hall changes, without a reload.
   Nothing is replaced while the user is in the middle of a form. */
(function () {
  "use strict";
  var region = document.querySelector("[data-live-region]");
  if (!region || !window.ReceptionLive) return;
  var pending = false;
  var timer = null;

  function busyWithForm() {
    var active = document.activeElement;
    if (active && active.closest("form") && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return true;
    return !!region.querySelector("details[open]");
  }

  function refresh() {
    if (busyWithForm()) { pending = true; return; }
    pending = false;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-region]");
        if (fresh) region.replaceChildren.apply(region, Array.prototype.slice.call(fresh.childNodes));
      })
      .catch(function () { pending = true; });
  }

  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 300); }
  setInterval(function () { if (pending) refresh(); }, 5000);
  document.querySelectorAll("[data-live-hall]").forEach(function (el) {
    window.ReceptionLive.connectHall({
      hall: el.dataset.liveHall,
      onSnapshot: soon,
      onDelta: soon
    });
  });
})();
