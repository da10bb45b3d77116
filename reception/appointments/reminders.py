"""The housekeeping of appointments: the reminders by SMS before a visit, and the
no-shows once a check-in window has closed. Run by the housekeeping pass."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from reception import audit
from reception.appointments.actions import notify_visitor
from reception.appointments.models import Appointment, AppointmentStatus
from reception.appointments.rules import (
    Arrival,
    arrival,
    check_appointment_transition,
    due_reminder,
)
from reception.clock import Clock
from reception.queue.models import Branch


def send_due_reminders(session: Session, clock: Clock, public_base_url: str) -> int:
    """The day-before and two-hours-before SMS of every booked appointment that is due
    one. Idempotent: a flag per reminder, and the outbox key carries the time, so a
    rescheduled appointment is reminded again of its new time."""
    now = clock.now()
    rows = session.exec(
        select(Appointment).where(
            Appointment.status == AppointmentStatus.booked,
            col(Appointment.phone).is_not(None),
            Appointment.starts_at > now,
            Appointment.starts_at <= now + timedelta(hours=24),
            (Appointment.reminded_day == False) | (Appointment.reminded_soon == False),  # noqa: E712
        )
    ).all()
    sent = 0
    for row in rows:
        which = due_reminder(row.starts_at, now, row.reminded_day, row.reminded_soon)
        if which is None:
            continue
        purpose = "appointment_reminder_day" if which == "day" else "appointment_reminder_soon"
        notify_visitor(
            session,
            row,
            purpose,
            f"{row.id}:{int(row.starts_at.timestamp())}",
            public_base_url,
            now,
        )
        row.reminded_day = True
        if which == "soon":
            row.reminded_soon = True
        session.add(row)
        sent += 1
    return sent


def mark_no_shows(session: Session, clock: Clock) -> int:
    """Booked appointments whose check-in window has closed become `no_show`."""
    now = clock.now()
    marked = 0
    branches = {b.id: b for b in session.exec(select(Branch))}
    rows = session.exec(
        select(Appointment).where(
            Appointment.status == AppointmentStatus.booked,
            Appointment.starts_at < now,
        )
    ).all()
    for row in rows:
        branch = branches.get(row.branch_id)
        late = branch.checkin_late_minutes if branch is not None else 15
        if arrival(row.starts_at, now, 0, late) != Arrival.late:
            continue
        check_appointment_transition(row.status, AppointmentStatus.no_show)
        row.status = AppointmentStatus.no_show
        session.add(row)
        audit.record(session, "system", "appointment.no_show", "appointment", row.id)
        marked += 1
    return marked
