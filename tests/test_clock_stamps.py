"""Every time stamp the product stores comes from the application's clock: a day of
work replayed under a clock frozen far from today (tickets in both halls, a transfer,
a no-show, a letter, an appointment, a rating, phone calls, SMS sent by the worker,
accounts and tokens, the audit trail) leaves no row dated by the system clock. Walks
every DateTime column of every table, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import DateTime, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from starlette.testclient import TestClient

import reception.models  # noqa: F401  (every table in the metadata)
from reception.app import create_app
from reception.clock import FrozenClock
from reception.notify.backends import MemoryBackend
from reception.notify.worker import send_due
from reception.settings import Settings
from tests.conftest import make_settings
from tests.factories import World
from tests.helpers import bearer, csrf, sign_in

START = datetime(2031, 3, 4, 7, 0, tzinfo=UTC)  # 10:00 in Riyadh
CITIZEN = "1000000008"


class Moments:
    """The clock, and every instant it showed while the test ran."""

    def __init__(self) -> None:
        self.clock = FrozenClock(START)
        self.seen = {START}

    def advance(self, **kwargs: float) -> datetime:
        self.clock.advance(**kwargs)
        self.seen.add(self.clock.now())
        return self.clock.now()


@pytest.fixture
def moments() -> Moments:
    return Moments()


@pytest.fixture
def frozen_settings(database_url: str, tmp_path: Any) -> Settings:
    # The test runs the SMS worker's pass itself, at moments it chooses.
    return make_settings(database_url, tmp_path / "var", sms_worker_interval_seconds=3600)


@pytest.fixture
def app_client(frozen_settings: Settings, world: World, moments: Moments) -> Iterator[TestClient]:
    with TestClient(create_app(frozen_settings, moments.clock), raise_server_exceptions=False) as c:
        yield c


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def datetime_columns() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for table in SQLModel.metadata.sorted_tables:
        names = [
            column.name
            for column in table.columns
            if isinstance(column.type, DateTime)
            or isinstance(getattr(column.type, "impl", None), DateTime)
        ]
        if names:
            found[table.name] = names
    return found


def stamps(engine: Engine) -> dict[str, dict[tuple[Any, ...], dict[str, datetime | None]]]:
    """Per table with time stamps: each row's primary key → its time stamps."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    result: dict[str, dict[tuple[Any, ...], dict[str, datetime | None]]] = {}
    with engine.connect() as conn:
        for name, columns in datetime_columns().items():
            table = tables[name]
            keys = list(table.primary_key.columns)
            rows = conn.execute(select(*keys, *(table.c[c] for c in columns))).all()
            result[name] = {
                tuple(row[: len(keys)]): dict(zip(columns, row[len(keys) :], strict=True))
                for row in rows
            }
    return result


