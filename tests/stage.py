"""The demo as the screens are shown on: a fresh var folder, migrated, the demo data
and its sign-ins, a few visits and bookings more so every screen has something to
show, and `reception serve` on a free port. Used by the screen tests and the
screenshot script alike."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from reception.appointments.actions import book_appointment
from reception.appointments.models import Appointment
from reception.appointments.queries import free_slots
from reception.clock import Clock
from reception.db import make_engine, session_scope
from reception.demo import SYSTEM, demo_appointments, load_demo
from reception.edge.units import add_unit
from reception.letters.models import Letter
from reception.migrate import upgrade
from reception.queue import actions, checkin, setup
from reception.queue import queries as queue_queries
from reception.queue.models import Counter, Hall, Ticket
from reception.remote.joining import start_join
from reception.settings import DEFAULT_TIMEZONE
from tests.browser import free_port
from tests.servers import Server, reception_server


@dataclass
class Stage:
    """A running demo: where it answers, the demo sign-ins, and the ids and link tokens
    of the rows the screens are opened on (`refs`, filled into the screens' paths)."""

    base: str
    passwords: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    server: Server | None = None


def _counter(engine: Engine, hall: str, number: int) -> int:
    with session_scope(engine) as s:
        counter = s.exec(
            select(Counter).join(Hall).where(Hall.slug == hall, Counter.number == number)
        ).one()
        return counter.id or 0


def _issue(
    engine: Engine, clock: Clock, base: str, hall: str, service: str, phone: str | None = None
) -> tuple[str, str]:
    """A ticket issued as the kiosk would: its id and tracking token."""
    with session_scope(engine) as s:
        issued = checkin.issue_ticket(
            s, clock, SYSTEM, branch="riyadh", hall=hall, service=service,
            public_base_url=base, phone=phone,
        )  # fmt: skip
        ticket = issued.value.ticket
        return str(ticket.id), ticket.tracking_token


def prepare(engine: Engine, base: str) -> dict[str, str]:
    """Visits in every state the screens show, and the references to open them by."""
    clock = Clock()
    refs: dict[str, str] = {}
    men = [_counter(engine, "men", n) for n in (1, 2, 3, 4)]
    with session_scope(engine) as s:
        hall_id = queue_queries.hall_by_slug(s, queue_queries.branch_by_slug(s, "riyadh"), "men").id
    # The demo called one visitor at counter 1: served now, so it can be rated.
    with session_scope(engine) as s:
        done = actions.act_on_current(s, clock, SYSTEM, men[0], "finish")
    with session_scope(engine) as s:
        finished = s.exec(
            select(Ticket).where(Ticket.status == "done").order_by(col(Ticket.id).desc())
        ).first()
        assert finished is not None, done
        refs["rated_number"] = finished.number
        refs["rated_token"] = finished.tracking_token
    for service in ("letter", "follow_up", "complaint", "letter", "follow_up"):
        _issue(engine, clock, base, "men", service)
    for counter in men[:3]:  # earlier calls for the display, one still at counter 1
        with session_scope(engine) as s:
            actions.call_next(s, clock, SYSTEM, counter, close_current="served")
    refs["ticket_id"], refs["ticket_token"] = _issue(
        engine, clock, base, "men", "letter", phone="0551234567"
    )
    refs["counter_id"] = str(men[0])
    with session_scope(engine) as s:
        letters = list(s.exec(select(Letter).order_by(col(Letter.id))))
        routed = next(x for x in letters if x.status != "received")
        waiting = next(x for x in reversed(letters) if x.status == "received")
        refs["letter_routed"], refs["letter_new"] = str(routed.id), str(waiting.id)
        refs["letter_token"] = routed.tracking_token
    with session_scope(engine) as s:
        remote = s.exec(
            select(Ticket).where(Ticket.remote == True, Ticket.hall_id == hall_id)  # noqa: E712
        ).first()
        assert remote is not None, "the demo has a visitor who joined from a phone"
        refs["remote_token"] = remote.tracking_token
    refs["branch"] = "riyadh"
    with session_scope(engine) as s:
        refs["join_token"] = start_join(
            s, clock, branch="riyadh", hall="men", service="letter", phone="0551234599",
            address="stage", secret="stage",
        ).value.token  # fmt: skip
    demo_appointments(engine)
    with session_scope(engine) as s:
        branch = queue_queries.branch_by_slug(s, "riyadh")
        hall = queue_queries.hall_by_slug(s, branch, "men")
        kind = queue_queries.service_by_slug(s, branch, "appointment")
        day = clock.local_date(branch.timezone) + timedelta(days=2)
        slot = free_slots(s, clock, branch, hall, kind, day, day + timedelta(days=1))[4]
    with session_scope(engine) as s:
        booked = book_appointment(
            s, clock, SYSTEM, branch="riyadh", hall="men", service="appointment",
            starts_at=slot.starts_at, phone="0551234567", name="سارة محمد",
            public_base_url=base,
        ).value  # fmt: skip
        assert isinstance(booked, Appointment)
        refs["appointment_id"] = str(booked.id)
        refs["appointment_token"] = booked.tracking_token or ""
        refs["appointment_code"] = booked.code
    # A mobile unit's link that has not reached the centre yet.
    with session_scope(engine) as s:
        setup.add_branch(
            s, slug="stage-mobile", name_ar="الوحدة المتنقلة", name_en="Mobile unit", kind="mobile"
        )
    with session_scope(engine) as s:
        unit = add_unit(s, branch_slug="stage-mobile", name="Laptop", actor="system").value.unit
        refs["syncing_token"] = f"u{unit.id}xawaited"
    with session_scope(engine) as s:  # where it stands this week (reports show the stop)
        today = clock.local_date(DEFAULT_TIMEZONE)
        setup.add_stop(
            s, branch="stage-mobile", place_ar="الخرج", place_en="Al Kharj",
            starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=3),
        )  # fmt: skip
    return refs


@contextmanager
def demo_stage(var: Path, log: Path | None = None) -> Iterator[Stage]:
    """The demo served from `var` (a fresh folder), stopped on exit."""
    var.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{var / 'reception.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        passwords = load_demo(engine, var, base)
        refs = prepare(engine, base)
    finally:
        engine.dispose()
    env = {
        "DATABASE_URL": url,
        "VAR_DIR": str(var),
        "SECRET_KEY": "screens-secret-" + os.urandom(12).hex(),
        "SMS_BACKEND": "console",
        "BROADCAST_URL": "memory://",
        "PUBLIC_BASE_URL": base,
    }
    with reception_server(env, log or var / "server.log", port=port) as server:
        yield Stage(base=base, passwords=passwords, refs=refs, server=server)
