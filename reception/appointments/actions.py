"""Writers of appointments: book a slot, cancel, reschedule, check in at the kiosk
(reminders and no-shows: `reminders.py`). A meeting with the minister books and
cancels its appointment through `meetings.py`; slot templates are set up in `setup.py`."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from reception import audit, timefmt
from reception.appointments.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    SlotSeats,
    SlotTemplate,
)
from reception.appointments.rules import (
    Arrival,
    arrival,
    check_appointment_transition,
    slot_at,
)
from reception.auth import fields
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.bidi import refuse_direction_overrides
from reception.clock import Clock
from reception.errors import N_, Conflict, Forbidden, Invalid, NotFound
from reception.inputs import digits_only
from reception.notify.outbox import enqueue_sms
from reception.outcome import Outcome
from reception.queue import queries
from reception.queue.checkin import (
    APPOINTMENT_PRIORITY,
    IssuedTicket,
    describe_issued,
    issue_ticket,
)
from reception.queue.models import Branch, Hall, PriorityGroup, Service, ServiceMode, Ticket
from reception.queue.rules import check_residency, normalise_phone
from reception.settings import LANGUAGES

CODE_DIGITS = 8
CITIZEN = Principal("citizen", 0, "citizen", "citizen", None, frozenset())
"""Acting from a tracking link: no role, so it can only ever use the slots offered."""


def _new_code(session: Session) -> str:
    """Eight digits: typed on a keypad by anyone, read by a QR scanner as keystrokes."""
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        taken = session.exec(select(Appointment.id).where(Appointment.code == code)).first()
        if taken is None:
            return code


def local_time(moment: datetime, branch: Branch) -> str:
    return timefmt.local_time(moment, branch.timezone, "time")


def _active_templates(session: Session, hall_id: int, service_id: int) -> list[SlotTemplate]:
    return list(
        session.exec(
            select(SlotTemplate)
            .where(
                SlotTemplate.hall_id == hall_id,
                SlotTemplate.service_id == service_id,
                SlotTemplate.active == True,  # noqa: E712
            )
            .order_by(col(SlotTemplate.id))
        )
    )


def _seat_statement(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    return pg_insert if dialect == "postgresql" else sqlite_insert


def take_seat(session: Session, template: SlotTemplate, starts_at: datetime) -> None:
    """One seat of the slot, or Conflict when none is left. The conditional UPDATE is
    what makes the last seat safe: on PostgreSQL a second transaction waits for the
    first's row lock and then sees `taken` already at capacity; SQLite has one writer."""
    table = SlotSeats.__table__  # type: ignore[attr-defined]
    insert = _seat_statement(session)(table).values(
        template_id=template.id, starts_at=starts_at, taken=0
    )
    session.execute(insert.on_conflict_do_nothing(index_elements=["template_id", "starts_at"]))
    taken = session.execute(
        update(table)
        .where(
            table.c.template_id == template.id,
            table.c.starts_at == starts_at,
            table.c.taken < template.capacity,
        )
        .values(taken=table.c.taken + 1)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "slot_full",
            N_("This time has just been fully booked. Please choose another time."),
        )


def release_seat(session: Session, template_id: int | None, starts_at: datetime) -> None:
    if template_id is None:
        return
    table = SlotSeats.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(
            table.c.template_id == template_id,
            table.c.starts_at == starts_at,
            table.c.taken > 0,
        )
        .values(taken=table.c.taken - 1)
    )


def _find_slot(
    session: Session,
    principal: Principal,
    branch: Branch,
    hall: Hall,
    service: Service,
    starts_at: datetime,
) -> SlotTemplate | None:
    """The template whose slot starts at `starts_at`. Without any template for the hall
    and service, only a supervisor or administrator may book a free time (the
    minister's office, a special case); everyone else books the slots offered."""
    templates = _active_templates(session, hall.id or 0, service.id or 0)
    if not templates:
        if principal.has_role(Role.admin, Role.supervisor):
            return None
        raise Invalid(
            "no_slots",
            N_("No appointment times have been set for this service yet."),
        )
    for template in templates:
        if slot_at(template, starts_at, branch.timezone, branch.holidays) is not None:
            return template
    raise Invalid(
        "no_such_slot",
        N_("There is no appointment time at {time} on {day}. Please choose a free time."),
        time=local_time(starts_at, branch),
        day=timefmt.local_time(starts_at, branch.timezone, "date"),
    )


