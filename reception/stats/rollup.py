"""Daily rollups of closed business days, so a report over a year reads a few
thousand small rows instead of every ticket.

Once the end-of-day pass has expired a past day's open tickets, that day's tickets
never change again. `roll_up_closed_days` then adds each such (branch, day) up once:

* `TicketDayFigure`: per dimension (hall, residency, service, priority, status,
  counter, operator; `hall_residency` and `hall_mobile` for the cross-tabs) and key,
  the tickets, done, no-shows and the count and sum of
  waits and service times;
* `TicketDayDuration`: the exact histogram of the day's waits and service times in
  whole seconds, so medians and 90th percentiles of any range are exact (they cannot
  be added up from daily medians);
* `TicketDayHour` and `TicketDayHourWait`: per hall and local hour, arrivals, calls
  and the exact histogram of waits (reception/stats/hourly.py);
* `TicketDay`: the marker that the day is rolled up, with its visitors.

Days are rolled up in order and a day with a ticket still open stops the pass at
that day, so for each branch every business date up to its latest `TicketDay` is
rolled up and every later one is not: a report reads the rollup up to that date and
the tickets after it (`rolled_through`).

The raw path and the rollup share the same definitions (`ticket_rows`, `fold`,
`seconds_between`): wait and service are measured in whole seconds, as the
difference of the two instants each truncated to the second, so both paths give
identical figures."""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.clock import Clock
from reception.edge.completeness import branch_syncs, first_incomplete_day
from reception.queue.models import Branch, Ticket, TicketStatus
from reception.stats.durations import is_visitor, service_seconds, wait_seconds
from reception.stats.hourly import ticket_hour_tallies
from reception.stats.models import TicketDay, TicketDayDuration, TicketDayFigure
from reception.stats.remote_rows import DURATIONS, fold_remote, remote_counts, remote_durations

MEASURES = (
    "tickets",
    "done",
    "no_shows",
    "wait_count",
    "wait_seconds",
    "service_count",
    "service_seconds",
)
"""The sums kept per (dimension, key), in this order in a figure's list."""

CLOSED = (TicketStatus.done, TicketStatus.no_show, TicketStatus.expired, TicketStatus.cancelled)
WORKED = (TicketStatus.done, TicketStatus.no_show)

Figures = dict[tuple[str, str], list[int]]
"""(dimension, key) → the MEASURES."""


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


DIMENSIONS = (
    col(Ticket.hall_id),
    col(Ticket.residency),
    col(Ticket.service_id),
    col(Ticket.priority_id),
    col(Ticket.status),
    col(Ticket.counter_id),
    col(Ticket.called_by_id),
)


def ticket_rows(session: Session, where: ColumnElement[bool], *first: Any) -> Sequence[Any]:
    """The tickets matching `where` grouped by `first` and DIMENSIONS, with the
    count, and the count and sum of waits and service times."""
    d = _dialect(session)
    wait, service = wait_seconds(d), service_seconds(d)
    keys = (*first, *DIMENSIONS)
    return session.execute(
        select(
            *keys,
            func.count(),
            func.count(wait),
            func.sum(wait),
            func.count(service),
            func.sum(service),
        )
        .where(where)
        .group_by(*keys)
    ).all()


def _key(value: Any) -> str:
    return "" if value is None else str(value)


def fold(rows: Iterable[Sequence[Any]], into: Figures | None = None) -> Figures:
    """Adds grouped ticket rows (DIMENSIONS then the five sums) up per dimension."""
    figures: Figures = into if into is not None else defaultdict(lambda: [0] * len(MEASURES))
    for hall, residency, service, priority, status, counter, operator, *sums in rows:
        n, wait_n, wait_sum, service_n, service_sum = (int(v or 0) for v in sums)
        values = (
            n,
            n if status == TicketStatus.done else 0,
            n if status == TicketStatus.no_show else 0,
            wait_n,
            wait_sum,
            service_n,
            service_sum,
        )
        places = [
            ("hall", hall),
            ("residency", residency),
            ("service", service),
            ("priority", priority),
            ("status", status),
        ]
        if counter is not None and status in WORKED:
            places += [("counter", counter), ("operator", operator)]
        for dimension, key in places:
            tally = figures[(dimension, _key(key))]
            for i, v in enumerate(values):
                tally[i] += v
    return figures


