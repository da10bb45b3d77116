/* Live channels: a snapshot, then deltas with consecutive sequence numbers. A gap,
   a resync notice or a silent socket leads to a fresh snapshot; a lost connection
   is retried with backoff; a socket closed because the access ended (4401, 4403)
   or changed (4409) is not reopened: the page is loaded again instead.

   `connect` follows any such socket; `sequence` says how its numbers run: one
   number for a hall (`oneSequence`), or one per channel for the letters desks
   (`channelSequences`, the snapshot carrying each channel's number). */
(function () {
  "use strict";
  var M = window.LiveMessages;

  function oneSequence(initialSeq) {
    var seq = initialSeq == null ? -1 : initialSeq;
    return {
      snapshot: function (msg) { seq = msg.seq; },
      next: function (msg) {
        if (typeof msg.seq !== "number" || msg.seq <= seq) return "old";
        if (msg.seq !== seq + 1) return "gap";
        seq = msg.seq;
        return "next";
      }
    };
  }

  function channelSequences() {
    var seqs = null;
    return {
      snapshot: function (msg) { seqs = msg.seq; },
      next: function (msg) {
        if (!seqs || typeof msg.seq !== "number" || !(msg.channel in seqs)) return "old";
        var last = seqs[msg.channel];
        if (msg.seq <= last) return "old";  // already in the snapshot
        if (msg.seq !== last + 1) return "gap";
        seqs[msg.channel] = msg.seq;
        return "next";
      }
    };
  }

  function connect(options) {
    var sequence = options.sequence || oneSequence(null);
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
      socket = new WebSocket(scheme + location.host + options.url);
      socket.onopen = function () { backoff = 1000; arm(); };
      socket.onmessage = function (event) {
        arm();
        var msg;
        try { msg = JSON.parse(event.data); } catch (e) { return; }
        if (msg.type === M.HEARTBEAT) { setOnline(true); return; }
        if (msg.type === M.RESYNC) { socket.send(M.ASK_RESYNC); return; }
        if (msg.type === M.SNAPSHOT) {
          sequence.snapshot(msg); setOnline(true); options.onSnapshot(msg); return;
        }
        var verdict = sequence.next(msg);
        if (verdict === "gap") { socket.send(M.ASK_RESYNC); return; }
        if (verdict !== "next") return;
        if (options.onDelta(msg) === M.ASK_RESYNC) socket.send(M.ASK_RESYNC);
      };
      socket.onclose = function (event) {
        clearTimeout(watchdog);
        setOnline(false);
        if (event.code === 4401 || event.code === 4403 || event.code === 4409) {
          // Signed out, no longer allowed, or given other access: never reconnect;
          // the page loaded again shows what to do (sign in, pair the screen again)
          // or the hall the screen now has.
          setTimeout(function () { location.reload(); }, event.code === 4409 ? 0 : 2000);
          return;
        }
        setTimeout(open, backoff + Math.random() * 500);
        backoff = Math.min(backoff * 2, 15000);
      };
    }
    open();
  }

  function connectHall(options) {
    var query = "?hall=" + encodeURIComponent(options.hall) +
      (options.branch ? "&branch=" + encodeURIComponent(options.branch) : "");
    connect({
      url: "/display/ws" + query,
      sequence: oneSequence(options.initialSeq),
      heartbeatSeconds: options.heartbeatSeconds,
      onStatus: options.onStatus,
      onSnapshot: options.onSnapshot,
      onDelta: options.onDelta
    });
  }

  window.ReceptionLive = {
    connect: connect,
    connectHall: connectHall,
    oneSequence: oneSequence,
    channelSequences: channelSequences
  };
})();
