"""The kiosk never leaves a visitor at a dead end: an appointment that can no longer be
checked in (missed, cancelled, its time past) is explained in the visitor's language
and leads to an ordinary ticket for the same hall and service. The walk-in ticket
takes the residency the visitor states, as a checked-in appointment does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.reminders import mark_no_shows
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.queue.models import Ticket
from reception.settings import Settings
from tests.factories import World, open_appointments
from tests.helpers import bearer, csrf, sign_in
from tests.test_appointments import MORNING, book

WALK_IN = 'href="/kiosk?hall=men&amp;service=letter"'


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def kiosk(settings: Settings, world: World, frozen: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, frozen), raise_server_exceptions=False) as c:
        open_appointments(c, bearer(world, "admin"))
        yield c


def check_in(c: TestClient, code: str, language: str = "ar") -> str:
    c.get(f"/lang?to={language}&next=/kiosk")
    page = c.get("/kiosk/appointment")
    r = c.post("/kiosk/appointment", data={"code": code, "csrf_token": csrf(page.text)})
    assert r.status_code == 409, r.text
    return r.text


def test_a_missed_appointment_offers_an_ordinary_ticket(
    kiosk: TestClient, world: World, frozen: FrozenClock, engine: Engine
) -> None:
    booked = book(kiosk, world, MORNING + timedelta(minutes=10))
    frozen.advance(hours=2)
    with session_scope(engine, frozen) as s:
        assert mark_no_shows(s, frozen) == 1  # what the housekeeping pass does
    sign_in(kiosk, "kiosk")
    arabic = check_in(kiosk, booked["code"])
    assert "لم تحضر في موعدك الساعة 10:10" in arabic  # Riyadh time, not UTC
    assert "لم يحضر" not in arabic and "did not come" not in arabic
    assert WALK_IN in arabic and "خذ تذكرة عادية لخدمة: خطاب" in arabic
    english = check_in(kiosk, booked["code"], "en")
    assert "Your appointment at 10:10 was missed" in english
    assert WALK_IN in english and "Take an ordinary ticket for: Letter" in english


def test_cancelled_and_late_appointments_offer_an_ordinary_ticket(
    kiosk: TestClient, world: World, frozen: FrozenClock
) -> None:
    cancelled = book(kiosk, world, MORNING + timedelta(minutes=10))
    r = kiosk.post(
        f"/api/v1/appointments/{cancelled['id']}/cancel",
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 200, r.text
    late = book(kiosk, world, MORNING + timedelta(minutes=20))
    frozen.advance(hours=1)
    sign_in(kiosk, "kiosk")
    text = check_in(kiosk, cancelled["code"])
    assert "أُلغي هذا الموعد" in text and WALK_IN in text
    text = check_in(kiosk, late["code"])
    assert "فات وقت موعدك (10:20)" in text and WALK_IN in text

    # The offer leads to the ordinary steps for that hall and service.
    step = kiosk.get("/kiosk?hall=men&service=letter")
    assert step.status_code == 200 and "priority=none" in step.text


def test_a_walk_in_ticket_keeps_the_stated_residency(
    kiosk: TestClient, world: World, engine: Engine
) -> None:
    sign_in(kiosk, "kiosk")
    page = kiosk.get("/kiosk?hall=men&service=enquiry&priority=none")
    assert 'name="residency"' in page.text
    r = kiosk.post(
        "/kiosk/tickets",
        data={
            "csrf_token": csrf(page.text),
            "hall": "men",
            "service": "enquiry",
            "priority": "none",
            "residency": "resident",
            "skip_phone": "1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    ticket_id = int(r.headers["location"].rsplit("/", 1)[1])
    with Session(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.id == ticket_id)).one()
        assert ticket.residency == "resident"
