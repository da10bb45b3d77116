"""The days of a report's mobile branches: where the unit stood each day (its stop)
and which days' figures may still grow because the unit has not sent everything yet
(reception/edge/completeness.py). Branches of a report that are neither mobile nor
served by a unit add nothing here, so their reports stay as they were."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from reception.edge.completeness import branch_syncs, incomplete_days, stops_by_day
from reception.queue.models import Branch, BranchKind, Ticket
from reception.stats.periods import DateRange
from reception.stats.rollup import rolled_through, rolled_visitors
from reception.stats.visitor_figures import fresh_visitors
from reception.timefmt import to_local


def _visitors_per_day(session: Session, branch_id: int, span: DateRange) -> Tally[date]:
    """Visitors per business day, counted as the report counts them (rolled-up days
    from the rollup, the others from the tickets)."""
    through = rolled_through(session, [branch_id])
    visitors: Tally[date] = Tally(
        dict(
            session.execute(
                select(col(Ticket.business_date), func.count())
                .where(fresh_visitors([branch_id], span, through))
                .group_by(col(Ticket.business_date))
            ).all()
        )
    )
    if through:
        visitors.update(rolled_visitors(session, [branch_id], span.start, span.end))
    return visitors


def mobile_days(
    session: Session, branches: Sequence[Branch], span: DateRange, now: datetime
) -> dict[str, Any]:
    """`incomplete_days`: the days (ISO) of the range, none after today, on which a
    unit's data may still be missing for at least one of the branches; `mobile`: per
    mobile branch or branch served by units, its sync state and its days (those with
    a stop, visitors or missing data) with the stop (place in both languages), the
    visitors and whether the day is incomplete."""
    syncs = branch_syncs(session, [b.id for b in branches if b.id is not None])
    flagged: set[date] = set()
    mobile: list[dict[str, Any]] = []
    for branch in branches:
        assert branch.id is not None
        sync = syncs.get(branch.id)
        if branch.kind != BranchKind.mobile and sync is None:
            continue
        today = to_local(now, branch.timezone).date()
        missing = incomplete_days(sync, span.start, span.end, today)
        flagged.update(missing)
        stops = stops_by_day(session, branch.id, span.start, span.end)
        visitors = _visitors_per_day(session, branch.id, span)
        days = []
        day = span.start
        while day <= span.end:
            stop = stops.get(day)
            if stop is not None or visitors.get(day) or day in missing:
                days.append(
                    {
                        "date": day.isoformat(),
                        "stop": {"place_ar": stop.place_ar, "place_en": stop.place_en}
                        if stop is not None
                        else None,
                        "visitors": int(visitors.get(day, 0)),
                        "incomplete": day in missing,
                    }
                )
            day += timedelta(days=1)
        mobile.append(
            {
                "branch": branch.slug,
                "name_ar": branch.name_ar,
                "name_en": branch.name_en,
                "timezone": branch.timezone,
                "units": sync.units if sync else 0,
                "last_synced_at": sync.last_synced_at.isoformat()
                if sync and sync.last_synced_at
                else None,
                "pending": sync.pending if sync else 0,
                "incomplete_days": [d.isoformat() for d in missing],
                "days": days,
            }
        )
    return {"incomplete_days": [d.isoformat() for d in sorted(flagged)], "mobile": mobile}
