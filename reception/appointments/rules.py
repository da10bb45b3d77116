"""When an appointment may check in, and how its state may change."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from reception.appointments.models import AppointmentStatus as A
from reception.errors import N_, Conflict

TRANSITIONS: dict[tuple[A, A], str] = {
    (A.booked, A.checked_in): "check_in",
    (A.booked, A.cancelled): "cancel",
    (A.booked, A.no_show): "no_show",
}


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
