"""A small iCalendar (RFC 5545) writer for agendas: CRLF line endings, escaped text
values, lines folded at 75 octets without splitting a UTF-8 character, times in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

LINE_OCTETS = 75
PRODID = "-//Reception//Agenda//EN"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    status: str = "CONFIRMED"


def utc_stamp(moment: datetime) -> str:
    """`20261124T070000Z`; a time without zone is refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("an iCalendar time needs its time zone")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """TEXT values: backslash, semicolon and comma escaped, newlines as `\\n`."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets; every continuation line
    starts with one space (which counts towards its 75)."""
    chunks: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size, limit = "", 0, LINE_OCTETS - 1
        current += ch
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)


def _property(name: str, value: str) -> str:
    return fold(f"{name}:{value}")


def write_calendar(events: Iterable[CalendarEvent], *, name: str, now: datetime) -> str:
    stamp = utc_stamp(now)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _property("X-WR-CALNAME", escape_text(name)),
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            _property("UID", event.uid),
            f"DTSTAMP:{stamp}",
            f"DTSTART:{utc_stamp(event.starts_at)}",
            f"DTEND:{utc_stamp(event.ends_at)}",
            _property("SUMMARY", escape_text(event.summary)),
        ]
        if event.location:
            lines.append(_property("LOCATION", escape_text(event.location)))
        if event.description:
            lines.append(_property("DESCRIPTION", escape_text(event.description)))
        if event.url:
            lines.append(_property("URL", event.url))
        lines += [f"STATUS:{event.status}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
