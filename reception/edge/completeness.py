"""Which business days of a branch served by mobile units the centre holds in full.

A unit pushes its records when it has a link; when its outbox is empty after a push the
centre records the unit's clock as `complete_through`: everything the unit made before
that moment is at the centre. A business day is therefore *complete* once its end
(midnight after it, in the branch's time zone) is not later than the newest
`complete_through` of the branch's units, and *incomplete* otherwise; with no such
moment yet, every day since the first unit was created is incomplete. A branch
without units is always complete.

Reports flag incomplete days, and the rollup never freezes one (its figures would
miss what the unit has not sent yet)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from reception.edge.models import EdgeUnit
from reception.queue.models import Branch, BranchStop
from reception.timefmt import zone_of


@dataclass(frozen=True)
class BranchSync:
    """What the centre knows of a branch's units: how far their data is here."""

    branch_id: int
    timezone: str
    units: int
    """Units of the branch, revoked ones included."""
    active_units: int
    first_created_at: datetime
    complete_through: datetime | None
    """The newest moment before which every record of the units is here."""
    last_synced_at: datetime | None
    """The newest push the centre took from any of the units."""
    pending: int
    """Records the units still held at their last pushes."""


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def day_end(day: date, timezone: str) -> datetime:
    """The UTC instant of midnight after `day` in the zone."""
    after = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone_of(timezone))
    return after.astimezone(UTC)


def branch_syncs(session: Session, branch_ids: Sequence[int]) -> dict[int, BranchSync]:
    """The sync state of each of the branches that has at least one unit."""
    ids = list(branch_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            col(EdgeUnit.branch_id),
            col(Branch.timezone),
            func.count(),
            func.count(col(EdgeUnit.id)).filter(col(EdgeUnit.revoked_at).is_(None)),
            func.min(col(EdgeUnit.created_at)),
            func.max(col(EdgeUnit.complete_through)),
            func.max(col(EdgeUnit.last_push_at)),
            func.sum(col(EdgeUnit.pending)).filter(col(EdgeUnit.revoked_at).is_(None)),
        )
        .join(Branch, col(Branch.id) == col(EdgeUnit.branch_id))
        .where(col(EdgeUnit.branch_id).in_(ids))
        .group_by(col(EdgeUnit.branch_id), col(Branch.timezone))
    ).all()
    found: dict[int, BranchSync] = {}
    for branch_id, zone, units, active, first, through, pushed, pending in rows:
        found[branch_id] = BranchSync(
            branch_id=branch_id,
            timezone=zone,
            units=int(units),
            active_units=int(active or 0),
            first_created_at=_utc(first) or datetime.min.replace(tzinfo=UTC),
            complete_through=_utc(through),
            last_synced_at=_utc(pushed),
            pending=int(pending or 0),
        )
    return found


def branch_sync(session: Session, branch_id: int) -> BranchSync | None:
    """The sync state of one branch; None when no unit serves it."""
    return branch_syncs(session, [branch_id]).get(branch_id)


def branch_sync_of_slug(session: Session, slug: str) -> BranchSync | None:
    """The sync state of the branch with this slug; None when no unit serves it."""
    branch_id = session.execute(select(col(Branch.id)).where(col(Branch.slug) == slug)).scalar()
    return branch_sync(session, branch_id) if branch_id is not None else None


def is_incomplete(sync: BranchSync | None, day: date) -> bool:
    """Whether the centre may still miss records of the branch's `day`."""
    if sync is None:
        return False
    if sync.complete_through is None:
        return day_end(day, sync.timezone) > sync.first_created_at
    return day_end(day, sync.timezone) > sync.complete_through


def first_incomplete_day(sync: BranchSync | None) -> date | None:
    """The earliest incomplete business day (every later day is incomplete too);
    None for a branch without units."""
    if sync is None:
        return None
    zone = zone_of(sync.timezone)
    moment = sync.complete_through or sync.first_created_at
    day = moment.astimezone(zone).date() - timedelta(days=1)
    while not is_incomplete(sync, day):
        day += timedelta(days=1)
    return day


def incomplete_days(
    sync: BranchSync | None, start: date, end: date, today: date | None = None
) -> list[date]:
    """The incomplete days of [start, end], none after `today` when given (a day that
    has not come is not one whose data is missing)."""
    first = first_incomplete_day(sync)
    if first is None:
        return []
    last = min(end, today) if today is not None else end
    day = max(start, first)
    days = []
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def stops_by_day(
    session: Session, branch_id: int, start: date, end: date
) -> dict[date, BranchStop]:
    """The stop covering each day of [start, end] where the branch stood somewhere."""
    stops = session.execute(
        select(BranchStop)
        .where(
            col(BranchStop.branch_id) == branch_id,
            col(BranchStop.starts_on) <= end,
            col(BranchStop.ends_on) >= start,
        )
        .order_by(col(BranchStop.starts_on), col(BranchStop.id))
    ).scalars()
    covered: dict[date, BranchStop] = {}
    for stop in stops:
        day = max(stop.starts_on, start)
        while day <= min(stop.ends_on, end):
            covered.setdefault(day, stop)
            day += timedelta(days=1)
    return covered
