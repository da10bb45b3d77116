/* The supervisor dashboard stays current without reloading: its socket says when a
   hall of the branch changed, and the page fetches the figures again (at most every
   two seconds) and swaps the text of each marked number. Without the socket it tries
   again with backoff and fetches the figures every 30 s meanwhile. */
(function () {
  "use strict";
  var root = document.querySelector("[data-dashboard]");
  if (!root || !window.fetch) return;
  var figuresUrl = root.getAttribute("data-figures-url");
  var socketUrl = root.getAttribute("data-socket-url");
  var dot = root.querySelector("[data-live-dot]");
  var state = root.querySelector("[data-live-state]");
  var pending = null, backoff = 1000, last = 0, fallback = null;

  function live(on) {
    if (dot) dot.classList.toggle("is-live", on);
    if (state) state.hidden = !on;
  }

  function apply(data) {
    var text = data.text || {}, alert = data.alert || {};
    root.querySelectorAll("[data-fig]").forEach(function (el) {
      var value = text[el.getAttribute("data-fig")];
      if (typeof value === "string" && el.textContent !== value) el.textContent = value;
    });
    root.querySelectorAll("[data-alert]").forEach(function (el) {
      el.classList.toggle("is-alert", alert[el.getAttribute("data-alert")] === true);
    });
    var html = data.html || {};
    root.querySelectorAll("[data-fragment]").forEach(function (el) {
      var part = html[el.getAttribute("data-fragment")];
      if (typeof part === "string" && el.innerHTML !== part) el.innerHTML = part;  // drawn by the server's own template
    });
    var empty = root.querySelector("[data-empty]");
    if (empty) empty.hidden = alert.empty !== true;
  }

  function refresh() {
    pending = null;
    last = Date.now();
    fetch(figuresUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        var type = r.headers.get("content-type") || "";
        return r.ok && type.indexOf("application/json") === 0 ? r.json() : null;
      })
      .then(function (data) { if (data) apply(data); })
      .catch(function () {});
  }

  function soon() {
    if (pending) return;
    pending = setTimeout(refresh, Math.max(150, 2000 - (Date.now() - last)));
  }

  function startFallback() {
    if (!fallback) fallback = setInterval(refresh, 30000);
  }

  function open() {
    if (!window.WebSocket) { startFallback(); return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + socketUrl);
    socket.onopen = function () {
      backoff = 1000;
      live(true);
      clearInterval(fallback);
      fallback = null;
    };
    socket.onmessage = function (event) {
      // CHANGED of reception/events/messages.py: fetch the figures again.
      if (String(event.data).indexOf('"' + window.LiveMessages.CHANGED + '"') !== -1) soon();
    };
    socket.onclose = function (event) {
      live(false);
      if (event.code === 4401 || event.code === 4409) { location.reload(); return; }  // signed out / new access
      if (event.code === 4403) { startFallback(); return; }
      startFallback();
      setTimeout(open, backoff + Math.random() * 500);
      backoff = Math.min(backoff * 2, 30000);
    };
  }
  open();
})();
