"""Reads of the queue: lookups by slug, positions, snapshots for displays and consoles."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from reception.db import UTCDateTime
from reception.errors import N_, Invalid, NotFound
from reception.queue.models import (
    Branch,
    Counter,
    CounterService,
    Hall,
    PriorityGroup,
    Service,
    Ticket,
    TicketStatus,
)
from reception.queue.rules import estimate_wait_minutes, minutes_per_visit


def branch_by_slug(session: Session, slug: str) -> Branch:
    branch = session.exec(select(Branch).where(Branch.slug == slug)).first()
    if branch is None:
        raise Invalid("unknown_branch", N_("There is no branch {slug}."), slug=slug)
    return branch


def hall_by_slug(session: Session, branch: Branch, slug: str) -> Hall:
    hall = session.exec(select(Hall).where(Hall.branch_id == branch.id, Hall.slug == slug)).first()
    if hall is None:
        raise Invalid("unknown_hall", N_("There is no hall {slug} in this branch."), slug=slug)
    return hall


def service_by_slug(session: Session, branch: Branch, slug: str) -> Service:
    service = session.exec(
        select(Service).where(Service.branch_id == branch.id, Service.slug == slug)
    ).first()
    if service is None or not service.active:
        raise Invalid("unknown_service", N_("There is no service {slug} here."), slug=slug)
    return service


def priority_by_slug(session: Session, slug: str) -> PriorityGroup:
    group = session.exec(select(PriorityGroup).where(PriorityGroup.slug == slug)).first()
    if group is None:
        raise Invalid("unknown_priority", N_("There is no priority group {slug}."), slug=slug)
    return group


def counter_by_id(session: Session, counter_id: int) -> Counter:
    counter = session.get(Counter, counter_id)
    if counter is None:
        raise NotFound("unknown_counter", N_("There is no counter {id}."), id=counter_id)
    return counter


def services_of_counter(session: Session, counter_id: int) -> list[int]:
    return list(
        session.exec(
            select(CounterService.service_id).where(CounterService.counter_id == counter_id)
        ).all()
    )


def hall_services(session: Session, hall: Hall) -> list[Service]:
    """Active services offered in a hall: those at least one of its counters serves."""
    stmt = (
        select(Service)
        .join(CounterService, col(CounterService.service_id) == Service.id)
        .join(Counter, col(Counter.id) == CounterService.counter_id)
        .where(Counter.hall_id == hall.id, Service.active == True)  # noqa: E712
        .distinct()
        .order_by(col(Service.sort_order), col(Service.id))
    )
    return list(session.exec(stmt).all())


_COUNTERS_FOR_SQL = text(
    """
    SELECT COUNT(DISTINCT c.id) AS counters,
           COUNT(DISTINCT CASE WHEN c.status = 'open' THEN c.id END) AS open_counters
    FROM counter c JOIN counterservice cs ON cs.counter_id = c.id
    WHERE c.hall_id = :hall AND cs.service_id = :service
    """
)


def open_counters_for(session: Session, hall_id: int, service_id: int) -> int:
    row = session.execute(_COUNTERS_FOR_SQL, {"hall": hall_id, "service": service_id}).one()
    return int(row.open_counters)


def service_offered(session: Session, hall_id: int, service_id: int) -> bool:
    """Some counter of the hall serves the service (open or not)."""
    row = session.execute(_COUNTERS_FOR_SQL, {"hall": hall_id, "service": service_id}).one()
    return int(row.counters) > 0


_AHEAD_SQL = text(
    """
    SELECT COUNT(*) FROM ticket
    WHERE hall_id = :hall AND service_id = :service AND status = 'waiting'
      AND (priority_weight > :weight OR (priority_weight = :weight AND id < :id))
    """
)


def position_of(session: Session, ticket: Ticket) -> int:
    """1 for the next to be called among the same hall and service."""
    if ticket.status != TicketStatus.waiting:
        return 0
    ahead = session.execute(
        _AHEAD_SQL,
        {
            "hall": ticket.hall_id,
            "service": ticket.service_id,
            "weight": ticket.priority_weight,
            "id": ticket.id,
        },
    ).scalar_one()
    return int(ahead) + 1


_RECENT_VISITS_SQL = text(
    """
    SELECT called_at, finished_at FROM ticket
    WHERE hall_id = :hall AND service_id = :service AND status = 'done'
      AND called_at IS NOT NULL AND finished_at IS NOT NULL
    ORDER BY finished_at DESC
    LIMIT :limit
    """
).columns(called_at=UTCDateTime(), finished_at=UTCDateTime())


def live_minutes_per_visit(
    session: Session, hall_id: int, service_id: int, expected: float, limit: int = 20
) -> float:
    """Service time from the last finished visits of this service in this hall."""
    rows = session.execute(
        _RECENT_VISITS_SQL, {"hall": hall_id, "service": service_id, "limit": limit}
    ).all()
    observed = []
    for called_at, finished_at in rows:
        observed.append((finished_at - called_at).total_seconds() / 60)
    return minutes_per_visit(expected, observed)


def eta_of(session: Session, ticket: Ticket, position: int, service: Service) -> int | None:
    if ticket.status != TicketStatus.waiting:
        return 0
    return estimate_wait_minutes(
        position - 1,
        live_minutes_per_visit(session, ticket.hall_id, service.id or 0, service.expected_minutes),
        open_counters_for(session, ticket.hall_id, service.id or 0),
    )


_WAITING_SQL = text(
    """
    SELECT s.id, s.slug, s.name_ar, s.name_en, s.expected_minutes,
      (SELECT COUNT(*) FROM ticket t
        WHERE t.hall_id = :hall AND t.service_id = s.id AND t.status = 'waiting') AS waiting,
      (SELECT COUNT(DISTINCT c.id) FROM counter c
        JOIN counterservice cs ON cs.counter_id = c.id
        WHERE c.hall_id = :hall AND cs.service_id = s.id AND c.status = 'open') AS open_counters
    FROM service s
    WHERE s.active = :active AND EXISTS (
      SELECT 1 FROM counter c JOIN counterservice cs ON cs.counter_id = c.id
      WHERE c.hall_id = :hall AND cs.service_id = s.id)
    ORDER BY s.sort_order, s.id
    """
)


def waiting_by_service(session: Session, hall: Hall) -> dict[str, dict[str, Any]]:
    """Per service offered in the hall: waiting count and the wait a newcomer faces.
    One statement: this runs after every queue change, for every display."""
    rows = session.execute(_WAITING_SQL, {"hall": hall.id, "active": True}).all()
    return {
        row.slug: {
            "name_ar": row.name_ar,
            "name_en": row.name_en,
            "waiting": int(row.waiting),
            "eta_minutes": estimate_wait_minutes(
                int(row.waiting),
                live_minutes_per_visit(session, hall.id or 0, row.id, row.expected_minutes),
                int(row.open_counters),
            ),
        }
        for row in rows
    }


def ticket_summary(ticket: Ticket, counter: Counter | None, service: Service) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "service": service.slug,
        "service_name_ar": service.name_ar,
        "service_name_en": service.name_en,
        "counter": counter.number if counter else None,
        "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
    }


def hall_snapshot(session: Session, hall: Hall, today: date, recent: int = 8) -> dict[str, Any]:
    """Everything a display of the hall shows, with the hall's current sequence number."""
    rows = session.exec(
        select(Ticket, Counter, Service)
        .join(Counter, col(Counter.id) == Ticket.counter_id)
        .join(Service, col(Service.id) == Ticket.service_id)
        .where(
            Ticket.hall_id == hall.id,
            Ticket.business_date == today,
            col(Ticket.called_at).is_not(None),
        )
        .order_by(col(Ticket.called_at).desc(), col(Ticket.id).desc())
        .limit(recent)
    ).all()
    calls = [ticket_summary(t, c, s) for t, c, s in rows]
    return {
        "type": "snapshot",
        "seq": hall.event_seq,
        "hall": hall.slug,
        "calls": calls,
        "waiting": waiting_by_service(session, hall),
    }


