"""Remote and local tickets mixed, under operators calling at the same moment, through
a real server on a SQLite file and on PostgreSQL: kiosks issue tickets, visitors join
from their phones and check in at random moments (some never come, some cancel), four
operators press "call next" concurrently. Every ticket that is in the hall is called
exactly once, none before its visitor checked in, none lost, and no call passes over
a ticket with an earlier place in line (a remote ticket's place is its join) that sat
waiting, unclaimed, for the whole of that call."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter as Tally
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.audit import AuditEntry
from reception.db import is_sqlite
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch, Ticket, TicketStatus
from reception.remote.models import RemotePolicy
from tests.factories import World
from tests.servers import reception_server
from tests.test_concurrency import PHASE_LIMIT_SECONDS, run_threads

pytestmark = [pytest.mark.timeout(420), pytest.mark.stress]

LOCAL_PER_KIOSK = 60
KIOSKS = 2
VISITORS_PER_PHONE_THREAD = 12
PHONE_THREADS = 4
NEVER_COME = 0.1
CANCEL = 0.1
SERVICES = ("letter", "enquiry")  # served by every counter used here
CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


@dataclass
class Ready:
    """A ticket in the hall's line: issued at the kiosk, or a remote one checked in
    (`at`: the moment the answer came back)."""

    ticket_id: int
    number: str
    at: int
    remote: bool


@dataclass
class Call:
    ticket_id: int
    number: str
    started: int
    ended: int


@dataclass
class Floor:
    ready: list[Ready] = field(default_factory=list)
    joined: dict[int, str] = field(default_factory=dict)
    """Remote tickets by id → what became of them: arrived, cancelled, away."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    producers_left: int = KIOSKS + PHONE_THREADS

    def add(self, ready: Ready) -> None:
        with self.lock:
            self.ready.append(ready)

    def producer_done(self) -> None:
        with self.lock:
            self.producers_left -= 1

    def producing(self) -> bool:
        with self.lock:
            return self.producers_left > 0


def open_remote_joining(engine: Engine) -> None:
    with Session(engine) as s:
        riyadh = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        s.add(
            RemotePolicy(
                branch_id=riyadh.id or 0,
                enabled=True,
                halls=["men"],
                services=list(SERVICES),
                cap_per_hall=10_000,
                joins_per_address_hour=10_000,
                passes_allowed=10_000,
                passes_allowed_on_way=10_000,
                notify_at_place=3,
            )
        )
        s.commit()


