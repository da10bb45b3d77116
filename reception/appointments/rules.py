"""When an appointment may check in, and how its state may change."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from reception.appointments.models import AppointmentStatus as A
from reception.appointments.models import MeetingStatus as M
from reception.appointments.models import SlotTemplate
from reception.errors import N_, Conflict, Invalid
from reception.queue.rules import WEEKDAYS, parse_hours

TRANSITIONS: dict[tuple[A, A], str] = {
    (A.booked, A.checked_in): "check_in",
    (A.booked, A.cancelled): "cancel",
    (A.booked, A.no_show): "no_show",
    (A.booked, A.booked): "reschedule",
}

MEETING_TRANSITIONS: dict[tuple[M, M], str] = {
    (M.requested, M.approved): "approve",
    (M.requested, M.proposed): "propose",
    (M.requested, M.declined): "decline",
    (M.requested, M.referred): "refer",
    (M.proposed, M.approved): "accept",
    (M.proposed, M.proposed): "propose",
    (M.proposed, M.declined): "decline",
    (M.proposed, M.cancelled): "withdraw",
    (M.requested, M.cancelled): "withdraw",
    (M.approved, M.cancelled): "cancel",
    (M.approved, M.approved): "reschedule",
}


def check_meeting_transition(current: str, target: M) -> str:
    try:
        return MEETING_TRANSITIONS[(M(current), target)]
    except (KeyError, ValueError):
        raise Conflict(
            "illegal_meeting_transition",
            N_("This is not possible for a meeting request that is {current}."),
            current=current,
        ) from None


def check_appointment_transition(current: str, target: A) -> str:
    try:
        return TRANSITIONS[(A(current), target)]
    except (KeyError, ValueError):
        raise Conflict(
            "illegal_appointment_transition",
            N_("This is not possible for an appointment that is {current}."),
            current=current,
        ) from None


class Arrival(StrEnum):
    early = "early"
    on_time = "on_time"
    late = "late"


def arrival(starts_at: datetime, now: datetime, early_minutes: int, late_minutes: int) -> Arrival:
    """On time means from `early_minutes` before the appointment until `late_minutes`
    after it, both ends included."""
    if now < starts_at - timedelta(minutes=early_minutes):
        return Arrival.early
    if now > starts_at + timedelta(minutes=late_minutes):
        return Arrival.late
    return Arrival.on_time


@dataclass(frozen=True)
class Slot:
    template_id: int
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    capacity: int


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def parse_weekdays(text: str) -> list[str]:
    """`sun,mon` or `sun-thu` → the weekday names, as in opening hours."""
    return list(parse_hours(text, "08:00", "09:00"))


def check_template(weekdays: str, start: str, end: str, slot_minutes: int, capacity: int) -> None:
    """Raises Invalid for a template an administrator could not have meant."""
    parse_hours(weekdays, start, end)
    if not 5 <= slot_minutes <= 480:
        raise Invalid("bad_slot_length", N_("A slot lasts from 5 to 480 minutes."))
    if not 1 <= capacity <= 500:
        raise Invalid("bad_capacity", N_("A slot takes from 1 to 500 visitors."))
    if _minutes(end) - _minutes(start) < slot_minutes:
        raise Invalid("no_room_for_a_slot", N_("The hours are shorter than one slot."))


def generate_slots(
    template: SlotTemplate,
    first_day: date,
    last_day: date,
    timezone: str,
    holidays: Iterable[str] = (),
) -> list[Slot]:
    """Every slot the template offers from `first_day` to `last_day` (both included,
    branch local dates). A slot must end by the template's end; holidays of the branch
    and the template's own blackout dates give none. Times are converted from the
    branch's zone to UTC, so a slot is the same instant wherever it is read."""
    zone = ZoneInfo(timezone)
    days = set(parse_weekdays(template.weekdays))
    closed = set(holidays) | set(template.blackout_dates or [])
    begin, finish = _minutes(template.start), _minutes(template.end)
    step = template.slot_minutes
    slots: list[Slot] = []
    day = first_day
    while day <= last_day:
        usable = (
            WEEKDAYS[day.weekday()] in days
            and day.isoformat() not in closed
            and (template.valid_from is None or day >= template.valid_from)
            and (template.valid_until is None or day <= template.valid_until)
        )
        if usable:
            midnight = datetime.combine(day, time(0, 0), tzinfo=zone)
            minute = begin
            while minute + step <= finish:
                local = midnight + timedelta(minutes=minute)
                starts = local.astimezone(UTC)
                slots.append(
                    Slot(
                        template_id=template.id or 0,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=step),
                        capacity=template.capacity,
                    )
                )
                minute += step
        day += timedelta(days=1)
    return slots


def slot_at(
    template: SlotTemplate, moment: datetime, timezone: str, holidays: Iterable[str] = ()
) -> Slot | None:
    """The template's slot that starts exactly at `moment`, if it offers one."""
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    for slot in generate_slots(template, local_day, local_day, timezone, holidays):
        if slot.starts_at == moment.astimezone(UTC):
            return slot
    return None


def due_reminder(starts_at: datetime, now: datetime, day_sent: bool, soon_sent: bool) -> str | None:
    """Which reminder an appointment should get now: `soon` within two hours of it,
    `day` within a day of it (booked less than a day ahead: only the `soon` one)."""
    if now >= starts_at:
        return None
    ahead = starts_at - now
    if ahead <= timedelta(hours=2):
        return None if soon_sent else "soon"
    if ahead <= timedelta(hours=24):
        return None if day_sent else "day"
    return None
