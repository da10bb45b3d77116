"""Daily rollups: a day of visits replayed through the API gives the figures the test
tallies itself, first from the tickets and then from the rollup once the day is
closed; rolling up twice changes nothing; rollup and tickets agree on the known
dataset of tests/test_stats.py."""

from __future__ import annotations

import math
import random
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth.models import StaffUser
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.queue.housekeeping import close_past_days
from reception.settings import Settings
from reception.stats import reports
from reception.stats.models import TicketDay, TicketDayDuration, TicketDayFigure
from reception.stats.rollup import roll_up_closed_days
from tests.factories import World
from tests.helpers import bearer
from tests.test_stats import DAY, NEXT, seed

MORNING = datetime(2024, 5, 12, 5, 30, 0, 250_000, tzinfo=UTC)  # a Sunday, 08:30 in Riyadh
OPEN = ("waiting", "called", "serving", "transferred")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def timed(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock)) as c:
        yield c


@dataclass
class Visit:
    id: int
    hall: str
    service: str
    residency: str | None
    priority: str | None
    issued: datetime
    status: str = "waiting"
    called: datetime | None = None
    serving: datetime | None = None
    finished: datetime | None = None
    counter: int | None = None
    operator: str | None = None


def seconds(start: datetime, end: datetime) -> int:
    return math.floor(end.timestamp()) - math.floor(start.timestamp())


def percentile(values: list[int], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(v / 60.0 for v in values)
    p = fraction * (len(ordered) - 1)
    low, high = ordered[math.floor(p)], ordered[math.ceil(p)]
    return round(low + (p - math.floor(p)) * (high - low), 1)


def durations(values: list[int]) -> dict[str, Any]:
    mean = round(sum(values) / 60.0 / len(values), 1) if values else None
    return {
        "count": len(values),
        "mean": mean,
        "median": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
    }


def ranked(tally: Tally[str]) -> dict[str, int]:
    return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))


def expected(visits: list[Visit], counters: dict[int, tuple[str, int]]) -> dict[str, Any]:
    """Every ticket figure of the summary, tallied from what the test did."""
    seen = [v for v in visits if v.status != "cancelled"]
    waits = [seconds(v.issued, v.called) for v in seen if v.called]
    services = [
        seconds(v.serving, v.finished)
        for v in seen
        if v.status == "done" and v.serving and v.finished
    ]
    residency = Tally({"citizen": 0, "resident": 0, "unknown": 0})
    residency.update(v.residency or "unknown" for v in seen)
    by_hall = Tally({"men": 0, "women": 0})
    by_hall.update(v.hall for v in seen)
    work: dict[str, dict[Any, list[Any]]] = {"counter": {}, "operator": {}}
    for v in seen:
        if v.counter is None or v.status not in ("done", "no_show"):
            continue
        for kind, key in (("counter", v.counter), ("operator", v.operator)):
            tally = work[kind].setdefault(key, [0, 0, []])
            tally[0 if v.status == "done" else 1] += 1
            if v.status == "done" and v.serving and v.finished:
                tally[2].append(seconds(v.serving, v.finished))

    def mean(values: list[int]) -> float | None:
        return round(sum(values) / 60.0 / len(values), 1) if values else None

    return {
        "visitors": {
            "total": len(seen),
            "by_hall": dict(by_hall),
            "by_residency": dict(residency),
            "by_service": ranked(Tally(v.service for v in seen)),
            "by_priority": ranked(Tally(v.priority or "none" for v in seen)),
            "by_status": ranked(Tally(v.status for v in seen)),
        },
        "no_shows": sum(1 for v in seen if v.status == "no_show"),
        "wait_minutes": durations(waits),
        "service_minutes": durations(services),
        "by_counter": {counters[c]: (t[0], t[1], mean(t[2])) for c, t in work["counter"].items()},
        "by_operator": {o: (t[0], t[1], mean(t[2])) for o, t in work["operator"].items()},
    }


def published(data: dict[str, Any]) -> dict[str, Any]:
    """The same figures out of GET /api/v1/reports/summary."""
    figures = ("served", "no_shows", "service_minutes_mean")
    return {
        **{k: data[k] for k in ("visitors", "no_shows", "wait_minutes", "service_minutes")},
        "by_counter": {
            (c["hall"], c["counter"]): tuple(c[f] for f in figures)
            for c in data["throughput"]["by_counter"]
        },
        "by_operator": {
            o["username"]: tuple(o[f] for f in figures) for o in data["throughput"]["by_operator"]
        },
    }


