"""The one way a time reaches a person: in the branch's time zone, in the language's
format. Stored times are UTC; screens, SMS and exports all call `local_time` (templates
through the `localtime` filter), so no page can print a UTC hour beside a local one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

from reception.settings import DEFAULT_TIMEZONE

FORMATS = {
    "datetime": "%Y-%m-%d %H:%M",
    "date": "%Y-%m-%d",
    "time": "%H:%M",
    "seconds": "%H:%M:%S",
}
"""Named formats. Digits stay Western (0-9) in both languages, one policy for every
screen and SMS; the caller isolates the result (`<bdi dir="ltr">`) inside Arabic text."""

WORDS = {"date_words": "full"}
"""Named formats written in the language's words ("Sunday, December 6, 2026",
"الأحد، 6 ديسمبر 2026"), through Babel; digits stay Western here too."""


@cache
def zone_of(timezone: str | None) -> ZoneInfo:
    """The zone by name; the default zone when none is known or the name is unknown."""
    try:
        return ZoneInfo(timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def to_local(moment: datetime | str, timezone: str | None) -> datetime:
    """A stored moment (a datetime or its ISO text) as the branch's wall-clock time.
    A naive moment is UTC: that is how every time is stored."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone_of(timezone))


def local_time(
    moment: datetime | str | None,
    timezone: str | None = None,
    fmt: str = "datetime",
    language: str = "ar",
) -> str:
    """`moment` as a person reads it at the branch. `fmt` is one of `FORMATS` (or a
    strftime pattern); `language` is accepted so a language may get its own pattern
    later without touching the callers. Nothing (None or "") reads as an empty text."""
    if moment is None or moment == "":
        return ""
    if fmt in WORDS:
        return format_date(to_local(moment, timezone), WORDS[fmt], locale=language)
    pattern = FORMATS.get(fmt, fmt)
    return to_local(moment, timezone).strftime(pattern)


def long_date(day: date | str | None, language: str = "ar") -> str:
    """A calendar day in words in the language ("الجمعة 18 ديسمبر 2026", "Friday
    18 December 2026"), Western digits as everywhere; empty for nothing or a text
    that is not a date."""
    from babel.dates import format_date

    if isinstance(day, str):
        try:
            day = date.fromisoformat(day.strip())
        except ValueError:
            return ""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.date()
    return format_date(day, "EEEE d MMMM y", locale="ar" if language == "ar" else "en")
