(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root || !window.ReceptionLive) return;
  var initial = JSON.parse(document.getElementById("snapshot").textContent);
  var latestCard = root.querySelector("[data-latest]");
  var latestNumber = root.querySelector("[data-latest-number]");
  var latestCounter = root.querySelector("[data-latest-counter]");
  var history = root.querySelector("[data-history-rows]");
  var waitingList = root.querySelector("[data-waiting-rows]");
  var mark = root.querySelector("[data-live-mark]");
  var notice = root.querySelector("[data-notice]");
  var soundButton = root.querySelector("[data-enable-sound]");
  var fromAddress = (root.dataset.counters || "").split(",").filter(Boolean).map(Number);
  var screenId = initial.screen ? initial.screen.id : null;
  var only = initial.screen && initial.screen.counters.length ? initial.screen.counters : fromAddress;
  function shown(call) { return !only.length || only.indexOf(Number(call.counter)) !== -1; }
  var announcer = window.ReceptionAnnouncer ? new window.ReceptionAnnouncer.Announcer({
    onBlocked: function () { if (soundButton) soundButton.hidden = false; }
  }) : null;
  window.receptionAnnouncer = announcer;
  if (soundButton) soundButton.addEventListener("click", function () {
    soundButton.hidden = true;
    if (announcer) announcer.resume();
  });
  var calls = initial.calls.filter(shown);
  var emptyNode = history.querySelector("[data-empty]") ? history.querySelector("[data-empty]").cloneNode(true) : null;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text != null) node.textContent = text;
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function bi(ar, en) {
    var node = el("span", null, { "class": "bi" });
    node.appendChild(el("span", ar, { lang: "ar", dir: "rtl" }));
    node.appendChild(el("span", en, { lang: "en", dir: "ltr" }));
    return node;
  }

  function cell(name, content, className) {
    var td = el("td", null, { "data-cell": name });
    if (className) td.className = className;
    td.appendChild(typeof content === "string" ? el("bdi", content, { dir: "ltr" }) : content);
    return td;
  }

  /* Rows that do not fit whole are hidden rather than cut or scrolled. */
  function fitRows(body) {
    var box = body.closest(".panel");
    var rows = body.querySelectorAll("[data-row]");
    rows.forEach(function (row) { row.hidden = false; });
    var bottom = box.getBoundingClientRect().bottom - parseFloat(getComputedStyle(box).paddingBottom);
    rows.forEach(function (row) { if (row.getBoundingClientRect().bottom > bottom + 1) row.hidden = true; });
  }

  function renderCalls(highlight) {
    var latest = calls[0];
    latestNumber.textContent = latest ? latest.number : "—";
    latestCounter.textContent = latest ? latest.counter : "—";
    history.replaceChildren();
    calls.slice(1, 8).forEach(function (c) {
      var tr = el("tr", null, { "data-row": "" });
      tr.appendChild(cell("ticket", c.number));
      tr.appendChild(cell("counter", String(c.counter), "num counter"));
      history.appendChild(tr);
    });
    if (calls.length < 2 && emptyNode) history.appendChild(emptyNode.cloneNode(true));
    fitRows(history);
    if (highlight) {
      latestCard.classList.remove("flash-new");
      void latestCard.offsetWidth;
      latestCard.classList.add("flash-new");
    }
  }

  function renderWaiting(waiting) {
    if (!waiting) return;
    waitingList.replaceChildren();
    Object.keys(waiting).forEach(function (slug) {
      var w = waiting[slug];
      var tr = el("tr", null, { "data-row": "" });
      tr.appendChild(cell("service", bi(w.name_ar, w.name_en)));
      tr.appendChild(cell("waiting", String(w.waiting), "num count"));
      tr.appendChild(cell("eta", w.waiting && w.eta_minutes ? "≈ " + w.eta_minutes : "—", "num eta"));
      waitingList.appendChild(tr);
    });
    fitRows(waitingList);
  }

  function applySettings(settings) {
    if (!settings) return;
    root.classList.remove("layout-auto", "layout-landscape", "layout-portrait");
    root.classList.add("layout-" + (settings.layout || "auto"));
    fitRows(history);
    fitRows(waitingList);
    if (announcer) announcer.setVolume(settings.volume == null ? 80 : settings.volume);
    var text = [settings.notice_ar, settings.notice_en].filter(Boolean);
    notice.hidden = !text.length;
    var track = notice.querySelector("[data-notice-text]");
    track.replaceChildren();
    if (settings.notice_ar) track.appendChild(el("span", settings.notice_ar, { lang: "ar", dir: "rtl" }));
    if (settings.notice_en) track.appendChild(el("span", settings.notice_en, { lang: "en", dir: "ltr" }));
  }
  applySettings(initial.display);
  function refit() { fitRows(history); fitRows(waitingList); }
  window.addEventListener("resize", refit);
  if (document.fonts) document.fonts.ready.then(refit);  // rows change height once fonts load

  window.ReceptionLive.connectHall({
    hall: root.dataset.hall,
    branch: root.dataset.branch,
    heartbeatSeconds: parseFloat(root.dataset.heartbeat),
    initialSeq: initial.seq,
    onStatus: function (online) { mark.hidden = online; },
    onSnapshot: function (snap) {
      if (snap.screen) only = snap.screen.counters.length ? snap.screen.counters : fromAddress;
      calls = snap.calls.filter(shown);
      renderCalls(false);
      renderWaiting(snap.waiting);
      applySettings(snap.display);
    },
    onDelta: function (ev) {
      if ((ev.type === "ticket.called" || ev.type === "ticket.recalled") && ev.ticket && shown(ev.ticket)) {
        calls = calls.filter(function (c) { return c.id !== ev.ticket.id; });
        calls.unshift(ev.ticket);
        calls = calls.slice(0, 8);
        renderCalls(true);
        if (announcer) announcer.announce(ev.ticket.number, ev.ticket.counter);
      }
      if (ev.type === "display.config") applySettings(ev.display);
      if (ev.type === "display.screen" && ev.screen === screenId) {
        // This screen now shows other counters: rebuild from a fresh snapshot.
        only = ev.counters.length ? ev.counters : fromAddress;
        return window.LiveMessages.ASK_RESYNC;
      }
      renderWaiting(ev.waiting);
    }
  });
})();

