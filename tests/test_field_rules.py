"""No role sets a field it is not allowed to set: role × write × field against one
table, each refused with 403 and its code (never accepted, never silently dropped),
and nothing written. The rule lives in reception/auth/fields.py and the priority
groups' "offered at the kiosk" flag; the kiosk screen and the staff console go
through the same actions as the API and give the same refusals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.models import Appointment
from reception.auth.fields import WRITES
from reception.clock import FrozenClock
from reception.letters.models import Letter
from reception.queue.models import Branch, Hall, Ticket
from reception.settings import Settings
from tests.factories import World
from tests.helpers import bearer, csrf, sign_in

MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 10:00 in Riyadh, a Tuesday
LATER = (MORNING + timedelta(hours=2)).isoformat()
TICKET = {"branch": "riyadh", "hall": "men", "service": "letter"}
BOOKING = {**TICKET, "starts_at": (MORNING + timedelta(hours=1)).isoformat()}
LETTER = {
    "branch": "riyadh",
    "hall": "men",
    "sender_name": "سعد علي",
    "sender_id_number": "1000000008",
    "sex": "male",
    "subject": "طلب",
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@dataclass
class Place:
    counter: int
    hall: int
    code: str
    appointment: int
    reference: str


@pytest.fixture
def app_client(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        r = c.put(
            "/api/v1/admin/priorities/appointment",
            json={"name_ar": "صاحب موعد", "name_en": "Appointment", "weight": 5, "at_kiosk": False},
            headers=bearer(world, "admin"),
        )
        assert r.status_code == 200, r.text
        r = c.post(
            "/api/v1/admin/branches/riyadh/slot-templates",
            json={
                "hall": "men",
                "service": "letter",
                "weekdays": "sun-sat",
                "start": "00:00",
                "end": "24:00",
                "slot_minutes": 5,
                "capacity": 3,
            },
            headers=bearer(world, "admin"),
        )
        assert r.status_code == 201, r.text
        yield c


def prepare(c: TestClient, world: World, engine: Engine) -> Place:
    """A visitor called at the men's counter 1, a booking in the men's hall, a letter."""
    counter = world.counters["men"][0]
    r = c.post("/api/v1/tickets", json=TICKET, headers=bearer(world, "kiosk"))
    assert r.status_code == 201, r.text
    r = c.post(f"/api/v1/counters/{counter}/call-next", headers=bearer(world, "operator-men"))
    assert r.status_code == 200, r.text
    r = c.post("/api/v1/appointments", json=BOOKING, headers=bearer(world, "operator-men"))
    assert r.status_code == 201, r.text
    booking = r.json()
    r = c.post("/api/v1/letters", json=LETTER, headers=bearer(world, "operator-men"))
    assert r.status_code == 201, r.text
    with Session(engine) as s:
        riyadh = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        men = s.exec(select(Hall).where(Hall.slug == "men", Hall.branch_id == riyadh.id)).one()
    return Place(counter, men.id or 0, booking["code"], booking["id"], r.json()["reference"])


# (caller, method, path, body, expected code). Paths use {counter}, {women_counter},
# {hall}, {appointment} and {reference}; "{code}" in a body is the booking's code.
CASES: list[tuple[str, str, str, dict[str, Any], str]] = [
    # issuing a ticket: priority groups are data; a kiosk declares only those offered
    ("kiosk", "POST", "/api/v1/tickets", {**TICKET, "priority": "appointment"},
     "priority_not_offered"),
    ("kiosk-women", "POST", "/api/v1/tickets",
     {**TICKET, "hall": "women", "priority": "appointment"}, "priority_not_offered"),
    *[
        ("kiosk", "POST", "/api/v1/tickets", {**TICKET, field: value}, "field_not_allowed")
        for field, value in (
            ("assigned_counter", 1),
            ("counter", 1),
            ("outcome", "served"),
            ("status", "done"),
            ("number", "M-001"),
            ("issued_at", MORNING.isoformat()),
            ("called_at", MORNING.isoformat()),
            ("finished_at", MORNING.isoformat()),
        )
    ],
    ("supervisor", "POST", "/api/v1/tickets", {**TICKET, "assigned_counter": 2},
     "field_not_allowed"),
    ("admin", "POST", "/api/v1/tickets", {**TICKET, "called_at": MORNING.isoformat()},
     "field_not_allowed"),
    ("kiosk-women", "POST", "/api/v1/tickets", TICKET, "wrong_hall"),  # another hall
    ("kiosk", "POST", "/api/v1/tickets", {**TICKET, "branch": "jeddah"}, "wrong_hall"),
    ("kiosk-jeddah", "POST", "/api/v1/tickets", TICKET, "wrong_hall"),  # another branch
    ("operator-men", "POST", "/api/v1/tickets", TICKET, "wrong_role"),
    ("display-men", "POST", "/api/v1/tickets", {**TICKET, "counter": 1}, "wrong_role"),
    # the counter: operators of its hall; sending to the back is a supervisor's call
    ("operator-men", "POST", "/api/v1/counters/{counter}/current/transfer",
     {"service": "enquiry", "to_back": True}, "field_not_allowed"),
    ("operator-men", "POST", "/api/v1/counters/{counter}/current/transfer",
     {"service": "enquiry", "status": "waiting"}, "field_not_allowed"),
    ("operator-women", "POST", "/api/v1/counters/{counter}/current/transfer",
     {"service": "enquiry"}, "wrong_hall"),
    ("kiosk", "POST", "/api/v1/counters/{counter}/current/transfer",
     {"service": "enquiry", "counter": 2}, "wrong_role"),
    ("operator-men", "POST", "/api/v1/counters/{counter}/current/finish",
     {"outcome": "served", "finished_at": MORNING.isoformat()}, "field_not_allowed"),
    ("operator-women", "POST", "/api/v1/counters/{counter}/current/finish",
     {"outcome": "served"}, "wrong_hall"),
    ("kiosk", "POST", "/api/v1/counters/{counter}/current/finish", {"outcome": "served"},
     "wrong_role"),
    ("operator-men", "POST", "/api/v1/counters/{counter}/current/residency",
     {"residency": "citizen", "number": "M-999"}, "field_not_allowed"),
    ("operator-women", "POST", "/api/v1/counters/{counter}/current/residency",
     {"residency": "citizen"}, "wrong_hall"),
    ("kiosk", "POST", "/api/v1/counters/{counter}/current/residency", {"residency": "citizen"},
     "wrong_role"),
    ("display-men", "POST", "/api/v1/counters/{counter}/current/residency",
     {"residency": "citizen"}, "wrong_role"),
    ("operator-men", "POST", "/api/v1/counters/{counter}/status",
     {"action": "pause", "status": "open"}, "field_not_allowed"),
    ("operator-women", "POST", "/api/v1/counters/{counter}/status", {"action": "pause"},
     "wrong_hall"),
    ("kiosk", "POST", "/api/v1/counters/{counter}/status", {"action": "pause"}, "wrong_role"),
    # the displays: supervisors; a display token writes nothing
    ("operator-men", "PUT", "/api/v1/halls/{hall}/display", {"notice_ar": "x"}, "wrong_role"),
    ("display-men", "PUT", "/api/v1/halls/{hall}/display", {"volume": 0}, "wrong_role"),
    ("supervisor", "PUT", "/api/v1/halls/{hall}/display", {"event_seq": 0}, "field_not_allowed"),
    # appointments
    ("operator-men", "POST", "/api/v1/appointments", {**BOOKING, "status": "checked_in"},
     "field_not_allowed"),
    ("operator-men", "POST", "/api/v1/appointments", {**BOOKING, "code": "12345678"},
     "field_not_allowed"),
    ("operator-men", "POST", "/api/v1/appointments", {**BOOKING, "priority": "appointment"},
     "field_not_allowed"),
    ("operator-women", "POST", "/api/v1/appointments", BOOKING, "wrong_hall"),
    ("kiosk", "POST", "/api/v1/appointments", BOOKING, "wrong_role"),
    ("display-men", "POST", "/api/v1/appointments", BOOKING, "wrong_role"),
    ("operator-men", "POST", "/api/v1/appointments/{appointment}/reschedule",
     {"starts_at": LATER, "hall": "women"}, "field_not_allowed"),
    ("kiosk", "POST", "/api/v1/appointments/{appointment}/reschedule", {"starts_at": LATER},
     "wrong_role"),
    *[
        ("kiosk", "POST", "/api/v1/appointments/check-in", {"code": "{code}", field: value},
         "field_not_allowed")
        for field, value in (
            ("priority", "elderly"),
            ("hall", "women"),
            ("service", "enquiry"),
            ("assigned_counter", 1),
            ("status", "checked_in"),
        )
    ],
    ("operator-men", "POST", "/api/v1/appointments/check-in", {"code": "{code}"}, "wrong_role"),
    ("display-men", "POST", "/api/v1/appointments/check-in", {"code": "{code}"}, "wrong_role"),
    # letters: the residency comes from the ID number, routing from the classification
    ("operator-men", "POST", "/api/v1/letters", {**LETTER, "department": "civil_affairs"},
     "field_not_allowed"),
    ("operator-men", "POST", "/api/v1/letters", {**LETTER, "residency": "resident"},
     "field_not_allowed"),
    ("operator-men", "POST", "/api/v1/letters", {**LETTER, "status": "closed"},
     "field_not_allowed"),
    ("operator-women", "POST", "/api/v1/letters", LETTER, "wrong_hall"),
    ("kiosk", "POST", "/api/v1/letters", LETTER, "wrong_role"),
    ("operator-men", "POST", "/api/v1/letters/{reference}/classify",
     {"category": "request_civil", "status": "closed"}, "field_not_allowed"),
]  # fmt: skip


def counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as s:
        return tuple(
            int(s.exec(select(func.count()).select_from(model)).one())
            for model in (Ticket, Appointment, Letter)
        )


def test_every_forbidden_field_is_refused_with_403_and_its_code(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    c = app_client
    place = prepare(c, world, engine)
    before = counts(engine)
    with Session(engine) as s:
        current = s.exec(select(Ticket).where(Ticket.counter_id == place.counter)).one()
    values = {
        "counter": str(place.counter),
        "women_counter": str(world.counters["women"][0]),
        "hall": str(place.hall),
        "appointment": str(place.appointment),
        "reference": place.reference,
    }
    wrong: list[str] = []
    for caller, method, path, body, code in CASES:
        url = path.format(**values)
        sent = {k: (place.code if v == "{code}" else v) for k, v in body.items()}
        r = c.request(method, url, json=sent, headers=bearer(world, caller))
        error = r.json().get("error", {}) if r.headers["content-type"].startswith("app") else {}
        if r.status_code != 403 or error.get("code") != code or not error.get("message"):
            wrong.append(f"{caller} {method} {path} {sorted(body)}: {r.status_code} {r.text}")
    assert not wrong, "\n".join(wrong)
    assert counts(engine) == before, "a refused write wrote nothing"
    with Session(engine) as s:
        after = s.get(Ticket, current.id)
        assert after is not None
        assert (after.status, after.residency, after.counter_id) == (
            current.status,
            current.residency,
            current.counter_id,
        )


def test_messages_are_readable_in_the_visitors_language(
    app_client: TestClient, world: World
) -> None:
    c = app_client
    body = {**TICKET, "priority": "appointment"}
    arabic = c.post("/api/v1/tickets", json=body, headers=bearer(world, "kiosk"))
    assert arabic.status_code == 403
    assert "مكتب الاستقبال" in arabic.json()["error"]["message"]
    english = c.post(
        "/api/v1/tickets",
        json={**body, "language": "en"},
        headers={**bearer(world, "kiosk"), "Accept-Language": "en"},
    )
    assert english.status_code == 403
    assert english.json()["error"]["message"] == (
        "This priority cannot be chosen at the kiosk. Please ask at the reception desk."
    )
    field = c.post(
        "/api/v1/tickets",
        json={**TICKET, "assigned_counter": 1},
        headers={**bearer(world, "kiosk"), "Accept-Language": "en"},
    )
    assert field.json()["error"]["message"] == (
        "The field assigned_counter is set by the system; it cannot be sent here."
    )


def test_offered_at_the_kiosk_is_the_policy(app_client: TestClient, world: World) -> None:
    """The flag, not the code, decides: an administrator offers the group at the kiosk
    and the kiosk may declare it; a supervisor may grant any group; a group offered
    at the kiosk is fine."""
    c = app_client
    elderly = c.post(
        "/api/v1/tickets", json={**TICKET, "priority": "elderly"}, headers=bearer(world, "kiosk")
    )
    assert elderly.status_code == 201, elderly.text
    granted = c.post(
        "/api/v1/tickets",
        json={**TICKET, "priority": "appointment"},
        headers=bearer(world, "supervisor"),
    )
    assert granted.status_code == 201, granted.text
    r = c.put(
        "/api/v1/admin/priorities/appointment",
        json={"at_kiosk": True},
        headers=bearer(world, "admin"),
    )
    assert r.status_code == 200, r.text
    now_offered = c.post(
        "/api/v1/tickets",
        json={**TICKET, "priority": "appointment"},
        headers=bearer(world, "kiosk"),
    )
    assert now_offered.status_code == 201, now_offered.text


def test_check_in_still_gives_the_appointment_priority(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    """The group not offered at the kiosk comes with a checked-in appointment."""
    c = app_client
    soon = {**BOOKING, "starts_at": (MORNING + timedelta(minutes=10)).isoformat()}
    booked = c.post("/api/v1/appointments", json=soon, headers=bearer(world, "operator-men"))
    assert booked.status_code == 201, booked.text
    r = c.post(
        "/api/v1/appointments/check-in",
        json={"code": booked.json()["code"]},
        headers=bearer(world, "kiosk"),
    )
    assert r.status_code == 201, r.text
    with Session(engine) as s:
        ticket = s.get(Ticket, r.json()["id"])
        assert ticket is not None and ticket.priority_weight == 5


def test_screens_refuse_the_same_fields(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    c = app_client
    place = prepare(c, world, engine)
    before = counts(engine)
    sign_in(c, "kiosk")
    page = c.get("/kiosk", params={"hall": "men", "service": "letter", "priority": "none"})
    assert page.status_code == 200
    assert (
        "priority=appointment"
        not in c.get("/kiosk", params={"hall": "men", "service": "letter"}).text
    ), "the kiosk does not offer the group"
    forged = c.post(
        "/kiosk/tickets",
        data={
            "hall": "men",
            "service": "letter",
            "priority": "appointment",
            "skip_phone": "1",
            "csrf_token": csrf(page.text),
        },
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "مكتب الاستقبال" in forged.text
    assert counts(engine) == before

    c.cookies.clear()
    sign_in(c, "operator-men")
    console = c.get(f"/staff/counters/{place.counter}")
    assert console.status_code == 200
    assert 'name="to_back"' not in console.text, "an operator is not offered the back"
    to_back = c.post(
        f"/staff/counters/{place.counter}/transfer",
        data={"service": "enquiry", "to_back": "yes", "csrf_token": csrf(console.text)},
        follow_redirects=False,
    )
    assert to_back.status_code == 403
    other_hall = c.post(
        f"/staff/counters/{world.counters['women'][0]}/residency",
        data={"residency": "resident", "csrf_token": csrf(console.text)},
        follow_redirects=False,
    )
    assert other_hall.status_code == 403
    with Session(engine) as s:
        current = s.exec(select(Ticket).where(Ticket.counter_id == place.counter)).one()
        assert current.status == "called" and current.service_id is not None


def test_every_write_of_the_table_is_exercised() -> None:
    """A write added to the table without a line here is not tested."""
    paths = {
        "ticket.issue": "/api/v1/tickets",
        "ticket.transfer": "/current/transfer",
        "ticket.finish": "/current/finish",
        "ticket.residency": "/current/residency",
        "counter.status": "/status",
        "hall.display": "/display",
        "appointment.book": "/api/v1/appointments",
        "appointment.reschedule": "/reschedule",
        "appointment.check_in": "/check-in",
        "letter.register": "/api/v1/letters",
        "letter.classify": "/classify",
    }
    assert set(paths) == set(WRITES)
    for write, tail in paths.items():
        refused = [
            case for case in CASES if case[2].endswith(tail) and case[4] == "field_not_allowed"
        ]
        assert refused, f"no forbidden field tested for {write}"
