"""Tickets joined from a phone on the supervisor's dashboard, per hall: those not
arrived yet (the place each holds, whether the visitor is on the way, how many were
called past it, whether it lost its place) and how many checked in today. Operators
never call them before they check in; the line holds them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from reception.queue import waiting_line
from reception.queue.models import Service, Ticket, TicketStatus
from reception.remote.models import RemoteTicket

LISTED = 30
"""At most this many remote tickets listed per hall (the first in line)."""


def remote_by_hall(
    session: Session, hall_ids: list[int], today: date, now: datetime
) -> dict[int, dict[str, Any]]:
    """Per hall: `away` (not arrived), `arrived_today`, `joined_today`, and `tickets`,
    the ones away in the order of their place."""
    found: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"away": 0, "arrived_today": 0, "joined_today": 0, "tickets": []}
    )
    if not hall_ids:
        return found
    arrived = case((col(Ticket.arrived_at).is_not(None), 1), else_=0)
    for hall_id, n, came in session.execute(
        select(col(Ticket.hall_id), func.count(), func.sum(arrived))
        .where(
            col(Ticket.hall_id).in_(hall_ids),
            col(Ticket.remote).is_(True),
            col(Ticket.business_date) == today,
        )
        .group_by(col(Ticket.hall_id))
    ).all():
        found[hall_id]["joined_today"] = int(n)
        found[hall_id]["arrived_today"] = int(came or 0)
    away = session.execute(
        select(Ticket, RemoteTicket, Service)
        .join(RemoteTicket, col(RemoteTicket.ticket_id) == col(Ticket.id))
        .join(Service, col(Service.id) == col(Ticket.service_id))
        .where(col(Ticket.hall_id).in_(hall_ids), col(Ticket.status) == TicketStatus.remote)
        .order_by(col(Ticket.hall_id), func.coalesce(col(Ticket.queue_key), col(Ticket.id)))
    ).all()
    states: dict[int, Any] = {}
    for ticket, row, service in away:
        hall = found[ticket.hall_id]
        hall["away"] += 1
        if len(hall["tickets"]) >= LISTED:
            continue
        if ticket.hall_id not in states:
            states[ticket.hall_id] = waiting_line.queue_state(session, ticket.hall_id)
        hall["tickets"].append(_row(session, ticket, row, service, states[ticket.hall_id], now))
    for hall in found.values():
        hall["tickets"].sort(key=lambda t: (t["place_lost"], t["place"] or 0))
    return found


def _row(
    session: Session, ticket: Ticket, row: RemoteTicket, service: Service, state: Any, now: datetime
) -> dict[str, Any]:
    place = None
    if not row.place_lost:
        place = waiting_line.position_of(session, ticket, state)
    left = None
    if row.on_way_at is not None and row.on_way_minutes is not None:
        gone = int((now - row.on_way_at).total_seconds() // 60)
        left = max(0, row.on_way_minutes - gone)
    return {
        "number": ticket.number,
        "service": {"slug": service.slug, "name_ar": service.name_ar, "name_en": service.name_en},
        "place": place,
        "on_way": row.on_way_at is not None,
        "on_way_minutes_left": left,
        "passed": row.passed,
        "place_lost": row.place_lost,
    }
