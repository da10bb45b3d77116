"""Operator actions on a real database: priority with an explanation, the
anti-starvation rule, return to queue, transfer, calling a chosen ticket, pausing
and closing a counter. Each runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.audit import AuditEntry
from reception.auth.principal import Principal
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.errors import Conflict
from reception.queue import actions, checkin, counters
from reception.queue.models import Branch, Hall, Ticket
from tests.factories import World
from tests.helpers import bearer, csrf, sign_in


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))


ADMIN = Principal("user", 1, "admin", "admin", None, frozenset())


def issue(engine: Engine, clock: FrozenClock, service: str = "letter", **kw: Any) -> Ticket:
    with session_scope(engine) as s:
        return checkin.issue_ticket(
            s,
            clock,
            ADMIN,
            branch="riyadh",
            hall="men",
            service=service,
            public_base_url="http://x",
            **kw,
        ).value.ticket


def call(
    engine: Engine, clock: FrozenClock, counter: int, close: str | None = "served"
) -> dict[str, Any] | None:
    """Call next; a visitor still at the counter was served unless `close` says otherwise."""
    with session_scope(engine) as s:
        return actions.call_next(s, clock, ADMIN, counter, close_current=close).value


def ticket(engine: Engine, ticket_id: int | None) -> Ticket:
    with Session(engine) as s:
        row = s.get(Ticket, ticket_id)
        assert row is not None
        return row


def test_priority_goes_first_and_says_why(engine: Engine, world: World, clock: FrozenClock) -> None:
    first = issue(engine, clock)
    elderly = issue(engine, clock, priority="elderly")
    counter = world.counters["men"][0]
    called = call(engine, clock, counter)
    assert called and called["id"] == elderly.id
    assert ticket(engine, elderly.id).call_reason == "priority"
    called = call(engine, clock, counter)
    assert called and called["id"] == first.id
    assert ticket(engine, first.id).call_reason == "order"


def test_nobody_starves_behind_priority_visitors(
    engine: Engine, world: World, clock: FrozenClock
) -> None:
    plain = issue(engine, clock)
    clock.advance(minutes=50)  # the branch's limit is 45 minutes
    fresh_elderly = issue(engine, clock, priority="elderly")
    counter = world.counters["men"][0]
    called = call(engine, clock, counter)
    assert called and called["id"] == plain.id
    assert ticket(engine, plain.id).call_reason == "max_wait"
    called = call(engine, clock, counter)
    assert called and called["id"] == fresh_elderly.id

    with session_scope(engine) as s:  # the administrator turns the rule off
        branch = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        branch.max_wait_minutes = None
        s.add(branch)
    late = issue(engine, clock)
    clock.advance(minutes=500)
    elderly = issue(engine, clock, priority="elderly")
    called = call(engine, clock, counter)
    assert called and called["id"] == elderly.id
    assert ticket(engine, late.id).status == "waiting"


def test_return_to_queue_keeps_the_place(engine: Engine, world: World, clock: FrozenClock) -> None:
    first = issue(engine, clock)
    issue(engine, clock)
    counter = world.counters["men"][0]
    call(engine, clock, counter)
    with session_scope(engine) as s:
        actions.act_on_current(s, clock, ADMIN, counter, "return")
    returned = ticket(engine, first.id)
    assert returned.status == "waiting" and returned.counter_id is None
    called = call(engine, clock, world.counters["men"][1])
    assert called and called["id"] == first.id


def test_transfer_to_a_service_and_a_counter(
    engine: Engine, world: World, clock: FrozenClock
) -> None:
    visitor = issue(engine, clock)  # arrives first, for a letter
    complaint = issue(engine, clock, service="complaint")  # arrives later
    one, four = world.counters["men"][0], world.counters["men"][3]
    call(engine, clock, one)
    with session_scope(engine) as s:
        actions.act_on_current(s, clock, ADMIN, one, "start")
    with session_scope(engine) as s:
        actions.transfer_ticket(s, clock, ADMIN, one, service="complaint", to_counter=four)
    moved = ticket(engine, visitor.id)
    assert moved.status == "waiting" and moved.assigned_counter_id == four
    assert call(engine, clock, world.counters["men"][2]) is None  # not for counter 3
    called = call(engine, clock, four)
    assert called and called["id"] == visitor.id  # kept its place by arrival
    assert ticket(engine, visitor.id).call_reason == "assigned"
    called = call(engine, clock, four)
    assert called and called["id"] == complaint.id
    with Session(engine) as s:
        moves = [
            a.action
            for a in s.exec(
                select(AuditEntry)
                .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == str(visitor.id))
                .order_by(AuditEntry.id)
            )
        ]
    assert moves[:6] == [
        "ticket.issue",
        "ticket.call",
        "ticket.start",
        "ticket.transfer",
        "ticket.requeue",
        "ticket.call",
    ]
    with session_scope(engine) as s, pytest.raises(Exception) as info:
        actions.transfer_ticket(s, clock, ADMIN, four, service="complaint", to_counter=one)
    assert getattr(info.value, "code", "") == "not_served_there"


def test_call_a_chosen_ticket(engine: Engine, world: World, clock: FrozenClock) -> None:
    tickets = [issue(engine, clock) for _ in range(3)]
    counter = world.counters["men"][0]
    with session_scope(engine) as s:
        called = actions.call_ticket(s, clock, ADMIN, counter, tickets[2].id or 0).value
    assert called["id"] == tickets[2].id
    assert ticket(engine, tickets[2].id).call_reason == "chosen"
    with session_scope(engine) as s, pytest.raises(Conflict):
        actions.call_ticket(s, clock, ADMIN, world.counters["men"][1], tickets[2].id or 0)
    complaint = issue(engine, clock, service="complaint")
    with session_scope(engine) as s, pytest.raises(Conflict) as info:
        actions.call_ticket(s, clock, ADMIN, counter, complaint.id or 0)
    assert info.value.code == "not_served_here"


def test_pause_close_and_open_a_counter(engine: Engine, world: World, clock: FrozenClock) -> None:
    counter = world.counters["men"][0]
    issue(engine, clock)
    issue(engine, clock)
    call(engine, clock, counter)
    with session_scope(engine) as s, pytest.raises(Conflict) as info:
        counters.set_counter_status(s, clock, ADMIN, counter, "close")
    assert info.value.code == "current_open"
    with session_scope(engine) as s:
        counters.set_counter_status(s, clock, ADMIN, counter, "pause")
    with session_scope(engine) as s, pytest.raises(Conflict) as info:
        actions.call_next(s, clock, ADMIN, counter)
    assert info.value.code == "counter_not_open"
    with session_scope(engine) as s, pytest.raises(Conflict):
        counters.set_counter_status(s, clock, ADMIN, counter, "open")  # it is paused, not closed
    with session_scope(engine) as s:
        counters.set_counter_status(s, clock, ADMIN, counter, "resume")
    assert call(engine, clock, counter) is not None
    with session_scope(engine) as s:
        actions.act_on_current(s, clock, ADMIN, counter, "finish")
    with session_scope(engine) as s:
        counters.set_counter_status(s, clock, ADMIN, counter, "close")
    with session_scope(engine) as s:
        hall = s.exec(select(Hall).where(Hall.slug == "men")).first()
        assert hall is not None


def test_console_explains_and_offers_every_action(client: TestClient, world: World) -> None:
    headers = bearer(world, "kiosk")
    for priority in (None, "elderly"):
        body = {"branch": "riyadh", "hall": "men", "service": "letter"}
        if priority:
            body["priority"] = priority
        client.post("/api/v1/tickets", json=body, headers=headers)
    sign_in(client, "operator-men")
    counter = world.counters["men"][0]
    page = client.get(f"/staff/counters/{counter}")
    read = re.sub(r"<[^>]+>", "", page.text)  # what a person reads: tags dropped
    assert "نداء M-001" in read and "نداء M-002" in read and "كبار السن" in read
    token = csrf(page.text)
    page = client.post(f"/staff/counters/{counter}/call-next", data={"csrf_token": token})
    assert "M-002" in page.text and "قُدّم دوره بسبب: كبار السن" in page.text
    for label in (
        "إعادة النداء",
        "حضر المراجع",
        "لم يحضر",
        "إعادة إلى الطابور",
        "إنهاء",
        "تحويل إلى خدمة أخرى",
        "إيقاف مؤقت",
    ):
        assert label in page.text, label
    page = client.post(
        f"/staff/counters/{counter}/transfer",
        data={"csrf_token": token, "service": "complaint", "to_counter": "99999"},
    )
    assert "لا يوجد كاونتر رقم 99999" in page.text
    page = client.post(
        f"/staff/counters/{counter}/transfer", data={"csrf_token": token, "service": "complaint"}
    )
    assert "تم تحويل المراجع" in page.text
    page = client.post(f"/staff/counters/{counter}/pause", data={"csrf_token": token})
    assert "موقوف مؤقتًا" in page.text and "افتح الكاونتر أو استأنفه" in page.text


def test_end_of_day_closes_what_was_left_open(
    engine: Engine, world: World, clock: FrozenClock
) -> None:
    from reception.queue.housekeeping import close_past_days

    waiting = issue(engine, clock)
    called = issue(engine, clock)
    counter = world.counters["men"][0]
    with session_scope(engine) as s:
        actions.call_ticket(s, clock, ADMIN, counter, called.id or 0)
    with session_scope(engine) as s:
        assert close_past_days(s, clock).value == 0  # the day is not over yet
    clock.advance(hours=20)  # 07:00 UTC + 20 h = 06:00 the next day in Riyadh
    tomorrow = issue(engine, clock)
    assert tomorrow.number == "M-001"  # numbering starts again each local day
    with session_scope(engine) as s:
        outcome = close_past_days(s, clock)
    assert outcome.value == 2 and [e.payload["type"] for e in outcome.events] == [
        "queue.day_closed"
    ]
    assert ticket(engine, waiting.id).status == "expired"
    assert ticket(engine, called.id).status == "expired"
    assert ticket(engine, tomorrow.id).status == "waiting"
    first = call(engine, clock, counter)
    assert first and first["id"] == tomorrow.id  # yesterday's visitors are not called
    with session_scope(engine) as s:
        assert close_past_days(s, clock).value == 0


def test_waiting_estimate_follows_the_real_pace(
    engine: Engine, world: World, clock: FrozenClock
) -> None:
    """Visits that take 20 minutes (the service expects 6) make the estimate grow."""
    from reception.queue import waiting_line

    counter = world.counters["men"][0]
    for _ in range(8):
        issue(engine, clock)
        call(engine, clock, counter)
        clock.advance(minutes=20)
        with session_scope(engine) as s:
            actions.act_on_current(s, clock, ADMIN, counter, "finish")
    for _ in range(4):
        issue(engine, clock)
    with session_scope(engine, clock) as s:
        hall = s.exec(
            select(Hall).join(Branch).where(Branch.slug == "riyadh", Hall.slug == "men")
        ).one()
        letter = waiting_line.waiting_by_service(s, hall)["letter"]
    # The 4 idle counters call the 4 waiting at once; a newcomer is called when the first
    # of them finishes: (8×20 + 3×6)/11 ≈ 16.2 min (counter 1, slower lately, later)
    assert letter["waiting"] == 4 and letter["eta_minutes"] == 16
    assert letter["eta_low_minutes"] < 16 < letter["eta_high_minutes"]


def test_called_again_too_often_counts_as_not_come(
    engine: Engine, world: World, clock: FrozenClock
) -> None:
    visitor = issue(engine, clock)
    counter = world.counters["men"][0]
    call(engine, clock, counter)
    for _ in range(3):  # the branch allows three calls again
        with session_scope(engine) as s:
            actions.act_on_current(s, clock, ADMIN, counter, "recall")
    assert ticket(engine, visitor.id).status == "called"
    with session_scope(engine) as s:
        summary = actions.act_on_current(s, clock, ADMIN, counter, "recall").value
    assert summary["status"] == "no_show"
    assert ticket(engine, visitor.id).recall_count == 3


def test_counter_page_tells_the_ticket_story(client: TestClient, world: World) -> None:
    client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk"),
    )
    op = bearer(world, "operator-men")
    counter = world.counters["men"][0]
    client.post(f"/api/v1/counters/{counter}/call-next", headers=op)
    client.post(f"/api/v1/counters/{counter}/current/recall", headers=op)
    sign_in(client, "operator-men")
    page = client.get(f"/staff/counters/{counter}")
    story = page.text[page.text.index("ما حدث لهذه التذكرة") :]
    positions = [story.index(label) for label in ("أُخذت التذكرة", "تم النداء", "أُعيد النداء")]
    assert positions == sorted(positions)


def test_a_supervisor_may_send_a_visitor_to_the_back(
    engine: Engine, world: World, clock: FrozenClock
) -> None:
    first = issue(engine, clock)
    later = [issue(engine, clock) for _ in range(2)]
    counter = world.counters["men"][0]
    call(engine, clock, counter)  # the first visitor
    operator = Principal("user", 3, "op", "operator", None, frozenset({_men_hall(engine)}))
    with session_scope(engine) as s, pytest.raises(Exception) as info:
        actions.transfer_ticket(s, clock, operator, counter, service="letter", to_back=True)
    assert getattr(info.value, "code", "") == "field_not_allowed"
    with session_scope(engine) as s:
        actions.transfer_ticket(s, clock, ADMIN, counter, service="letter", to_back=True)
    with Session(engine) as s:
        hall = s.get(Hall, _men_hall(engine))
        assert hall is not None
    order = [call(engine, clock, counter) for _ in range(3)]
    assert [o["id"] for o in order if o] == [later[0].id, later[1].id, first.id]


def _men_hall(engine: Engine) -> int:
    with Session(engine) as s:
        hall = s.exec(
            select(Hall).join(Branch).where(Branch.slug == "riyadh", Hall.slug == "men")
        ).one()
        return hall.id or 0
