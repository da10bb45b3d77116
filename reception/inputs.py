"""How every number, date and piece of text that arrives from outside is read.

One rule for the whole application, so that no screen crashes on input a person or a
program can send:

- Numbers are ASCII digits only (`str.isdigit()` also accepts "²" or "٣", which
  `int()` then refuses or reads differently). Where a person types a number on a
  screen (a ticket number, a volume) the Arabic-Indic and Eastern Arabic-Indic digits
  they may type are folded to ASCII on purpose; ids in paths and API fields are not.
- Dates lie between `EARLIEST_DAY` and `YEARS_AHEAD` years after today: anything
  else is a typing mistake or an attack, and dates near the ends of the calendar
  overflow as soon as a day is added or a time zone applied.
- Text carries no control characters (NUL, escape…) and no lone surrogates: the
  `InputGuard` middleware refuses them in paths, query strings, form fields and JSON
  bodies before any screen sees them (PostgreSQL cannot store NUL at all; SQLite
  would, so the answer would depend on the database). Tab and newline are allowed in
  bodies, where multi-line fields (a letter's text, a note) take them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl

from pydantic import AfterValidator, AwareDatetime, Field, Strict, ValidationInfo
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reception.errors import N_, DomainError, Invalid, TooManyRequests

MAX_ID = 2**31 - 1
"""The largest id a table holds (PostgreSQL `integer`)."""

EARLIEST_DAY = date(2000, 1, 1)
YEARS_AHEAD = 5

_ASCII_NUMBER = re.compile(r"[0-9]{1,18}")
_TYPED_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# C0 and C1 control characters, DEL and lone surrogates; tab, newline and carriage
# return are allowed where noted.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


# --- numbers ----------------------------------------------------------------------------


def to_int(raw: object, *, low: int = 0, high: int = MAX_ID, typed: bool = False) -> int | None:
    """`raw` as a whole number between `low` and `high`, or None.

    Only ASCII digits count (surrounding spaces are ignored); with `typed`, also the
    Arabic-Indic digits a person types on an Arabic keyboard. Signs, decimal points,
    superscripts and other scripts' digits are not numbers here."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if typed:
            text = text.translate(_TYPED_DIGITS)
        if not _ASCII_NUMBER.fullmatch(text):
            return None
        value = int(text)
    else:
        return None
    return value if low <= value <= high else None


def digits_only(text: str) -> str:
    """The ASCII digits in what a person typed (Arabic-Indic ones folded), in order:
    "٤٠٢ 133-77" → "40213377"."""
    return "".join(ch for ch in text.translate(_TYPED_DIGITS) if "0" <= ch <= "9")


def to_id(raw: object) -> int | None:
    """A row id (1 … 2³¹−1), or None."""
    return to_int(raw, low=1)


# --- dates --------------------------------------------------------------------------------


def latest_day(today: date | None = None) -> date:
    """The last date any input may name: `YEARS_AHEAD` years after today (by the
    application's clock where the caller has it, else by the wall clock: a sanity
    window needs no precision)."""
    today = today or datetime.now(UTC).date()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def day_in_window(day: date, today: date | None = None) -> bool:
    return EARLIEST_DAY <= day <= latest_day(today)


def check_day(day: date, today: date | None = None) -> date:
    """`day`, or Invalid (422) when it is outside the window every date keeps to."""
    if not day_in_window(day, today):
        raise Invalid(
            "date_out_of_range",
            N_("The date must be between {first} and {last}."),
            first=EARLIEST_DAY.isoformat(),
            last=latest_day(today).isoformat(),
        )
    return day


def check_moment(moment: datetime, today: date | None = None) -> datetime:
    """A time on a date inside the window (an aware time judged on its UTC date)."""
    try:
        day = moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
    except OverflowError:
        day = date.min
    check_day(day, today)
    return moment


_DATE_PARTS = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_TIME_PARTS = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})")


def typed_date(raw: object) -> str:
    """What a person typed in a date field, as `YYYY-MM-DD` when it reads as one:
    Arabic-Indic digits become 0-9, `/` or `.` may separate, one-digit months and days
    are padded. Anything else comes back stripped, for the caller's own refusal."""
    text = str(raw or "").strip().translate(_TYPED_DIGITS)
    match = _DATE_PARTS.fullmatch(text)
    if not match:
        return text
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def typed_time(raw: object) -> str:
    """A typed time of day as `HH:MM` (`8:30` or `٨:٣٠` → `08:30`); anything else
    comes back stripped, for the caller's own refusal."""
    text = str(raw or "").strip().translate(_TYPED_DIGITS)
    match = _TIME_PARTS.fullmatch(text)
    if not match:
        return text
    hours, minutes = match.groups()
    return f"{int(hours):02d}:{minutes}"


