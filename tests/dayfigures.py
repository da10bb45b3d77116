"""The figures a report must publish, computed from the day's ledger
(tests/dayledger.py) alone, following the definitions of the README ("Report
figures") — never by calling our reporting code. Each is a method of `DayView`, the
ledger seen by one report (some branches, judged at a moment)."""

from __future__ import annotations

import math
from collections import Counter as Tally
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.dayledger import (
    OPEN_LETTER,
    SLA_HOURS,
    ZONE,
    AppointmentRecord,
    CallRecord,
    Ledger,
    LetterRecord,
    RatingRecord,
    SmsRecord,
    TicketRecord,
)

RESIDENCIES = ("citizen", "resident", "unknown")
SECTIONS = ("men", "women")
CHANNELS = ("counter", "phone", "mail", "online")
DELIVERY = ("queued", "sent", "delivered", "failed", "opted_out")
FATE_DELIVERY = {
    "delivered": "delivered",
    "undelivered": "failed",
    "opted_out": "opted_out",  # reported failed with the provider's error 21610
    "silent": "sent",
}
"""What each handset's delivery reports make of its messages (all accepted first)."""
SMS_HEADLINE = (
    "sent: messages accepted by the provider (provider statuses sent, delivered or undelivered)"
)
ON_A_LETTER = "on_a_letter"  # the group of the calls logged on a letter's page
NOBODY = "-"  # the API's device tokens call for no staff user


def hour_of(moment: datetime) -> int:
    return moment.astimezone(ZONE).hour


def seconds(start: datetime, end: datetime) -> int:
    """Whole seconds between two instants, each truncated to the second."""
    return math.floor(end.timestamp()) - math.floor(start.timestamp())


def half_up(value: float | None, digits: int = 1) -> float | None:
    """Halves rounded up on the decimal value a person reads (12.25 → 12.3)."""
    if value is None:
        return None
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))


def percentile(values: list[int], fraction: float) -> float | None:
    """Continuous percentile in minutes of durations in seconds (linear interpolation
    between the nearest ranks)."""
    if not values:
        return None
    ordered = sorted(v / 60.0 for v in values)
    p = fraction * (len(ordered) - 1)
    low, high = ordered[math.floor(p)], ordered[math.ceil(p)]
    return half_up(low + (p - math.floor(p)) * (high - low))


def minutes_mean(values: list[int]) -> float | None:
    return half_up(sum(values) / 60.0 / len(values)) if values else None


def durations(values: list[int]) -> dict[str, Any]:
    return {
        "count": len(values),
        "mean": minutes_mean(values),
        "median": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
    }


def share(part: int, whole: int) -> float | None:
    return half_up(100.0 * part / whole) if whole else None


def tally(keys: Iterable[str], base: Iterable[str] = ()) -> dict[str, int]:
    counted: Tally[str] = Tally({k: 0 for k in base})
    counted.update(keys)
    return dict(counted)


def place(counter: tuple[str, str, int]) -> str:
    """How the exports label a counter: branch/hall/number."""
    return "/".join(str(p) for p in counter)


