"""Figures by hour of the day, for staffing the halls: per local hour (0–23, the
branch's time zone; stored times are UTC) the tickets issued (`arrivals`), the
tickets called to a counter (`called`, at the hour of their last call), the waits of
the tickets issued in that hour (count, mean, median, 90th percentile, minutes), and
the phone calls logged (`phone_calls`, per branch: a call belongs to no hall).

The database groups the instants into UTC quarter hours (every time zone's offset is
a whole number of quarter hours) and Python turns each quarter hour into the local
hour with the zone's rules, so SQLite and PostgreSQL give the same hours, daylight
saving included. Ticket figures of rolled-up days come from `TicketDayHour` and
`TicketDayHourWait`, written by the end-of-day pass from these same tallies, so a
report gives the same numbers before and after the rollup."""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, cast, extract, func, literal_column, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.letters.models import Enquiry, Letter, LetterStep
from reception.queue.models import Branch, Hall, Ticket
from reception.stats.durations import arrival, wait_seconds
from reception.stats.models import TicketDayHour, TicketDayHourWait
from reception.stats.numbers import histogram_figures

QUARTER = 900
"""Seconds in the UTC buckets the database groups instants into."""

Key = tuple[date | None, int, int, int]
"""(business date or None, branch id, hall id, local hour)."""


def epoch_seconds(dialect: str, moment: Any) -> ColumnElement[Any]:
    """Whole seconds since 1970 of a stored UTC instant."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", moment)), BigInteger)
    return cast(func.strftime("%s", moment), Integer)


def quarter_of(dialect: str, moment: Any) -> ColumnElement[Any]:
    return epoch_seconds(dialect, moment) // QUARTER


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def local_hour(zone: str, quarter: int) -> int:
    """The hour on the clocks of `zone` during the UTC quarter hour `quarter`."""
    return datetime.fromtimestamp(int(quarter) * QUARTER, tz=UTC).astimezone(_zone(zone)).hour


@dataclass
class HourTallies:
    """Ticket figures per (day or None, branch, hall, local hour)."""

    arrivals: Tally[Key] = field(default_factory=Tally)
    called: Tally[Key] = field(default_factory=Tally)
    waits: dict[Key, Tally[int]] = field(default_factory=lambda: defaultdict(Tally))
    _days: dict[date | None, tuple[list[Key], list[Any]]] | None = field(default=None, repr=False)

    def rows_of_day(self, day: date) -> list[tuple[Any, list[dict[str, Any]]]]:
        """The rollup rows of one day (tables and their rows)."""
        if self._days is None:
            self._days = defaultdict(lambda: ([], []))
            for key in sorted(set(self.arrivals) | set(self.called), key=repr):
                self._days[key[0]][0].append(key)
            for key, histogram in self.waits.items():
                self._days[key[0]][1].append((key, histogram))
        keys, waits = self._days.get(day, ([], []))
        hour_rows = [
            {"branch_id": b, "business_date": day, "hall_id": h, "hour": hour,
             "arrivals": self.arrivals[k], "calls": self.called[k]}
            for k in keys for (_, b, h, hour) in [k]
        ]  # fmt: skip
        wait_rows = [
            {"branch_id": b, "business_date": day, "hall_id": h, "hour": hour,
             "seconds": seconds, "tickets": n}
            for (_, b, h, hour), histogram in waits
            for seconds, n in sorted(histogram.items())
        ]  # fmt: skip
        return [
            (TicketDayHour.__table__, hour_rows),  # type: ignore[attr-defined]
            (TicketDayHourWait.__table__, wait_rows),  # type: ignore[attr-defined]
        ]


def ticket_hour_tallies(
    session: Session,
    where: ColumnElement[bool],
    zones: dict[int, str],
    by_day: bool = False,
    into: HourTallies | None = None,
) -> HourTallies:
    """Arrivals, calls and waits per hall and local hour of the tickets matching
    `where`; `zones` gives each branch's time zone."""
    dialect = session.get_bind().dialect.name
    found = into if into is not None else HourTallies()
    first: tuple[Any, ...] = (col(Ticket.business_date),) if by_day else ()
    keys = (*first, col(Ticket.branch_id), col(Ticket.hall_id))

    def grouped(*extra: Any) -> list[Any]:
        return [literal_column(str(i + 1)) for i in range(len(keys) + len(extra))]

    issued = quarter_of(dialect, arrival())
    wait = wait_seconds(dialect)
    for *head, quarter, seconds, n in session.execute(
        select(*keys, issued, wait, func.count()).where(where).group_by(*grouped(issued, wait))
    ).all():
        key = _key(head, by_day, zones, quarter)
        found.arrivals[key] += int(n)
        if seconds is not None:
            found.waits[key][int(seconds)] += int(n)
    called = quarter_of(dialect, col(Ticket.called_at))
    for *head, quarter, n in session.execute(
        select(*keys, called, func.count())
        .where(where, col(Ticket.called_at).is_not(None))
        .group_by(*grouped(called))
    ).all():
        found.called[_key(head, by_day, zones, quarter)] += int(n)
    return found


def _key(head: Sequence[Any], by_day: bool, zones: dict[int, str], quarter: int) -> Key:
    day, branch, hall = head if by_day else (None, *head)
    return (day, int(branch), int(hall), local_hour(zones[int(branch)], quarter))


