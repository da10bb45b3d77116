"""Queue tables: branch → hall (men/women) → counter; service; ticket."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime
from reception.settings import DEFAULT_TIMEZONE


class BranchKind(StrEnum):
    centre = "centre"
    mobile = "mobile"


class Section(StrEnum):
    men = "men"
    women = "women"


class CounterStatus(StrEnum):
    open = "open"
    paused = "paused"
    closed = "closed"


class TicketStatus(StrEnum):
    remote = "remote"
    """Joined from a phone and not arrived yet: holds its place, never called or shown."""
    waiting = "waiting"
    called = "called"
    serving = "serving"
    done = "done"
    no_show = "no_show"
    transferred = "transferred"
    cancelled = "cancelled"
    expired = "expired"


class ServiceMode(StrEnum):
    walk_in = "walk_in"
    appointment = "appointment"
    both = "both"


class CallReason(StrEnum):
    """Why a ticket was called when it was: shown to the operator."""

    order = "order"
    priority = "priority"
    max_wait = "max_wait"
    assigned = "assigned"
    chosen = "chosen"


class VisitOutcome(StrEnum):
    """How a finished visit ended, as the operator records it."""

    served = "served"
    letter_received = "letter_received"
    referred = "referred"
    follow_up = "follow_up"


class Residency(StrEnum):
    citizen = "citizen"
    resident = "resident"


class Branch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(40), unique=True, index=True)
    name_ar: str = Field(sa_type=String(120))
    name_en: str = Field(sa_type=String(120))
    kind: str = Field(default=BranchKind.centre, sa_type=String(16))
    timezone: str = Field(default=DEFAULT_TIMEZONE, sa_type=String(64))
    opening_hours: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    holidays: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    max_recalls: int = Field(
        default=3, description="After this many calls again, a visitor counts as not come."
    )
    max_wait_minutes: int | None = Field(
        default=45,
        description="Anti-starvation: a ticket waiting longer than this is called next, "
        "ahead of priority visitors. None turns the rule off.",
    )
    checkin_early_minutes: int = Field(
        default=30, description="How long before an appointment its visitor may check in."
    )
    checkin_late_minutes: int = Field(
        default=15, description="How long after an appointment its visitor may still check in."
    )


class BranchStop(SQLModel, table=True):
    """Where a mobile unit stands on which days."""

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    place_ar: str = Field(sa_type=String(160))
    place_en: str = Field(sa_type=String(160))
    starts_on: date
    ends_on: date


class Hall(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("branch_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    slug: str = Field(sa_type=String(40))
    section: str = Field(sa_type=String(16))
    name_ar: str = Field(sa_type=String(120))
    name_en: str = Field(sa_type=String(120))
    ticket_prefix: str = Field(sa_type=String(4))
    event_seq: int = Field(default=0, description="Last sequence number sent to displays.")
    notice_ar: str = Field(default="", sa_type=String(300), description="Scrolls on displays.")
    notice_en: str = Field(default="", sa_type=String(300))
    display_layout: str = Field(
        default="auto", sa_type=String(16), description="auto, landscape or portrait"
    )
    announce_volume: int = Field(default=80, description="0 (silent) to 100")


class Service(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("branch_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    slug: str = Field(sa_type=String(40))
    name_ar: str = Field(sa_type=String(120))
    name_en: str = Field(sa_type=String(120))
    ticket_prefix: str = Field(default="", sa_type=String(4))
    expected_minutes: int = Field(default=10, ge=1)
    mode: str = Field(
        default="both", sa_type=String(16), description="walk_in, appointment or both"
    )
    active: bool = True
    sort_order: int = 0


class Counter(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("hall_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    slug: str = Field(sa_type=String(40))
    number: int
    status: str = Field(default=CounterStatus.open, sa_type=String(16))


class CounterService(SQLModel, table=True):
    counter_id: int = Field(foreign_key="counter.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True)


class PriorityGroup(SQLModel, table=True):
    """Who may go ahead (elderly, disability, appointment…): data, not code."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(40), unique=True)
    name_ar: str = Field(sa_type=String(120))
    name_en: str = Field(sa_type=String(120))
    weight: int = Field(default=1, ge=0)
    at_kiosk: bool = Field(
        default=True, description="Visitors may declare it themselves at the kiosk."
    )
    sort_order: int = 0


class TicketSequence(SQLModel, table=True):
    """Last number issued per hall, series prefix and local business day."""

    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    prefix: str = Field(sa_type=String(8), primary_key=True)
    business_date: date = Field(primary_key=True)
    last_number: int = 0


class WaitingCount(SQLModel, table=True):
    """How many tickets wait, per hall, service and priority weight. Database triggers
    on `ticket` keep it (migration a3a87f817dc4), so every write of a ticket counts,
    whoever makes it, and the length of a queue is a few rows to read instead of every
    waiting ticket to count on each check-in."""

    hall_id: int = Field(primary_key=True)
    service_id: int = Field(primary_key=True)
    priority_weight: int = Field(primary_key=True)
    waiting: int = 0


class Ticket(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("hall_id", "prefix", "business_date", "seq"),
        # Covers the queue counts and "who is ahead" (weight, place in line; the row id
        # comes with the index on SQLite): both run on every change of the queue.
        Index("ix_ticket_queue", "hall_id", "status", "service_id", "priority_weight", "queue_key"),
        # Who of the same weight comes later than a new ticket (sent to the back, or
        # issued after it): a short range, read on every check-in.
        Index("ix_ticket_queue_order", "hall_id", "status", "priority_weight", "queue_key", "id"),
        Index("ix_ticket_recent_visits", "hall_id", "service_id", "status", "finished_at"),
        Index("ix_ticket_branch_day", "branch_id", "business_date"),  # reports by date
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    business_date: date
    prefix: str = Field(sa_type=String(8))
    seq: int
    number: str = Field(sa_type=String(16), description="What the visitor reads: M-001.")
    status: str = Field(default=TicketStatus.waiting, sa_type=String(16))
    priority_id: int | None = Field(default=None, foreign_key="prioritygroup.id")
    priority_weight: int = 0
    residency: str | None = Field(default=None, sa_type=String(16))
    language: str = Field(default="ar", sa_type=String(2))
    phone: str | None = Field(default=None, sa_type=String(20))
    tracking_token: str = Field(sa_type=String(64), unique=True)
    idempotency_key: str | None = Field(default=None, sa_type=String(160), unique=True)
    counter_id: int | None = Field(default=None, foreign_key="counter.id")
    assigned_counter_id: int | None = Field(
        default=None, foreign_key="counter.id", description="Only this counter may call it."
    )
    call_reason: str | None = Field(default=None, sa_type=String(16))
    queue_key: int | None = Field(
        default=None,
        description="Place in line when it is not the arrival order (sent to the back).",
    )
    outcome: str | None = Field(default=None, sa_type=String(24))
    called_by_id: int | None = Field(default=None, foreign_key="staffuser.id")
    recall_count: int = 0
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    called_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    serving_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remote: bool = Field(default=False, description="Joined the line from a phone.")
    arrived_at: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="When a visitor who joined from a phone checked in; the longest-wait "
        "rule counts from here, not from the join.",
    )
