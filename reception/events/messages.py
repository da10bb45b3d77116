"""The messages of the live sockets, named in one place. Every message the server
sends is a JSON text frame with a `type`; the browser side reads the same names in
`static/js/live.js` (hall displays), `track.js` (tracking page) and `dashboard.js`.

Server to client:
- `SNAPSHOT`: a hall's whole state with its sequence number `seq`
  (`queue.queries.hall_snapshot`), the first message on `/display/ws`;
- the hall's deltas (`HallEvent`), each with the hall's next `seq`;
- `HEARTBEAT` when nothing else was sent for a while (a silent socket is a dead one);
- `RESYNC`: messages were lost (a broadcast backend reconnected): ask for a snapshot;
- `CHANGED`: the tracking page and the dashboard fetch their own view again.

Client to server: `ASK_RESYNC`, the text a display sends on a gap in the sequence or
on `RESYNC`, and gets a fresh snapshot."""

from __future__ import annotations

import json
from enum import StrEnum


def frame(kind: str) -> str:
    """A message with nothing but its type, encoded as every event is."""
    return json.dumps({"type": kind}, separators=(",", ":"))


SNAPSHOT = "snapshot"
HEARTBEAT = frame("heartbeat")
RESYNC = frame("resync")
CHANGED = frame("changed")
ASK_RESYNC = "resync"

SEND_SNAPSHOT = "\x00resync"
"""Never on the wire: queued to a display's feed in place of its next message, which
its sender replaces by a fresh snapshot."""
SOCKET_CLOSED = "\x00closed"
"""Never on the wire: wakes a socket's reader when the client went away."""


class HallEvent(StrEnum):
    """The deltas of a hall's channel (their `type`)."""

    TICKET_ISSUED = "ticket.issued"
    TICKET_ARRIVED = "ticket.arrived"
    """A visitor who joined from a phone checked in: their ticket joins the waiting line."""
    LINE_CHANGED = "line.changed"
    """A visitor moved back or left the line: the counts and places change."""
    TICKET_CALLED = "ticket.called"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_SERVING = "ticket.serving"
    TICKET_RETURNED = "ticket.returned"
    TICKET_FINISHED = "ticket.finished"
    TICKET_TRANSFERRED = "ticket.transferred"
    COUNTER_STATUS = "counter.status"
    COUNTER_SERVICES = "counter.services"
    DISPLAY_CONFIG = "display.config"
    DISPLAY_SCREEN = "display.screen"
    DAY_CLOSED = "queue.day_closed"


class LetterEvent(StrEnum):
    """The deltas of a letters channel (`letters:branch:<id>` for the triage desks,
    `letters:department:<id>` for an inbox), read by `static/js/letters_live.js`.
    `SKIP` stands in for a letter of a hall the reader may not see, so its sequence
    keeps no holes."""

    REGISTERED = "letter.registered"
    CLASSIFIED = "letter.classified"
    ROUTED = "letter.routed"
    ACCEPTED = "letter.accepted"
    ANSWERED = "letter.answered"
    RETURNED = "letter.returned"
    REOPENED = "letter.reopened"
    CLOSED = "letter.closed"
    REJECTED = "letter.rejected"
    MERGED = "letter.merged"
    SLA_BREACHED = "letter.sla_breached"
    SKIP = "skip"