def ok(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body: dict[str, Any] = response.json()
    return body


def kiosk(base: str, world: World, floor: Floor, index: int) -> None:
    rng = random.Random(100 + index)
    headers = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    try:
        with httpx2.Client(base_url=base, timeout=60) as http:
            for _ in range(LOCAL_PER_KIOSK):
                time.sleep(rng.uniform(0, 0.02))
                body = {"branch": "riyadh", "hall": "men", "service": rng.choice(SERVICES)}
                issued = ok(http.post("/api/v1/tickets", json=body, headers=headers), 201)
                floor.add(Ready(issued["id"], issued["number"], time.monotonic_ns(), False))
    finally:
        floor.producer_done()


def sms_code(engine: Engine, join: str) -> str:
    with Session(engine) as s:
        body = s.exec(
            select(OutgoingSms.body).where(OutgoingSms.idempotency_key == f"remote_code:{join}")
        ).one()
    match = CODE.search(body)
    assert match, body
    return match.group(0)


def phones(base: str, engine: Engine, world: World, floor: Floor, index: int) -> None:
    """Visitors joining from their phones one after another; each then comes (and
    checks in at the kiosk), cancels, or never comes, at a random moment."""
    rng = random.Random(200 + index)
    kiosk_headers = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    away: list[tuple[dict[str, Any], str]] = []
    try:
        with httpx2.Client(base_url=base, timeout=60) as http:
            for n in range(VISITORS_PER_PHONE_THREAD):
                phone = f"0550{index:02d}{n:04d}"
                body = {"hall": "men", "service": rng.choice(SERVICES), "phone": phone}
                started = ok(http.post("/api/v1/branches/riyadh/remote-tickets", json=body), 202)
                join = started["join"]
                ticket = ok(
                    http.post(
                        f"/api/v1/remote-joins/{join}/confirm",
                        json={"code": sms_code(engine, join)},
                    ),
                    201,
                )
                assert ticket["status"] == "remote"
                fate = rng.random()
                plan = (
                    "away"
                    if fate < NEVER_COME
                    else "cancel"
                    if fate < NEVER_COME + CANCEL
                    else "come"
                )
                with floor.lock:
                    floor.joined[ticket["id"]] = "away"
                away.append((ticket, plan))
                # Some of those away check in now, before the next join.
                rng.shuffle(away)
                while away and rng.random() < 0.6:
                    come_or_go(http, floor, kiosk_headers, *away.pop())
                time.sleep(rng.uniform(0, 0.03))
            for ticket, plan in away:
                time.sleep(rng.uniform(0, 0.03))
                come_or_go(http, floor, kiosk_headers, ticket, plan)
    finally:
        floor.producer_done()


def come_or_go(
    http: httpx2.Client, floor: Floor, headers: dict[str, str], ticket: dict[str, Any], plan: str
) -> None:
    if plan == "away":
        return
    if plan == "cancel":
        token = ticket["tracking_url"].rsplit("/", 1)[1]
        assert ok(http.post(f"/api/v1/tickets/track/{token}/cancel"), 200)["status"] == "cancelled"
        with floor.lock:
            floor.joined[ticket["id"]] = "cancelled"
        return
    arrived = ok(
        http.post(
            "/api/v1/branches/riyadh/remote-tickets/arrivals",
            json={"code": ticket["code"]},
            headers=headers,
        ),
        200,
    )
    assert arrived["status"] == "waiting" and arrived["id"] == ticket["id"]
    with floor.lock:
        floor.joined[ticket["id"]] = "arrived"
    floor.add(Ready(ticket["id"], ticket["number"], time.monotonic_ns(), True))


def operator(base: str, world: World, floor: Floor, counter_id: int, deadline: float) -> list[Call]:
    headers = {"Authorization": f"Bearer {world.tokens['operator-men']}"}
    calls: list[Call] = []
    rng = random.Random(counter_id)
    with httpx2.Client(base_url=base, timeout=60) as http:
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"counter {counter_id} still calling at the time limit")
            last_round = not floor.producing()
            started = time.monotonic_ns()
            r = http.post(
                f"/api/v1/counters/{counter_id}/call-next",
                json={"close_current": "served"},
                headers=headers,
            )
            ended = time.monotonic_ns()
            if r.status_code == 204:
                if last_round:
                    return calls
                time.sleep(0.01)
                continue
            called = ok(r, 200)
            calls.append(Call(called["id"], called["number"], started, ended))
            time.sleep(rng.uniform(0, 0.01))


