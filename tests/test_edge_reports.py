"""A branch served by a mobile unit at the centre: its report gives per day the stop the
unit stood at and flags the days whose data has not all arrived yet (JSON, CSV, Excel,
screen), the end-of-day rollup leaves such a day alone until the unit's data is
complete and rolls it then, and the dashboard says when the unit last synced. On
SQLite and PostgreSQL. The unit's rows are written directly, as the centre's ingest
of a push would."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth.models import ApiToken
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.edge.completeness import (
    branch_sync,
    day_end,
    first_incomplete_day,
    incomplete_days,
)
from reception.edge.guard import INGEST
from reception.edge.models import EdgeUnit
from reception.queue.models import Branch, BranchKind, BranchStop, Hall, Service, Ticket
from reception.settings import Settings
from reception.stats.models import TicketDay
from reception.stats.rollup import roll_up_closed_days
from tests.factories import World
from tests.helpers import bearer, sign_in
from tests.test_stats import _xlsx_rows

MORNING = datetime(2024, 5, 12, 5, 30, tzinfo=UTC)  # a Sunday, 08:30 in Riyadh (UTC+3)
WEEK = {"date_from": "2024-05-05", "date_to": "2024-05-12", "branch": "jeddah"}
CREATED = datetime(2024, 5, 4, 6, 0, tzinfo=UTC)
SERVED = {date(2024, 5, 6): 2, date(2024, 5, 10): 1}
"""Visitors the unit served, per day."""
THROUGH_10TH = datetime(2024, 5, 10, 21, 0, tzinfo=UTC)
"""Midnight after 10 May in Riyadh: every record of the 10th is at the centre."""


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def unit(engine: Engine, world: World) -> int:
    """Jeddah made a mobile branch with two stops, one unit and the visitors it served."""
    with session_scope(engine) as s:
        s.info[INGEST] = True  # the visitors' tickets arrive as the unit's ingest stores them
        branch = s.exec(select(Branch).where(Branch.slug == "jeddah")).one()
        branch.kind = BranchKind.mobile
        assert branch.id is not None
        s.add(BranchStop(branch_id=branch.id, place_ar="الخرج", place_en="Al Kharj",
                         starts_on=date(2024, 5, 5), ends_on=date(2024, 5, 8)))  # fmt: skip
        s.add(BranchStop(branch_id=branch.id, place_ar="الدوادمي", place_en="Dawadmi",
                         starts_on=date(2024, 5, 9), ends_on=date(2024, 5, 11)))  # fmt: skip
        token = ApiToken(name="unit 1", role="edge", token_hash="e" * 64, branch_id=branch.id)
        s.add(token)
        s.flush()
        assert token.id is not None
        edge = EdgeUnit(branch_id=branch.id, token_id=token.id, name="Unit 1", created_at=CREATED)
        s.add(edge)
        hall = s.exec(select(Hall).where(Hall.branch_id == branch.id, Hall.slug == "men")).one()
        service = s.exec(
            select(Service).where(Service.branch_id == branch.id, Service.slug == "letter")
        ).one()
        for day, n in SERVED.items():
            for seq in range(1, n + 1):
                issued = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
                    hours=6, minutes=seq
                )
                s.add(Ticket(branch_id=branch.id, hall_id=hall.id or 0, service_id=service.id or 0,
                             business_date=day, prefix="M", seq=seq, number=f"M-{seq:03d}",
                             status="done", tracking_token=f"u1x-{day}-{seq}", issued_at=issued,
                             called_at=issued + timedelta(minutes=5),
                             serving_at=issued + timedelta(minutes=5),
                             finished_at=issued + timedelta(minutes=9)))  # fmt: skip
        s.flush()
        assert edge.id is not None
        return edge.id


def _set(engine: Engine, unit_id: int, **values: object) -> None:
    with session_scope(engine) as s:
        s.execute(update(EdgeUnit).where(col(EdgeUnit.id) == unit_id).values(**values))


@pytest.fixture
def app_client(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        yield c


def _summary(c: TestClient, world: World, **params: str) -> dict[str, object]:
    r = c.get("/api/v1/reports/summary", params=params, headers=bearer(world, "admin"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_days_are_complete_once_their_end_is_through(engine: Engine, unit: int) -> None:
    with Session(engine) as s:
        branch = s.exec(select(Branch).where(Branch.slug == "jeddah")).one()
        assert branch.id is not None
        never = branch_sync(s, branch.id)
        riyadh = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        assert branch_sync(s, riyadh.id or 0) is None
    assert first_incomplete_day(never) == date(2024, 5, 4)  # from the unit's creation
    assert incomplete_days(None, date(2024, 5, 1), date(2024, 5, 12)) == []
    assert day_end(date(2024, 5, 10), "Asia/Riyadh") == THROUGH_10TH
    _set(engine, unit, complete_through=THROUGH_10TH - timedelta(seconds=1))
    with Session(engine) as s:
        assert first_incomplete_day(branch_sync(s, branch.id)) == date(2024, 5, 10)
    _set(engine, unit, complete_through=THROUGH_10TH)
    with Session(engine) as s:
        sync = branch_sync(s, branch.id)
    assert first_incomplete_day(sync) == date(2024, 5, 11)
    assert incomplete_days(sync, date(2024, 5, 1), date(2024, 5, 30), date(2024, 5, 12)) == [
        date(2024, 5, 11),
        date(2024, 5, 12),
    ]


def test_report_gives_each_day_its_stop_and_flags_missing_days(
    app_client: TestClient, world: World, engine: Engine, unit: int
) -> None:
    c = app_client
    report = _summary(c, world, **WEEK)
    assert report["visitors"]["total"] == 3  # type: ignore[index]
    week = [f"2024-05-{d:02d}" for d in range(5, 13)]
    assert report["incomplete_days"] == week  # never synced: every day since the unit came
    (mobile,) = report["mobile"]  # type: ignore[misc]
    assert mobile["branch"] == "jeddah" and mobile["last_synced_at"] is None
    days = {d["date"]: d for d in mobile["days"]}
    assert days["2024-05-06"]["stop"] == {"place_ar": "الخرج", "place_en": "Al Kharj"}
    assert days["2024-05-06"]["visitors"] == 2
    assert days["2024-05-10"]["stop"]["place_en"] == "Dawadmi"
    assert days["2024-05-10"]["visitors"] == 1
    assert days["2024-05-12"]["stop"] is None  # between trips
    assert all(d["incomplete"] for d in days.values())

    pushed = datetime(2024, 5, 12, 4, 15, tzinfo=UTC)  # 07:15 in Riyadh
    _set(engine, unit, complete_through=THROUGH_10TH, last_push_at=pushed, pending=0)
    report = _summary(c, world, **WEEK)
    assert report["incomplete_days"] == ["2024-05-11", "2024-05-12"]
    days = {d["date"]: d for d in report["mobile"][0]["days"]}  # type: ignore[index]
    assert not days["2024-05-10"]["incomplete"] and days["2024-05-11"]["incomplete"]

    # The other branches' reports carry nothing of the units.
    riyadh = _summary(c, world, date_from="2024-05-05", date_to="2024-05-12", branch="riyadh")
    assert riyadh["incomplete_days"] == [] and riyadh["mobile"] == []

    r = c.get("/api/v1/reports/summary.csv", params=WEEK, headers=bearer(world, "admin"))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert ["report", "incomplete_day", "2024-05-11"] in rows
    assert ["mobile.stop_en", "jeddah/2024-05-06", "Al Kharj"] in rows
    assert ["mobile.incomplete", "jeddah/2024-05-10", "False"] in rows
    assert ["mobile.incomplete", "jeddah/2024-05-11", "True"] in rows

    sign_in(c, "admin")
    page = c.get("/staff/reports", params=WEEK)
    assert page.status_code == 200
    assert "الخرج" in page.text and "الدوادمي" in page.text
    assert page.text.count('class="is-incomplete"') == 2
    assert "07:15" in page.text  # last synced, in the branch's time
    xlsx = c.get("/staff/reports/summary.xlsx", params=WEEK)
    sheet = _xlsx_rows(xlsx.content, 3)
    flagged = [row for row in sheet if row[1] == "2024-05-11"]
    assert flagged and "07:15" in flagged[0][4] and flagged[0][2] == "الدوادمي"
    c.get("/lang?to=en&next=/")
    english = c.get("/staff/reports", params=WEEK)
    assert "Al Kharj" in english.text
    assert "Data still arriving from the unit — last synced at" in english.text
    printed = c.get("/staff/reports/monthly", params={"month": "2024-05", "branch": "jeddah"})
    assert printed.status_code == 200 and "Data still arriving from the unit" in printed.text

    _set(engine, unit, complete_through=MORNING + timedelta(days=1))
    report = _summary(c, world, **WEEK)
    assert report["incomplete_days"] == []


def test_rollup_waits_for_the_units_data(
    settings: Settings, world: World, engine: Engine, unit: int, clock: FrozenClock
) -> None:
    """Rolled by hand first, before the application (and its own end-of-day pass)
    starts; then the report reads the rolled days."""

    def rolled() -> set[date]:
        with Session(engine) as s:
            return set(
                s.exec(
                    select(TicketDay.business_date)
                    .join(Branch, col(Branch.id) == col(TicketDay.branch_id))
                    .where(Branch.slug == "jeddah")
                ).all()
            )

    def roll() -> None:
        with session_scope(engine) as s:
            roll_up_closed_days(s, clock)

    roll()
    assert rolled() == set()  # never synced: nothing may be frozen
    _set(engine, unit, complete_through=datetime(2024, 5, 6, 20, 59, tzinfo=UTC))
    roll()
    assert rolled() == set()  # the 6th is not over at the centre yet
    _set(engine, unit, complete_through=THROUGH_10TH)
    roll()
    assert rolled() == {date(2024, 5, 6), date(2024, 5, 10)}
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        report = _summary(c, world, **WEEK)
    assert report["visitors"]["total"] == 3  # type: ignore[index]
    days = {d["date"]: d for d in report["mobile"][0]["days"]}  # type: ignore[index]
    assert days["2024-05-06"]["visitors"] == 2  # now from the rollup
    assert report["incomplete_days"] == ["2024-05-11", "2024-05-12"]


def test_dashboard_says_when_the_unit_last_synced(
    app_client: TestClient, world: World, engine: Engine, unit: int
) -> None:
    c = app_client
    sign_in(c, "admin")
    page = c.get("/staff/dashboard", params={"branch": "jeddah"})
    assert page.status_code == 200
    assert "data-unit-sync" in page.text and "لم تتم المزامنة بعد" in page.text
    _set(engine, unit, last_push_at=datetime(2024, 5, 12, 5, 0, tzinfo=UTC), pending=3)
    page = c.get("/staff/dashboard", params={"branch": "jeddah"})
    assert "08:00" in page.text and "3</bdi> سجلات" in page.text
    _set(engine, unit, pending=11)
    assert "11</bdi> سجلًا" in c.get("/staff/dashboard", params={"branch": "jeddah"}).text
    c.get("/lang?to=en&next=/")
    english = c.get("/staff/dashboard", params={"branch": "jeddah"})
    assert "Last synced at" in english.text and "11</bdi> records waiting" in english.text
    assert "data-unit-sync" not in c.get("/staff/dashboard", params={"branch": "riyadh"}).text
