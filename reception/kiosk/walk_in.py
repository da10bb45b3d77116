"""An appointment code that can no longer be checked in (its time has passed, it was
marked not come or was cancelled) is not a dead end at the kiosk: the visitor is told
why in plain words and offered an ordinary ticket for the same hall and service."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from reception.appointments.actions import appointment_by_code
from reception.appointments.models import AppointmentStatus
from reception.auth.principal import Principal
from reception.errors import N_, DomainError
from reception.queue import queries
from reception.queue.models import Branch, Hall, Service, ServiceMode
from reception.timefmt import local_time

MISSED_CODES = frozenset({"too_late", "illegal_appointment_transition"})
"""The check-in refusals after which a walk-in ticket is the way on."""

REASONS = {
    AppointmentStatus.no_show: N_(
        "Your appointment at {time} was missed, so it cannot be used now. "
        "You can take an ordinary ticket and wait with the other visitors."
    ),
    AppointmentStatus.cancelled: N_(
        "This appointment was cancelled, so it cannot be used now. "
        "You can take an ordinary ticket and wait with the other visitors."
    ),
    AppointmentStatus.booked: N_(
        "The time of your appointment ({time}) has passed. "
        "You can take an ordinary ticket and wait with the other visitors."
    ),
}
"""Why the code no longer checks in, by the appointment's state."""

NO_WALK_IN = N_(
    "This service is by appointment only. Please ask at the reception desk for a new time."
)


@dataclass
class WalkInOffer:
    message: str
    """A message id with `{time}` (the appointment's local time) to fill."""
    time: str
    hall: Hall
    service: Service
    walk_in: bool
    """Whether the kiosk may issue an ordinary ticket for this service."""


def walk_in_offer(
    session: Session, principal: Principal, code: str, refusal: DomainError
) -> WalkInOffer | None:
    """What to offer after `refusal`, or None when the refusal is of another kind."""
    if refusal.code not in MISSED_CODES:
        return None
    row = appointment_by_code(session, principal, code)
    message = REASONS.get(AppointmentStatus(row.status))
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    service = session.get(Service, row.service_id)
    if message is None or branch is None or hall is None or service is None:
        return None
    if not principal.may_use_hall(branch.id or 0, hall.id or 0):
        return None
    offered = {s.id for s in queries.hall_services(session, hall)}
    walk_in = service.id in offered and service.mode != ServiceMode.appointment
    return WalkInOffer(
        message=message if walk_in else NO_WALK_IN,
        time=local_time(row.starts_at, branch.timezone, "time"),
        hall=hall,
        service=service,
        walk_in=walk_in,
    )
