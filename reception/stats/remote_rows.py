"""The rows behind the figures of joins from a phone, grouped by the database, for
both the report's fresh days and the daily rollup (reception/stats/rollup.py), so the
two paths give identical figures.

* `joined`: tickets joined from a phone (`remote`), cancelled ones included;
* `arrived`: of those, checked in (`arrived_at` set);
* `cancelled`: cancelled by the visitor, before or after checking in;
* `never_arrived`: closed by the end-of-day pass without checking in (`expired`);
* waits of the checked-in tickets that were called: `r_wait` from the check-in to
  the call, `r_join` from the join to the call, in whole seconds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.queue.models import Ticket, TicketStatus
from reception.stats.durations import seconds_between

DIMENSION = "remote"
KEYS = ("joined", "arrived", "cancelled", "never_arrived")
DURATIONS = {"r_wait": "arrival", "r_join": "join"}
"""The rollup's duration measures (at most eight letters) of joins from a phone."""


def remote_counts(session: Session, where: ColumnElement[bool], *first: Any) -> Sequence[Any]:
    """(first…, status, checked in 0/1, tickets) of the tickets joined from a phone
    matching `where`."""
    arrived = case((col(Ticket.arrived_at).is_not(None), 1), else_=0)
    keys = (*first, col(Ticket.status), arrived)
    positions: list[Any] = [literal_column(str(i + 1)) for i in range(len(keys))]
    return session.execute(
        select(*keys, func.count()).where(where, col(Ticket.remote).is_(True)).group_by(*positions)
    ).all()


def fold_remote(rows: Iterable[Sequence[Any]], into: Any) -> Any:
    """Adds `remote_counts` (without `first`) to the ("remote", key) figures of a
    rollup's figures (their first measure)."""
    for status, arrived, n in rows:
        count = int(n)
        into[(DIMENSION, "joined")][0] += count
        if arrived:
            into[(DIMENSION, "arrived")][0] += count
        if status == TicketStatus.cancelled:
            into[(DIMENSION, "cancelled")][0] += count
        elif status == TicketStatus.expired and not arrived:
            into[(DIMENSION, "never_arrived")][0] += count
    return into


def remote_durations(
    session: Session, where: ColumnElement[bool], measure: str, *first: Any
) -> Sequence[Any]:
    """(first…, seconds, tickets) of the waits (`r_wait` from the check-in, `r_join`
    from the join) of the checked-in tickets joined from a phone that were called."""
    d = session.get_bind().dialect.name
    start = col(Ticket.arrived_at) if DURATIONS[measure] == "arrival" else col(Ticket.issued_at)
    value = seconds_between(d, start, col(Ticket.called_at))
    position: ColumnElement[Any] = literal_column(str(len(first) + 1))
    return session.execute(
        select(*first, value, func.count())
        .where(
            where,
            and_(
                col(Ticket.remote).is_(True),
                col(Ticket.arrived_at).is_not(None),
                col(Ticket.called_at).is_not(None),
            ),
        )
        .group_by(*first, position)
    ).all()
