"""Visitors of a report (see reception/stats/reports.py for what counts): tickets,
waits, service times, throughput per counter and operator, and figures per hour.
The days already rolled up come from the rollup, the others from the tickets."""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.auth.models import StaffUser
from reception.queue.models import Branch, Counter, Hall, Ticket, TicketStatus
from reception.stats.durations import is_visitor
from reception.stats.hourly import (
    by_hour,
    phone_calls_by_hour,
    rolled_hour_tallies,
    ticket_hour_tallies,
)
from reception.stats.letter_figures import CALL_KINDS
from reception.stats.numbers import duration_figures, mean, share
from reception.stats.periods import DateRange
from reception.stats.rollup import (
    duration_rows,
    fold,
    fold_halls,
    hall_rows,
    rolled_durations,
    rolled_figures,
    rolled_through,
    ticket_rows,
)
from reception.stats.windows import Window


def _visitors_where(branch_ids: Sequence[int], span: DateRange) -> ColumnElement[bool]:
    return and_(_tickets_where(branch_ids, span), is_visitor())


def _tickets_where(branch_ids: Sequence[int], span: DateRange) -> ColumnElement[bool]:
    return and_(
        col(Ticket.branch_id).in_(list(branch_ids)),
        col(Ticket.business_date) >= span.start,
        col(Ticket.business_date) <= span.end,
    )


def fresh_visitors(
    branch_ids: Sequence[int],
    span: DateRange,
    through: dict[int, date],
    which: Callable[[Sequence[int], DateRange], ColumnElement[bool]] = _visitors_where,
) -> ColumnElement[bool]:
    """The visitors (or other tickets, `which`) of the days not rolled up yet (see
    reception/stats/rollup.py): one date range per branch, so the (branch, business
    date) index serves each."""
    whole = [b for b in branch_ids if b not in through]
    parts = [which(whole, span)] if whole else []
    for branch_id, day in through.items():
        if day < span.end:
            after = DateRange(max(span.start, day + timedelta(days=1)), span.end)
            parts.append(which([branch_id], after))
    return or_(*parts) if parts else false()


def fresh_tickets(
    branch_ids: Sequence[int], span: DateRange, through: dict[int, date]
) -> ColumnElement[bool]:
    """Every ticket of the days not rolled up yet, cancelled ones included."""
    return fresh_visitors(branch_ids, span, through, _tickets_where)


def visitor_figures(
    session: Session, branch_ids: Sequence[int], span: DateRange, names: dict[str, Any]
) -> dict:
    """Visitors, waits, service times and throughput: the rollup of the days already
    rolled up plus one grouped pass over the tickets of the others, and the exact
    histograms of waits and service times the same way."""
    through = rolled_through(session, branch_ids)
    fresh = fresh_visitors(branch_ids, span, through)
    figures = fold(ticket_rows(session, fresh))
    fold_halls(hall_rows(session, fresh), into=figures)
    durations = {m: Tally(dict(duration_rows(session, fresh, m))) for m in ("wait", "service")}
    if through:
        last = min(max(through.values()), span.end)
        rolled_figures(session, list(through), span.start, last, into=figures)
        for measure, histogram in durations.items():
            histogram.update(rolled_durations(session, list(through), span.start, last, measure))
    by_dimension: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for (dimension, key), tally in figures.items():
        by_dimension[dimension][key] = tally
    halls = dict(session.execute(select(col(Hall.id), col(Hall.section))).all())
    by_hall: Tally[str] = Tally({"men": 0, "women": 0})
    by_residency: Tally[str] = Tally({"citizen": 0, "resident": 0, "unknown": 0})
    by_service: Tally[str] = Tally()
    by_priority: Tally[str] = Tally()
    by_status: Tally[str] = Tally()
    for key, t in by_dimension["hall"].items():
        by_hall[halls.get(_id(key), "other")] += t[0]
    for key, t in by_dimension["residency"].items():
        by_residency[key if key in ("citizen", "resident") else "unknown"] += t[0]
    for key, t in by_dimension["service"].items():
        by_service[names["service_slugs"].get(_id(key), key)] += t[0]
    for key, t in by_dimension["priority"].items():
        by_priority[names["priority_slugs"].get(_id(key), "none")] += t[0]
    waits, services = _Sum(), _Sum()
    for key, t in by_dimension["status"].items():
        by_status[key] += t[0]
        waits.add(t[3], t[4])
        services.add(t[5], t[6])
    cross = _hall_cross(by_dimension, halls, sum(by_status.values()), by_hall)
    counters = {_id(k) or 0: _Work(t) for k, t in by_dimension["counter"].items()}
    operators = {_id(k): _Work(t) for k, t in by_dimension["operator"].items()}
    return {
        "visitors": {
            "total": sum(by_status.values()),
            "by_hall": dict(by_hall),
            "by_residency": dict(by_residency),
            "by_service": _ranked(by_service),
            "by_priority": _ranked(by_priority),
            "by_status": _ranked(by_status),
        },
        "cross_tabs": cross,
        "no_shows": by_status[TicketStatus.no_show],
        "wait_minutes": waits.figures(durations["wait"]),
        "service_minutes": services.figures(durations["service"]),
        "throughput": _throughput(session, counters, operators),
    }


