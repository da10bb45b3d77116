"""Slot templates and the appointments booked into them: slots generated in the
branch's own time zone around holidays, the last seat never given twice under
concurrent requests (SQLite and PostgreSQL), cancelling and moving, reminders sent
through the SMS outbox, and no-shows counted per number."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.actions import book_appointment, reschedule_by_citizen
from reception.appointments.models import Appointment, SlotSeats, SlotTemplate
from reception.appointments.reminders import mark_no_shows, send_due_reminders
from reception.appointments.rules import check_template, due_reminder, generate_slots
from reception.appointments.setup import add_slot_template
from reception.auth.queries import principal_for_token
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.errors import Conflict, DomainError, Invalid
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch
from reception.settings import Settings
from tests.factories import World
from tests.helpers import bearer

# Monday 23 November 2026, 09:00 in Riyadh.
MONDAY = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def template(**overrides: object) -> SlotTemplate:
    values: dict[str, object] = {
        "id": 1,
        "branch_id": 1,
        "hall_id": 1,
        "service_id": 1,
        "weekdays": "sun,mon,tue,wed,thu",
        "start": "08:00",
        "end": "10:00",
        "slot_minutes": 30,
        "capacity": 2,
        "blackout_dates": [],
    }
    values.update(overrides)
    return SlotTemplate(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zone", "first_utc"),
    [
        ("Asia/Riyadh", datetime(2026, 11, 23, 5, 0, tzinfo=UTC)),  # UTC+3
        ("Asia/Dubai", datetime(2026, 11, 23, 4, 0, tzinfo=UTC)),  # UTC+4
        ("Asia/Kolkata", datetime(2026, 11, 23, 2, 30, tzinfo=UTC)),  # UTC+5:30
        ("UTC", datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
    ],
)
def test_slots_are_local_times_of_the_branch(zone: str, first_utc: datetime) -> None:
    slots = generate_slots(template(), date(2026, 11, 23), date(2026, 11, 23), zone)
    assert [s.starts_at for s in slots] == [first_utc + timedelta(minutes=30 * i) for i in range(4)]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert all(s.starts_at.tzinfo == UTC and s.capacity == 2 for s in slots)


def test_weekdays_holidays_blackouts_and_validity() -> None:
    week = (date(2026, 11, 22), date(2026, 11, 28))  # Sunday to Saturday
    plain = generate_slots(template(), *week, "Asia/Riyadh")
    assert len(plain) == 5 * 4  # Friday and Saturday are not in the template
    around = generate_slots(
        template(blackout_dates=["2026-11-24"], valid_until=date(2026, 11, 25)),
        *week,
        "Asia/Riyadh",
        holidays=["2026-11-22"],
    )
    days = sorted({s.starts_at.astimezone(UTC).date() for s in around})
    assert days == [date(2026, 11, 23), date(2026, 11, 25)]
    # A slot must end by the closing time: 08:00-09:45 in 30-minute slots gives three.
    assert (
        len(generate_slots(template(end="09:45"), date(2026, 11, 23), date(2026, 11, 23), "UTC"))
        == 3
    )
    # Until midnight.
    late = generate_slots(
        template(start="22:00", end="24:00"), date(2026, 11, 23), date(2026, 11, 23), "UTC"
    )
    assert late[-1].ends_at == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("sun-thu", "10:00", "08:00", 15, 1), "bad_time"),
        (("someday", "08:00", "10:00", 15, 1), "bad_days"),
        (("sun", "08:00", "08:10", 15, 1), "no_room_for_a_slot"),
        (("sun", "08:00", "10:00", 2, 1), "bad_slot_length"),
        (("sun", "08:00", "10:00", 15, 0), "bad_capacity"),
    ],
)
def test_templates_that_cannot_be_meant_are_refused(args: tuple, code: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(Invalid) as caught:
        check_template(*args)
    assert caught.value.code == code


def test_which_reminder_is_due() -> None:
    at = MONDAY + timedelta(days=1)
    assert due_reminder(at, at - timedelta(hours=30), False, False) is None
    assert due_reminder(at, at - timedelta(hours=23), False, False) == "day"
    assert due_reminder(at, at - timedelta(hours=23), True, False) is None
    assert due_reminder(at, at - timedelta(hours=1), True, False) == "soon"
    assert due_reminder(at, at - timedelta(hours=1), False, False) == "soon"  # booked late
    assert due_reminder(at, at - timedelta(hours=1), True, True) is None
    assert due_reminder(at, at + timedelta(minutes=1), False, False) is None


def _add_template(engine: Engine, capacity: int, **extra: object) -> int:
    with session_scope(engine) as s:
        row = add_slot_template(
            s,
            branch="riyadh",
            hall="men",
            service="letter",
            weekdays="sun-sat",
            start="08:00",
            end="14:00",
            slot_minutes=30,
            capacity=capacity,
            **extra,  # type: ignore[arg-type]
        )
        return row.id or 0


@pytest.mark.parametrize("capacity", [1, 3])
def test_the_last_seat_is_never_given_twice(engine: Engine, world: World, capacity: int) -> None:
    """Twelve operators book the same slot at the same moment: exactly `capacity`
    succeed, the others are told it is full, and the seat count agrees."""
    template_id = _add_template(engine, capacity)
    with session_scope(engine) as s:
        operator = principal_for_token(s, world.tokens["operator-men"])
    assert operator is not None
    slot = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 10:00 in Riyadh, tomorrow
    clock = FrozenClock(MONDAY)
    barrier = threading.Barrier(12)
    results: list[str] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine) as s:
                book_appointment(
                    s,
                    clock,
                    operator,
                    branch="riyadh",
                    hall="men",
                    service="letter",
                    starts_at=slot,
                    phone=f"05000000{i:02d}",
                )
            outcome = "booked"
        except Conflict as exc:
            outcome = exc.code
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == sorted(["booked"] * capacity + ["slot_full"] * (12 - capacity))
    with session_scope(engine) as s:
        seats = s.exec(select(SlotSeats).where(SlotSeats.template_id == template_id)).all()
        booked = s.exec(select(Appointment).where(Appointment.template_id == template_id)).all()
        assert [r.taken for r in seats] == [capacity]
        assert len(booked) == capacity
        assert len(s.exec(select(OutgoingSms)).all()) == capacity  # one SMS per booking


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MONDAY)


@pytest.fixture
def api(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        yield c


def _free(c: TestClient, world: World, day: str, who: str = "operator-men") -> list[dict]:  # type: ignore[type-arg]
    r = c.get(
        "/api/v1/slots",
        params={"branch": "riyadh", "hall": "men", "service": "letter", "date_from": day},
        headers=bearer(world, who),
    )
    assert r.status_code == 200, r.text
    return r.json()["slots"]  # type: ignore[no-any-return]


def test_booking_cancelling_and_moving_through_the_api(
    api: TestClient, world: World, engine: Engine
) -> None:
    admin = bearer(world, "admin")
    r = api.post(
        "/api/v1/admin/branches/riyadh/slot-templates",
        json={
            "hall": "men",
            "service": "letter",
            "weekdays": "sun-thu",
            "start": "08:00",
            "end": "10:00",
            "slot_minutes": 30,
            "capacity": 1,
            "blackout_dates": ["2026-11-26"],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    template_id = r.json()["id"]
    # Monday 09:00 now: the 08:00, 08:30 and 09:00 slots have begun.
    assert [s["local_time"] for s in _free(api, world, "2026-11-23")] == ["2026-11-23T09:30"]
    assert _free(api, world, "2026-11-26") == []  # blackout
    assert _free(api, world, "2026-11-27") == []  # Friday
    body = {
        "branch": "riyadh",
        "hall": "men",
        "service": "letter",
        "starts_at": "2026-11-24T08:30:00+03:00",
        "phone": "0501234567",
        "name": "Fatima Alharbi",
    }
    r = api.post("/api/v1/appointments", json=body, headers=bearer(world, "operator-men"))
    assert r.status_code == 201, r.text
    booked = r.json()
    assert len(booked["code"]) == 8 and booked["qr"].startswith("data:image/svg+xml")
    assert "/a/" in booked["tracking_url"]
    assert len(_free(api, world, "2026-11-24")) == 3
    again = api.post("/api/v1/appointments", json=body, headers=bearer(world, "operator-men"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "slot_full"
    odd = {**body, "starts_at": "2026-11-24T08:10:00+03:00"}
    r = api.post("/api/v1/appointments", json=odd, headers=bearer(world, "operator-men"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_such_slot"
    assert "08:10" in r.json()["error"]["message"]

    # Moved to 09:00: the old seat is free again, the new one taken, an SMS says so.
    moved = api.post(
        f"/api/v1/appointments/{booked['id']}/reschedule",
        json={"starts_at": "2026-11-24T09:00:00+03:00"},
        headers=bearer(world, "operator-men"),
    )
    assert moved.status_code == 200, moved.text
    free = [s["local_time"] for s in _free(api, world, "2026-11-24")]
    assert "2026-11-24T08:30" in free and "2026-11-24T09:00" not in free
    # The women's operator cannot touch a men's appointment.
    denied = api.post(
        f"/api/v1/appointments/{booked['id']}/cancel", headers=bearer(world, "operator-women")
    )
    assert denied.status_code == 404
    cancelled = api.post(
        f"/api/v1/appointments/{booked['id']}/cancel", headers=bearer(world, "operator-men")
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert len(_free(api, world, "2026-11-24")) == 4
    twice = api.post(
        f"/api/v1/appointments/{booked['id']}/cancel", headers=bearer(world, "operator-men")
    )
    assert twice.status_code == 409
    with session_scope(engine) as s:
        rows = s.exec(select(OutgoingSms).order_by(OutgoingSms.id)).all()  # type: ignore[arg-type]
        riyadh = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
    purposes = [m.purpose for m in rows]
    assert purposes == ["appointment_booked", "appointment_changed", "appointment_cancelled"]
    assert {m.branch_id for m in rows} == {riyadh.id}  # reports count SMS per branch

    # Capacity raised by the administrator: more seats at once; turned off: none.
    r = api.patch(
        f"/api/v1/admin/slot-templates/{template_id}", json={"capacity": 2}, headers=admin
    )
    assert r.status_code == 200 and r.json()["capacity"] == 2
    assert {s["free"] for s in _free(api, world, "2026-11-25")} == {2}
    r = api.patch(
        f"/api/v1/admin/slot-templates/{template_id}", json={"active": False}, headers=admin
    )
    assert r.status_code == 200
    assert _free(api, world, "2026-11-25") == []
    listed = api.get("/api/v1/admin/branches/riyadh/slot-templates", headers=admin)
    assert listed.status_code == 200 and listed.json()["templates"][0]["active"] is False


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"branch": "riyadh", "hall": "men", "service": "letter", "date_from": "tomorrow"}, 422),
        (
            {
                "branch": "riyadh",
                "hall": "men",
                "service": "letter",
                "date_from": "2026-11-23",
                "date_to": "2027-06-01",
            },
            422,
        ),
        (
            {
                "branch": "riyadh",
                "hall": "men",
                "service": "letter",
                "date_from": "2026-11-25",
                "date_to": "2026-11-24",
            },
            422,
        ),
        ({"branch": "nowhere", "hall": "men", "service": "letter"}, 422),
        ({"branch": "riyadh", "hall": "women", "service": "letter"}, 403),
    ],
)
def test_bad_slot_questions_get_clear_errors(
    api: TestClient, world: World, params: dict[str, str], status: int
) -> None:
    r = api.get("/api/v1/slots", params=params, headers=bearer(world, "operator-men"))
    assert r.status_code == status, r.text
    assert r.json()["error"]["message"]
    assert (
        api.get("/api/v1/slots", params=params, headers=bearer(world, "kiosk")).status_code == 403
    )


def test_template_input_is_checked(api: TestClient, world: World) -> None:
    admin = bearer(world, "admin")
    base = {
        "hall": "men",
        "service": "letter",
        "weekdays": "sun-thu",
        "start": "08:00",
        "end": "12:00",
    }
    for bad, code in (
        ({"end": "07:00"}, "bad_time"),
        ({"weekdays": "funday"}, "bad_days"),
        ({"blackout_dates": ["31/12/2026"]}, "bad_date"),
        ({"service": "nothing"}, "unknown_service"),
    ):
        r = api.post(
            "/api/v1/admin/branches/riyadh/slot-templates", json={**base, **bad}, headers=admin
        )
        assert r.status_code in (404, 422) and r.json()["error"]["code"] == code, (bad, r.text)
    r = api.post(
        "/api/v1/admin/branches/riyadh/slot-templates",
        json=base,
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 403
    assert (
        api.patch("/api/v1/admin/slot-templates/999999", json={}, headers=admin).status_code == 404
    )


def test_free_booking_without_templates_is_for_supervisors_only(
    api: TestClient, world: World
) -> None:
    body = {
        "branch": "riyadh",
        "hall": "men",
        "service": "letter",
        "starts_at": "2026-11-24T10:10:00+03:00",
    }
    r = api.post("/api/v1/appointments", json=body, headers=bearer(world, "operator-men"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "no_slots"
    r = api.post("/api/v1/appointments", json=body, headers=bearer(world, "supervisor"))
    assert r.status_code == 201, r.text


def test_reminders_go_through_the_outbox_once_each(engine: Engine, world: World) -> None:
    _add_template(engine, 2)
    clock = FrozenClock(MONDAY)
    slot = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tuesday 11:00 in Riyadh
    with session_scope(engine) as s:
        operator = principal_for_token(s, world.tokens["operator-men"])
        assert operator is not None
        booked = book_appointment(
            s,
            clock,
            operator,
            branch="riyadh",
            hall="men",
            service="letter",
            starts_at=slot,
            phone="0501234567",
            language="en",
        ).value
        token = booked.tracking_token or ""

    def remind() -> list[str]:
        with session_scope(engine) as s:
            send_due_reminders(s, clock, "https://r.example")
        with session_scope(engine) as s:
            rows = s.exec(select(OutgoingSms).order_by(OutgoingSms.id)).all()  # type: ignore[arg-type]
            return [r.purpose for r in rows]

    assert remind() == ["appointment_booked"]  # 26 hours ahead: nothing yet
    clock.advance(hours=3)  # 23 hours ahead
    assert remind() == ["appointment_booked", "appointment_reminder_day"]
    assert remind() == ["appointment_booked", "appointment_reminder_day"]
    clock.advance(hours=21, minutes=30)  # 1.5 hours ahead
    assert remind()[-1] == "appointment_reminder_soon"
    assert len(remind()) == 3
    with session_scope(engine) as s:
        body = (
            s.exec(select(OutgoingSms).where(OutgoingSms.purpose == "appointment_reminder_soon"))
            .one()
            .body
        )
    assert "11:00" in body and "https://r.example/a/" in body and booked.code in body

    # Moved by the visitor to the next day: reminded again, of the new time.
    with session_scope(engine) as s:
        reschedule_by_citizen(
            s, clock, token, starts_at=slot + timedelta(days=1), public_base_url="https://r.example"
        )
    clock.advance(hours=2)
    assert remind()[-2:] == ["appointment_changed", "appointment_reminder_day"]
    # The visitor cannot pick a time the service does not offer.
    with session_scope(engine) as s, pytest.raises(DomainError):
        reschedule_by_citizen(s, clock, token, starts_at=slot + timedelta(days=2, minutes=10))


def test_no_shows_are_marked_and_counted_for_supervisors(
    api: TestClient, world: World, clock: FrozenClock, engine: Engine
) -> None:
    _add_template(engine, 3)
    slot = "2026-11-23T09:30:00+03:00"
    for _ in range(2):
        r = api.post(
            "/api/v1/appointments",
            json={
                "branch": "riyadh",
                "hall": "men",
                "service": "letter",
                "starts_at": slot,
                "phone": "0551112222",
            },
            headers=bearer(world, "operator-men"),
        )
        assert r.status_code == 201, r.text
    clock.advance(minutes=30 + 15)  # the check-in window is still open at 09:45
    with session_scope(engine) as s:
        assert mark_no_shows(s, clock) == 0
    clock.advance(minutes=1)
    with session_scope(engine) as s:
        assert mark_no_shows(s, clock) == 2
    with session_scope(engine) as s:
        assert mark_no_shows(s, clock) == 0
    day = {"branch": "riyadh", "day": "2026-11-23"}
    seen = api.get("/api/v1/appointments", params=day, headers=bearer(world, "supervisor")).json()
    assert [a["status"] for a in seen["appointments"]] == ["no_show", "no_show"]
    assert [a["no_shows"] for a in seen["appointments"]] == [2, 2]
    hidden = api.get(
        "/api/v1/appointments", params=day, headers=bearer(world, "operator-men")
    ).json()
    assert len(hidden["appointments"]) == 2 and "no_shows" not in hidden["appointments"][0]
    women = api.get(
        "/api/v1/appointments", params=day, headers=bearer(world, "operator-women")
    ).json()
    assert women["appointments"] == []
