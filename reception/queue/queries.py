"""Reads of the queue: lookups by slug, positions, snapshots for displays and consoles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, text
from sqlmodel import Session, col, select

from reception.columns import UTCDateTime
from reception.db import batch_memo
from reception.errors import N_, Invalid, NotFound
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
from reception.queue.rules import QueueState, estimate_eta, minutes_per_visit, people_ahead


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
        raise Invalid("unknown_priority", N_("There is no priority group {slug}."), slug=slug)
    return group


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


LINE_ORDER = (
    col(Ticket.priority_weight).desc(),
    func.coalesce(col(Ticket.queue_key), col(Ticket.id)),
    col(Ticket.id),
)
"""Who goes first: higher priority weight, then place in line (arrival, unless a
supervisor sent the ticket to the back)."""

_AHEAD_SQL = text(
    """
    SELECT service_id, COUNT(*) FROM ticket
    WHERE hall_id = :hall AND status = 'waiting'
      AND (priority_weight > :weight
           OR (priority_weight = :weight
               AND (COALESCE(queue_key, id) < :key
                    OR (COALESCE(queue_key, id) = :key AND id < :id))))
    GROUP BY service_id
    """
)
"""`LINE_ORDER` as a count: a ticket sent to the back can share its place in line with
a ticket issued later; the lower id goes first."""


def ahead_of(session: Session, ticket: Ticket) -> dict[int, int]:
    """Per service, the waiting tickets of the hall that go before this one."""
    session.flush()
    rows = session.connection().execute(
        _AHEAD_SQL,
        {
            "hall": ticket.hall_id,
            "weight": ticket.priority_weight,
            "key": ticket.queue_key or ticket.id,
            "id": ticket.id,
        },
    )
    return {service_id: int(n) for service_id, n in rows}


def position_of(
    session: Session,
    ticket: Ticket,
    state: QueueState | None = None,
    ahead: dict[int, int] | None = None,
) -> int:
    """1 for the next to be called by the counters that can serve this ticket
    (`ahead` as `ahead_of` gives it, when the caller has it already)."""
    if ticket.status != TicketStatus.waiting:
        return 0
    state = state or queue_state(session, ticket.hall_id)
    if ahead is None:
        ahead = ahead_of(session, ticket)
    return people_ahead(state, ticket.service_id, ahead) + 1


_RECENT_VISITS_SQL = text(
    """
    SELECT service_id, called_at, finished_at FROM (
      SELECT service_id, called_at, finished_at,
             ROW_NUMBER() OVER (PARTITION BY service_id ORDER BY finished_at DESC) AS recent
      FROM ticket
      WHERE hall_id = :hall AND status = 'done'
        AND called_at IS NOT NULL AND finished_at IS NOT NULL
    ) visits
    WHERE recent <= :limit
    """
).columns(called_at=UTCDateTime(), finished_at=UTCDateTime())

_OPEN_COUNTERS_SQL = text(
    """
    SELECT c.id AS counter_id, cs.service_id FROM counter c
    JOIN counterservice cs ON cs.counter_id = c.id
    WHERE c.hall_id = :hall AND c.status = 'open'
    """
)
_WAITING_COUNTS_SQL = text(
    "SELECT service_id, SUM(waiting) FROM waitingcount "
    "WHERE hall_id = :hall AND waiting > 0 GROUP BY service_id"
)
_COUNTS_AND_LATER_SQL = text(
    """
    SELECT 0, service_id, priority_weight, waiting FROM waitingcount
    WHERE hall_id = :hall AND waiting > 0
    UNION ALL
    SELECT 1, service_id, 0, COUNT(*) FROM (
        SELECT service_id FROM ticket
        WHERE hall_id = :hall AND status = 'waiting' AND priority_weight = :weight
          AND queue_key >= :key AND (queue_key > :key OR id >= :id)
        UNION ALL
        SELECT service_id FROM ticket
        WHERE hall_id = :hall AND status = 'waiting' AND priority_weight = :weight
          AND queue_key IS NULL AND id >= :key AND (id > :key OR id >= :id)
    ) AS later
    GROUP BY service_id
    """
)
"""The waiting counts per service and weight (kind 0), and per service the tickets of
the given weight that do not go before the given ticket (kind 1): a later place in
line, or the same place and an id not lower (`LINE_ORDER`)."""
_BUSY_SQL = text(
    """
    SELECT counter_id, service_id FROM ticket
    WHERE hall_id = :hall AND status IN ('called', 'serving') AND counter_id IS NOT NULL
    """
)
_SERVICES_SQL = text(
    """
    SELECT s.id, s.slug, s.name_ar, s.name_en, s.expected_minutes FROM service s
    WHERE s.active = :active AND EXISTS (
      SELECT 1 FROM counter c JOIN counterservice cs ON cs.counter_id = c.id
      WHERE c.hall_id = :hall AND cs.service_id = s.id)
    ORDER BY s.sort_order, s.id
    """
)


@dataclass(frozen=True)
class QueueSetting:
    """What the waiting estimate needs besides the waiting counts: open counters and
    their services, recent visit times, the services and who is at a counter now."""

    counters: dict[int, frozenset[int]]
    busy: list[tuple[int, int]]
    minutes: dict[int, float]
    services: tuple[tuple[int, str, str, str], ...]

    def with_waiting(self, waiting: dict[int, int]) -> QueueState:
        return QueueState(
            counters=self.counters,
            waiting=waiting,
            busy=self.busy,
            minutes=self.minutes,
            services=self.services,
        )


def queue_state(session: Session, hall_id: int, limit: int = 20) -> QueueState:
    """The hall's queue as the waiting estimate sees it, in five small statements
    (on the session's connection directly: they run on every change of the queue)."""
    session.flush()  # what the action changed so far counts
    waiting = session.connection().execute(_WAITING_COUNTS_SQL, {"hall": hall_id})
    setting = queue_setting(session, hall_id, limit)
    return setting.with_waiting({sid: int(n) for sid, n in waiting})


def queue_state_and_ahead(
    session: Session, ticket: Ticket, setting: QueueSetting | None = None
) -> tuple[QueueState, dict[int, int]]:
    """`queue_state` of the ticket's hall and `ahead_of` the ticket, without counting
    the queue: the waiting counts per weight come from `waitingcount` (kept by
    triggers), and of the ticket's own weight only those placed at or after it are
    counted, which for a new ticket is itself and anyone sent to the back. One
    statement, with the `setting` read before (a check-in reads it before it takes
    its number, so the rows every check-in of the hall locks are held briefly)."""
    session.flush()
    conn = session.connection()
    weight = ticket.priority_weight
    waiting: dict[int, int] = {}
    ahead: dict[int, int] = {}
    rows = conn.execute(
        _COUNTS_AND_LATER_SQL,
        {
            "hall": ticket.hall_id,
            "weight": weight,
            "key": ticket.queue_key or ticket.id,
            "id": ticket.id,
        },
    )
    for kind, service_id, row_weight, n in rows:
        if kind == 1:  # placed at or after the ticket: not ahead of it
            ahead[service_id] = ahead.get(service_id, 0) - int(n)
            continue
        waiting[service_id] = waiting.get(service_id, 0) + int(n)
        if row_weight >= weight:
            ahead[service_id] = ahead.get(service_id, 0) + int(n)
    ahead = {service_id: n for service_id, n in ahead.items() if n > 0}
    setting = setting or queue_setting(session, ticket.hall_id)
    return setting.with_waiting(waiting), ahead


def setting_for_checkin(session: Session, hall_id: int) -> QueueSetting:
    """`queue_setting` for a check-in, which changes none of it (no counter, no visit,
    no service): in a group commit, the check-ins of a hall that follow each other
    share one read (`db.BATCH_MEMO`). This marks the whole action as changing none of
    it (`db.KEEPS_MEMO`): an action that calls `issue_ticket` and also opens or closes
    a counter, changes a service or calls a ticket must remove that mark."""
    return batch_memo(session, ("queue_setting", hall_id), lambda: queue_setting(session, hall_id))


def queue_setting(session: Session, hall_id: int, limit: int = 20) -> QueueSetting:
    conn = session.connection()
    counters: dict[int, set[int]] = {}
    for counter_id, service_id in conn.execute(_OPEN_COUNTERS_SQL, {"hall": hall_id}):
        counters.setdefault(counter_id, set()).add(service_id)
    observed: dict[int, list[float]] = {}
    for service_id, called_at, finished_at in conn.execute(
        _RECENT_VISITS_SQL, {"hall": hall_id, "limit": limit}
    ):
        observed.setdefault(service_id, []).append((finished_at - called_at).total_seconds() / 60)
    services = conn.execute(_SERVICES_SQL, {"hall": hall_id, "active": True}).all()
    open_ids = set(counters)
    return QueueSetting(
        counters={c: frozenset(s) for c, s in counters.items()},
        busy=[(c, s) for c, s in conn.execute(_BUSY_SQL, {"hall": hall_id}) if c in open_ids],
        minutes={
            row.id: minutes_per_visit(row.expected_minutes, observed.get(row.id, []))
            for row in services
        },
        services=tuple((row.id, row.slug, row.name_ar, row.name_en) for row in services),
    )


def eta_of(
    session: Session,
    ticket: Ticket,
    position: int,
    service: Service,
    state: QueueState | None = None,
    ahead: dict[int, int] | None = None,
) -> int | None:
    if ticket.status != TicketStatus.waiting:
        return 0
    state = state or queue_state(session, ticket.hall_id)
    if ahead is None:
        ahead = ahead_of(session, ticket)
    return estimate_eta(state, service.id or 0, ahead)


def waiting_by_service(
    session: Session, hall: Hall, state: QueueState | None = None
) -> dict[str, dict[str, Any]]:
    """Per service offered in the hall: how many wait and the wait a newcomer faces.
    This runs after every queue change, so it reads the hall once (or reuses the
    state the action already read after its last write)."""
    state = state or queue_state(session, hall.id or 0)
    counts = state.waiting
    return {
        slug: {
            "name_ar": name_ar,
            "name_en": name_en,
            "waiting": counts.get(service_id, 0),
            "eta_minutes": estimate_eta(state, service_id),
        }
        for service_id, slug, name_ar, name_en in state.services
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
