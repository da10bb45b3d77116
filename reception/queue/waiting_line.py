"""The waiting line of a hall: who goes first, how many are ahead of a ticket, its
position and the wait it faces. These reads run on every change of the queue, so
they are a few small statements, built once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, text
from sqlmodel import Session, col

from reception.clock import clock_of
from reception.columns import UTCDateTime
from reception.db import batch_memo
from reception.queue.models import Hall, Service, Ticket, TicketStatus
from reception.queue.rules import (
    InLine,
    QueueState,
    RemoteAhead,
    WaitEstimate,
    estimate_newcomers,
    estimate_wait,
    minutes_per_visit,
    people_ahead,
)

IN_LINE = (TicketStatus.waiting, TicketStatus.remote)
"""A ticket with a place in line: waiting in the hall, or joined from a phone."""

WAITING_SINCE = case(
    (
        col(Ticket.remote)
        & col(Ticket.queue_key).is_not(None)
        & col(Ticket.arrived_at).is_not(None),
        col(Ticket.arrived_at),
    ),
    else_=col(Ticket.issued_at),
)
"""When a ticket's wait began, for the longest-wait rule: its issue — for a visitor
who joined from a phone, the join, since the ticket holds that place in line — unless
a remote ticket's place was given up (it lost its place while away, or the visitor
moved back): then its arrival in the hall."""

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


_END_KEY_SQL = text(
    "SELECT COALESCE(MAX(COALESCE(queue_key, id)), 0) + 1 FROM ticket WHERE hall_id = :hall"
)


def end_of_line(session: Session, hall_id: int) -> int:
    """A place in line (`queue_key`) behind every ticket of the hall: where a ticket
    sent to the back, or a remote ticket that gave up its place, goes."""
    return int(session.connection().execute(_END_KEY_SQL, {"hall": hall_id}).scalar_one())


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
    (`ahead` as `ahead_of` gives it, when the caller has it already). A remote
    ticket not arrived yet has the place it holds."""
    if ticket.status not in IN_LINE:
        return 0
    state = state or queue_state(session, ticket.hall_id)
    if ahead is None:
        ahead = ahead_of(session, ticket)
    return people_ahead(state, ticket.service_id, ahead) + 1


_RECENT_VISITS_SQL = text(
    """
    SELECT service_id, called_at, finished_at, counter_id FROM (
      SELECT service_id, called_at, finished_at, counter_id,
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
    SELECT counter_id, service_id, called_at FROM ticket
    WHERE hall_id = :hall AND status IN ('called', 'serving') AND counter_id IS NOT NULL
    """
).columns(called_at=UTCDateTime())


_LINE_SQL = text(
    """
    SELECT service_id, priority_weight,
           CASE WHEN remote AND queue_key IS NOT NULL AND arrived_at IS NOT NULL
                THEN arrived_at ELSE issued_at END AS issued_at
    FROM ticket
    WHERE hall_id = :hall AND status = 'waiting'
      AND (SELECT COALESCE(SUM(waiting), 0) FROM waitingcount WHERE hall_id = :hall) <= :limit
    ORDER BY priority_weight DESC, COALESCE(queue_key, id), id
    """
).columns(issued_at=UTCDateTime())
"""The waiting line in `LINE_ORDER`, for the estimate's replay; nothing when more than
`LINE_LIMIT` wait (then the pooled estimate, from the counts, serves). The time a
ticket waits from is the longest-wait rule's (`WAITING_SINCE`)."""

LINE_LIMIT = 200
"""Up to this many waiting, the estimate replays the line (a fraction of a
millisecond per replay); beyond, a replay would cost more than it tells."""

ARRIVALS_WINDOW_MINUTES = 60