def replay_a_day(client: TestClient, world: World, clock: FrozenClock, rng: random.Random):
    """Tickets in both halls, called, served or not come at several counters, and
    letters registered at the desk; returns the visits and letters as done."""
    visits: dict[int, Visit] = {}
    current: dict[int, Visit] = {}
    letters: list[dict[str, str]] = []
    desks = {
        "men": ("operator-men", world.counters["men"][:3]),
        "women": ("operator-women", world.counters["women"][:2]),
    }
    for _ in range(40):
        clock.advance(seconds=rng.uniform(5, 240))
        hall = rng.choice(("men", "men", "women"))
        service = rng.choice(("letter", "letter", "enquiry", "complaint"))
        residency = rng.choice(("citizen", "citizen", "resident", None))
        priority = "elderly" if rng.random() < 0.2 else None
        body: dict[str, Any] = {"branch": "riyadh", "hall": hall, "service": service}
        if residency:
            body["residency"] = residency
        if priority:
            body["priority"] = priority
        r = client.post("/api/v1/tickets", json=body, headers=bearer(world, "kiosk"))
        assert r.status_code == 201, r.text
        ticket = r.json()
        visits[ticket["id"]] = Visit(
            ticket["id"], hall, service, residency, priority, issued=clock.now()
        )
        if rng.random() < 0.6:
            hall = rng.choice(("men", "women"))
            operator, counters = desks[hall]
            counter = rng.choice(counters)
            headers = bearer(world, operator)
            url = f"/api/v1/counters/{counter}"
            served = {"close_current": "served"}
            r = client.post(f"{url}/call-next", json=served, headers=headers)
            assert r.status_code in (200, 204), r.text
            previous = current.pop(counter, None)
            if previous is not None:  # the operator said the current one was served
                previous.status, previous.finished = "done", clock.now()
            if r.status_code == 204:
                continue
            visit = visits[r.json()["id"]]
            current[counter] = visit
            visit.status, visit.called = "called", clock.now()
            # a device token calls for no staff user: the API leaves the operator empty
            visit.counter, visit.operator = counter, None
            clock.advance(seconds=rng.uniform(10, 90))
            fate = rng.random()
            if fate < 0.15:
                assert client.post(f"{url}/current/no-show", headers=headers).status_code == 200
                visit.status, visit.finished = "no_show", clock.now()
                del current[counter]
            elif fate < 0.9:
                assert client.post(f"{url}/current/start", headers=headers).status_code == 200
                visit.status, visit.serving = "serving", clock.now()
                clock.advance(seconds=rng.uniform(30, 900))
                if fate < 0.85:
                    r = client.post(f"{url}/current/finish", headers=headers)
                    assert r.status_code == 200, r.text
                    visit.status, visit.finished = "done", clock.now()
                    del current[counter]
            if rng.random() < 0.3:
                letter = {
                    "sex": "male" if hall == "men" else "female",
                    "residency": rng.choice(("citizen", "resident")),
                }
                r = client.post(
                    "/api/v1/letters",
                    json={
                        "branch": "riyadh",
                        "hall": hall,
                        "sender_name": "محمد عبدالله الأحمد",
                        "sender_id_number": "1000000008"
                        if letter["residency"] == "citizen"
                        else "2000000006",
                        "subject": "طلب إصدار هوية وطنية بدل فاقد",
                        "body": "فقدت بطاقة الهوية الوطنية وأرجو إصدار بدل فاقد.",
                        "sex": letter["sex"],
                    },
                    headers=headers,
                )
                assert r.status_code == 201, r.text
                letters.append(letter)
    return list(visits.values()), letters