def test_every_stored_time_comes_from_the_frozen_clock(
    app_client: TestClient, world: World, engine: Engine, moments: Moments
) -> None:
    c = app_client
    before = stamps(engine)
    admin, kiosk = bearer(world, "admin"), bearer(world, "kiosk")
    men, women = bearer(world, "operator-men"), bearer(world, "operator-women")

    # An administrator adds an account and a device token; policy for appointments.
    ok(
        c.post(
            "/api/v1/admin/users",
            json={"username": "new-operator", "password": "a-long-password-1", "role": "operator",
                  "branch": "riyadh", "halls": ["women"]},
            headers=admin,
        ),
        201,
    )  # fmt: skip
    token = ok(
        c.post(
            "/api/v1/admin/tokens",
            json={"name": "tablet", "role": "kiosk", "branch": "riyadh"},
            headers=admin,
        ),
        201,
    )
    ok(
        c.put(
            "/api/v1/admin/priorities/appointment",
            json={"name_ar": "صاحب موعد", "name_en": "Appointment", "weight": 5},
            headers=admin,
        )
    )
    ok(
        c.post(
            "/api/v1/admin/branches/riyadh/slot-templates",
            json={"hall": "men", "service": "letter", "weekdays": "sun-sat", "start": "00:00",
                  "end": "24:00", "slot_minutes": 5, "capacity": 3},
            headers=admin,
        ),
        201,
    )  # fmt: skip
    sign_in(c, "supervisor")  # a staff session, signed in under the frozen clock

    # Tickets in both halls, with phones: SMS go to the outbox.
    def issue(hall: str, service: str = "letter") -> dict[str, Any]:
        body = {"branch": "riyadh", "hall": hall, "service": service, "phone": "0501234567"}
        return ok(c.post("/api/v1/tickets", json=body, headers=kiosk), 201)

    first, second, third = issue("men"), issue("men"), issue("men", "enquiry")
    woman = issue("women")
    moments.advance(minutes=3)
    men_counter, women_counter = world.counters["men"][0], world.counters["women"][0]
    assert (
        ok(c.post(f"/api/v1/counters/{men_counter}/call-next", headers=men))["number"]
        == first["number"]
    )
    ok(c.post(f"/api/v1/counters/{men_counter}/current/start", headers=men))
    moments.advance(minutes=4)
    ok(c.post(f"/api/v1/counters/{men_counter}/current/finish", headers=men))
    ok(c.post(f"/api/v1/counters/{women_counter}/call-next", headers=women))
    moments.advance(minutes=1)
    ok(c.post(f"/api/v1/counters/{women_counter}/current/no-show", headers=women))
    ok(c.post(f"/api/v1/counters/{men_counter}/call-next", headers=men))
    ok(
        c.post(
            f"/api/v1/counters/{men_counter}/current/transfer",
            json={"service": "enquiry"},
            headers=men,
        )
    )
    assert second["number"] and third["number"] and woman["number"]

    # The visitor served rates the visit.
    moments.advance(minutes=2)
    ok(c.post("/api/v1/ratings", json={"ticket": first["id"], "score": 5}, headers=kiosk), 201)

    # A letter: registered, classified and routed; a call about it; a general call.
    letter = ok(
        c.post(
            "/api/v1/letters",
            json={"branch": "riyadh", "hall": "men", "sender_name": "محمد عبدالله الأحمد",
                  "sender_id_number": CITIZEN, "sex": "male", "phone": "0501234567",
                  "subject": "طلب إصدار هوية وطنية بدل فاقد", "body": "فقدت بطاقة الهوية."},
            headers=men,
        ),
        201,
    )  # fmt: skip
    reference = letter["reference"]
    moments.advance(minutes=5)
    routed = ok(
        c.post(f"/api/v1/letters/{reference}/classify", json={"category": "request_civil"},
               headers=men)
    )  # fmt: skip
    assert routed["status"] == "routed"
    ok(
        c.post(
            f"/api/v1/letters/{reference}/calls",
            json={"direction": "out", "note": "أُبلغ المواطن بالإحالة"},
            headers=men,
        )
    )
    ok(
        c.post(
            "/api/v1/enquiries",
            json={
                "direction": "in",
                "topic": "letter_status",
                "duration_minutes": 4,
                "letter": reference,
                "ticket": first["number"],
            },
            headers=men,
        ),
        201,
    )
    page = c.get("/staff/letters")
    r = c.post(
        "/staff/enquiries",
        data={
            "csrf_token": csrf(page.text),
            "direction": "out",
            "topic": "appointments",
            "duration_minutes": "3",
            "note": "رد على استفسار",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303

    # An appointment booked for the next hour, checked in at the kiosk.
    starts_at = START + timedelta(hours=1)
    moments.seen.add(starts_at)
    booked = ok(
        c.post(
            "/api/v1/appointments",
            json={"branch": "riyadh", "hall": "men", "service": "letter",
                  "starts_at": starts_at.isoformat(), "phone": "0501234567"},
            headers=men,
        ),
        201,
    )  # fmt: skip
    moments.advance(minutes=40)
    ok(c.post("/api/v1/appointments/check-in", json={"code": booked["code"]}, headers=kiosk), 201)

    # The SMS worker sends what is due, later.
    moments.advance(minutes=1)
    backend = MemoryBackend()
    while send_due(engine, moments.clock, backend, max_attempts=5):
        pass
    assert len(backend.sent) >= 5

    # The device token is revoked.
    moments.advance(minutes=1)
    ok(c.post(f"/api/v1/admin/tokens/{token['id']}/revoke", headers=admin))

    after = stamps(engine)
    touched: dict[str, int] = {}
    wrong: list[str] = []
    for table, rows in after.items():
        for key, values in rows.items():
            if before.get(table, {}).get(key) == values:
                continue  # a row of the seeded world this test did not change
            touched[table] = touched.get(table, 0) + 1
            for column, value in values.items():
                if value is not None and value not in moments.seen:
                    wrong.append(f"{table}.{column} = {value.isoformat()} (row {key})")
    assert wrong == []
    expected = {"apitoken", "appointment", "auditentry", "enquiry", "letter", "letterstep",
                "outgoingsms", "rating", "staffuser", "ticket"}  # fmt: skip
    assert expected <= set(touched), sorted(touched)
    assert touched["outgoingsms"] >= 5 and touched["auditentry"] >= 15
    # Dates kept beside the times follow the same clock (the business day in Riyadh).
    with engine.connect() as conn:
        tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
        days = set(conn.execute(select(tables["ticket"].c.business_date)).scalars())
    assert days == {date(2031, 3, 4)}
