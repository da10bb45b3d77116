(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root || !window.ReceptionLive) return;
  var initial = JSON.parse(document.getElementById("snapshot").textContent);
  var latestCard = root.querySelector("[data-latest]");
  var latestNumber = root.querySelector("[data-latest-number]");
  var latestCounter = root.querySelector("[data-latest-counter]");
  var history = root.querySelector("[data-history]");
  var waitingList = root.querySelector("[data-waiting]");
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
  var emptyNode = history.querySelector(".empty") ? history.querySelector(".empty").cloneNode(true) : null;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text != null) node.textContent = text;
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function renderCalls(highlight) {
    var latest = calls[0];
    latestNumber.textContent = latest ? latest.number : "—";
    latestCounter.textContent = latest ? latest.counter : "—";
    history.replaceChildren();
    calls.slice(1, 8).forEach(function (c) {
      var li = el("li");
      li.appendChild(el("span", c.number, { dir: "ltr" }));
      li.appendChild(el("span", String(c.counter)));
      history.appendChild(li);
    });
    if (calls.length < 2 && emptyNode) history.appendChild(emptyNode.cloneNode(true));
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
      var li = el("li");
      var name = el("span", w.name_ar + " ");
      name.appendChild(el("span", w.name_en, { lang: "en" }));
      li.appendChild(name);
      li.appendChild(el("strong", String(w.waiting)));
      if (w.waiting && w.eta_minutes) {
        var eta = el("small", "≈ " + w.eta_minutes + " د ", { "class": "wait-eta" });
        eta.appendChild(el("span", "min", { lang: "en" }));
        li.appendChild(eta);
      }
      waitingList.appendChild(li);
    });
  }

  function applySettings(settings) {
    if (!settings) return;
    root.classList.remove("layout-auto", "layout-landscape", "layout-portrait");
    root.classList.add("layout-" + (settings.layout || "auto"));
    if (announcer) announcer.setVolume(settings.volume == null ? 80 : settings.volume);
    var text = [settings.notice_ar, settings.notice_en].filter(Boolean);
    notice.hidden = !text.length;
    var track = notice.querySelector("[data-notice-text]");
    track.replaceChildren();
    if (settings.notice_ar) track.appendChild(el("span", settings.notice_ar, { lang: "ar", dir: "rtl" }));
    if (settings.notice_en) track.appendChild(el("span", settings.notice_en, { lang: "en", dir: "ltr" }));
  }
  applySettings(initial.display);

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
        return "resync";
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
  var time = fmt("ar-SA-u-nu-latn", { hour: "2-digit", minute: "2-digit", hour12: false });
  var hijri = fmt("ar-SA-u-ca-islamic-umalqura-nu-latn", { day: "numeric", month: "long", year: "numeric" });
  var gregorian = fmt("ar-SA-u-ca-gregory-nu-latn", { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  function tick() {
    var now = new Date();
    clock.querySelector("[data-clock-time]").textContent = time.format(now);
    clock.querySelector("[data-clock-hijri]").textContent = hijri.format(now);
    clock.querySelector("[data-clock-gregorian]").textContent = gregorian.format(now);
  }
  tick();
  setInterval(tick, 1000);
})();