def tracking_link(public_base_url: str, row: Appointment) -> str:
    return f"{public_base_url.rstrip('/')}/a/{row.tracking_token}"


def notify_visitor(
    session: Session,
    row: Appointment,
    purpose: str,
    key: str,
    public_base_url: str,
    now: datetime | None = None,
    **extra: Any,
) -> None:
    if not row.phone:
        return
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    service = session.get(Service, row.service_id)
    assert branch is not None and hall is not None and service is not None
    ar = row.language == "ar"
    enqueue_sms(
        session,
        to=row.phone,
        purpose=purpose,
        language=row.language,
        key=key,
        branch_id=row.branch_id,
        now=now,
        code=row.code,
        day=timefmt.local_time(row.starts_at, branch.timezone, "date"),
        time=timefmt.local_time(row.starts_at, branch.timezone, "time"),
        service=service.name_ar if ar else service.name_en,
        hall=hall.name_ar if ar else hall.name_en,
        branch=branch.name_ar if ar else branch.name_en,
        link=tracking_link(public_base_url, row),
        **extra,
    )


def book_appointment(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    branch: str,
    hall: str,
    service: str,
    starts_at: datetime,
    phone: str | None = None,
    name: str = "",
    language: str = "ar",
    public_base_url: str = "",
    kind: AppointmentKind = AppointmentKind.visit,
    notify: bool = True,
    residency: str | None = None,
) -> Outcome[Appointment]:
    """A visit in one of the slots offered (staff on the phone, or an online portal
    with a staff token). Takes a seat of the slot in the same transaction."""
    principal.require_role(Role.admin, Role.supervisor, Role.operator)
    given = {"phone": phone, "name": name, "residency": residency}
    fields.require_settable(principal, "appointment.book", [k for k, v in given.items() if v])
    branch_row = queries.branch_by_slug(session, branch)
    hall_row = queries.hall_by_slug(session, branch_row, hall)
    assert branch_row.id is not None and hall_row.id is not None
    principal.require_hall(branch_row.id, hall_row.id)
    service_row = queries.service_by_slug(session, branch_row, service)
    if service_row.mode == ServiceMode.walk_in:
        raise Invalid("walk_in_only", N_("This service takes walk-in visitors only."))
    if not queries.service_offered(session, hall_row.id, service_row.id or 0):
        raise Invalid("service_not_in_hall", N_("This service is not offered in this hall."))
    if starts_at.tzinfo is None:
        raise Invalid("naive_time", N_("Give the time with its time zone."))
    if starts_at <= clock.now():
        raise Invalid("in_the_past", N_("An appointment is booked for a time still to come."))
    if language not in LANGUAGES:
        raise Invalid("bad_language", N_("Language is ar or en."))
    check_residency(residency)
    phone_e164 = normalise_phone(phone) if phone else None
    template = _find_slot(session, principal, branch_row, hall_row, service_row, starts_at)
    if template is not None:
        take_seat(session, template, starts_at)
    row = Appointment(
        code=_new_code(session),
        tracking_token=secrets.token_urlsafe(24),
        kind=kind,
        branch_id=branch_row.id,
        hall_id=hall_row.id,
        service_id=service_row.id or 0,
        template_id=template.id if template is not None else None,
        starts_at=starts_at,
        name=refuse_direction_overrides(name).strip()[:120],
        phone=phone_e164,
        language=language,
        residency=residency,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(session, principal.actor, "appointment.book", "appointment", row.id)
    if notify:
        now = clock.now()
        notify_visitor(session, row, "appointment_booked", str(row.id), public_base_url, now)
    return Outcome(row)


def appointment_by_token(session: Session, token: str) -> Appointment:
    row = session.exec(select(Appointment).where(Appointment.tracking_token == token[:64])).first()
    if row is None or not token:
        raise NotFound("unknown_link", N_("This link is not valid. Please check the SMS."))
    return row


def _staff_appointment(session: Session, principal: Principal, appointment_id: int) -> Appointment:
    principal.require_role(Role.admin, Role.supervisor, Role.operator)
    row = session.get(Appointment, appointment_id)
    if row is None or not principal.may_use_hall(row.branch_id, row.hall_id):
        raise NotFound("unknown_appointment", N_("There is no such appointment."))
    return row


def _cancel(
    session: Session,
    row: Appointment,
    actor: str,
    public_base_url: str,
    now: datetime | None = None,
) -> Outcome[Appointment]:
    check_appointment_transition(row.status, AppointmentStatus.cancelled)
    release_seat(session, row.template_id, row.starts_at)
    row.status = AppointmentStatus.cancelled
    session.add(row)
    audit.record(session, actor, "appointment.cancel", "appointment", row.id)
    notify_visitor(session, row, "appointment_cancelled", str(row.id), public_base_url, now)
    return Outcome(row)


def _reschedule(
    session: Session,
    clock: Clock,
    principal: Principal,
    row: Appointment,
    starts_at: datetime,
    actor: str,
    public_base_url: str,
) -> Outcome[Appointment]:
    check_appointment_transition(row.status, AppointmentStatus.booked)
    if starts_at.tzinfo is None:
        raise Invalid("naive_time", N_("Give the time with its time zone."))
    if starts_at <= clock.now():
        raise Invalid("in_the_past", N_("An appointment is booked for a time still to come."))
    if starts_at == row.starts_at:
        return Outcome(row)
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    service = session.get(Service, row.service_id)
    assert branch is not None and hall is not None and service is not None
    template = _find_slot(session, principal, branch, hall, service, starts_at)
    if template is not None:
        take_seat(session, template, starts_at)
    release_seat(session, row.template_id, row.starts_at)
    was = row.starts_at
    row.starts_at = starts_at
    row.template_id = template.id if template is not None else None
    row.reminded_day = row.reminded_soon = False
    session.add(row)
    audit.record(
        session, actor, "appointment.reschedule", "appointment", row.id, was=was.isoformat()
    )
    notify_visitor(
        session,
        row,
        "appointment_changed",
        f"{row.id}:{int(starts_at.timestamp())}",
        public_base_url,
        clock.now(),
    )
    return Outcome(row)


def cancel_appointment(
    session: Session,
    principal: Principal,
    appointment_id: int,
    *,
    public_base_url: str = "",
    clock: Clock | None = None,
) -> Outcome[Appointment]:
    row = _staff_appointment(session, principal, appointment_id)
    now = clock.now() if clock is not None else None
    return _cancel(session, row, principal.actor, public_base_url, now)


def reschedule_appointment(
    session: Session,
    clock: Clock,
    principal: Principal,
    appointment_id: int,
    *,
    starts_at: datetime,
    public_base_url: str = "",
) -> Outcome[Appointment]:
    row = _staff_appointment(session, principal, appointment_id)
    return _reschedule(session, clock, principal, row, starts_at, principal.actor, public_base_url)


def cancel_by_citizen(
    session: Session, clock: Clock, token: str, *, public_base_url: str = ""
) -> Outcome[Appointment]:
    """From the tracking link: the link is the visitor's proof, as for the SMS itself."""
    row = appointment_by_token(session, token)
    if row.kind == AppointmentKind.meeting:
        raise Conflict(
            "meeting_by_office",
            N_("A meeting with the minister is changed by the minister's office."),
        )
    return _cancel(session, row, "citizen", public_base_url, clock.now())


def reschedule_by_citizen(
    session: Session, clock: Clock, token: str, *, starts_at: datetime, public_base_url: str = ""
) -> Outcome[Appointment]:
    row = appointment_by_token(session, token)
    if row.kind == AppointmentKind.meeting:
        raise Conflict(
            "meeting_by_office",
            N_("A meeting with the minister is changed by the minister's office."),
        )
    # The citizen may only move to a slot the service offers, never to a free time.
    return _reschedule(session, clock, CITIZEN, row, starts_at, "citizen", public_base_url)


def appointment_by_code(session: Session, principal: Principal, code: str) -> Appointment:
    cleaned = digits_only(code)
    row = None
    if len(cleaned) == CODE_DIGITS:
        row = session.exec(select(Appointment).where(Appointment.code == cleaned)).first()
    if row is None or not principal.may_use_branch(row.branch_id):
        raise NotFound(
            "unknown_appointment",
            N_("There is no appointment with this code here. Please check the code."),
        )
    return row


def check_in(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    code: str,
    public_base_url: str,
    language: str = "ar",
    residency: str | None = None,
) -> Outcome[IssuedTicket]:
    """Turn a booked appointment into a ticket with the appointment priority. Checking
    in twice gives the same ticket (a double tap, a retry after a network blip). The
    ticket carries the residency the visitor states now, or else the one of the
    booking, so appointment holders count in the statistics like walk-ins."""
    principal.require_role(Role.kiosk, Role.admin, Role.supervisor)
    fields.require_settable(principal, "appointment.check_in", ["residency"] if residency else [])
    check_residency(residency)
    row = appointment_by_code(session, principal, code)
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    assert branch is not None and hall is not None and hall.id is not None
    if not principal.may_use_hall(branch.id or 0, hall.id):
        raise Forbidden(
            "other_hall",
            N_("This appointment is in {hall}. Please use the kiosk of that hall."),
            hall=hall.name_ar if language == "ar" else hall.name_en,
        )
    if row.status == AppointmentStatus.checked_in and row.ticket_id is not None:
        earlier = session.get(Ticket, row.ticket_id)
        assert earlier is not None

        return Outcome(describe_issued(session, earlier, hall, public_base_url, replayed=True))
    check_appointment_transition(row.status, AppointmentStatus.checked_in)
    now = clock.now()
    when = arrival(row.starts_at, now, branch.checkin_early_minutes, branch.checkin_late_minutes)
    if when == Arrival.early:
        opens = row.starts_at.timestamp() - branch.checkin_early_minutes * 60
        raise Conflict(
            "too_early",
            N_("Your appointment is at {time}. Please check in from {opens}."),
            time=local_time(row.starts_at, branch),
            opens=local_time(datetime.fromtimestamp(opens, tz=row.starts_at.tzinfo), branch),
        )
    if when == Arrival.late:
        raise Conflict(
            "too_late",
            N_(
                "The time of your appointment ({time}) has passed. "
                "You can take a walk-in ticket instead."
            ),
            time=local_time(row.starts_at, branch),
        )
    service = session.get(Service, row.service_id)
    assert service is not None
    has_priority = session.exec(
        select(PriorityGroup.id).where(PriorityGroup.slug == APPOINTMENT_PRIORITY)
    ).first()
    outcome = issue_ticket(
        session,
        clock,
        principal,
        branch=branch.slug,
        hall=hall.slug,
        service=service.slug,
        public_base_url=public_base_url,
        phone=row.phone,
        priority=APPOINTMENT_PRIORITY if has_priority is not None else None,
        residency=residency or row.residency,
        language=language,
        idempotency_key=f"appointment:{row.id}",
        by_appointment=True,
    )
    row.status = AppointmentStatus.checked_in
    row.ticket_id = outcome.value.ticket.id
    row.checked_in_at = now
    session.add(row)
    audit.record(
        session,
        principal.actor,
        "appointment.check_in",
        "appointment",
        row.id,
        ticket=outcome.value.ticket.number,
        residency=outcome.value.ticket.residency,
    )
    return outcome