def duration_rows(
    session: Session, where: ColumnElement[bool], measure: str, *first: Any
) -> Sequence[Any]:
    """(first…, seconds, tickets) of the waits or service times of the tickets
    matching `where`."""
    d = _dialect(session)
    present: ColumnElement[bool]
    if measure == "wait":
        value, present = wait_seconds(d), col(Ticket.called_at).is_not(None)
    else:
        value = service_seconds(d)
        present = and_(
            col(Ticket.status) == TicketStatus.done,
            col(Ticket.serving_at).is_not(None),
            col(Ticket.finished_at).is_not(None),
        )
    position: ColumnElement[Any] = literal_column(str(len(first) + 1))
    return session.execute(
        select(*first, value, func.count()).where(where, present).group_by(*first, position)
    ).all()


def hall_rows(session: Session, where: ColumnElement[bool], *first: Any) -> Sequence[Any]:
    """(first…, hall, residency, left a mobile number 0/1, tickets) of the tickets
    matching `where`: the hall × residency and mobile-number figures."""
    phone = col(Ticket.phone)
    mobile = case((and_(phone.is_not(None), phone != ""), 1), else_=0)
    keys = (*first, col(Ticket.hall_id), col(Ticket.residency), mobile)
    positions: list[Any] = [literal_column(str(i + 1)) for i in range(len(keys))]
    return session.execute(select(*keys, func.count()).where(where).group_by(*positions)).all()


def fold_halls(rows: Iterable[Sequence[Any]], into: Figures) -> Figures:
    """Adds `hall_rows` (without `first`) to the `hall_residency` ("hall id|residency")
    and `hall_mobile` ("hall id") figures; only their `tickets` measure is used."""
    for hall, residency, mobile, n in rows:
        known = residency if residency in ("citizen", "resident") else "unknown"
        into[("hall_residency", f"{hall}|{known}")][0] += int(n)
        if mobile:
            into[("hall_mobile", _key(hall))][0] += int(n)
    return into


# --- rolling up ------------------------------------------------------------------------


def _claim(session: Session, branch_id: int, day: date, visitors: int, clock: Clock) -> bool:
    """Writes the day's marker unless it is there already (a concurrent pass on
    PostgreSQL waits for the other's marker, then does nothing)."""
    make = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    table = TicketDay.__table__  # type: ignore[attr-defined]
    statement = make(table).values(
        branch_id=branch_id, business_date=day, visitors=visitors, rolled_at=clock.now()
    )
    done = session.execute(statement.on_conflict_do_nothing())
    return bool(done.rowcount)  # type: ignore[attr-defined]


def _days_to_roll(session: Session, branch_id: int, today: date) -> list[date]:
    """Business dates before today after the latest rolled-up one, up to (not
    including) the first day that still has an open ticket."""
    latest = rolled_through(session, [branch_id]).get(branch_id)
    pending = and_(col(Ticket.branch_id) == branch_id, col(Ticket.business_date) < today)
    if latest is not None:
        pending = and_(pending, col(Ticket.business_date) > latest)
    rows = session.execute(
        select(col(Ticket.business_date), func.count())
        .where(pending, col(Ticket.status).not_in(CLOSED))
        .group_by(col(Ticket.business_date))
    ).all()
    first_open = min((day for day, _ in rows), default=None)
    if first_open is not None:
        pending = and_(pending, col(Ticket.business_date) < first_open)
    return list(
        session.execute(
            select(col(Ticket.business_date))
            .where(pending)
            .group_by(col(Ticket.business_date))
            .order_by(col(Ticket.business_date))
        ).scalars()
    )