_PRIORITY_ARRIVALS_SQL = text(
    """
    SELECT service_id, priority_weight, COUNT(*) FROM ticket
    WHERE hall_id = :hall AND priority_weight > 0 AND issued_at >= :since
    GROUP BY service_id, priority_weight
    UNION ALL
    SELECT NULL, NULL, b.max_wait_minutes FROM hall h JOIN branch b ON b.id = h.branch_id
    WHERE h.id = :hall
    """
)
"""Priority tickets issued lately (they will go ahead of those waiting now), and the
branch's anti-starvation wait (service and weight NULL)."""


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
    """What the waiting estimate needs besides the waiting line: open counters and
    their services, recent visit times and each counter's pace, the services, who is
    at a counter now and since when, recent priority arrivals and the branch's
    anti-starvation wait."""

    counters: dict[int, frozenset[int]]
    busy: list[tuple[int, int]]
    minutes: dict[int, float]
    services: tuple[tuple[int, str, str, str], ...]
    busy_since: dict[int, datetime] = field(default_factory=dict)
    pace: dict[int, float] = field(default_factory=dict)
    arrivals: dict[tuple[int, int], float] = field(default_factory=dict)
    max_wait_minutes: float | None = None

    def with_waiting(
        self,
        waiting: dict[int, int],
        line: Iterable[tuple[int, int, Any]] | None = None,
        now: datetime | None = None,
    ) -> QueueState:
        """The state with the waiting counts, and the line (service, weight, issued
        at) in line order when known, its waits counted up to `now`."""
        rows = list(line or ())
        # a line shorter than the counts was not read whole (too long): pooled estimate
        known = line is not None and now is not None and len(rows) >= sum(waiting.values())
        return QueueState(
            counters=self.counters,
            waiting=waiting,
            busy=self.busy,
            minutes=self.minutes,
            services=self.services,
            line=(tuple(InLine(s, w, _minutes(now, at)) for s, w, at in rows) if known else None),
            busy_for=({c: _minutes(now, at) for c, at in self.busy_since.items()} if known else {}),
            pace=self.pace,
            arrivals=self.arrivals,
            max_wait_minutes=self.max_wait_minutes,
        )


