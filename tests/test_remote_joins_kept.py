"""A join keeps the number its code went to for two days, then the housekeeping
forgets it; the ticket it made stays."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from reception.clock import FrozenClock
from reception.db import session_scope
from reception.queue.models import Ticket
from reception.remote.joining import JOIN_KEPT, forget_old_joins
from reception.remote.models import RemoteJoin
from tests.factories import World
from tests.remote_joins import join, open_remote_joining


def test_old_joins_are_forgotten_and_their_tickets_kept(
    day_client: TestClient, world: World, engine: Engine, day_clock: FrozenClock
) -> None:
    open_remote_joining(day_client, world)
    joined = join(engine, day_clock, "men", "letter", "+966501234577")
    with session_scope(engine, day_clock) as s:
        assert forget_old_joins(s, day_clock.now() + JOIN_KEPT - timedelta(minutes=1)) == 0
    with session_scope(engine, day_clock) as s:
        assert forget_old_joins(s, day_clock.now() + JOIN_KEPT + timedelta(minutes=1)) == 1
    with session_scope(engine) as s:
        assert s.exec(select(RemoteJoin)).all() == []
        ticket = s.get(Ticket, joined.ticket_id)
        assert ticket is not None and ticket.status == "remote"