def _hall_cross(
    by_dimension: dict[str, dict[str, list[int]]],
    halls: dict[Any, str],
    visitors: int,
    by_hall: Tally[str],
) -> dict[str, Any]:
    """Hall × residency, and the visitors who left a mobile number (count and share
    of the visitors, in percent) in all and per hall."""
    residency: dict[str, Tally[str]] = {
        section: Tally({"citizen": 0, "resident": 0, "unknown": 0}) for section in by_hall
    }
    for key, t in by_dimension["hall_residency"].items():
        hall, _, known = key.partition("|")
        section = halls.get(_id(hall), "other")
        residency.setdefault(section, Tally({"citizen": 0, "resident": 0, "unknown": 0}))
        residency[section][known] += t[0]
    mobile: Tally[str] = Tally(dict.fromkeys(by_hall, 0))
    for key, t in by_dimension["hall_mobile"].items():
        mobile[halls.get(_id(key), "other")] += t[0]
    left = sum(mobile.values())
    return {
        "visitors_by_hall_residency": {section: dict(t) for section, t in residency.items()},
        "visitors_with_mobile": {
            "count": left,
            "share": share(left, visitors),
            "by_hall": {
                section: {"count": n, "share": share(n, by_hall[section])}
                for section, n in mobile.items()
            },
        },
    }


def _id(key: str) -> int | None:
    return int(key) if key else None


def _ranked(tally: Tally[str]) -> dict[str, int]:
    """Largest first; equal counts in the order of their names."""
    return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))


class _Sum:
    """Count and total seconds of some durations."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0

    def add(self, count: int, seconds: int) -> None:
        self.count += count
        self.seconds += seconds

    def mean(self) -> float | None:
        return mean(self.seconds / 60.0, self.count)

    def figures(self, histogram: Tally[int]) -> dict[str, Any]:
        return duration_figures(self.count, self.seconds, histogram)


class _Work:
    """Tickets done and not come at one counter or by one operator (a figure's
    MEASURES)."""

    def __init__(self, tally: list[int]) -> None:
        self.served = tally[1]
        self.no_shows = tally[2]
        self.minutes = _Sum()
        self.minutes.add(tally[5], tally[6])

    def figures(self) -> dict[str, Any]:
        return {
            "served": self.served,
            "no_shows": self.no_shows,
            "service_minutes_mean": self.minutes.mean(),
        }


def _throughput(
    session: Session, counters: dict[int, _Work], operators: dict[int | None, _Work]
) -> dict[str, list[dict[str, Any]]]:
    places = counter_places(session, counters)
    people = operator_names(session, [o for o in operators if o is not None])
    nobody = {"id": None, "username": None, "name": None}
    by_counter = [{**places.get(c, {"id": c}), **w.figures()} for c, w in counters.items()]
    by_operator = [{**people.get(o, nobody), **w.figures()} for o, w in operators.items()]
    by_counter.sort(
        key=lambda r: (r.get("branch") or "", r.get("hall") or "", r.get("counter") or 0)
    )
    by_operator.sort(key=lambda r: (-r["served"], r["username"] or ""))
    return {"by_counter": by_counter, "by_operator": by_operator}


def counter_places(session: Session, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(col(Counter.id), col(Counter.number), col(Hall.slug), col(Branch.slug))
        .join(Hall, col(Hall.id) == col(Counter.hall_id))
        .join(Branch, col(Branch.id) == col(Hall.branch_id))
        .where(col(Counter.id).in_(list(ids)))
    ).all()
    return {
        cid or 0: {"id": cid, "branch": branch, "hall": hall, "counter": number}
        for cid, number, hall, branch in rows
    }


def operator_names(session: Session, ids: Iterable[int]) -> dict[int | None, dict[str, Any]]:
    rows = session.execute(
        select(col(StaffUser.id), col(StaffUser.username), col(StaffUser.full_name)).where(
            col(StaffUser.id).in_(list(ids))
        )
    ).all()
    return {uid: {"id": uid, "username": u, "name": name or u} for uid, u, name in rows}


def figures_by_hour(
    session: Session, branch_ids: Sequence[int], span: DateRange, found: list[Window]
) -> dict[str, Any]:
    """Figures per local hour (reception/stats/hourly.py): the tickets of the days not
    rolled up plus the rollup of the others, as `visitor_figures` does."""
    through = rolled_through(session, branch_ids)
    zones = {b: w.timezone for w in found for b in w.branch_ids}
    tallies = ticket_hour_tallies(session, fresh_visitors(branch_ids, span, through), zones)
    if through:
        last = min(max(through.values()), span.end)
        rolled_hour_tallies(session, list(through), span.start, last, into=tallies)
    phone = phone_calls_by_hour(session, found, CALL_KINDS)
    return by_hour(session, branch_ids, tallies, phone)