def rolled_hour_tallies(
    session: Session, branch_ids: Sequence[int], start: date, end: date, into: HourTallies
) -> HourTallies:
    """Adds the rolled-up hours of the days [start, end] to `into` (day None)."""
    for model in (TicketDayHour, TicketDayHourWait):
        place = (col(model.branch_id), col(model.hall_id), col(model.hour))
        within = (
            col(model.branch_id).in_(list(branch_ids)),
            col(model.business_date) >= start,
            col(model.business_date) <= end,
        )
        if model is TicketDayHour:
            for branch, hall, hour, arrivals, calls in session.execute(
                select(*place, func.sum(col(TicketDayHour.arrivals)),
                       func.sum(col(TicketDayHour.calls)))
                .where(*within).group_by(*place)
            ).all():  # fmt: skip
                into.arrivals[(None, branch, hall, hour)] += int(arrivals or 0)
                into.called[(None, branch, hall, hour)] += int(calls or 0)
        else:
            seconds = col(TicketDayHourWait.seconds)
            for branch, hall, hour, s, n in session.execute(
                select(*place, seconds, func.sum(col(TicketDayHourWait.tickets)))
                .where(*within)
                .group_by(*place, seconds)
            ).all():
                into.waits[(None, branch, hall, hour)][int(s)] += int(n or 0)
    return into


def phone_calls_by_hour(
    session: Session, windows: Iterable[Any], call_kinds: Sequence[str]
) -> Tally[tuple[int, int]]:
    """(branch id, local hour) → phone calls logged (calls about a letter, in the
    letter's branch, and general enquiries) within the report's windows."""
    dialect = session.get_bind().dialect.name
    found: Tally[tuple[int, int]] = Tally()
    for w in windows:
        zones = dict.fromkeys(w.branch_ids, w.timezone)
        step_quarter = quarter_of(dialect, col(LetterStep.at))
        enquiry_quarter = quarter_of(dialect, col(Enquiry.at))
        queries = [
            select(col(Letter.branch_id), step_quarter, func.count())
            .join(Letter, col(Letter.id) == col(LetterStep.letter_id))
            .where(
                col(LetterStep.kind).in_(list(call_kinds)),
                col(Letter.branch_id).in_(w.branch_ids),
                col(LetterStep.at) >= w.start,
                col(LetterStep.at) < w.end,
            )
            .group_by(literal_column("1"), literal_column("2")),
            select(col(Enquiry.branch_id), enquiry_quarter, func.count())
            .where(
                col(Enquiry.branch_id).in_(w.branch_ids),
                col(Enquiry.at) >= w.start,
                col(Enquiry.at) < w.end,
            )
            .group_by(literal_column("1"), literal_column("2")),
        ]
        for query in queries:
            for branch, quarter, n in session.execute(query).all():
                found[(int(branch), local_hour(zones[int(branch)], quarter))] += int(n)
    return found


# --- the published figures -------------------------------------------------------------


def _hours(
    arrivals: Tally[int],
    called: Tally[int],
    waits: dict[int, Tally[int]],
    phone: Tally[int] | None,
) -> dict[str, Any]:
    active = {h for tally in (arrivals, called, phone or Tally()) for h, n in tally.items() if n}
    hours = []
    for hour in sorted(active):
        entry: dict[str, Any] = {
            "hour": hour,
            "arrivals": arrivals[hour],
            "called": called[hour],
            "wait_minutes": histogram_figures(waits.get(hour, Tally())),
        }
        if phone is not None:
            entry["phone_calls"] = phone[hour]
        hours.append(entry)
    busiest = max(arrivals.items(), key=lambda kv: (kv[1], -kv[0]), default=(None, 0))
    return {"peak_hour": busiest[0] if busiest[1] else None, "hours": hours}


def by_hour(
    session: Session, branch_ids: Sequence[int], tallies: HourTallies, phone: Tally[tuple[int, int]]
) -> dict[str, Any]:
    """The report's `by_hour`: every branch together, then each branch, then each hall
    (a hall's hours carry no phone calls)."""
    places = session.execute(
        select(col(Branch.id), col(Branch.slug), col(Hall.id), col(Hall.slug), col(Hall.section))
        .join(Hall, col(Hall.branch_id) == col(Branch.id))
        .where(col(Branch.id).in_(list(branch_ids)))
        .order_by(col(Branch.id), col(Hall.id))
    ).all()
    branch_slugs = {b: slug for b, slug, *_ in places}
    for b, slug in session.execute(
        select(col(Branch.id), col(Branch.slug))
        .where(col(Branch.id).in_(list(branch_ids)))
        .order_by(col(Branch.id))
    ).all():
        branch_slugs.setdefault(b, slug)

    def gather(keep: Any) -> tuple[Tally[int], Tally[int], dict[int, Tally[int]]]:
        arrivals: Tally[int] = Tally()
        called: Tally[int] = Tally()
        waits: dict[int, Tally[int]] = defaultdict(Tally)
        for (_, b, h, hour), n in tallies.arrivals.items():
            if keep(b, h):
                arrivals[hour] += n
        for (_, b, h, hour), n in tallies.called.items():
            if keep(b, h):
                called[hour] += n
        for (_, b, h, hour), histogram in tallies.waits.items():
            if keep(b, h):
                waits[hour].update(histogram)
        return arrivals, called, waits

    def phones(keep: Any) -> Tally[int]:
        found: Tally[int] = Tally()
        for (b, hour), n in phone.items():
            if keep(b):
                found[hour] += n
        return found

    report = _hours(*gather(lambda b, h: True), phones(lambda b: True))
    report["by_branch"] = [
        {"branch": slug, **_hours(*gather(lambda b, h, i=i: b == i), phones(lambda b, i=i: b == i))}
        for i, slug in sorted(branch_slugs.items())
    ]
    report["by_hall"] = [
        {
            "branch": branch_slugs[b],
            "hall": hall_slug,
            "section": section,
            **_hours(*gather(lambda _b, h, i=hall_id: h == i), None),
        }
        for b, _, hall_id, hall_slug, section in places
    ]
    return report
