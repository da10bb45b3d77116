/* Live hall channel: snapshot, then deltas with consecutive sequence numbers.
   A gap, a resync notice or a silent socket leads to a fresh snapshot; a lost
   connection is retried with backoff. */
(function () {
  "use strict";
  var M = window.LiveMessages;
  var HEARTBEAT = M.HEARTBEAT, RESYNC = M.RESYNC, SNAPSHOT = M.SNAPSHOT, ASK_RESYNC = M.ASK_RESYNC;

  function connectHall(options) {
    var seq = options.initialSeq == null ? -1 : options.initialSeq;
    var backoff = 1000;
    var socket = null;
    var watchdog = null;
    var silenceLimit = (options.heartbeatSeconds || 10) * 2500;

    function setOnline(online) { if (options.onStatus) options.onStatus(online); }

    function arm() {
      clearTimeout(watchdog);
      watchdog = setTimeout(function () { if (socket) socket.close(); }, silenceLimit);
    }

    function open() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var query = "?hall=" + encodeURIComponent(options.hall) +
        (options.branch ? "&branch=" + encodeURIComponent(options.branch) : "");
      socket = new WebSocket(scheme + location.host + "/display/ws" + query);
      socket.onopen = function () { backoff = 1000; arm(); };
      socket.onmessage = function (event) {
        arm();
        var msg;
        try { msg = JSON.parse(event.data); } catch (e) { return; }
        if (msg.type === HEARTBEAT) { setOnline(true); return; }
        if (msg.type === RESYNC) { socket.send(ASK_RESYNC); return; }
        if (msg.type === SNAPSHOT) {
          seq = msg.seq; setOnline(true); options.onSnapshot(msg); return;
        }
        if (typeof msg.seq !== "number" || msg.seq <= seq) return;
        if (msg.seq !== seq + 1) { socket.send(ASK_RESYNC); return; }
        seq = msg.seq;
        if (options.onDelta(msg) === ASK_RESYNC) socket.send(ASK_RESYNC);
      };
      socket.onclose = function (event) {
        clearTimeout(watchdog);
        if (event.code === 4401 || event.code === 4403 || event.code === 4409) {
          // Signed out, no longer allowed, or given other access: never reconnect;
          // the page loaded again shows what to do (sign in, pair the screen again)
          // or the hall the screen now has.
          setOnline(false);
          setTimeout(function () { location.reload(); }, event.code === 4409 ? 0 : 2000);
          return;
        }
        setOnline(false);
        setTimeout(open, backoff + Math.random() * 500);
        backoff = Math.min(backoff * 2, 15000);
      };
    }
    open();
  }
  window.ReceptionLive = { connectHall: connectHall };
})();
