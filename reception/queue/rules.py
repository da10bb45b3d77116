"""Pure queue policy: the ticket state machine (the waiting estimate: `estimate`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from reception.errors import N_, Conflict, Forbidden, Invalid
from reception.queue.estimate import (
    InLine,
    QueueState,
    RemoteAhead,
    WaitEstimate,
    estimate_eta,
    estimate_newcomers,
    estimate_wait,
    people_ahead,
)
from reception.queue.models import CounterStatus, Residency, TicketStatus

__all__ = [
    "InLine",
    "QueueState",
    "RemoteAhead",
    "WaitEstimate",
    "estimate_eta",
    "estimate_newcomers",
    "estimate_wait",
    "people_ahead",
]

S = TicketStatus

TICKET_TRANSITIONS: dict[tuple[TicketStatus, TicketStatus], str] = {
    (S.remote, S.waiting): "arrive",
    (S.remote, S.cancelled): "cancel",
    (S.remote, S.expired): "expire",
    (S.waiting, S.called): "call",
    (S.called, S.called): "recall",
    (S.called, S.serving): "start",
    (S.called, S.no_show): "no_show",
    (S.called, S.waiting): "return",
    (S.called, S.done): "finish",
    (S.serving, S.done): "finish",
    (S.serving, S.transferred): "transfer",
    (S.called, S.transferred): "transfer",
    (S.transferred, S.waiting): "requeue",
    (S.waiting, S.cancelled): "cancel",
    (S.waiting, S.expired): "expire",
    (S.called, S.expired): "expire",
    (S.serving, S.expired): "expire",
    (S.transferred, S.expired): "expire",
}


def check_ticket_transition(current: str, target: str) -> str:
    """Return the name of the move, or raise Conflict if the move is not allowed."""
    try:
        return TICKET_TRANSITIONS[(TicketStatus(current), TicketStatus(target))]
    except (KeyError, ValueError):
        raise Conflict(
            "illegal_transition",
            N_("This is not possible for a ticket that is {current}."),
            current=current,
        ) from None


CLOSE_CHOICES: dict[str, str] = {"served": "finish", "no_show": "no_show", "return": "return"}
"""How an operator closes the counter's open ticket before calling another or closing
the counter (`close_current`), and the move on the current ticket each one is:
`served` finishes it (outcome served, also for a visitor called and never marked
arrived: the operator says so), `no_show` records that the visitor did not come,
`return` puts it back in line keeping its place. Nothing is closed unless said."""


def check_close_choice(choice: str | None) -> str | None:
    """The operator's choice for the open ticket, or None when they gave none."""
    if choice is None or choice in CLOSE_CHOICES:
        return choice
    raise Invalid(
        "bad_close_current",
        N_("close_current is served, no_show or return (how the current visit ended)."),
    )


C = CounterStatus

COUNTER_TRANSITIONS: dict[tuple[CounterStatus, CounterStatus], str] = {
    (C.open, C.paused): "pause",
    (C.paused, C.open): "resume",
    (C.open, C.closed): "close",
    (C.paused, C.closed): "close",
    (C.closed, C.open): "open",
}


def check_counter_transition(current: str, target: str) -> str:
    try:
        return COUNTER_TRANSITIONS[(CounterStatus(current), CounterStatus(target))]
    except (KeyError, ValueError):
        raise Conflict(
            "illegal_counter_transition",
            N_("This is not possible for a counter that is {current}."),
            current=current,
        ) from None


def priority_not_offered() -> Forbidden:
    """A visitor at a kiosk asked for a priority group not offered there (the group's
    `at_kiosk` flag): staff grant it at the desk, the kiosk never does."""
    return Forbidden(
        "priority_not_offered",
        N_("This priority cannot be chosen at the kiosk. Please ask at the reception desk."),
    )


def check_residency(value: str | None) -> str | None:
    """Citizen, resident, or not stated (None): what published statistics count."""
    if value is not None and value not in {r.value for r in Residency}:
        raise Invalid("bad_residency", N_("Residency is citizen or resident."))
    return value


def normalise_phone(raw: str, default_region: str = "SA") -> str:
    """A mobile number in E.164 (+9665…), from Saudi local or international input."""
    import phonenumbers

    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise Invalid("bad_phone", N_("This mobile number is not valid."))
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise Invalid("not_mobile", N_("Please give a mobile number, so we can send an SMS."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def minutes_per_visit(expected: float, observed: list[float], prior_weight: float = 3.0) -> float:
    """The live service time of a service: the mean of recent visits, pulled towards
    the administrator's expected time while there are few observations (the expected
    time counts as `prior_weight` visits). Visits are measured from call to finish."""
    usable = [m for m in observed if 0 < m < 8 * 60]
    if not usable:
        return float(expected)
    return (sum(usable) + prior_weight * expected) / (len(usable) + prior_weight)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_open(opening_hours: Mapping[str, Any], holidays: list[str], moment: datetime) -> bool:
    """Whether a branch takes walk-in tickets at `moment` (its local time). Opening
    hours map a weekday (mon…sun) to [["08:00", "15:00"], …]; no hours at all means
    always open; a holiday (ISO date) is closed all day."""
    if moment.date().isoformat() in holidays:
        return False
    if not opening_hours:
        return True
    now = moment.strftime("%H:%M")
    for start, end in opening_hours.get(WEEKDAYS[moment.weekday()], []):
        if start <= now < end:
            return True
    return False


def parse_hours(days: str, start: str, end: str) -> dict[str, list[list[str]]]:
    """`sun,mon,tue` (or `sun-thu`) and two times → opening hours for those days."""
    import re

    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", start) or not re.fullmatch(
        r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00", end
    ):
        raise Invalid("bad_time", N_("Times are written like 08:00 and 15:30."))
    if end <= start:
        raise Invalid("bad_time", N_("Closing comes after opening."))
    if "-" in days:
        first, last = days.split("-", 1)
        if first not in WEEKDAYS or last not in WEEKDAYS:
            raise Invalid("bad_days", N_("Days are mon, tue, wed, thu, fri, sat, sun."))
        order = WEEKDAYS[6:] + WEEKDAYS[:6]  # the week starts on Sunday here
        i, j = order.index(first), order.index(last)
        chosen = list(order[i : j + 1]) if i <= j else list(order[i:] + order[: j + 1])
    else:
        chosen = [d.strip() for d in days.split(",") if d.strip()]
        if not chosen or any(d not in WEEKDAYS for d in chosen):
            raise Invalid("bad_days", N_("Days are mon, tue, wed, thu, fri, sat, sun."))
    return {day: [[start, end]] for day in chosen}
