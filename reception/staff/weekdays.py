"""Weekdays as the administration reads and writes them: ticked day boxes in, day
names out ("Sunday – Thursday"), never the stored codes (`sun-thu`, `fri,sat`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reception.appointments.rules import parse_weekdays
from reception.errors import N_, DomainError
from reception.labels import DAY_NAMES

WEEK = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # the week starts on Sunday here


def weekdays_label(text: str, translate: Callable[[str], str]) -> str:
    """Stored weekdays (`sun-thu`, `fri,sat`) as a person reads them: "Sunday – Thursday",
    "Friday، Saturday", "Every day"; never the codes."""
    try:
        days = set(parse_weekdays(text))
    except DomainError:
        return translate(N_("Days not understood"))
    chosen = [d for d in WEEK if d in days]
    if not chosen:
        return translate(N_("Days not understood"))
    if len(chosen) == len(WEEK):
        return translate(N_("Every day"))
    names = [translate(DAY_NAMES[d]) for d in chosen]
    first, last = WEEK.index(chosen[0]), WEEK.index(chosen[-1])
    if len(chosen) >= 3 and last - first + 1 == len(chosen):
        return f"{names[0]} – {names[-1]}"
    return translate(N_(", ")).join(names)


def days_from_form(form: Any) -> str:
    """The days ticked in a form (`weekday` boxes), or the typed list (`days`)."""
    ticked = [str(v) for v in form.getlist("weekday") if str(v) in WEEK]
    return ",".join(ticked) if ticked else str(form.get("days", "")).strip().lower()