def _moment(value: Any) -> datetime:
    """A stored time from a row: a datetime, or seconds since the epoch (PostgreSQL's
    JSON rows)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def _minutes(now: datetime | None, at: Any) -> float:
    assert now is not None
    return (now - _moment(at)).total_seconds() / 60


def read_line(session: Session, hall_id: int) -> list[tuple[int, int, datetime]]:
    rows = session.connection().execute(_LINE_SQL, {"hall": hall_id, "limit": LINE_LIMIT})
    return [(int(s), int(w), at) for s, w, at in rows]


def queue_state(session: Session, hall_id: int, limit: int = 20) -> QueueState:
    """The hall's queue as the waiting estimate sees it, in a few small statements
    (on the session's connection directly: they run on every change of the queue)."""
    session.flush()  # what the action changed so far counts
    waiting = session.connection().execute(_WAITING_COUNTS_SQL, {"hall": hall_id})
    counts = {sid: int(n) for sid, n in waiting}
    setting = queue_setting(session, hall_id, limit)
    now = clock_of(session).now()
    return setting.with_waiting(counts, read_line(session, hall_id), now)


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
    rows = conn.execute(
        _COUNTS_AND_LATER_SQL,
        {
            "hall": ticket.hall_id,
            "weight": weight,
            "key": ticket.queue_key or ticket.id,
            "id": ticket.id,
        },
    )
    waiting, ahead = counts_and_ahead(rows, weight)
    setting = setting or queue_setting(session, ticket.hall_id)
    line = read_line(session, ticket.hall_id)
    return setting.with_waiting(waiting, line, clock_of(session).now()), ahead


def counts_and_ahead(rows: Any, weight: int) -> tuple[dict[int, int], dict[int, int]]:
    """The waiting counts per service, and per service how many go before a ticket of
    `weight`, from the rows of `_COUNTS_AND_LATER_SQL` (kind, service, weight, count)."""
    waiting: dict[int, int] = {}
    ahead: dict[int, int] = {}
    for kind, service_id, row_weight, n in rows:
        if kind == 1:  # placed at or after the ticket: not ahead of it
            ahead[service_id] = ahead.get(service_id, 0) - int(n)
            continue
        waiting[service_id] = waiting.get(service_id, 0) + int(n)
        if row_weight >= weight:
            ahead[service_id] = ahead.get(service_id, 0) + int(n)
    return waiting, {service_id: n for service_id, n in ahead.items() if n > 0}


def setting_for_checkin(session: Session, hall_id: int) -> QueueSetting:
    """`queue_setting` for a check-in, which changes none of it (no counter, no visit,
    no service): in a group commit, the check-ins of a hall that follow each other
    share one read (`db.BATCH_MEMO`). This marks the whole action as changing none of
    it (`db.KEEPS_MEMO`): an action that calls `issue_ticket` and also opens or closes
    a counter, changes a service or calls a ticket must remove that mark."""
    return batch_memo(session, ("queue_setting", hall_id), lambda: queue_setting(session, hall_id))


def queue_setting(session: Session, hall_id: int, limit: int = 20) -> QueueSetting:
    conn = session.connection()
    now = clock_of(session).now()
    open_counters = conn.execute(_OPEN_COUNTERS_SQL, {"hall": hall_id}).all()
    visits = [
        (service_id, (finished_at - called_at).total_seconds(), counter_id)
        for service_id, called_at, finished_at, counter_id in conn.execute(
            _RECENT_VISITS_SQL, {"hall": hall_id, "limit": limit}
        )
    ]
    services = conn.execute(_SERVICES_SQL, {"hall": hall_id, "active": True}).all()
    busy = conn.execute(_BUSY_SQL, {"hall": hall_id}).all()
    since = now - timedelta(minutes=ARRIVALS_WINDOW_MINUTES)
    rows = conn.execute(_PRIORITY_ARRIVALS_SQL, {"hall": hall_id, "since": since}).all()
    arrivals = [row for row in rows if row[0] is not None]
    max_wait = next((row[2] for row in rows if row[0] is None), None)
    return setting_of(
        open_counters, visits, services, busy, arrivals=arrivals, max_wait_minutes=max_wait
    )


PACE_PRIOR_VISITS = 20.0
"""A counter's pace counts as this many visits at the hall's pace before its own."""


def setting_of(
    open_counters: Any,
    visits: Any,
    services: Any,
    busy: Any,
    *,
    arrivals: Any = (),
    max_wait_minutes: float | None = None,
) -> QueueSetting:
    """A hall's `QueueSetting` from its rows: open counters (counter, service), recent
    visits (service, seconds from call to finish, counter), active services offered
    there (id, slug, name_ar, name_en, expected minutes), counters at work (counter,
    service, called at), priority tickets issued in the last hour (service, weight,
    count) and the branch's anti-starvation wait. `queue_setting` reads them in small
    statements; a check-in on PostgreSQL in the statement that takes its number."""
    counters: dict[int, set[int]] = {}
    for counter_id, service_id in open_counters:
        counters.setdefault(counter_id, set()).add(service_id)
    observed: dict[int, list[float]] = {}
    for service_id, seconds, _counter in visits:
        observed.setdefault(service_id, []).append(float(seconds) / 60)
    open_ids = set(counters)
    minutes = {
        service_id: minutes_per_visit(expected, observed.get(service_id, []))
        for service_id, _slug, _ar, _en, expected in services
    }
    ratios: dict[int, list[float]] = {}
    for service_id, seconds, counter_id in visits:
        usual = minutes.get(service_id)
        if counter_id is not None and usual and 0 < seconds < 8 * 3600:
            ratios.setdefault(counter_id, []).append(float(seconds) / 60 / usual)
    return QueueSetting(
        counters={c: frozenset(s) for c, s in counters.items()},
        busy=[(c, s) for c, s, _at in busy if c in open_ids],
        minutes=minutes,
        services=tuple(
            (service_id, slug, name_ar, name_en)
            for service_id, slug, name_ar, name_en, _expected in services
        ),
        busy_since={c: _moment(at) for c, _s, at in busy if c in open_ids and at is not None},
        pace={
            c: (sum(r) + PACE_PRIOR_VISITS) / (len(r) + PACE_PRIOR_VISITS)
            for c, r in ratios.items()
        },
        arrivals={(s, w): n / ARRIVALS_WINDOW_MINUTES for s, w, n in arrivals},
        max_wait_minutes=max_wait_minutes,
    )


_REMOTE_AHEAD_SQL = text(
    """
    SELECT t.service_id, COUNT(*) FROM ticket t
    JOIN remote_ticket r ON r.ticket_id = t.id
    WHERE t.hall_id = :hall AND t.status = 'remote' AND r.place_lost = :no AND t.id <> :id
      AND (t.priority_weight > :weight
           OR (t.priority_weight = :weight
               AND (COALESCE(t.queue_key, t.id) < :key
                    OR (COALESCE(t.queue_key, t.id) = :key AND t.id < :id))))
    GROUP BY t.service_id
    """
)
_REMOTE_CHECKINS_SQL = text(
    """
    SELECT COUNT(t.arrived_at), COUNT(*) FROM ticket t
    WHERE t.hall_id = :hall AND t.remote = :yes AND t.business_date = :day
      AND (t.arrived_at IS NOT NULL OR t.status IN ('cancelled', 'expired'))
    """
)
CHECKIN_PRIOR = (0.8, 5)
"""Before a day has its own figures, a remote visitor is taken to check in four times in
five, weighing as five visitors; each visitor of the day who arrived or gave up moves it."""


def remote_ahead(session: Session, ticket: Ticket) -> dict[int, RemoteAhead]:
    """Per service, the visitors who joined from a phone ahead of this ticket and have
    not arrived yet (those who lost their place are not ahead), with the chance that
    one checks in, from the hall's remote visitors of the day."""
    conn = session.connection()
    key = ticket.queue_key or ticket.id
    rows = conn.execute(
        _REMOTE_AHEAD_SQL,
        {
            "hall": ticket.hall_id,
            "no": False,
            "id": ticket.id,
            "weight": ticket.priority_weight,
            "key": key,
        },
    ).all()
    if not rows:
        return {}
    arrived, decided = conn.execute(
        _REMOTE_CHECKINS_SQL, {"hall": ticket.hall_id, "yes": True, "day": ticket.business_date}
    ).one()
    prior, weight = CHECKIN_PRIOR
    chance = (int(arrived) + prior * weight) / (int(decided) + weight)
    return {int(s): RemoteAhead(int(n), chance) for s, n in rows}


def eta_of(
    session: Session,
    ticket: Ticket,
    position: int,
    service: Service,
    state: QueueState | None = None,
    ahead: dict[int, int] | None = None,
    remote: dict[int, RemoteAhead] | None = None,
) -> WaitEstimate | None:
    """The wait a ticket faces: (minutes, low, high); 0 once it is called. A remote
    ticket not arrived yet faces the wait of the place it holds."""
    if ticket.status not in IN_LINE:
        return WaitEstimate(0, 0, 0)
    state = state or queue_state(session, ticket.hall_id)
    if ahead is None:
        ahead = ahead_of(session, ticket)
    return estimate_wait(
        state, service.id or 0, ahead, weight=ticket.priority_weight, remote=remote
    )


def waiting_by_service(
    session: Session, hall: Hall, state: QueueState | None = None
) -> dict[str, dict[str, Any]]:
    """Per service offered in the hall: how many wait and the wait a newcomer faces
    (minutes, and the range). This runs after every queue change, so it reads the
    hall once (or reuses the state the action already read after its last write)."""
    state = state or queue_state(session, hall.id or 0)
    counts = state.waiting
    newcomers = estimate_newcomers(state)
    rows: dict[str, dict[str, Any]] = {}
    for service_id, slug, name_ar, name_en in state.services:
        wait = newcomers.get(service_id)
        rows[slug] = {
            "name_ar": name_ar,
            "name_en": name_en,
            "waiting": counts.get(service_id, 0),
            "eta_minutes": None if wait is None else wait.minutes,
            "eta_low_minutes": None if wait is None else wait.low,
            "eta_high_minutes": None if wait is None else wait.high,
        }
    return rows
