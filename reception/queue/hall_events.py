"""The events of a hall: every change a display must show is numbered in the hall's
own sequence, taken inside the action's transaction, and carries the waiting counts
as they are after the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from reception.events.base import Event
from reception.events.messages import HallEvent
from reception.queue import waiting_line
from reception.queue.models import Hall
from reception.queue.rules import QueueState


def hall_channel(hall_id: int) -> str:
    return f"hall:{hall_id}"


_BUMP_SEQ_SQL = text("UPDATE hall SET event_seq = event_seq + 1 WHERE id = :id RETURNING event_seq")


def _bump_seq(session: Session, hall_id: int) -> int:
    """Next event number of the hall, taken in the action's own transaction so the
    order of numbers is the order of commits that displays must follow."""
    return int(session.connection().execute(_BUMP_SEQ_SQL, {"id": hall_id}).scalar_one())


def hall_event(
    session: Session, hall: Hall, kind: HallEvent, state: QueueState | None = None, **payload: Any
) -> Event:
    assert hall.id is not None
    seq = _bump_seq(session, hall.id)
    body = {"type": kind.value, "seq": seq, "hall": hall.slug, **payload}
    body["waiting"] = waiting_line.waiting_by_service(session, hall, state)
    return Event(hall_channel(hall.id), body)
