"""Pure date arithmetic of reports: reading a range, its limits, local days as UTC
instants, constant-offset stretches of a time zone, and grouping days into periods.
No database here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reception.errors import N_, Invalid
from reception.inputs import check_day

MAX_YEARS = 5
PERIODS = ("day", "week", "month", "year")
PRESETS = ("today", "week", "month", "year")


@dataclass(frozen=True)
class DateRange:
    """Business dates, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def parse_day(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid("bad_date", N_("Dates are written as YYYY-MM-DD.")) from None
    return check_day(day)


def parse_range(date_from: str | None, date_to: str | None) -> DateRange:
    """Both dates are needed; the start may not come after the end, and a range
    covers at most five years (2020-01-01 … 2024-12-31 is the longest from 2020)."""
    if not date_from or not date_to:
        raise Invalid(
            "date_required", N_("Please give both dates: date_from and date_to (YYYY-MM-DD).")
        )
    start, end = parse_day(date_from.strip()), parse_day(date_to.strip())
    if start > end:
        raise Invalid("reversed_range", N_("The start date comes after the end date."))
    if end >= _add_years(start, MAX_YEARS):
        raise Invalid("range_too_long", N_("A report covers at most five years."))
    return DateRange(start, end)


def parse_month(text: str | None, today: date) -> DateRange:
    """`YYYY-MM` → that month; nothing → the current month."""
    if not text:
        first = today.replace(day=1)
    else:
        try:
            if len(text) != 7:
                raise ValueError
            first = date.fromisoformat(text + "-01")
        except ValueError:
            raise Invalid("bad_month", N_("A month is written as YYYY-MM.")) from None
        check_day(first, today)
    return DateRange(first, month_end(first))


def parse_period(text: str | None) -> str:
    period = (text or "day").strip()
    if period not in PERIODS:
        raise Invalid("bad_period", N_("The period is day, week, month or year."))
    return period


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def week_start(day: date) -> date:
    """Weeks start on Sunday, as the working week here does."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def preset_range(preset: str, today: date) -> DateRange:
    """today, week (Sunday to today), month (1st to today), year (1 January to today)."""
    if preset == "week":
        return DateRange(week_start(today), today)
    if preset == "month":
        return DateRange(today.replace(day=1), today)
    if preset == "year":
        return DateRange(today.replace(month=1, day=1), today)
    return DateRange(today, today)


def local_bounds(timezone: str, span: DateRange) -> tuple[datetime, datetime]:
    """The UTC instants where the first day starts and the day after the last starts,
    in the branch's time zone: [start, end) holds exactly the range's local days."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(span.start, time(0), tzinfo=zone).astimezone(UTC)
    after = datetime.combine(span.end + timedelta(days=1), time(0), tzinfo=zone)
    return start, after.astimezone(UTC)


def _offset(zone: ZoneInfo, moment: datetime) -> timedelta:
    offset = moment.astimezone(zone).utcoffset()
    return offset if offset is not None else timedelta(0)


def offset_segments(
    timezone: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, timedelta]]:
    """[start, end) cut where the zone's UTC offset changes (daylight saving): each
    piece with its one offset, so a local date is the UTC time plus that offset."""
    zone = ZoneInfo(timezone)
    step = timedelta(hours=6)  # offset changes are months apart, never two in six hours
    pieces: list[tuple[datetime, datetime, timedelta]] = []
    piece_start, offset, probe = start, _offset(zone, start), start
    while probe < end:
        ahead = min(probe + step, end)
        if _offset(zone, ahead) == offset:
            probe = ahead
            continue
        low, high = probe, ahead  # low has the old offset, high the new one
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if _offset(zone, middle) == offset:
                low = middle
            else:
                high = middle
        change = high.replace(microsecond=0)
        if change >= end:
            break
        pieces.append((piece_start, change, offset))
        piece_start, offset, probe = change, _offset(zone, change), change
    pieces.append((piece_start, end, offset))
    return pieces


def bucket_of(day: date, period: str) -> str:
    if period == "week":
        return week_start(day).isoformat()
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "year":
        return str(day.year)
    return day.isoformat()


def buckets(span: DateRange, period: str) -> Iterator[str]:
    """Every period label of the range, in order (a week is named by its Sunday)."""
    seen: set[str] = set()
    day = span.start
    while day <= span.end:
        label = bucket_of(day, period)
        if label not in seen:
            seen.add(label)
            yield label
        day += timedelta(days=1)


def roll_up(per_day: Mapping[date, int], span: DateRange, period: str) -> dict[str, int]:
    """Counts per day → counts per period, with every period of the range present."""
    totals = dict.fromkeys(buckets(span, period), 0)
    for day, count in per_day.items():
        if span.start <= day <= span.end:
            totals[bucket_of(day, period)] += count
    return totals
