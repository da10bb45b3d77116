"""The wait shown to a visitor counts those who joined from a phone ahead of them and
have not arrived yet, by the chance that they come, and stops counting them once
they cancel."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from reception.clock import FrozenClock
from reception.db import session_scope
from reception.queue import read_models, waiting_line
from reception.queue.models import Ticket
from tests.factories import World
from tests.helpers import issue
from tests.remote_joins import cancel, join, open_remote_joining


def shown(engine: Engine, day_clock: FrozenClock, ticket_id: int) -> tuple[int, int | None]:
    """The place and the minutes the tracking page shows for a ticket."""
    with session_scope(engine, day_clock) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        view = read_models.ticket_view(s, ticket)
        return view.position, view.eta_minutes


def test_the_wait_counts_remote_visitors_ahead_until_they_cancel(
    day_client: TestClient, world: World, engine: Engine, day_clock: FrozenClock
) -> None:
    open_remote_joining(day_client, world)
    for _ in range(6):
        issue(day_client, world)  # the hall's line, before anyone joins
    alone = issue(day_client, world)
    before = shown(engine, day_clock, alone["id"])

    away = [join(engine, day_clock, "men", "letter", f"+96650123450{n}") for n in range(4)]
    local = issue(day_client, world)
    place, minutes = shown(engine, day_clock, local["id"])
    assert place == before[0] + 1  # the place counts those in the hall only
    assert minutes is not None and before[1] is not None
    assert minutes > before[1]  # … the wait also those on their way

    with session_scope(engine, day_clock) as s:
        ticket = s.get(Ticket, local["id"])
        assert ticket is not None
        ahead = waiting_line.remote_ahead(s, ticket)
    assert sum(r.not_arrived for r in ahead.values()) == 4
    assert all(0 < r.checkin_probability < 1 for r in ahead.values())

    for joined in away:
        cancel(engine, day_clock, joined)
    assert shown(engine, day_clock, local["id"])[1] <= before[1]


def test_a_remote_ticket_holds_the_place_of_its_join(
    day_client: TestClient, world: World, engine: Engine, day_clock: FrozenClock
) -> None:
    open_remote_joining(day_client, world)
    for _ in range(6):
        issue(day_client, world)
    joined = join(engine, day_clock, "men", "letter", "+966501234599")
    for _ in range(2):
        issue(day_client, world)
    place, minutes = shown(engine, day_clock, joined.ticket_id)
    assert place == 7  # six in the hall before the join; those after it are behind
    assert minutes is not None and minutes > 0