/* Clock with the Hijri (Umm al-Qura) and Gregorian dates, in the branch's time zone. */
(function () {
  "use strict";
  var clock = document.querySelector("[data-clock]");
  if (!clock || !window.Intl) return;
  var zone = clock.dataset.timezone;
  function fmt(locale, options) {
    try { return new Intl.DateTimeFormat(locale, Object.assign({ timeZone: zone }, options)); }
    catch (e) { return new Intl.DateTimeFormat(locale, options); }
  }
  var time = fmt("en-GB-u-nu-latn", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  var parts = [
    ["[data-clock-hijri]", fmt("ar-SA-u-ca-islamic-umalqura-nu-latn", { weekday: "long", day: "numeric", month: "long", year: "numeric" })],
    ["[data-clock-gregorian]", fmt("ar-SA-u-ca-gregory-nu-latn", { day: "numeric", month: "long", year: "numeric" })],
    ["[data-clock-hijri-en]", fmt("en-u-ca-islamic-umalqura-nu-latn", { weekday: "long", day: "numeric", month: "long", year: "numeric" })],
    ["[data-clock-gregorian-en]", fmt("en-GB-u-ca-gregory-nu-latn", { day: "numeric", month: "long", year: "numeric" })]
  ].map(function (p) { return [clock.querySelector(p[0]), p[1]]; });
  var timeNode = clock.querySelector("[data-clock-time]");
  function tick() {
    var now = new Date();
    timeNode.textContent = time.format(now);
    parts.forEach(function (p) { if (p[0]) p[0].textContent = p[1].format(now); });
  }
  tick();
  setInterval(tick, 1000);
})();
