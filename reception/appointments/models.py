"""Booked visits, the slot templates they are booked into, and meetings with the
minister that a letter asks for."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Date, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime


class AppointmentStatus(StrEnum):
    booked = "booked"
    checked_in = "checked_in"
    cancelled = "cancelled"
    no_show = "no_show"


class AppointmentKind(StrEnum):
    visit = "visit"
    meeting = "meeting"


class SlotTemplate(SQLModel, table=True):
    """Bookable time at a hall for a service: on these weekdays, from `start` to `end`
    (branch local time), every `slot_minutes`, `capacity` visitors per slot. The slots
    themselves are computed, never stored; only the seats taken are."""

    __tablename__ = "slot_template"

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    weekdays: str = Field(sa_type=String(40), description="e.g. sun,mon,tue,wed,thu")
    start: str = Field(sa_type=String(5), description="HH:MM, branch local time")
    end: str = Field(sa_type=String(5), description="HH:MM, branch local time")
    slot_minutes: int = 15
    capacity: int = 1
    valid_from: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    valid_until: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    blackout_dates: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    active: bool = True


class SlotSeats(SQLModel, table=True):
    """Seats taken in one generated slot. Taking a seat is one conditional UPDATE
    (`taken < capacity`), so two requests can never both get the last one."""

    __tablename__ = "slot_seats"
    __table_args__ = (UniqueConstraint("template_id", "starts_at", name="uq_slot_seats"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="slot_template.id")
    starts_at: datetime = Field(sa_type=UTCDateTime)
    taken: int = 0


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(
        sa_type=String(12),
        unique=True,
        index=True,
        description="Typed on the kiosk keypad or read from its QR code by the kiosk's scanner.",
    )
    tracking_token: str | None = Field(default=None, sa_type=String(64), unique=True, index=True)
    kind: str = Field(default=AppointmentKind.visit, sa_type=String(16))
    branch_id: int = Field(foreign_key="branch.id", index=True)
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    template_id: int | None = Field(default=None, foreign_key="slot_template.id")
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    name: str = Field(default="", sa_type=String(120))
    phone: str | None = Field(default=None, sa_type=String(20), index=True)
    language: str = Field(default="ar", sa_type=String(2))
    residency: str | None = Field(
        default=None, sa_type=String(16), description="citizen or resident; None: not stated"
    )
    status: str = Field(default=AppointmentStatus.booked, sa_type=String(16))
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_day: bool = False
    reminded_soon: bool = False
    video_link: str = Field(default="", sa_type=String(300))


class MeetingStatus(StrEnum):
    requested = "requested"
    proposed = "proposed"
    approved = "approved"
    declined = "declined"
    referred = "referred"
    cancelled = "cancelled"


class MeetingMode(StrEnum):
    in_person = "in_person"
    remote = "remote"


class MeetingRequest(SQLModel, table=True):
    """A visitor (or a department) asks to meet the minister about a letter; the
    minister's office approves it with a date, proposes another date, declines it with
    a reason, or refers it to a deputy or a department. An approved meeting is an
    appointment of kind `meeting`, checked in at the kiosk like any other."""

    __tablename__ = "meeting_request"

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    hall_id: int = Field(foreign_key="hall.id")
    status: str = Field(default=MeetingStatus.requested, sa_type=String(16))
    mode: str = Field(default=MeetingMode.in_person, sa_type=String(16))
    reason: str = Field(default="", sa_type=Text)
    requested_by: str = Field(sa_type=String(80))
    proposed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id")
    decision_note: str = Field(default="", sa_type=Text)
    referred_to: str = Field(default="", sa_type=String(160))
    video_link: str = Field(default="", sa_type=String(300))
    history: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
