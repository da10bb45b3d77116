"""`waitingcount`, kept by triggers on `ticket`, always equals counting the waiting
tickets; and the check-in's "who is ahead" read from it equals counting the line.
Random writes of every kind (insert, change of status, service, weight or hall, sent
to the back, delete) on SQLite; a scripted day through the real actions on both
databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from reception.queue import waiting_line
from reception.queue.models import Hall, Service, Ticket
from tests.factories import World
from tests.helpers import bearer

COUNTED = text(
    "SELECT hall_id, service_id, priority_weight, COUNT(*) FROM ticket "
    "WHERE status = 'waiting' GROUP BY hall_id, service_id, priority_weight"
)
KEPT = text(
    "SELECT hall_id, service_id, priority_weight, waiting FROM waitingcount WHERE waiting <> 0"
)


def check_counts(session: Session) -> None:
    session.flush()
    counted = {tuple(row[:3]): row[3] for row in session.execute(COUNTED)}
    kept = {tuple(row[:3]): row[3] for row in session.execute(KEPT)}
    assert kept == counted


def check_ahead(session: Session, hall_id: int) -> None:
    """For every waiting ticket of the hall: the counts-based answer equals the scan."""
    waiting = session.exec(
        select(Ticket).where(Ticket.hall_id == hall_id, Ticket.status == "waiting")
    ).all()

    def line(t: Ticket) -> tuple[int, int, int]:  # LINE_ORDER, in Python
        return (-t.priority_weight, t.queue_key or t.id or 0, t.id or 0)

    for ticket in waiting:
        state, ahead = waiting_line.queue_state_and_ahead(session, ticket)
        before: dict[int, int] = {}
        for other in waiting:
            if line(other) < line(ticket):
                before[other.service_id] = before.get(other.service_id, 0) + 1
        assert ahead == before, ticket.id
        assert waiting_line.ahead_of(session, ticket) == before, ticket.id
        assert state.waiting == waiting_line.queue_state(session, hall_id).waiting


STEP = st.one_of(
    st.tuples(
        st.just("issue"),
        st.sampled_from(["men", "women"]),
        st.sampled_from(["letter", "enquiry", "complaint"]),
        st.sampled_from([0, 0, 1, 3]),
    ),
    st.tuples(
        st.just("status"),
        st.integers(0, 30),
        st.sampled_from(["waiting", "called", "serving", "done", "no_show"]),
    ),
    st.tuples(st.just("service"), st.integers(0, 30), st.sampled_from(["letter", "enquiry"])),
    st.tuples(st.just("weight"), st.integers(0, 30), st.sampled_from([0, 1, 3])),
    st.tuples(st.just("hall"), st.integers(0, 30), st.sampled_from(["men", "women"])),
    st.tuples(st.just("back"), st.integers(0, 30)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=st.lists(STEP, min_size=1, max_size=30))
def test_counts_follow_every_write(
    line_engine: tuple[Engine, World], steps: list[tuple[Any, ...]]
) -> None:
    engine, _ = line_engine
    now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    with Session(engine) as session:
        halls = {h.slug: h.id or 0 for h in session.exec(select(Hall).where(Hall.branch_id == 1))}
        services = {
            s.slug: s.id or 0 for s in session.exec(select(Service).where(Service.branch_id == 1))
        }
        mine: list[Ticket] = []
        issued = 0
        for step in steps:
            kind = step[0]
            if kind == "issue":
                _, hall, service, weight = step
                issued += 1
                ticket = Ticket(
                    branch_id=1,
                    hall_id=halls[hall],
                    service_id=services[service],
                    business_date=now.date(),
                    prefix="Q",
                    seq=issued,
                    number=f"Q-{issued:03d}",
                    priority_weight=weight,
                    tracking_token=uuid.uuid4().hex,
                    issued_at=now,
                )
                session.add(ticket)
                session.flush()
                mine.append(ticket)
                continue
            if not mine:
                continue
            ticket = mine[step[1] % len(mine)]
            if kind == "status":
                ticket.status = step[2]
            elif kind == "service":
                ticket.service_id = services[step[2]]
            elif kind == "weight":
                ticket.priority_weight = step[2]
            elif kind == "hall":
                ticket.hall_id = halls[step[2]]
            elif kind == "back":
                last = session.execute(
                    text("SELECT MAX(COALESCE(queue_key, id)) FROM ticket WHERE hall_id = :h"),
                    {"h": ticket.hall_id},
                ).scalar_one()
                ticket.queue_key = int(last) + 1
            elif kind == "delete":
                session.delete(ticket)
                mine.remove(ticket)
            session.flush()
            check_counts(session)
        check_counts(session)
        for hall_id in halls.values():
            check_ahead(session, hall_id)
        session.rollback()


def test_a_day_through_the_actions_keeps_the_counts(
    client: Any, world: World, engine: Engine
) -> None:
    """Check-ins with and without priority, calls, a transfer, a ticket put back in
    line and a no-show, through the API, on SQLite and PostgreSQL."""
    kiosk = bearer(world, "kiosk")
    operator = bearer(world, "operator-men")
    counter = world.counters["men"][0]
    with Session(engine) as session:
        men = session.exec(select(Hall.id).where(Hall.slug == "men", Hall.branch_id == 1)).one()
    assert men is not None
    for index in range(8):
        body: dict[str, Any] = {"branch": "riyadh", "hall": "men", "service": "letter"}
        if index % 3 == 2:
            body["service"] = "enquiry"
        if index == 5:
            body["priority"] = "elderly"
        r = client.post("/api/v1/tickets", json=body, headers=kiosk)
        assert r.status_code == 201, r.text
        with Session(engine) as session:
            check_counts(session)
            ticket = session.get(Ticket, r.json()["id"])
            assert ticket is not None
            state = waiting_line.queue_state(session, men)
            # The kiosk printed the place the line gives (counted the slow way here).
            assert r.json()["position"] == waiting_line.position_of(session, ticket, state)
    steps: list[tuple[str, dict[str, Any] | None]] = [
        ("call-next", None),
        ("current/transfer", {"service": "enquiry"}),
        ("call-next", None),
        ("current/return", None),
        ("call-next", None),
        ("current/no-show", None),
    ]
    for path, payload in steps:
        r = client.post(f"/api/v1/counters/{counter}/{path}", json=payload, headers=operator)
        assert r.status_code == 200, (path, r.text)
        with Session(engine) as session:
            check_counts(session)
    with Session(engine) as session:
        check_ahead(session, men)
        waiting = session.exec(select(Ticket).where(Ticket.status == "waiting")).all()
        assert sum(waiting_line.queue_state(session, men).waiting.values()) == len(waiting) > 0
