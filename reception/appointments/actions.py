"""The only writers of appointments: book one, check it in at the kiosk."""

from __future__ import annotations

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from reception import audit
from reception.appointments.models import Appointment, AppointmentStatus
from reception.appointments.rules import Arrival, arrival, check_appointment_transition
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Forbidden, Invalid, NotFound
from reception.notify.outbox import enqueue_sms
from reception.queue import queries
from reception.queue.actions import IssuedTicket, Outcome, describe_issued, issue_ticket
from reception.queue.models import Branch, Hall, PriorityGroup, Service, ServiceMode, Ticket
from reception.queue.rules import normalise_phone

CODE_DIGITS = 8
APPOINTMENT_PRIORITY = "appointment"


def _new_code(session: Session) -> str:
    """Eight digits: typed on a keypad by anyone, read by a QR scanner as keystrokes."""
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        taken = session.exec(select(Appointment.id).where(Appointment.code == code)).first()
        if taken is None:
            return code


def local_time(moment: datetime, branch: Branch) -> str:
    return moment.astimezone(ZoneInfo(branch.timezone)).strftime("%H:%M")


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
    language: str = "ar",
) -> Outcome[Appointment]:
    """A visit at a given time, booked by staff (or an integration with a staff token)."""
    principal.require_role(Role.admin, Role.supervisor, Role.operator)
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
    if language not in ("ar", "en"):
        raise Invalid("bad_language", N_("Language is ar or en."))
    phone_e164 = normalise_phone(phone) if phone else None
    row = Appointment(
        code=_new_code(session),
        branch_id=branch_row.id,
        hall_id=hall_row.id,
        service_id=service_row.id or 0,
        starts_at=starts_at,
        phone=phone_e164,
        language=language,
    )
    session.add(row)
    session.flush()
    audit.record(session, principal.actor, "appointment.book", "appointment", row.id)
    if phone_e164:
        local = starts_at.astimezone(ZoneInfo(branch_row.timezone))
        enqueue_sms(
            session,
            to=phone_e164,
            purpose="appointment_booked",
            language=language,
            key=str(row.id),
            code=row.code,
            day=local.strftime("%Y-%m-%d"),
            time=local.strftime("%H:%M"),
            service=service_row.name_ar if language == "ar" else service_row.name_en,
            hall=hall_row.name_ar if language == "ar" else hall_row.name_en,
            branch=branch_row.name_ar if language == "ar" else branch_row.name_en,
        )
    return Outcome(row)


def appointment_by_code(session: Session, principal: Principal, code: str) -> Appointment:
    cleaned = "".join(ch for ch in code if ch.isdigit())
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
) -> Outcome[IssuedTicket]:
    """Turn a booked appointment into a ticket with the appointment priority. Checking
    in twice gives the same ticket (a double tap, a retry after a network blip)."""
    principal.require_role(Role.kiosk, Role.admin, Role.supervisor)
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
    )
    return outcome