def test_a_replayed_day_has_the_tallied_figures_before_and_after_the_rollup(
    timed: TestClient, world: World, clock: FrozenClock, engine: Engine
) -> None:
    rng = random.Random(7)
    visits, letters = replay_a_day(timed, world, clock, rng)
    assert {v.status for v in visits} >= {"waiting", "called", "done", "no_show"}
    assert {v.hall for v in visits} == {"men", "women"} and letters
    with Session(engine) as s:
        users = {u.username: u.id for u in s.exec(select(StaffUser))}
    assert users
    counters = {c: (hall, n + 1) for hall, ids in world.counters.items() for n, c in enumerate(ids)}
    day = MORNING.date().isoformat()
    params = {"date_from": day, "date_to": day}

    def summary() -> dict[str, Any]:
        r = timed.get("/api/v1/reports/summary", params=params, headers=bearer(world, "supervisor"))
        assert r.status_code == 200, r.text
        return r.json()

    def letters_tally(data: dict[str, Any]) -> None:
        assert data["letters"]["total"] == len(letters)
        assert data["letters"]["by_sex"] == dict(Tally(x["sex"] for x in letters))
        assert data["letters"]["by_residency"] == dict(Tally(x["residency"] for x in letters))

    raw = summary()
    assert published(raw) == expected(visits, counters)
    letters_tally(raw)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(TicketDay)).one() == 0

    clock.advance(days=1)
    with session_scope(engine) as s:
        close_past_days(s, clock)
    with session_scope(engine) as s:
        roll_up_closed_days(s, clock)
    for v in visits:
        if v.status in OPEN:
            v.status = "expired"
    rolled = summary()
    with Session(engine) as s:
        marked = s.exec(select(TicketDay)).all()
    assert [(m.business_date.isoformat(), m.visitors) for m in marked] == [(day, len(visits))]
    assert published(rolled) == expected(visits, counters)
    letters_tally(rolled)
    series = timed.get(
        "/api/v1/reports/series",
        params={**params, "period": "day"},
        headers=bearer(world, "supervisor"),
    ).json()
    assert series["points"] == [{"period": day, "visitors": len(visits), "letters": len(letters)}]


def _rollup_rows(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as s:
        rows: list[tuple[Any, ...]] = []
        for model in (TicketDay, TicketDayFigure, TicketDayDuration):
            for row in s.exec(select(model)).all():
                found = row.model_dump()
                found.pop("rolled_at", None)
                rows.append((model.__name__, *sorted(found.items())))
        return sorted(rows, key=repr)


def test_rolling_up_twice_changes_nothing(world: World, engine: Engine) -> None:
    seed(engine)
    clock = FrozenClock(datetime(2024, 4, 1, 9, tzinfo=UTC))
    with session_scope(engine) as s:
        first = roll_up_closed_days(s, clock)
    once = _rollup_rows(engine)
    with session_scope(engine) as s:
        again = roll_up_closed_days(s, clock)
    assert first == 4 and again == 0  # three Riyadh days, one Jeddah day
    assert _rollup_rows(engine) == once and once


def test_a_day_with_an_open_ticket_waits_and_so_do_the_days_after(
    world: World, engine: Engine
) -> None:
    from tests.test_stats import add_ticket, look_up

    seed(engine)
    with session_scope(engine) as s:
        add_ticket(s, look_up(s), hall="men", service="letter", status="waiting", day=NEXT)
    clock = FrozenClock(datetime(2024, 4, 1, 9, tzinfo=UTC))
    with session_scope(engine) as s:
        roll_up_closed_days(s, clock)
    with Session(engine) as s:
        days = {(d.branch_id, d.business_date) for d in s.exec(select(TicketDay))}
    assert {day for _, day in days} == {DAY}  # Riyadh stops before NEXT; Jeddah's DAY
    with session_scope(engine) as s:
        close_past_days(s, clock)
    with session_scope(engine) as s:
        assert roll_up_closed_days(s, clock) == 2


@pytest.mark.parametrize("branches", [("riyadh",), ("riyadh", "jeddah")])
def test_rollup_and_tickets_give_the_same_reports(
    world: World, engine: Engine, branches: tuple[str, ...]
) -> None:
    seed(engine)
    now = datetime(2024, 4, 1, 9, tzinfo=UTC)
    spans = [(DAY, NEXT), (DAY, DAY), (date(2024, 3, 1), date(2024, 3, 31))]
    with Session(engine) as s:
        ids = [b for (b,) in s.exec(select(TicketDay.branch_id)).all()]
        assert ids == []
        from reception.queue.models import Branch

        branch_ids = [b.id or 0 for b in s.exec(select(Branch)) if b.slug in branches]
        raw = [reports.summary(s, a, b, branch_ids, now=now) for a, b in spans]
        raw_series = [reports.series(s, a, b, branch_ids, "day") for a, b in spans]
    # half-way: only the first day rolled up, the rest read from the tickets
    with session_scope(engine) as s:
        assert roll_up_closed_days(s, FrozenClock(datetime(2024, 3, 11, 9, tzinfo=UTC))) == 2
    for step in ("part", "all"):
        if step == "all":
            with session_scope(engine) as s:
                roll_up_closed_days(s, FrozenClock(now))
        with Session(engine) as s:
            assert [reports.summary(s, a, b, branch_ids, now=now) for a, b in spans] == raw
            assert [reports.series(s, a, b, branch_ids, "day") for a, b in spans] == raw_series
    if branches == ("riyadh",):
        assert raw[0]["wait_minutes"]["median"] == 15.0
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(TicketDay)).one() == 4
