"""Reads for appointments: free slots, the staff calendar, a day's agenda, the
citizen's view of a booking, and how often a number has not come."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from reception.appointments.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    MeetingRequest,
    SlotSeats,
    SlotTemplate,
)
from reception.appointments.rules import Slot, generate_slots
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Forbidden, Invalid
from reception.queue import queries as queue_queries
from reception.queue.models import Branch, Hall, Service

MAX_DAYS = 62


@dataclass(frozen=True)
class SlotView:
    template_id: int
    starts_at: datetime
    local: datetime
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)


def _templates(
    session: Session, branch: Branch, hall: Hall | None, service: Service | None
) -> list[SlotTemplate]:
    stmt = select(SlotTemplate).where(
        SlotTemplate.branch_id == branch.id,
        SlotTemplate.active == True,  # noqa: E712
    )
    if hall is not None:
        stmt = stmt.where(SlotTemplate.hall_id == hall.id)
    if service is not None:
        stmt = stmt.where(SlotTemplate.service_id == service.id)
    return list(session.exec(stmt.order_by(col(SlotTemplate.id))))


def check_range(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise Invalid("bad_range", N_("The last day comes after the first."))
    if (last_day - first_day).days >= MAX_DAYS:
        raise Invalid("range_too_long", N_("Ask for at most {days} days at once."), days=MAX_DAYS)


def slots(
    session: Session,
    branch: Branch,
    first_day: date,
    last_day: date,
    *,
    hall: Hall | None = None,
    service: Service | None = None,
    after: datetime | None = None,
) -> list[SlotView]:
    """Every slot of the branch's templates in the range with its seats taken, in
    time order; `after` leaves out slots that have already begun."""
    check_range(first_day, last_day)
    templates = _templates(session, branch, hall, service)
    if not templates:
        return []
    generated: list[Slot] = []
    for template in templates:
        generated += generate_slots(template, first_day, last_day, branch.timezone, branch.holidays)
    if not generated:
        return []
    low = min(s.starts_at for s in generated)
    high = max(s.starts_at for s in generated)
    taken = {
        (row.template_id, row.starts_at.astimezone(UTC)): row.taken
        for row in session.exec(
            select(SlotSeats).where(
                col(SlotSeats.template_id).in_([t.id for t in templates]),
                SlotSeats.starts_at >= low,
                SlotSeats.starts_at <= high,
            )
        )
    }
    zone = ZoneInfo(branch.timezone)
    out = [
        SlotView(
            template_id=s.template_id,
            starts_at=s.starts_at,
            local=s.starts_at.astimezone(zone),
            capacity=s.capacity,
            taken=taken.get((s.template_id, s.starts_at), 0),
        )
        for s in generated
        if after is None or s.starts_at > after
    ]
    out.sort(key=lambda v: (v.starts_at, v.template_id))
    return out


def free_slots(
    session: Session,
    clock: Clock,
    branch: Branch,
    hall: Hall,
    service: Service,
    first_day: date,
    last_day: date,
) -> list[SlotView]:
    return [
        s
        for s in slots(
            session, branch, first_day, last_day, hall=hall, service=service, after=clock.now()
        )
        if s.free > 0
    ]


def appointments_between(
    session: Session,
    branch: Branch,
    start: datetime,
    end: datetime,
    *,
    hall_ids: frozenset[int] | None = None,
    service: Service | None = None,
    kind: str | None = None,
) -> list[Appointment]:
    stmt = select(Appointment).where(
        Appointment.branch_id == branch.id,
        Appointment.starts_at >= start,
        Appointment.starts_at < end,
    )
    if hall_ids:
        stmt = stmt.where(col(Appointment.hall_id).in_(hall_ids))
    if service is not None:
        stmt = stmt.where(Appointment.service_id == service.id)
    if kind is not None:
        stmt = stmt.where(Appointment.kind == kind)
    return list(session.exec(stmt.order_by(col(Appointment.starts_at), col(Appointment.id))))


def no_show_counts(session: Session, phones: list[str]) -> dict[str, int]:
    """How many appointments each number has not come to (supervisors see it)."""
    if not phones:
        return {}
    rows = session.exec(
        select(Appointment.phone, func.count())
        .where(
            col(Appointment.phone).in_(phones),
            Appointment.status == AppointmentStatus.no_show,
        )
        .group_by(col(Appointment.phone))
    ).all()
    return {str(phone): int(n) for phone, n in rows}


@dataclass
class DayColumn:
    day: date
    slots: list[SlotView] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        return sum(s.capacity for s in self.slots)

    @property
    def taken(self) -> int:
        return sum(s.taken for s in self.slots)


def calendar(
    session: Session,
    branch: Branch,
    first_day: date,
    days: int,
    *,
    hall: Hall | None = None,
    service: Service | None = None,
) -> list[DayColumn]:
    """Capacity used per day and slot, for the staff day and week views."""
    last_day = first_day + timedelta(days=days - 1)
    by_day: dict[date, DayColumn] = defaultdict(lambda: DayColumn(date.min))
    for s in slots(session, branch, first_day, last_day, hall=hall, service=service):
        column = by_day[s.local.date()]
        column.day = s.local.date()
        column.slots.append(s)
    return [
        by_day[first_day + timedelta(days=i)]
        if (first_day + timedelta(days=i)) in by_day
        else DayColumn(first_day + timedelta(days=i))
        for i in range(days)
    ]


def local_day_bounds(branch: Branch, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(branch.timezone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def meetings_of(session: Session, appointment_ids: list[int]) -> dict[int, MeetingRequest]:
    if not appointment_ids:
        return {}
    return {
        m.appointment_id or 0: m
        for m in session.exec(
            select(MeetingRequest).where(col(MeetingRequest.appointment_id).in_(appointment_ids))
        )
    }


def is_meeting(row: Appointment) -> bool:
    return row.kind == AppointmentKind.meeting


def resolve(
    session: Session, principal: Principal, branch: str, hall: str, service: str
) -> tuple[Branch, Hall, Service]:
    """Branch, hall and service by slug, within what the principal may see."""
    branch_row = queue_queries.branch_by_slug(session, branch[:40])
    hall_row = queue_queries.hall_by_slug(session, branch_row, hall[:40])
    principal.require_hall(branch_row.id or 0, hall_row.id or 0)
    return branch_row, hall_row, queue_queries.service_by_slug(session, branch_row, service[:40])


def day_list(
    session: Session, principal: Principal, branch: str, day: date, *, hall: str | None = None
) -> list[tuple[Appointment, int]]:
    """A day's appointments (branch local day) in the halls the principal may use, with
    each number's count of appointments not come to."""
    branch_row = queue_queries.branch_by_slug(session, branch[:40])
    if not principal.may_use_branch(branch_row.id or 0):
        raise Forbidden("wrong_branch", N_("Your account is not allowed to work in this branch."))
    halls = [
        h
        for h in session.exec(select(Hall).where(Hall.branch_id == branch_row.id))
        if principal.may_use_hall(branch_row.id or 0, h.id or 0)
        and (hall is None or h.slug == hall)
    ]
    if not halls:
        raise Forbidden("wrong_hall", N_("Your account is not allowed to work in this hall."))
    start, end = local_day_bounds(branch_row, day)
    rows = appointments_between(
        session, branch_row, start, end, hall_ids=frozenset(h.id or 0 for h in halls)
    )
    misses = no_show_counts(session, sorted({r.phone for r in rows if r.phone}))
    return [(r, misses.get(r.phone or "", 0)) for r in rows]
