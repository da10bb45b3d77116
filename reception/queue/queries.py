"""Reads of the queue: lookups by slug, counters and services of a hall, snapshots for
displays and consoles (the waiting line itself: reception/queue/waiting_line.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, col, select

from reception.auth.principal import Principal
from reception.db import batch_memo
from reception.errors import N_, Invalid, NotFound
from reception.events.messages import SNAPSHOT
from reception.queue.models import (
    Branch,
    BranchStop,
    Counter,
    CounterService,
    Hall,
    PriorityGroup,
    Service,
    Ticket,
    TicketStatus,
)
from reception.queue.waiting_line import waiting_by_service


def branch_by_slug(session: Session, slug: str) -> Branch:
    branch = session.exec(select(Branch).where(Branch.slug == slug)).first()
    if branch is None:
        raise Invalid("unknown_branch", N_("There is no branch {slug}."), slug=slug)
    return branch


def principal_branch(session: Session, principal: Principal, slug: str | None) -> Branch:
    if principal.branch_id is not None:
        branch = session.get(Branch, principal.branch_id)
    elif slug:
        branch = session.exec(select(Branch).where(Branch.slug == slug)).first()
    else:
        branch = session.exec(select(Branch).order_by(col(Branch.id))).first()
    if branch is None:
        raise NotFound("no_branch", N_("No branch is set up yet."))
    return branch


def allowed_halls(session: Session, principal: Principal, branch: Branch) -> list[Hall]:
    halls = session.exec(select(Hall).where(Hall.branch_id == branch.id).order_by(col(Hall.id)))
    return [h for h in halls if principal.may_use_hall(branch.id or 0, h.id or 0)]


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


_OFFERED_IN_HALL = (
    select(CounterService.service_id)
    .join(Counter, col(Counter.id) == CounterService.counter_id)
    .where(col(Counter.hall_id) == col(Hall.id), col(CounterService.service_id) == col(Service.id))
    .exists()
)


_TICKET_PLACE = (
    select(Branch, Hall, Service)
    .join(Hall, col(Hall.branch_id) == Branch.id)
    .join(Service, col(Service.branch_id) == Branch.id)
    .where(
        Branch.slug == bindparam("branch"),
        Hall.slug == bindparam("hall"),
        Service.slug == bindparam("service"),
        Service.active == True,  # noqa: E712
        _OFFERED_IN_HALL,
    )
)
"""Built once: constructing a statement costs more than running it (every check-in)."""


def ticket_place(
    session: Session, branch: str, hall: str, service: str
) -> tuple[Branch, Hall, Service] | None:
    """Branch, hall and service of a new ticket in one statement, when all three
    exist, the service is active and the hall offers it; None otherwise (the caller
    then looks them up one by one to say which is wrong)."""
    row = session.exec(
        _TICKET_PLACE, params={"branch": branch, "hall": hall, "service": service}
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def place_for_checkin(
    session: Session, branch: str, hall: str, service: str
) -> tuple[Branch, Hall, Service] | None:
    """`ticket_place` for a check-in: shared by the check-ins of a group commit as
    `setting_for_checkin` is, under the same contract (`db.KEEPS_MEMO`). The rows are
    only read from: the same objects serve every check-in of the batch."""
    key = ("ticket_place", branch, hall, service)
    return batch_memo(session, key, lambda: ticket_place(session, branch, hall, service))


def hall_event_seq(session: Session, hall_id: int) -> int | None:
    """The number of the hall's last event (what a display's snapshot must match)."""
    hall = session.get(Hall, hall_id)
    return hall.event_seq if hall is not None else None


def priority_by_slug(session: Session, slug: str) -> PriorityGroup:
    group = session.exec(select(PriorityGroup).where(PriorityGroup.slug == slug)).first()
    if group is None:
        raise unknown_priority(slug)
    return group


def unknown_priority(slug: str) -> Invalid:
    return Invalid("unknown_priority", N_("There is no priority group {slug}."), slug=slug)


def priority_exists(session: Session, slug: str) -> bool:
    found = session.exec(select(PriorityGroup.id).where(PriorityGroup.slug == slug)).first()
    return found is not None


def counter_by_id(session: Session, counter_id: int, fresh: bool = False) -> Counter:
    counter = session.get(Counter, counter_id, populate_existing=fresh)
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
        "type": SNAPSHOT,
        "seq": hall.event_seq,
        "hall": hall.slug,
        "calls": calls,
        "waiting": waiting_by_service(session, hall),
        "display": display_settings(hall),
    }


def display_settings(hall: Hall) -> dict[str, Any]:
    return {
        "notice_ar": hall.notice_ar,
        "notice_en": hall.notice_en,
        "layout": hall.display_layout,
        "volume": hall.announce_volume,
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
                "id": branch.id,
                "slug": branch.slug,
                "name_ar": branch.name_ar,
                "name_en": branch.name_en,
                "kind": branch.kind,
                "timezone": branch.timezone,
                "stops": [
                    {
                        "place_ar": stop.place_ar,
                        "place_en": stop.place_en,
                        "starts_on": stop.starts_on.isoformat(),
                        "ends_on": stop.ends_on.isoformat(),
                    }
                    for stop in stops_of(session, branch.id or 0)
                ],
                "halls": halls,
                "services": [
                    {
                        "slug": s.slug,
                        "name_ar": s.name_ar,
                        "name_en": s.name_en,
                        "expected_minutes": s.expected_minutes,
                        "mode": s.mode,
                    }
                    for s in services
                ],
            }
        )
    return out


def current_stop(session: Session, branch: Branch, today: date) -> BranchStop | None:
    """Where a mobile unit stands today (None for a centre or a day between stops)."""
    return session.exec(
        select(BranchStop).where(
            BranchStop.branch_id == branch.id,
            BranchStop.starts_on <= today,
            BranchStop.ends_on >= today,
        )
    ).first()


def stops_of(session: Session, branch_id: int) -> list[BranchStop]:
    return list(
        session.exec(
            select(BranchStop)
            .where(BranchStop.branch_id == branch_id)
            .order_by(col(BranchStop.starts_on))
        )
    )
