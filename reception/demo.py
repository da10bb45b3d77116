"""Idempotent demo data: branch `riyadh` with a men's and a women's hall, services,
four counters per hall, one account per role and a few tickets so every screen
shows something. Passwords are generated once and kept in `var/demo-logins.txt`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.auth.actions import create_user
from reception.auth.models import StaffUser
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.db import session_scope
from reception.demo_remote import demo_remote_policy, demo_remote_tickets
from reception.queue import actions, checkin
from reception.queue.housekeeping import close_past_days
from reception.queue.models import (
    Branch,
    Counter,
    CounterService,
    Hall,
    PriorityGroup,
    Service,
    Ticket,
)
from reception.settings import DEFAULT_TIMEZONE
from reception.timefmt import local_time

PRIORITIES = [  # slug, Arabic, English, weight, may be declared at the kiosk
    ("appointment", "صاحب موعد", "Appointment holder", 4, False),
    ("elderly", "كبير في السن (٦٠ عامًا فأكثر)", "Aged 60 or over", 3, True),
    ("disability", "من ذوي الإعاقة", "Living with a disability", 3, True),
    ("exam_student", "طالب لديه اختبار اليوم", "Student with an exam today", 2, True),
]
SERVICES = [
    ("letter", "تسليم خطاب لمعالي الوزير", "Hand in a letter to the minister", 8),
    ("follow_up", "متابعة معاملة", "Follow up a request", 6),
    ("complaint", "تقديم شكوى أو تظلم", "Complaint or appeal", 12),
    ("appointment", "موعد مسبق", "Booked appointment", 10),
]
COUNTER_SERVICES = {
    1: ["letter", "follow_up"],
    2: ["letter", "follow_up"],
    3: ["complaint", "follow_up"],
    4: ["letter", "follow_up", "complaint", "appointment"],
}
ACCOUNTS = [
    ("admin", "admin", None, ()),
    ("supervisor", "supervisor", "riyadh", ()),
    ("operator-men", "operator", "riyadh", ("men",)),
    ("operator-women", "operator", "riyadh", ("women",)),
    ("officer", "department_officer", "riyadh", ()),
    ("kiosk", "kiosk", "riyadh", ()),
    ("display-men", "display", "riyadh", ("men",)),
    ("display-women", "display", "riyadh", ("women",)),
]
STAFF_NAMES = {  # the full name each person's screens show (devices have none)
    "admin": "عبدالله الشهري",
    "supervisor": "سارة الدوسري",
    "operator-men": "خالد العتيبي",
    "operator-women": "نورة القحطاني",
    "officer": "فهد الحربي",
}
DEPARTMENTS = [
    ("civil_affairs", "وكالة الأحوال المدنية", "Civil Affairs"),
    ("passports", "المديرية العامة للجوازات", "General Directorate of Passports"),
    ("traffic", "الإدارة العامة للمرور", "General Department of Traffic"),
    ("public_security", "الأمن العام", "Public Security"),
    ("rights", "إدارة الحقوق العامة", "Public Rights"),
    ("minister_office", "مكتب معالي الوزير", "Minister's Office"),
    ("humanitarian", "إدارة الحالات الإنسانية", "Humanitarian Cases"),
    ("inspection", "الإدارة العامة للمتابعة والتفتيش", "Oversight and Inspection"),
]
SLA = {"received": 24, "classified": 8, "routed": 48, "in_progress": 240}
CATEGORIES = [  # slug, Arabic, English, parent, department (None: its subcategories decide);
    # each one's description and example phrases are in reception/demo_categories.py
    ("request", "طلب", "Request", None, None),
    ("request_civil", "طلب أحوال مدنية", "Civil affairs request", "request", "civil_affairs"),
    ("request_passport", "طلب جوازات", "Passport request", "request", "passports"),
    ("complaint", "شكوى", "Complaint", None, None),
    ("complaint_traffic", "شكوى مرورية", "Traffic complaint", "complaint", "traffic"),
    ("complaint_security", "شكوى أمنية", "Security complaint", "complaint", "public_security"),
    ("appeal", "تظلم", "Appeal", None, "rights"),
    ("meeting", "طلب مقابلة معالي الوزير", "Request to meet the minister", None, "minister_office"),
    (
        "request_support",
        "طلب مساعدة إنسانية",
        "Humanitarian help request",
        "request",
        "humanitarian",
    ),
    (
        "complaint_staff",
        "شكوى من موظف",
        "Complaint about an employee's conduct",
        "complaint",
        "inspection",
    ),
]
CALL_TOPICS = [  # slug, Arabic, English (the migration adds "other", shown last)
    ("letter_status", "الاستعلام عن معاملة", "Status of a letter"),
    ("appointments", "المواعيد", "Appointments"),
    ("opening_hours", "أوقات العمل والمواقع", "Opening hours and locations"),
    ("documents", "المستندات المطلوبة", "Documents required"),
    ("complaint", "شكوى أو ملاحظة", "Complaint or remark"),
]
SYSTEM = Principal("system", 0, "demo", "admin", None, frozenset())


def demo_taxonomy(session: Session) -> None:
    from reception.demo_categories import DESCRIPTIONS
    from reception.letters.models import Category, Department
    from reception.letters.setup import add_category, add_department, add_routing_rule

    _demo_call_topics(session)
    if session.exec(select(Department)).first() is not None:
        _demo_descriptions(session)
        return
    for slug, ar, en in DEPARTMENTS:
        add_department(session, slug=slug, name_ar=ar, name_en=en, actor="system")
    for slug, ar, en, parent, department in CATEGORIES:
        add_category(
            session, slug=slug, name_ar=ar, name_en=en, parent=parent, sla_hours=SLA,
            **DESCRIPTIONS[slug]._asdict(), actor="system",
        )  # fmt: skip
        if department:
            add_routing_rule(session, category=slug, department=department, actor="system")
    assert session.exec(select(Category)).first() is not None


def _demo_descriptions(session: Session) -> None:
    """A demo made before categories had descriptions gets them; a category someone
    has described already keeps what they wrote."""
    from reception.demo_categories import DESCRIPTIONS
    from reception.letters.models import Category
    from reception.letters.setup import describe_category

    for row in session.exec(select(Category)).all():
        text = DESCRIPTIONS.get(row.slug)
        if text is None or row.description_ar or row.description_en:
            continue
        if row.examples_ar or row.examples_en:
            continue
        describe_category(session, slug=row.slug, **text._asdict(), actor="system")


def _demo_call_topics(session: Session) -> None:
    """The topics of phone calls, added once (an administrator edits them later)."""
    from reception.letters.calls import add_topic
    from reception.letters.models import CallTopic

    if set(session.exec(select(CallTopic.slug))) - {"other"}:
        return  # the list is already kept by someone
    for order, (slug, ar, en) in enumerate(CALL_TOPICS):
        add_topic(session, slug=slug, name_ar=ar, name_en=en, sort_order=order * 10, actor="system")


def _get_or_add(
    session: Session, model: type[Any], where: dict[str, object], **values: object
) -> Any:
    stmt: Any = select(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    row = session.exec(stmt).first()
    if row is None:
        row = model(**where, **values)
        session.add(row)
        session.flush()
    return row


def _read_logins(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    logins = {}
    for line in path.read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            user, password = line.split(":", 1)
            logins[user.strip()] = password.strip()
    return logins


def load_demo(engine: Engine, var_dir: Path, public_base_url: str) -> dict[str, str]:
    logins_path = var_dir / "demo-logins.txt"
    logins = _read_logins(logins_path)
    with session_scope(engine) as session:
        for order, (slug, ar, en, weight, at_kiosk) in enumerate(PRIORITIES):
            _get_or_add(
                session,
                PriorityGroup,
                {"slug": slug},
                name_ar=ar,
                name_en=en,
                weight=weight,
                at_kiosk=at_kiosk,
                sort_order=order,
            )
        branch = _get_or_add(
            session,
            Branch,
            {"slug": "riyadh"},
            name_ar="مركز الاستقبال – الرياض",
            name_en="Reception Centre – Riyadh",
            timezone=DEFAULT_TIMEZONE,
        )
        assert isinstance(branch, Branch)
        services = {}
        for order, (slug, ar, en, minutes) in enumerate(SERVICES):
            services[slug] = _get_or_add(
                session,
                Service,
                {"branch_id": branch.id, "slug": slug},
                name_ar=ar,
                name_en=en,
                expected_minutes=minutes,
                sort_order=order,
            )
        for slug, section, prefix, ar, en in (
            ("men", "men", "M", "قاعة الرجال", "Men's hall"),
            ("women", "women", "W", "قاعة النساء", "Women's hall"),
        ):
            hall = _get_or_add(
                session,
                Hall,
                {"branch_id": branch.id, "slug": slug},
                section=section,
                ticket_prefix=prefix,
                name_ar=ar,
                name_en=en,
            )
            assert isinstance(hall, Hall)
            for number, served in COUNTER_SERVICES.items():
                counter = _get_or_add(
                    session, Counter, {"hall_id": hall.id, "slug": str(number)}, number=number
                )
                assert isinstance(counter, Counter)
                for service_slug in served:
                    _get_or_add(
                        session,
                        CounterService,
                        {"counter_id": counter.id, "service_id": services[service_slug].id},
                    )
        _demo_slots(session, branch)
        demo_remote_policy(session, branch)
        demo_taxonomy(session)
        for username, role, branch_slug, halls in ACCOUNTS:
            if session.exec(select(StaffUser).where(StaffUser.username == username)).first():
                continue
            password = secrets.token_urlsafe(9)
            create_user(
                session,
                username=username,
                password=password,
                role=role,
                branch_slug=branch_slug,
                hall_slugs=halls,
                department_slug="civil_affairs" if role == "department_officer" else None,
                full_name=STAFF_NAMES.get(username, ""),
                actor="system",
            )
            logins[username] = password
    _write_logins(logins_path, logins)
    _demo_tickets(engine, public_base_url)
    demo_letters(engine, public_base_url)
    return logins


def luhn_id(first_nine: str) -> str:
    """A well-formed identity number for made-up senders (the check digit completed)."""
    from reception.errors import Invalid
    from reception.letters.rules import check_id_number

    for last in "0123456789":
        try:
            return check_id_number(first_nine + last)[0]
        except Invalid:
            continue
    raise ValueError(first_nine)


def demo_letters(engine: Engine, public_base_url: str) -> None:
    """The labelled sample letters, and the demo's own for the categories the labelled
    set leaves out, as if received by mail: most already classified (so the desk's
    suggestions have something to learn from), the last of each category still
    waiting for triage."""
    from reception.demo_categories import LETTERS
    from reception.letters.actions import classify_and_route, register_letter
    from reception.letters.models import Letter
    from reception.letters.samples import SAMPLES

    clock = Clock()
    with session_scope(engine) as session:
        if session.exec(select(Letter.id)).first() is not None:
            return
    letters = [*SAMPLES, *LETTERS]
    last_of = {category: index for index, (category, _, _) in enumerate(letters)}
    # Seeded before any server runs: nobody follows the letters channels yet, so the
    # actions' events are not published.
    for index, (category, subject, body) in enumerate(letters):
        with session_scope(engine) as session:
            done = register_letter(
                session,
                clock,
                SYSTEM,
                branch="riyadh",
                channel="mail",
                sender_name=f"مراجع تجريبي {index + 1}",
                sender_id_number=luhn_id(f"1{index:08d}"),
                sex="male" if index % 2 else "female",
                subject=subject,
                body=body,
                public_base_url=public_base_url,
            ).value
            if last_of[category] != index:
                classify_and_route(
                    session,
                    clock,
                    SYSTEM,
                    letter_id=done.letter.id or 0,
                    category=category,
                    public_base_url=public_base_url,
                )


def _demo_slots(session: Session, branch: Branch) -> None:
    """Booked appointments every day of the week from 08:00 to 22:00, so the booking
    screen and the calendar have something to show whenever the demo is opened."""
    from reception.appointments.models import SlotTemplate
    from reception.appointments.setup import add_slot_template

    if session.exec(select(SlotTemplate).where(SlotTemplate.branch_id == branch.id)).first():
        return
    for hall in ("men", "women"):
        add_slot_template(
            session,
            branch=branch.slug,
            hall=hall,
            service="appointment",
            weekdays="sun-sat",
            start="08:00",
            end="22:00",
            slot_minutes=15,
            capacity=3,
            actor="system",
        )


def demo_appointments(engine: Engine) -> list[str]:
    """Two bookings in the next free slots (one per hall) so check-in by code can be tried;
    the bookings still open today are listed again on later runs."""
    from datetime import timedelta

    from reception.appointments.actions import book_appointment
    from reception.appointments.models import Appointment, AppointmentStatus

    clock = Clock()
    now = clock.now()
    with session_scope(engine) as session:
        open_ones = list(
            session.exec(
                select(Appointment)
                .where(
                    Appointment.status == AppointmentStatus.booked,
                    Appointment.starts_at > now,
                    Appointment.starts_at < now + timedelta(hours=26),
                )
                .order_by(col(Appointment.starts_at))
            )
        )
        if not open_ones:
            from reception.appointments.queries import free_slots
            from reception.queue import queries as queue_queries

            branch = queue_queries.branch_by_slug(session, "riyadh")
            service = queue_queries.service_by_slug(session, branch, "appointment")
            today = clock.local_date(branch.timezone)
            for hall_slug, nth in (("men", 0), ("women", 1)):
                hall = queue_queries.hall_by_slug(session, branch, hall_slug)
                free = free_slots(
                    session, clock, branch, hall, service, today, today + timedelta(days=1)
                )
                if len(free) <= nth:
                    continue
                booked = book_appointment(
                    session,
                    clock,
                    SYSTEM,
                    branch="riyadh",
                    hall=hall_slug,
                    service="appointment",
                    starts_at=free[nth].starts_at,
                    name="زائر تجريبي",
                )
                open_ones.append(booked.value)
        halls = {h.id: h.slug for h in session.exec(select(Hall))}
        zones = {b.id: b.timezone for b in session.exec(select(Branch))}
        return [
            f"{a.code} ({halls.get(a.hall_id)} hall, "
            f"{local_time(a.starts_at, zones.get(a.branch_id), 'time')})"
            for a in open_ones
        ]


def _write_logins(path: Path, logins: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Demo accounts (username: password). For trying the product only.\n"
    text += "".join(f"{user}: {password}\n" for user, password in logins.items())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def _demo_tickets(engine: Engine, public_base_url: str) -> None:
    """A few tickets for today, unless today already has some."""
    clock = Clock()
    with session_scope(engine) as session:
        branch = session.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        today = clock.local_date(branch.timezone)
        if session.exec(select(Ticket).where(Ticket.business_date == today)).first():
            return
    with session_scope(engine) as session:
        # A demo ticket of an earlier day may still be open at counter 1: the end-of-day
        # pass closes it (expired), so today's first call finds the counter free.
        close_past_days(session, clock)
    for hall in ("men", "women"):
        for service in ("letter", "follow_up", "letter", "complaint"):
            with session_scope(engine) as session:
                checkin.issue_ticket(
                    session,
                    clock,
                    SYSTEM,
                    branch="riyadh",
                    hall=hall,
                    service=service,
                    public_base_url=public_base_url,
                )
        with session_scope(engine) as session:
            counter = session.exec(
                select(Counter).join(Hall).where(Hall.slug == hall, Counter.number == 1)
            ).one()
            actions.call_next(session, clock, SYSTEM, counter.id or 0)
    demo_remote_tickets(engine, public_base_url)
