"""What the day generator (tests/dayplan.py) did, kept by the generator itself; the
figures a report must publish are computed from it alone in tests/dayfigures.py —
without our reporting code.

Every record keeps its branch, hall, time and the other dimensions a report may group
by, so a new published figure is one more function over these lists."""

from __future__ import annotations

from collections import Counter as Tally
from dataclasses import dataclass, field
from datetime import datetime
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
    topic: str | None  # the topic's slug; None for a call logged on a letter's page
    direction: str  # "in" or "out"
    at: datetime
    minutes: int | None = None  # whole minutes, when the desk timed the call
    letter: str | None = None  # the reference of the letter it concerns
    ticket: int | None = None  # the ticket it concerns

    @property
    def about_a_letter(self) -> bool:
        return self.topic is None or self.letter is not None


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
    happened: Tally[str] = field(default_factory=Tally)  # how often each kind of thing did
    places: list[tuple[str, str, str]] = field(default_factory=list)  # branch, hall, section
    """Every hall of every branch, in the order they were created."""

    def text(self, purpose: str, branch: str, at: datetime, to: str | None) -> None:
        assert to is not None
        self.sms.append(SmsRecord(purpose, branch, at, to))

    def close_day(self, at: datetime) -> None:
        """The end-of-day pass: every ticket still open becomes `expired`."""
        for t in self.tickets.values():
            if t.status in OPEN_TICKET:
                t.status, t.finished = "expired", at
