"""The branches of a report grouped by time zone, with the UTC instants that bound
the report's local days in each: a row counts when its branch is in a window and its
time stamp falls inside it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.queue.models import Branch
from reception.stats.periods import DateRange, local_bounds


@dataclass(frozen=True)
class Window:
    """Branches that share a time zone and the UTC instants bounding the range there."""

    timezone: str
    branch_ids: tuple[int, ...]
    start: datetime
    end: datetime


def windows(session: Session, branch_ids: Sequence[int], span: DateRange) -> list[Window]:
    rows = session.execute(
        select(col(Branch.id), col(Branch.timezone))
        .where(col(Branch.id).in_(list(branch_ids)))
        .order_by(col(Branch.id))
    ).all()
    zones: dict[str, list[int]] = defaultdict(list)
    for branch_id, zone in rows:
        zones[zone].append(branch_id or 0)
    return [Window(z, tuple(ids), *local_bounds(z, span)) for z, ids in zones.items()]


def within(found: list[Window], branch: Any, moment: Any) -> ColumnElement[bool]:
    if not found:
        return false()
    return or_(
        *[and_(col(branch).in_(w.branch_ids), moment >= w.start, moment < w.end) for w in found]
    )