def parse_day(text: object, today: date | None = None) -> date | None:
    """An ISO date (YYYY-MM-DD, as `typed_date` reads it) inside the window, or None
    when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        day = date.fromisoformat(typed_date(text.strip()[:10]))
    except ValueError:
        return None
    return day if day_in_window(day, today) else None


def _today_of(info: ValidationInfo) -> date | None:
    """The request's today, passed as validation context by the API (without one,
    `latest_day` goes by the wall clock)."""
    context = info.context if isinstance(info.context, dict) else {}
    today = context.get("today")
    return today if isinstance(today, date) else None


def _day_field(value: date, info: ValidationInfo) -> date:
    today = _today_of(info)
    if not day_in_window(value, today):
        raise ValueError(
            f"must be between {EARLIEST_DAY.isoformat()} and {latest_day(today).isoformat()}"
        )
    return value


def _moment_field(value: datetime, info: ValidationInfo) -> datetime:
    today = _today_of(info)
    try:
        day = value.astimezone(UTC).date()
    except OverflowError:
        day = date.min
    if not day_in_window(day, today):
        raise ValueError(
            f"must be between {EARLIEST_DAY.isoformat()} and {latest_day(today).isoformat()}"
        )
    return value


# Types for the API's pydantic models.
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
"""A row id in a JSON body: an integer (not `true`, not `"1"`), 1 … 2³¹−1."""
Day = Annotated[date, AfterValidator(_day_field)]
"""A date inside the window."""
AwareMoment = Annotated[AwareDatetime, AfterValidator(_moment_field)]
"""A date and time with its offset, inside the window."""


# --- text ---------------------------------------------------------------------------------


def has_control(text: str, *, multiline: bool = False) -> bool:
    """Whether `text` holds a control character (or a lone surrogate); with
    `multiline`, tab and line breaks are fine."""
    return bool((_CONTROL_IN_TEXT if multiline else _CONTROL).search(text))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def json_has_control(body: bytes) -> bool:
    """Whether a JSON body holds a control character in any string (keys too).
    A body that is not JSON is left to the route, which says so."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return any(has_control(s, multiline=True) for s in _strings(document))


def form_has_control(body: bytes) -> bool:
    """Whether a URL-encoded form holds a control character in a name or value."""
    try:
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
    except ValueError:
        return False
    return any(has_control(k) or has_control(v, multiline=True) for k, v in pairs)


def query_has_control(query: bytes) -> bool:
    pairs = parse_qsl(query.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
    return any(has_control(k) or has_control(v) for k, v in pairs)


# --- the edge -----------------------------------------------------------------------------

TRACKING_PREFIXES = ("/t/", "/l/", "/a/", "/r/")
"""Citizens' links: a malformed one counts as a wrong guess, like one that does not exist."""

ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


class InputGuard:
    """Refuse control characters in the path, the query string and URL-encoded or
    JSON bodies (422, in the visitor's language, as any other domain error) before
    any route reads them. Sits inside the session middleware, so the answer can be
    the usual error page."""

    def __init__(
        self,
        app: ASGIApp,
        on_error: ErrorHandler,
        on_bad_link: Callable[[Request], Awaitable[None]] | None = None,
    ) -> None:
        self.app = app
        self.on_error = on_error
        self.on_bad_link = on_bad_link

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # sockets check their few parameters themselves
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        bad = has_control(path) or query_has_control(scope.get("query_string", b""))
        if not bad:
            media = _media_type(scope)
            if media in ("application/json", "application/x-www-form-urlencoded"):
                body, receive = await _buffered(receive)
                check = json_has_control if media == "application/json" else form_has_control
                bad = check(body)
        if not bad:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        error: DomainError = Invalid(
            "control_character",
            N_("The request contains a control character, which is not allowed here."),
        )
        if path.startswith(TRACKING_PREFIXES) and self.on_bad_link is not None:
            try:
                await self.on_bad_link(request)
            except TooManyRequests as waiting:
                error = waiting
        response = await self.on_error(request, error)
        await response(scope, receive, send)


def _media_type(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"content-type":
            return str(value.decode("latin-1").split(";")[0].strip().lower())
    return ""


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (already bounded by BodyLimit), and a `receive` that hands it
    to the route again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
