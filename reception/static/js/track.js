/* A ticket page stays current without reloading: its socket says when the hall
   changed, and the page fetches its own fresh view (at most every few seconds). If the
   socket is lost, it tries again with backoff and falls back to a refresh each 30 s.
   The visitor's phone (/t/…) and the kiosk's ticket page both use it: the element
   marked data-track is replaced by its fresh copy; data-socket names the ticket's
   socket when the page is not /t/… itself. */
(function () {
  "use strict";
  var card = document.querySelector("[data-track]");
  if (!card || !window.WebSocket) return;
  var socketPath = card.dataset.socket || location.pathname + "/ws";
  var pending = null, backoff = 1000, last = 0, fallback = null;

  function refresh() {
    pending = null;
    last = Date.now();
    fetch(location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-track]");
        if (!fresh) return;
        // A remote ticket's actions sit outside the live part: a new state draws the page anew.
        if (card.hasAttribute("data-reload-on-state") && fresh.dataset.state !== card.dataset.state) {
          location.reload();
          return;
        }
        card.replaceChildren.apply(card, Array.prototype.slice.call(fresh.childNodes));
        card.dispatchEvent(new CustomEvent("ticket:updated", { bubbles: true }));
      })
      .catch(function () {});
  }

  function soon() {
    if (pending) return;
    pending = setTimeout(refresh, Math.max(300, 3000 - (Date.now() - last)));
  }

  function open() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + socketPath);
    socket.onopen = function () { backoff = 1000; clearInterval(fallback); fallback = null; };
    // CHANGED of reception/events/messages.py: fetch the view again.
    socket.onmessage = function (event) { if (event.data.indexOf('"' + window.LiveMessages.CHANGED + '"') !== -1) soon(); };
    socket.onclose = function (event) {
      if (event.code === 1000 || event.code === 4404) { soon(); return; }
      if (!fallback) fallback = setInterval(refresh, 30000);
      setTimeout(open, backoff + Math.random() * 500);
      backoff = Math.min(backoff * 2, 30000);
    };
  }
  open();
})();
