"""Slot templates as data: an administrator says when a hall offers a service by
appointment, and the bookable slots follow at once. Audited, for the command line,
the administration page and the API alike."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from reception import audit
from reception.appointments.models import SlotTemplate
from reception.appointments.rules import check_template, parse_weekdays
from reception.errors import N_, Invalid, NotFound
from reception.inputs import check_day
from reception.queue import queries
from reception.queue.models import ServiceMode


def _dates(days: list[str]) -> list[str]:
    clean = []
    for text in days:
        try:
            day = date.fromisoformat(text)
        except (TypeError, ValueError):
            raise Invalid("bad_date", N_("Dates are written like 2026-12-01.")) from None
        clean.append(check_day(day).isoformat())
    return sorted(set(clean))


def add_slot_template(
    session: Session,
    *,
    branch: str,
    hall: str,
    service: str,
    weekdays: str,
    start: str,
    end: str,
    slot_minutes: int = 15,
    capacity: int = 1,
    valid_from: date | None = None,
    valid_until: date | None = None,
    blackout_dates: list[str] | None = None,
    actor: str = "cli",
) -> SlotTemplate:
    branch_row = queries.branch_by_slug(session, branch)
    hall_row = queries.hall_by_slug(session, branch_row, hall)
    service_row = queries.service_by_slug(session, branch_row, service)
    if service_row.mode == ServiceMode.walk_in:
        raise Invalid("walk_in_only", N_("This service takes walk-in visitors only."))
    check_template(weekdays, start, end, slot_minutes, capacity)
    if valid_from and valid_until and valid_until < valid_from:
        raise Invalid("bad_range", N_("The last day comes after the first."))
    row = SlotTemplate(
        branch_id=branch_row.id or 0,
        hall_id=hall_row.id or 0,
        service_id=service_row.id or 0,
        weekdays=",".join(parse_weekdays(weekdays)),
        start=start,
        end=end,
        slot_minutes=slot_minutes,
        capacity=capacity,
        valid_from=valid_from,
        valid_until=valid_until,
        blackout_dates=_dates(blackout_dates or []),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "slot_template.add", "slot_template", row.id)
    return row


def template_by_id(session: Session, template_id: int) -> SlotTemplate:
    row = session.get(SlotTemplate, template_id)
    if row is None:
        raise NotFound("unknown_template", N_("There is no such slot template."))
    return row


def set_template(
    session: Session,
    template_id: int,
    *,
    capacity: int | None = None,
    blackout_dates: list[str] | None = None,
    active: bool | None = None,
    actor: str = "cli",
) -> SlotTemplate:
    """Change what can change without moving booked visitors: capacity, blackout
    dates, on/off. Seats already taken stay taken."""
    row = template_by_id(session, template_id)
    if capacity is not None:
        check_template(row.weekdays, row.start, row.end, row.slot_minutes, capacity)
        row.capacity = capacity
    if blackout_dates is not None:
        row.blackout_dates = _dates(blackout_dates)
    if active is not None:
        row.active = active
    session.add(row)
    audit.record(session, actor, "slot_template.set", "slot_template", row.id)
    return row


def list_templates(session: Session, branch: str) -> list[SlotTemplate]:
    branch_row = queries.branch_by_slug(session, branch)
    return list(
        session.exec(
            select(SlotTemplate)
            .where(SlotTemplate.branch_id == branch_row.id)
            .order_by(col(SlotTemplate.id))
        )
    )
