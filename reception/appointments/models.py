"""A booked visit: a time at a hall and service, and the code the visitor brings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.db import UTCDateTime


class AppointmentStatus(StrEnum):
    booked = "booked"
    checked_in = "checked_in"
    cancelled = "cancelled"
    no_show = "no_show"


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(
        sa_type=String(12),
        unique=True,
        index=True,
        description="Typed on the kiosk keypad or read from its QR code by the kiosk's scanner.",
    )
    branch_id: int = Field(foreign_key="branch.id", index=True)
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    phone: str | None = Field(default=None, sa_type=String(20))
    language: str = Field(default="ar", sa_type=String(2))
    status: str = Field(default=AppointmentStatus.booked, sa_type=String(16))
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