def roll_up_closed_days(session: Session, clock: Clock) -> int:
    """Rolls up every business date before today (in each branch's time) that is
    not rolled up yet; returns how many (branch, day) it rolled up. Idempotent.
    A branch served by mobile units stops before its first day whose data has not all
    arrived from the units (reception/edge/completeness.py): that day is rolled up by
    a later pass, once complete."""
    rolled = 0
    branches = session.execute(select(col(Branch.id), col(Branch.timezone))).all()
    syncs = branch_syncs(session, [branch_id for branch_id, _ in branches])
    for branch_id, zone in branches:
        today = clock.local_date(zone)
        incomplete = first_incomplete_day(syncs.get(branch_id))
        days = _days_to_roll(session, branch_id, min(today, incomplete or today))
        if not days:
            continue
        of_days = and_(
            col(Ticket.branch_id) == branch_id,
            col(Ticket.business_date) >= days[0],
            col(Ticket.business_date) <= days[-1],
        )
        where = and_(of_days, is_visitor())
        day_column = col(Ticket.business_date)
        per_day: dict[date, list[Any]] = defaultdict(list)
        for day, *row in ticket_rows(session, where, day_column):
            per_day[day].append(row)
        per_day_halls: dict[date, list[Any]] = defaultdict(list)
        for day, *row in hall_rows(session, where, day_column):
            per_day_halls[day].append(row)
        per_day_remote: dict[date, list[Any]] = defaultdict(list)
        for day, *row in remote_counts(session, of_days, day_column):
            per_day_remote[day].append(row)
        hourly = ticket_hour_tallies(session, where, {branch_id: zone}, by_day=True)
        durations: dict[date, list[dict[str, Any]]] = defaultdict(list)
        for measure in ("wait", "service"):
            for day, seconds, n in duration_rows(session, where, measure, day_column):
                durations[day].append({"measure": measure, "seconds": seconds, "tickets": n})
        for measure in DURATIONS:
            for day, seconds, n in remote_durations(session, of_days, measure, day_column):
                durations[day].append({"measure": measure, "seconds": seconds, "tickets": n})
        figure_rows: list[dict[str, Any]] = []
        duration_rows_: list[dict[str, Any]] = []
        hour_rows: list[tuple[Any, list[dict[str, Any]]]] = []
        for day in days:
            figures = fold(per_day.get(day, []))
            visitors = sum(t[0] for (dimension, _), t in figures.items() if dimension == "status")
            fold_halls(per_day_halls.get(day, []), into=figures)
            fold_remote(per_day_remote.get(day, []), into=figures)
            if not _claim(session, branch_id, day, visitors, clock):
                continue
            rolled += 1
            figure_rows += [
                {"branch_id": branch_id, "business_date": day, "dimension": dimension, "key": key,
                 **dict(zip(MEASURES, tally, strict=True))}
                for (dimension, key), tally in figures.items()
            ]  # fmt: skip
            duration_rows_ += [
                {"branch_id": branch_id, "business_date": day, **found}
                for found in durations.get(day, [])
            ]
            hour_rows += hourly.rows_of_day(day)
        figure_table = TicketDayFigure.__table__  # type: ignore[attr-defined]
        duration_table = TicketDayDuration.__table__  # type: ignore[attr-defined]
        tables = [(figure_table, figure_rows), (duration_table, duration_rows_), *hour_rows]
        for table, rows in tables:
            for start in range(0, len(rows), 5000):
                session.execute(table.insert(), rows[start : start + 5000])
    return rolled


# --- reading ---------------------------------------------------------------------------


def rolled_through(session: Session, branch_ids: Sequence[int]) -> dict[int, date]:
    """The latest rolled-up business date of each branch that has one."""
    return {
        branch_id: day
        for branch_id, day in session.execute(
            select(col(TicketDay.branch_id), func.max(col(TicketDay.business_date)))
            .where(col(TicketDay.branch_id).in_(list(branch_ids)))
            .group_by(col(TicketDay.branch_id))
        ).all()
    }


def rolled_figures(
    session: Session, branch_ids: Sequence[int], start: date, end: date, into: Figures
) -> Figures:
    """Adds the rolled-up figures of the days [start, end] to `into`."""
    sums = [func.sum(getattr(TicketDayFigure, m)) for m in MEASURES]
    rows = session.execute(
        select(col(TicketDayFigure.dimension), col(TicketDayFigure.key), *sums)
        .where(
            col(TicketDayFigure.branch_id).in_(list(branch_ids)),
            col(TicketDayFigure.business_date) >= start,
            col(TicketDayFigure.business_date) <= end,
        )
        .group_by(col(TicketDayFigure.dimension), col(TicketDayFigure.key))
    ).all()
    for dimension, key, *values in rows:
        tally = into[(dimension, key)]
        for i, v in enumerate(values):
            tally[i] += int(v or 0)
    return into


def rolled_durations(
    session: Session, branch_ids: Sequence[int], start: date, end: date, measure: str
) -> Tally[int]:
    """seconds → tickets of the rolled-up days [start, end]."""
    return Tally(
        dict(
            session.execute(
                select(col(TicketDayDuration.seconds), func.sum(col(TicketDayDuration.tickets)))
                .where(
                    col(TicketDayDuration.branch_id).in_(list(branch_ids)),
                    col(TicketDayDuration.measure) == measure,
                    col(TicketDayDuration.business_date) >= start,
                    col(TicketDayDuration.business_date) <= end,
                )
                .group_by(col(TicketDayDuration.seconds))
            ).all()
        )
    )


def rolled_visitors(
    session: Session, branch_ids: Sequence[int], start: date, end: date
) -> dict[date, int]:
    return {
        day: int(n)
        for day, n in session.execute(
            select(col(TicketDay.business_date), func.sum(col(TicketDay.visitors)))
            .where(
                col(TicketDay.branch_id).in_(list(branch_ids)),
                col(TicketDay.business_date) >= start,
                col(TicketDay.business_date) <= end,
            )
            .group_by(col(TicketDay.business_date))
        ).all()
    }
