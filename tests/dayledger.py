"""What the day generator (tests/dayplan.py) did, kept by the generator itself, and the
figures a report must publish computed from it alone — without our reporting code.

Every record keeps its branch, hall, local hour and the other dimensions a report may
group by, so a new published figure is one more function over these lists."""

from __future__ import annotations

import math
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Riyadh")

ROUTES = {  # category → department, as the routing rules of the demo taxonomy say
    "request_civil": "civil_affairs",
    "request_passport": "passports",
    "complaint_traffic": "traffic",
    "complaint_security": "public_security",
    "appeal": "rights",
    "meeting": "minister_office",
}
SLA_HOURS = {"received": 24, "classified": 8, "routed": 48, "in_progress": 240}
OPEN_LETTER = ("received", "classified", "routed", "in_progress", "returned")
OPEN_TICKET = ("waiting", "called", "serving", "transferred")


def hour_of(moment: datetime) -> int:
    return moment.astimezone(ZONE).hour


def seconds(start: datetime, end: datetime) -> int:
    """Whole seconds between two instants, each truncated to the second."""
    return math.floor(end.timestamp()) - math.floor(start.timestamp())


@dataclass
class TicketRecord:
    id: int
    number: str
    branch: str
    hall: str  # the hall's section: men or women
    service: str  # the current service (a transfer changes it)
    residency: str | None
    phone: str | None
    priority: str | None
    weight: int
    issued: datetime
    by_appointment: bool = False
    status: str = "waiting"
    called: datetime | None = None  # the last call (a recall calls again)
    serving: datetime | None = None
    finished: datetime | None = None
    counter: tuple[str, str, int] | None = None  # (branch, hall, number) of the last call
    counter_id: int | None = None
    operator: str | None = None  # the staff user who called it last (none for a device)
    assigned_counter: int | None = None
    called_at: set[int] = field(default_factory=set)  # counters that called it (one SMS each)
    recalls: int = 0
    returns: int = 0
    transfers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class LetterRecord:
    reference: str
    branch: str
    hall: str | None
    channel: str
    residency: str
    sex: str
    phone: str | None
    created: datetime
    status: str = "received"
    status_since: datetime | None = None
    category: str | None = None
    department: str | None = None


@dataclass
class CallRecord:
    branch: str
    topic: str  # "letter" or "general"
    direction: str  # "in" or "out"
    at: datetime
    minutes: float | None = None  # not recorded by the product yet


@dataclass
class RatingRecord:
    ticket: int
    branch: str
    hall: str
    service: str
    counter: tuple[str, str, int]
    operator: str | None
    score: int
    at: datetime


@dataclass
class AppointmentRecord:
    id: int
    code: str
    branch: str
    hall: str
    service: str
    starts: datetime
    phone: str | None
    residency: str | None
    booked_at: datetime
    status: str = "booked"
    kind: str = "visit"
    reminded_day: bool = False
    reminded_soon: bool = False


@dataclass
class SmsRecord:
    purpose: str
    branch: str
    at: datetime
    to: str


@dataclass
class Ledger:
    tickets: dict[int, TicketRecord] = field(default_factory=dict)
    letters: dict[str, LetterRecord] = field(default_factory=dict)
    calls: list[CallRecord] = field(default_factory=list)
    ratings: list[RatingRecord] = field(default_factory=list)
    appointments: dict[int, AppointmentRecord] = field(default_factory=dict)
    sms: list[SmsRecord] = field(default_factory=list)
    told_next: set[int] = field(default_factory=set)
    handsets: dict[str, str] = field(default_factory=dict)  # number → what its reports say

    def text(self, purpose: str, branch: str, at: datetime, to: str | None) -> None:
        assert to is not None
        self.sms.append(SmsRecord(purpose, branch, at, to))

    def close_day(self, at: datetime) -> None:
        """The end-of-day pass: every ticket still open becomes `expired`."""
        for t in self.tickets.values():
            if t.status in OPEN_TICKET:
                t.status, t.finished = "expired", at

    def view(self, branches: Iterable[str], now: datetime, every_branch: bool = False) -> DayView:
        return DayView(self, set(branches), now, every_branch)


# --- the figures -----------------------------------------------------------------------


def percentile(values: list[int], fraction: float) -> float | None:
    """Continuous percentile in minutes of durations in seconds (linear interpolation)."""
    if not values:
        return None
    ordered = sorted(v / 60.0 for v in values)
    p = fraction * (len(ordered) - 1)
    low, high = ordered[math.floor(p)], ordered[math.ceil(p)]
    return round(low + (p - math.floor(p)) * (high - low), 1)


def minutes_mean(values: list[int]) -> float | None:
    return round(sum(values) / 60.0 / len(values), 1) if values else None


def durations(values: list[int]) -> dict[str, Any]:
    return {
        "count": len(values),
        "mean": minutes_mean(values),
        "median": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
    }


def tally(keys: Iterable[str], base: Iterable[str] = ()) -> dict[str, int]:
    counted: Tally[str] = Tally({k: 0 for k in base})
    counted.update(keys)
    return dict(counted)


def place(counter: tuple[str, str, int]) -> str:
    """How the exports label a counter: branch/hall/number."""
    return "/".join(str(p) for p in counter)


NOBODY = "-"  # the API's device tokens call for no staff user


class DayView:
    """The ledger seen by a report over some branches, judged at `now`."""

    def __init__(
        self, ledger: Ledger, branches: set[str], now: datetime, every_branch: bool
    ) -> None:
        self.ledger = ledger
        self.every_branch = every_branch
        self.branches = branches
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
    def waits(self) -> list[int]:
        return [seconds(v.issued, v.called) for v in self.visitors if v.called]

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

    def calls_of(self, topic: str | None, direction: str) -> int:
        return sum(1 for c in self.calls if c.direction == direction and topic in (None, c.topic))

    # ratings
    def rating_groups(self, key: Any) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[int]] = {}
        for r in self.ratings:
            groups.setdefault(key(r), []).append(r.score)
        return {k: {"count": len(s), "mean": round(sum(s) / len(s), 2)} for k, s in groups.items()}

    def ratings_mean(self) -> float | None:
        scores = [r.score for r in self.ratings]
        return round(sum(scores) / len(scores), 2) if scores else None

    # appointments
    def appointments_with(self, *statuses: str) -> int:
        return sum(1 for a in self.appointments if a.status in statuses)

    # figures the reports are growing (computed here so each is one line in the test)
    def arrivals_by_hour(self) -> dict[int, int]:
        return dict(Tally(hour_of(v.issued) for v in self.visitors))

    def calls_by_hour(self) -> dict[int, int]:
        return dict(Tally(hour_of(v.called) for v in self.visitors if v.called))

    def sms_reported(self, *fates: str) -> int:
        return sum(1 for m in self.sms if self.ledger.handsets[m.to] in fates)

    def sms_by_purpose(self) -> dict[str, int]:
        return dict(Tally(m.purpose for m in self.sms))

    def hall_by_residency(self) -> dict[str, int]:
        return dict(Tally(f"{v.hall}/{v.residency or 'unknown'}" for v in self.visitors))

    def with_mobile(self) -> int:
        return sum(1 for v in self.visitors if v.phone)

    def letters_by_hall_and_channel(self) -> dict[str, int]:
        return dict(Tally(f"{x.hall or '-'}/{x.channel}" for x in self.letters))