class DayView:
    """The ledger seen by a report over some branches, judged at `now`."""

    def __init__(
        self, ledger: Ledger, branches: Iterable[str], now: datetime, every_branch: bool = False
    ) -> None:
        self.ledger = ledger
        self.every_branch = every_branch
        self.branches = set(branches)
        self.now = now

    # what counts
    @property
    def visitors(self) -> list[TicketRecord]:
        return [
            t
            for t in self.ledger.tickets.values()
            if t.branch in self.branches and t.status != "cancelled"
        ]

    @property
    def worked(self) -> list[TicketRecord]:
        return [v for v in self.visitors if v.status in ("done", "no_show") and v.counter]

    @property
    def letters(self) -> list[LetterRecord]:
        return [x for x in self.ledger.letters.values() if x.branch in self.branches]

    @property
    def calls(self) -> list[CallRecord]:
        return [c for c in self.ledger.calls if c.branch in self.branches]

    @property
    def ratings(self) -> list[RatingRecord]:
        return [r for r in self.ledger.ratings if r.branch in self.branches]

    @property
    def appointments(self) -> list[AppointmentRecord]:
        return [a for a in self.ledger.appointments.values() if a.branch in self.branches]

    @property
    def sms(self) -> list[SmsRecord]:
        return [m for m in self.ledger.sms if m.branch in self.branches]

    # tickets
    def waits(self, of: Iterable[TicketRecord] | None = None) -> list[int]:
        chosen = self.visitors if of is None else of
        return [seconds(v.issued, v.called) for v in chosen if v.called]

    def service_times(self, of: Iterable[TicketRecord] | None = None) -> list[int]:
        chosen = self.visitors if of is None else of
        return [
            seconds(v.serving, v.finished)
            for v in chosen
            if v.status == "done" and v.serving and v.finished
        ]

    def work(self, key: Any) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[TicketRecord]] = {}
        for v in self.worked:
            groups.setdefault(key(v), []).append(v)
        return {
            label: {
                "served": sum(1 for v in group if v.status == "done"),
                "no_shows": sum(1 for v in group if v.status == "no_show"),
                "service_minutes_mean": minutes_mean(self.service_times(group)),
            }
            for label, group in groups.items()
        }

    # letters
    def late(self, letter: LetterRecord) -> bool:
        stage = "classified" if letter.status == "returned" else letter.status
        hours = SLA_HOURS.get(stage)
        if not hours or letter.status_since is None:
            return False
        return self.now - letter.status_since > timedelta(hours=hours)

    def sla(self) -> dict[str, int]:
        still_open = [x for x in self.letters if x.status in OPEN_LETTER]
        late = sum(1 for x in still_open if self.late(x))
        return {"open": len(still_open), "on_time": len(still_open) - late, "late": late}

    # phone calls
    def calls_of(self, about_letters: bool | None, direction: str) -> int:
        return sum(
            1
            for c in self.calls
            if c.direction == direction and about_letters in (None, c.about_a_letter)
        )

    def calls_by_topic(self) -> dict[str, dict[str, Any]]:
        topics: dict[str, dict[str, Any]] = {}
        for c in self.calls:
            entry = topics.setdefault(
                c.topic or ON_A_LETTER, {"incoming": 0, "outgoing": 0, "minutes": None}
            )
            entry["incoming" if c.direction == "in" else "outgoing"] += 1
            if c.minutes is not None:
                entry["minutes"] = (entry["minutes"] or 0) + c.minutes
        return topics

    def call_minutes(self) -> int | None:
        timed = [c.minutes for c in self.calls if c.minutes is not None]
        return sum(timed) if timed else None

    def timed_calls(self) -> int:
        return sum(1 for c in self.calls if c.minutes is not None)

    # ratings
    def rating_groups(self, key: Any) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[int]] = {}
        for r in self.ratings:
            groups.setdefault(key(r), []).append(r.score)
        return {
            k: {"count": len(s), "mean": half_up(sum(s) / len(s), 2)} for k, s in groups.items()
        }

    def ratings_mean(self) -> float | None:
        scores = [r.score for r in self.ratings]
        return half_up(sum(scores) / len(scores), 2) if scores else None

    # appointments
    def appointments_with(self, *statuses: str) -> int:
        return sum(1 for a in self.appointments if a.status in statuses)

    # by local hour
    def hours(self, tickets: list[TicketRecord], calls: list[CallRecord] | None) -> dict[str, Any]:
        """`peak_hour` and the `hours` of some tickets (and phone calls, unless None):
        arrivals, tickets called (hour of the last call), waits of the tickets issued
        in the hour; hours with nothing left out."""
        arrivals = Tally(hour_of(t.issued) for t in tickets)
        called = Tally(hour_of(t.called) for t in tickets if t.called)
        phoned = Tally(hour_of(c.at) for c in calls or [])
        hours = []
        for hour in sorted(set(arrivals) | set(called) | set(phoned)):
            entry: dict[str, Any] = {
                "hour": hour,
                "arrivals": arrivals[hour],
                "called": called[hour],
                "wait_minutes": durations(
                    self.waits(t for t in tickets if hour_of(t.issued) == hour)
                ),
            }
            if calls is not None:
                entry["phone_calls"] = phoned[hour]
            hours.append(entry)
        peak = min(arrivals, key=lambda h: (-arrivals[h], h)) if arrivals else None
        return {"peak_hour": peak, "hours": hours}

    def by_hour(self) -> dict[str, Any]:
        """Every branch together, then each branch, then each hall (in the order they
        were created)."""
        branches = [b for b in dict.fromkeys(b for b, _, _ in self.ledger.places)]
        branches = [b for b in branches if b in self.branches]
        visitors, calls = self.visitors, self.calls
        return {
            **self.hours(visitors, calls),
            "by_branch": [
                {
                    "branch": b,
                    **self.hours(
                        [v for v in visitors if v.branch == b], [c for c in calls if c.branch == b]
                    ),
                }
                for b in branches
            ],
            "by_hall": [
                {
                    "branch": b,
                    "hall": hall,
                    "section": section,
                    **self.hours([v for v in visitors if (v.branch, v.hall) == (b, hall)], None),
                }
                for b, hall, section in self.ledger.places
                if b in self.branches
            ],
        }

    # SMS
    def delivery_of(self, message: SmsRecord) -> str:
        return FATE_DELIVERY[self.ledger.handsets[message.to]]

    def sms_reported(self, *fates: str) -> int:
        return sum(1 for m in self.sms if self.ledger.handsets[m.to] in fates)

    def sms_by_purpose(self) -> dict[str, int]:
        return dict(Tally(m.purpose for m in self.sms))

    def sms_by_delivery(self) -> dict[str, int]:
        return tally((self.delivery_of(m) for m in self.sms), DELIVERY)

    def sms_by_purpose_and_delivery(self) -> dict[str, dict[str, int]]:
        found = {}
        for purpose, total in self.sms_by_purpose().items():
            mine = (self.delivery_of(m) for m in self.sms if m.purpose == purpose)
            found[purpose] = {"total": total, **tally(mine, DELIVERY)}
        return found

    # cross-tabs
    def hall_by_residency(self) -> dict[str, dict[str, int]]:
        return {
            section: tally(
                (v.residency or "unknown" for v in self.visitors if v.hall == section), RESIDENCIES
            )
            for section in SECTIONS
        }

    def with_mobile(self) -> dict[str, Any]:
        def figures(visitors: list[TicketRecord]) -> dict[str, Any]:
            left = sum(1 for v in visitors if v.phone)
            return {"count": left, "share": share(left, len(visitors))}

        visitors = self.visitors
        return {
            **figures(visitors),
            "by_hall": {s: figures([v for v in visitors if v.hall == s]) for s in SECTIONS},
        }

    def letters_by_hall(self) -> dict[str, int]:
        return tally((x.hall or "none" for x in self.letters), (*SECTIONS, "none"))

    def letters_by_channel(self) -> dict[str, int]:
        return tally((x.channel for x in self.letters), CHANNELS)

    def letters_by_hall_and_channel(self) -> dict[str, dict[str, int]]:
        return {
            section: tally(
                (x.channel for x in self.letters if (x.hall or "none") == section), CHANNELS
            )
            for section in (*SECTIONS, "none")
        }