def counters_of_hall(session: Session, hall_id: int) -> list[Counter]:
    return list(
        session.exec(
            select(Counter).where(Counter.hall_id == hall_id).order_by(col(Counter.number))
        )
    )


def current_ticket_at(session: Session, counter_id: int) -> Ticket | None:
    return session.exec(
        select(Ticket)
        .where(
            Ticket.counter_id == counter_id,
            col(Ticket.status).in_([TicketStatus.called, TicketStatus.serving]),
        )
        .order_by(col(Ticket.called_at).desc())
    ).first()


def ticket_by_token(session: Session, token: str) -> Ticket | None:
    if not token or len(token) > 64:
        return None
    return session.exec(select(Ticket).where(Ticket.tracking_token == token)).first()


def branches_tree(session: Session) -> list[dict[str, Any]]:
    out = []
    for branch in session.exec(select(Branch).order_by(col(Branch.id))):
        halls = []
        for hall in session.exec(
            select(Hall).where(Hall.branch_id == branch.id).order_by(col(Hall.id))
        ):
            halls.append(
                {
                    "slug": hall.slug,
                    "section": hall.section,
                    "name_ar": hall.name_ar,
                    "name_en": hall.name_en,
                    "ticket_prefix": hall.ticket_prefix,
                    "services": [s.slug for s in hall_services(session, hall)],
                    "counters": [
                        {
                            "id": c.id,
                            "number": c.number,
                            "status": c.status,
                            "services": [
                                sv.slug
                                for sv in session.exec(
                                    select(Service)
                                    .join(
                                        CounterService,
                                        col(CounterService.service_id) == Service.id,
                                    )
                                    .where(CounterService.counter_id == c.id)
                                    .order_by(col(Service.sort_order))
                                )
                            ],
                        }
                        for c in counters_of_hall(session, hall.id or 0)
                    ],
                }
            )
        services = session.exec(
            select(Service)
            .where(Service.branch_id == branch.id, Service.active == True)  # noqa: E712
            .order_by(col(Service.sort_order), col(Service.id))
        )
        out.append(
            {
                "slug": branch.slug,
                "name_ar": branch.name_ar,
                "name_en": branch.name_en,
                "kind": branch.kind,
                "timezone": branch.timezone,
                "halls": halls,
                "services": [
                    {
                        "slug": s.slug,
                        "name_ar": s.name_ar,
                        "name_en": s.name_en,
                        "expected_minutes": s.expected_minutes,
                    }
                    for s in services
                ],
            }
        )
    return out
