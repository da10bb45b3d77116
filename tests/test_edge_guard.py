"""At the centre, a branch served by a mobile unit is read-only except for what the
unit sends: a centre operator cannot call or finish its tickets (403, with the
reason), and closing past days closes the other branches and leaves the unit's
tickets as the unit sent them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from reception.clock import SYSTEM_CLOCK, FrozenClock
from reception.db import session_scope
from reception.edge.models import EdgeRow
from reception.queue.housekeeping import close_past_days
from reception.queue.models import Ticket
from tests.edge_world import add_unit, push, record, ticket
from tests.factories import World
from tests.helpers import bearer, issue


def operator_token(client: TestClient, world: World, role: str = "operator") -> dict[str, str]:
    r = client.post(
        "/api/v1/admin/tokens",
        json={"name": f"north {role}", "role": role, "branch": "north", "hall": "men"},
        headers=bearer(world, "admin"),
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def central_id(engine: Engine, unit_id: int, local_id: int) -> int:
    with Session(engine) as s:
        row = s.get(EdgeRow, (unit_id, "ticket", local_id))
        assert row is not None
        return row.central_id


def test_a_centre_operator_cannot_serve_a_units_visitors(
    client: TestClient, world: World, engine: Engine
) -> None:
    unit = add_unit(client, world, engine)
    desk = operator_token(client, world)
    assert push(client, unit, [record(1, ticket(unit))]).status_code == 200
    waiting_id = central_id(engine, unit.id, 1)

    def refused(path: str) -> None:
        answer = client.post(path, headers={**desk, "Accept-Language": "en"})
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["code"] == "mobile_unit_branch"
        assert "recorded at the unit" in answer.json()["error"]["message"]

    refused(f"/api/v1/counters/{unit.counter_id}/call-next")
    refused(f"/api/v1/counters/{unit.counter_id}/call/{waiting_id}")
    arabic = client.post(f"/api/v1/counters/{unit.counter_id}/call-next", headers=desk)
    assert "الوحدة" in arabic.json()["error"]["message"]
    serving = ticket(unit, 2, status="serving", counter_id=unit.counter_id)
    assert push(client, unit, [record(2, serving)]).status_code == 200
    refused(f"/api/v1/counters/{unit.counter_id}/current/finish")
    kiosk = operator_token(client, world, "kiosk")
    issued = client.post(
        "/api/v1/tickets",
        json={"branch": "north", "hall": "men", "service": "letter"},
        headers=kiosk,
    )
    assert issued.status_code == 403, issued.text
    assert issued.json()["error"]["code"] == "mobile_unit_branch"
    serving_id = central_id(engine, unit.id, 2)
    with Session(engine) as s:
        rows = [s.get(Ticket, waiting_id), s.get(Ticket, serving_id)]
        statuses = {t.number: t.status for t in rows if t is not None}
    assert statuses == {"N-001": "waiting", "N-002": "serving"}

    # the unit's newer state still arrives
    done = ticket(unit, 2, status="done", counter_id=unit.counter_id)
    assert push(client, unit, [record(3, done)]).status_code == 200


def test_closing_past_days_leaves_the_units_tickets_alone(
    client: TestClient, world: World, engine: Engine
) -> None:
    unit = add_unit(client, world, engine)
    assert push(client, unit, [record(1, ticket(unit))]).status_code == 200
    riyadh = issue(client, world)
    later = FrozenClock(SYSTEM_CLOCK.now() + timedelta(days=3))
    with session_scope(engine) as s:
        closed = close_past_days(s, later).value
    assert closed >= 1
    theirs_id = central_id(engine, unit.id, 1)
    with Session(engine) as s:
        mine = s.get(Ticket, riyadh["id"])
        assert mine is not None and mine.status == "expired"
        theirs = s.get(Ticket, theirs_id)
        assert theirs is not None and theirs.status == "waiting" and theirs.finished_at is None