def check_calls(engine: Engine, floor: Floor, calls: list[Call]) -> None:
    twice = {n: k for n, k in Tally(c.number for c in calls).items() if k > 1}
    assert not twice, f"tickets called twice: {twice}"
    ready_ids = {r.ticket_id for r in floor.ready}
    called_ids = {c.ticket_id for c in calls}
    assert called_ids == ready_ids, (
        f"never called: {sorted(ready_ids - called_ids)[:20]}, "
        f"called but never in the hall: {sorted(called_ids - ready_ids)[:20]}"
    )
    fates = Tally(floor.joined.values())
    assert fates["arrived"] and fates["away"] and fates["cancelled"], fates

    with Session(engine) as s:
        tickets = {t.id: t for t in s.exec(select(Ticket))}
        audit = s.exec(
            select(AuditEntry.id, AuditEntry.action, AuditEntry.entity_id)
            .where(col(AuditEntry.action).in_(["ticket.arrive", "ticket.call"]))
            .order_by(col(AuditEntry.id))
        ).all()
    remote_ids = set(floor.joined)
    assert {i for i, t in tickets.items() if t.remote} == remote_ids
    assert set(tickets) == ready_ids | remote_ids, "a ticket the floor does not know of"
    for ticket_id, fate in floor.joined.items():
        ticket = tickets[ticket_id]
        expected = {
            "arrived": TicketStatus.done,
            "cancelled": TicketStatus.cancelled,
            "away": TicketStatus.remote,
        }[fate]
        assert ticket.status == expected, (ticket.number, fate, ticket.status)
        if fate == "arrived":
            assert ticket.arrived_at is not None and ticket.called_at is not None
            assert ticket.called_at >= ticket.arrived_at, ticket.number
        else:
            assert ticket.called_at is None, (ticket.number, fate)
    first_arrival: dict[str, int] = {}
    for entry_id, action, entity in audit:
        if action == "ticket.arrive":
            first_arrival.setdefault(entity, entry_id)
        elif int(entity) in remote_ids:
            assert entity in first_arrival, f"remote ticket {entity} called before it arrived"
    assert Tally(e for _, a, e in audit if a == "ticket.call") == Tally(
        str(i) for i in ready_ids
    ), "the audit trail shows a ticket called twice or not at all"


def check_places(floor: Floor, calls: list[Call]) -> None:
    """The line's model: one line (every counter serves the same services, nobody has
    a priority, nobody moved back), ordered by ticket id, a remote ticket's being its
    join. A call of t is wrong if a ticket u ahead of t was in the hall before the call
    started and was claimed only by a call that started after this one had ended."""
    call_of = {c.ticket_id: c for c in calls}
    ready = sorted(floor.ready, key=lambda r: r.ticket_id)
    problems = []
    for c in calls:
        for u in ready:
            if u.ticket_id >= c.ticket_id:
                break
            if u.at < c.started and call_of[u.ticket_id].started > c.ended:
                kind = "remote" if u.remote else "local"
                problems.append(f"{c.number} called while {kind} {u.number} waited ahead of it")
    assert not problems, f"{len(problems)} calls out of place:\n" + "\n".join(problems[:20])


def test_remote_and_local_tickets_are_called_exactly_once_in_their_places(
    engine: Engine, world: World, database_url: str, tmp_path: Path
) -> None:
    open_remote_joining(engine)
    env = {
        "DATABASE_URL": database_url,
        "BROADCAST_URL": "memory://",
        "SECRET_KEY": "remote-concurrency-secret-key-0123456789abcdef",
        "SMS_BACKEND": "console",
        "SMS_QUIET_HOURS": "",
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }
    floor = Floor()
    counters = world.counters["men"]
    with reception_server(env, tmp_path / "server.log") as server:
        deadline = time.monotonic() + PHASE_LIMIT_SECONDS
        jobs: list[Any] = [(lambda i=i: kiosk(server.base, world, floor, i)) for i in range(KIOSKS)]
        jobs += [
            (lambda i=i: phones(server.base, engine, world, floor, i)) for i in range(PHONE_THREADS)
        ]
        jobs += [(lambda c=c: operator(server.base, world, floor, c, deadline)) for c in counters]
        try:
            results = run_threads(jobs, deadline)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nserver log:\n{server.output()[-4000:]}") from None
        log = server.output()
    if is_sqlite(engine):
        assert "database is locked" not in log, log[-4000:]
    calls = [c for result in results[KIOSKS + PHONE_THREADS :] for c in result]
    assert len(floor.ready) == KIOSKS * LOCAL_PER_KIOSK + Tally(floor.joined.values())["arrived"]
    check_calls(engine, floor, calls)
    check_places(floor, calls)
