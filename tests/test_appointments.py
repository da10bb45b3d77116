"""Appointments: booked by staff, checked in at the kiosk by code — through the API,
the kiosk screen and the operator console, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.rules import Arrival, arrival
from reception.clock import FrozenClock
from reception.notify.models import OutgoingSms
from reception.settings import Settings
from tests.factories import World, open_appointments
from tests.helpers import bearer, csrf, sign_in

# 10:00 in Riyadh on a Tuesday; the world's branch has no opening hours (always open).
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def app_client(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        admin = bearer(world, "admin")
        open_appointments(c, admin)
        yield c


def book(c: TestClient, world: World, at: datetime, hall: str = "men", **extra: object) -> dict:
    r = c.post(
        "/api/v1/appointments",
        json={
            "branch": "riyadh",
            "hall": hall,
            "service": "letter",
            "starts_at": at.isoformat(),
            **extra,
        },
        headers=bearer(world, f"operator-{hall}"),
    )
    assert r.status_code == 201, r.text
    return r.json()


def check_in(c: TestClient, world: World, code: str, kiosk: str = "kiosk", **headers: str):  # type: ignore[no-untyped-def]
    return c.post(
        "/api/v1/appointments/check-in",
        json={"code": code},
        headers={**bearer(world, kiosk), **headers},
    )


def test_arrival_window_rule() -> None:
    at = MORNING + timedelta(hours=1)
    assert arrival(at, at - timedelta(minutes=31), 30, 15) == Arrival.early
    assert arrival(at, at - timedelta(minutes=30), 30, 15) == Arrival.on_time
    assert arrival(at, at + timedelta(minutes=15), 30, 15) == Arrival.on_time
    assert arrival(at, at + timedelta(minutes=16), 30, 15) == Arrival.late


def test_check_in_turns_a_booking_into_a_priority_ticket_once(
    app_client: TestClient, world: World, clock: FrozenClock, engine: Engine
) -> None:
    c = app_client
    walk_in = c.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk"),
    ).json()
    booked = book(c, world, MORNING + timedelta(minutes=20), phone="0501234567")
    assert len(booked["code"]) == 8 and booked["code"].isdigit()
    assert booked["status"] == "booked"
    with Session(engine) as s:
        bodies = [m.body for m in s.exec(select(OutgoingSms)) if m.purpose == "appointment_booked"]
    assert len(bodies) == 1 and booked["code"] in bodies[0] and "10:20" in bodies[0]

    first = check_in(c, world, booked["code"])
    assert first.status_code == 201, first.text
    ticket = first.json()
    assert ticket["number"] == "M-002"
    again = check_in(c, world, f" {booked['code'][:4]} {booked['code'][4:]} ")  # spaces typed
    assert again.status_code == 200 and again.json()["id"] == ticket["id"]

    called = c.post(
        f"/api/v1/counters/{world.counters['men'][0]}/call-next",
        headers=bearer(world, "operator-men"),
    ).json()
    assert called["number"] == "M-002", "the appointment goes ahead of the walk-in"
    assert walk_in["number"] == "M-001"
    sign_in(c, "operator-men")
    page = c.get(f"/staff/counters/{world.counters['men'][0]}")
    assert "موعد الساعة 10:20" in page.text


def test_too_early_too_late_and_unknown_codes_are_explained(
    app_client: TestClient, world: World, clock: FrozenClock
) -> None:
    c = app_client
    booked = book(c, world, MORNING + timedelta(hours=2))  # 12:00 Riyadh
    early = check_in(c, world, booked["code"])
    assert early.status_code == 409 and early.json()["error"]["code"] == "too_early"
    assert "12:00" in early.json()["error"]["message"]
    assert "11:30" in early.json()["error"]["message"]
    english = check_in(c, world, booked["code"], **{"Accept-Language": "en"})
    assert "Please check in from 11:30" in english.json()["error"]["message"]

    clock.advance(hours=2, minutes=16)
    late = check_in(c, world, booked["code"])
    assert late.status_code == 409 and late.json()["error"]["code"] == "too_late"
    assert "تذكرة" in late.json()["error"]["message"]

    for code in ("12345678", "abc", "1" * 40):
        r = check_in(c, world, code)
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_appointment"
    jeddah = check_in(c, world, booked["code"], kiosk="kiosk-jeddah")
    assert jeddah.status_code == 404, "another branch's kiosk cannot see the booking"


def test_a_hall_kiosk_checks_in_its_own_hall_only(
    app_client: TestClient, world: World, clock: FrozenClock
) -> None:
    booked = book(app_client, world, MORNING + timedelta(minutes=5), hall="men")
    r = check_in(app_client, world, booked["code"], kiosk="kiosk-women")
    assert r.status_code == 403 and "قاعة الرجال" in r.json()["error"]["message"]


def test_booking_validates_its_input(app_client: TestClient, world: World) -> None:
    c = app_client
    base = {"branch": "riyadh", "hall": "men", "service": "letter"}
    operator = bearer(world, "operator-men")
    cases = [
        ({**base, "starts_at": "2026-11-24T10:00:00"}, 422),  # no time zone
        ({**base, "starts_at": (MORNING - timedelta(minutes=1)).isoformat()}, 422),
        ({**base, "starts_at": "tomorrow"}, 422),
        ({**base, "starts_at": MORNING.isoformat(), "extra": 1}, 422),
        ({**base, "hall": "women", "starts_at": (MORNING + timedelta(hours=1)).isoformat()}, 403),
        (
            {
                **base,
                "starts_at": (MORNING + timedelta(hours=1)).isoformat(),
                "phone": "12",
            },
            422,
        ),
    ]
    for body, status in cases:
        r = c.post("/api/v1/appointments", json=body, headers=operator)
        assert r.status_code == status, (body, r.text)
        assert r.json()["error"]["message"]
    r = c.post(
        "/api/v1/appointments",
        json={**base, "starts_at": (MORNING + timedelta(hours=1)).isoformat()},
        headers=bearer(world, "kiosk"),
    )
    assert r.status_code == 403, "a kiosk cannot book"


def test_kiosk_screen_checks_in_by_code(
    app_client: TestClient, world: World, clock: FrozenClock
) -> None:
    c = app_client
    booked = book(c, world, MORNING + timedelta(minutes=10))
    sign_in(c, "kiosk")
    start = c.get("/kiosk")
    assert 'href="/kiosk/appointment"' in start.text
    page = c.get("/kiosk/appointment")
    assert page.status_code == 200 and 'inputmode="numeric"' in page.text
    wrong = c.post("/kiosk/appointment", data={"code": "99999999", "csrf_token": csrf(page.text)})
    assert wrong.status_code == 404 and 'role="alert"' in wrong.text and "الرمز" in wrong.text
    done = c.post(
        "/kiosk/appointment",
        data={"code": booked["code"], "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/kiosk/tickets/")
    ticket = c.get(done.headers["location"])
    assert "M-001" in ticket.text

    late = book(c, world, MORNING + timedelta(minutes=30))
    clock.advance(hours=1)
    r = c.post("/kiosk/appointment", data={"code": late["code"], "csrf_token": csrf(page.text)})
    assert r.status_code == 409 and "تذكرة" in r.text
    assert 'href="/kiosk"' in r.text  # offered a walk-in ticket
