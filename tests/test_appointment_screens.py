"""Appointment screens through their HTTP surface: the staff booking desk and its slip,
the calendar, and the citizen's page behind the SMS link (cancel, another time)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments import actions, reminders
from reception.appointments.models import Appointment, AppointmentKind
from reception.appointments.setup import add_slot_template
from reception.auth.queries import principal_for_token
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.notify.models import OutgoingSms
from reception.settings import Settings
from tests.factories import World
from tests.helpers import csrf, sign_in

# 10:00 in Riyadh on a Tuesday; slots every 30 minutes from 08:00 to 16:00, two seats.
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
AT_11 = MORNING + timedelta(hours=1)
AT_12 = MORNING + timedelta(hours=2)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


def add_templates(engine: Engine, capacity: int = 2) -> None:
    with session_scope(engine) as s:
        for hall in ("men", "women"):
            add_slot_template(
                s,
                branch="riyadh",
                hall=hall,
                service="letter",
                weekdays="sun-sat",
                start="08:00",
                end="16:00",
                slot_minutes=30,
                capacity=capacity,
            )


@pytest.fixture
def bare(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    """The application before any appointment times are set."""
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def c(bare: TestClient, engine: Engine) -> TestClient:
    add_templates(engine)
    return bare


def english(client: TestClient) -> None:
    client.get("/lang?to=en&next=/")


def book_direct(
    engine: Engine,
    world: World,
    at: datetime,
    *,
    clock: FrozenClock | None = None,
    hall: str = "men",
    phone: str | None = "0501234567",
    name: str = "Sara Mohammed Alotaibi",
    kind: AppointmentKind = AppointmentKind.visit,
) -> Appointment:
    with session_scope(engine) as s:
        principal = principal_for_token(s, world.tokens["supervisor"])
        assert principal is not None
        row = actions.book_appointment(
            s,
            clock or FrozenClock(MORNING),
            principal,
            branch="riyadh",
            hall=hall,
            service="letter",
            starts_at=at,
            phone=phone,
            name=name,
            public_base_url="http://testserver",
            kind=kind,
        ).value
        s.flush()
        s.expunge(row)
        return row


def sms_purposes(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return [m.purpose for m in s.exec(select(OutgoingSms).order_by(OutgoingSms.id))]  # type: ignore[arg-type]


def booking_form(page: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf(page),
        "hall": "men",
        "service": "letter",
        "day": "2026-11-24",
        "name": "Khalid Saad",
        "phone": "0551234567",
        "language": "ar",
        **fields,
    }


# --- staff: booking desk --------------------------------------------------------------


def test_operator_books_a_caller_and_gets_the_slip(c: TestClient, engine: Engine) -> None:
    sign_in(c, "operator-men")
    page = c.get("/staff/appointments")
    assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in page.text
    assert 'href="/staff/appointments"' in page.text and 'href="/staff/calendar"' in page.text
    assert f'value="{AT_11.isoformat()}"' in page.text
    assert f'value="{MORNING.isoformat()}"' not in page.text, "a slot that began is not offered"
    assert 'name="hall" value="men"' in page.text and "قاعة النساء" not in page.text

    r = c.post(
        "/staff/appointments",
        data=booking_form(page.text, starts_at=AT_11.isoformat()),
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    slip = c.get(r.headers["location"])
    code = re.search(r'id="appointment-code"[^>]*>(\d{8})<', slip.text)
    assert code, slip.text
    assert "data:image/svg+xml;base64," in slip.text and "data-print" in slip.text
    assert '<bdi dir="ltr">11:00</bdi>' in slip.text and "2026-11-24" in slip.text
    with Session(engine) as s:
        row = s.exec(select(Appointment).where(Appointment.code == code.group(1))).one()
        assert row.phone == "+966551234567" and row.name == "Khalid Saad"
    assert f"http://testserver/a/{row.tracking_token}" in slip.text
    assert "appointment_booked" in sms_purposes(engine)

    english(c)
    again = c.get("/staff/appointments?hall=men&service=letter&day=2026-11-24")
    assert "1 free of 2" in again.text and "2 free of 2" in again.text


def test_a_full_slot_and_a_bad_number_keep_what_was_typed(
    c: TestClient, engine: Engine, world: World
) -> None:
    book_direct(engine, world, AT_11)
    book_direct(engine, world, AT_11)
    sign_in(c, "operator-men")
    english(c)
    page = c.get("/staff/appointments")
    assert "full" in page.text
    full = c.post(
        "/staff/appointments",
        data=booking_form(page.text, starts_at=AT_11.isoformat(), name="Nora Ali"),
    )
    assert full.status_code == 409
    assert "This time has just been fully booked" in full.text and 'role="alert"' in full.text
    assert 'value="Nora Ali"' in full.text and 'value="0551234567"' in full.text

    bad = c.post(
        "/staff/appointments",
        data=booking_form(page.text, starts_at=AT_12.isoformat(), phone="12345"),
    )
    assert bad.status_code == 422
    assert "This mobile number is not valid." in bad.text
    assert 'value="Khalid Saad"' in bad.text and 'value="12345"' in bad.text
    assert re.search(rf'value="{re.escape(AT_12.isoformat())}" required checked', bad.text)

    none_chosen = c.post("/staff/appointments", data=booking_form(page.text))
    assert none_chosen.status_code == 422
    assert "choose one of the free times" in none_chosen.text


def test_booking_respects_halls_and_roles(c: TestClient, engine: Engine, world: World) -> None:
    women = book_direct(engine, world, AT_11, hall="women")
    sign_in(c, "operator-men")
    page = c.get("/staff/appointments")
    wrong_hall = c.post(
        "/staff/appointments",
        data=booking_form(page.text, hall="women", starts_at=AT_11.isoformat()),
    )
    assert wrong_hall.status_code == 403 and 'role="alert"' in wrong_hall.text
    assert c.get(f"/staff/appointments/{women.id}").status_code == 404
    assert c.get("/staff/appointments/0").status_code == 404
    c.cookies.clear()
    sign_in(c, "officer")
    assert c.get("/staff/appointments").status_code == 403
    assert c.get("/staff/calendar").status_code == 403


def test_empty_state_without_appointment_times(bare: TestClient) -> None:
    sign_in(bare, "supervisor")
    english(bare)
    desk = bare.get("/staff/appointments")
    assert desk.status_code == 200
    assert "No appointment times have been set for this service yet." in desk.text
    assert 'name="starts_at"' not in desk.text
    calendar = bare.get("/staff/calendar")
    assert calendar.status_code == 200
    assert "No appointment times have been set up yet." in calendar.text
    assert "ask the administrator" in calendar.text


# --- staff: calendar ------------------------------------------------------------------


def test_calendar_shows_usage_and_no_shows_to_supervisors_only(
    c: TestClient, engine: Engine, world: World
) -> None:
    yesterday = FrozenClock(MORNING - timedelta(days=1, hours=2))
    book_direct(engine, world, MORNING - timedelta(days=1), clock=yesterday)
    with session_scope(engine) as s:
        assert reminders.mark_no_shows(s, FrozenClock(MORNING)) == 1
    book_direct(engine, world, AT_11)
    book_direct(engine, world, AT_11, phone="0559876543", name="Huda Saleh")

    sign_in(c, "supervisor")
    english(c)
    day = c.get("/staff/calendar?view=day&day=2026-11-24&hall=men")
    assert day.status_code == 200
    assert "2 of 2 taken" in day.text and "<meter" in day.text
    assert "Not come before" in day.text
    assert "Sara M. A." in day.text and "Alotaibi" not in day.text
    assert re.search(r'class="no-shows"><span class="badge badge-late">1</span>', day.text)
    week = c.get("/staff/calendar?view=week&day=2026-11-23&hall=men")
    assert week.status_code == 200 and week.text.count("Open the day") == 7
    assert "2 of 32 taken" in week.text  # Tuesday: 16 slots of two seats
    assert "Tuesday" in week.text

    c.cookies.clear()
    sign_in(c, "operator-men")
    english(c)
    seen = c.get("/staff/calendar?day=2026-11-24")
    assert seen.status_code == 200 and "2 of 2 taken" in seen.text
    assert "Not come before" not in seen.text and "no-shows" not in seen.text
    assert 'value="all"' not in seen.text, "an operator of one hall sees that hall only"


def test_staff_cancel_asks_first_and_sends_the_sms(
    c: TestClient, engine: Engine, world: World
) -> None:
    row = book_direct(engine, world, AT_11)
    sign_in(c, "operator-men")
    calendar = c.get("/staff/calendar?day=2026-11-24")
    link = f"/staff/appointments/{row.id}/cancel?back="
    assert link in calendar.text
    confirm = c.get(f"/staff/appointments/{row.id}/cancel?back=/staff/calendar%3Fday%3D2026-11-24")
    assert confirm.status_code == 200 and 'method="post"' in confirm.text
    no_token = c.post(f"/staff/appointments/{row.id}/cancel", data={"back": "/staff/calendar"})
    assert no_token.status_code == 403
    done = c.post(
        f"/staff/appointments/{row.id}/cancel",
        data={"csrf_token": csrf(confirm.text), "back": "/staff/calendar?day=2026-11-24"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/staff/calendar?day=2026-11-24"
    assert "appointment_cancelled" in sms_purposes(engine)
    evil = c.post(
        f"/staff/appointments/{row.id}/cancel",
        data={"csrf_token": csrf(confirm.text), "back": "//evil.example/"},
        follow_redirects=False,
    )
    assert evil.headers["location"] == "/staff/calendar"  # and says it was not possible


# --- citizen page ---------------------------------------------------------------------


def test_citizen_page_shows_the_booking_with_a_masked_name(
    c: TestClient, engine: Engine, world: World
) -> None:
    row = book_direct(engine, world, AT_11)
    page = c.get(f"/a/{row.tracking_token}")
    assert page.status_code == 200 and '<html lang="ar" dir="rtl">' in page.text
    assert row.code in page.text and "data:image/svg+xml;base64," in page.text
    assert "Sara M. A." in page.text and "Alotaibi" not in page.text
    assert "+966" not in page.text and "0501234567" not in page.text
    assert "2026-11-24" in page.text and "11:00" in page.text
    assert "الرياض" in page.text and "قاعة الرجال" in page.text and "خطاب" in page.text
    assert f'href="/a/{row.tracking_token}/reschedule"' in page.text
    assert f'href="/a/{row.tracking_token}/cancel"' in page.text
    assert "/lang?to=en" in page.text
    english(c)
    page = c.get(f"/a/{row.tracking_token}")
    assert '<html lang="en" dir="ltr">' in page.text and "Men&#39;s hall" in page.text
    assert "Booked. We are expecting you." in page.text and "How to check in" in page.text


def test_citizen_cancels_on_a_second_step(c: TestClient, engine: Engine, world: World) -> None:
    row = book_direct(engine, world, AT_11)
    token = row.tracking_token
    english(c)
    confirm = c.get(f"/a/{token}/cancel")
    assert confirm.status_code == 200 and "Cancel your appointment?" in confirm.text
    rejected = c.post(f"/a/{token}/cancel", data={})
    assert rejected.status_code == 403, "no CSRF token, no change"
    done = c.post(f"/a/{token}/cancel", data={"csrf_token": csrf(confirm.text)})
    assert done.status_code == 200 and str(done.url).endswith(f"/a/{token}")
    assert "Your appointment is cancelled." in done.text
    assert "This appointment is cancelled." in done.text
    assert "Change the time" not in done.text and row.code not in done.text
    assert sms_purposes(engine).count("appointment_cancelled") == 1
    again = c.get(f"/a/{token}/cancel", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/a/{token}"


def test_citizen_chooses_another_time(c: TestClient, engine: Engine, world: World) -> None:
    row = book_direct(engine, world, AT_11)
    token = row.tracking_token
    english(c)
    options = c.get(f"/a/{token}/reschedule")
    assert options.status_code == 200
    assert f'value="{AT_12.isoformat()}"' in options.text
    assert f'value="{AT_11.isoformat()}"' not in options.text, "not the time it already has"
    in_two_weeks = MORNING + timedelta(days=13, hours=1)
    assert f'value="{in_two_weeks.isoformat()}"' in options.text
    assert f'value="{(MORNING + timedelta(days=14, hours=1)).isoformat()}"' not in options.text
    assert (
        c.post(f"/a/{token}/reschedule", data={"starts_at": AT_12.isoformat()}).status_code == 403
    )
    moved = c.post(
        f"/a/{token}/reschedule",
        data={"csrf_token": csrf(options.text), "starts_at": AT_12.isoformat()},
    )
    assert moved.status_code == 200 and "The time of your appointment was changed." in moved.text
    assert '<bdi dir="ltr">12:00</bdi>' in moved.text
    assert "appointment_changed" in sms_purposes(engine)
    with Session(engine) as s:
        assert s.exec(select(Appointment).where(Appointment.id == row.id)).one().starts_at == AT_12

    odd = c.post(
        f"/a/{token}/reschedule",
        data={"csrf_token": csrf(options.text), "starts_at": "2026-11-24T07:10:00+00:00"},
    )
    assert odd.status_code == 422 and 'role="alert"' in odd.text
    assert "Choose another time" in odd.text


def test_meetings_and_finished_visits_offer_no_changes(
    c: TestClient, engine: Engine, world: World
) -> None:
    meeting = book_direct(engine, world, AT_11, kind=AppointmentKind.meeting)
    with session_scope(engine) as s:
        row = s.exec(select(Appointment).where(Appointment.id == meeting.id)).one()
        row.video_link = "https://meet.example.gov.sa/room-1"
        s.add(row)
    english(c)
    page = c.get(f"/a/{meeting.tracking_token}")
    assert "Your meeting with the minister" in page.text
    assert 'href="https://meet.example.gov.sa/room-1"' in page.text
    assert "Change the time" not in page.text and "/cancel" not in page.text
    assert re.search(r"call the minister(&#39;|')s office", page.text)
    confirm = c.get(f"/a/{meeting.tracking_token}/cancel", follow_redirects=False)
    assert confirm.status_code == 303
    form_page = c.get("/staff/login")  # any page of this session carries its token
    refused = c.post(
        f"/a/{meeting.tracking_token}/cancel", data={"csrf_token": csrf(form_page.text)}
    )
    assert re.search(r"changed by the minister(&#39;|')s office", refused.text)
    assert 'role="alert"' in refused.text


def test_unknown_links_are_a_friendly_404_and_guessing_is_throttled(
    c: TestClient, engine: Engine, world: World
) -> None:
    for path in ("/a/not-a-real-token", "/a/x/reschedule", "/a/x/cancel"):
        r = c.get(path)
        assert r.status_code == 404 and 'role="alert"' in r.text and "Traceback" not in r.text
    page = c.get("/staff/login")
    r = c.post("/a/not-a-real-token/cancel", data={"csrf_token": csrf(page.text)})
    assert r.status_code == 404
    for _ in range(30):
        c.get("/a/still-guessing")
    assert c.get("/a/still-guessing").status_code == 429
