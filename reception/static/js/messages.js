/* The message names of the live sockets, as reception/events/messages.py names
   them (tests/test_live_messages.py keeps the two lists the same). Loaded before
   every script that reads a socket. */
window.LiveMessages = Object.freeze({
  HEARTBEAT: "heartbeat",
  RESYNC: "resync",
  SNAPSHOT: "snapshot",
  CHANGED: "changed",
  ASK_RESYNC: "resync",
  SKIP: "skip"
});
