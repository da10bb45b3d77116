"""Joining the line from a phone: each branch's rules (data an administrator edits),
the joins waiting for their SMS code, and what a remote ticket carries beside the
ticket itself (its kiosk code, how many passed it, what the visitor said)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime


class RemotePolicy(SQLModel, table=True):
    """A branch's rules for joining the line from a phone. No row: remote joining is
    off. Halls, services and priority groups are named by slug; an empty list offers
    none of them."""

    __tablename__ = "remote_policy"

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    enabled: bool = False
    hours: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON),
        description="When joining is open (weekday → [[start, end]]); empty: the branch's "
        "opening hours.",
    )
    halls: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    priorities: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    cap_per_hall: int = Field(
        default=20, description="Most remote tickets in a hall's line at once."
    )
    code_minutes: int = Field(default=10, description="How long an SMS code is good for.")
    code_attempts: int = Field(default=5, description="Wrong codes before a join is void.")
    codes_per_number_hour: int = Field(
        default=3, description="SMS codes one mobile number may ask for in an hour."
    )
    joins_per_address_hour: int = Field(
        default=10, description="Joins one network address may start in an hour."
    )
    passes_allowed: int = Field(
        default=3,
        description="Visitors the line calls past a remote ticket not arrived before it "
        "loses its place (it joins the end when it arrives).",
    )
    passes_allowed_on_way: int = Field(
        default=10, description="The same, once the visitor said they are on their way."
    )
    late_max_places: int = Field(
        default=10, description="Most places a visitor may move back by saying they are late."
    )
    notify_at_place: int = Field(
        default=5, description="An SMS when a remote visitor is this many places from the front."
    )
    geo_checkin: bool = Field(
        default=False, description="Visitors may check in by location from the tracking page."
    )
    latitude: float | None = None
    longitude: float | None = None
    radius_m: int = Field(default=300, description="How near the branch a location check-in is.")


class JoinStatus(StrEnum):
    pending = "pending"
    """Code sent, not confirmed yet."""
    confirmed = "confirmed"
    failed = "failed"
    """Too many wrong codes."""


class RemoteJoin(SQLModel, table=True):
    """A visitor asked to join from a phone; the ticket exists only once they type
    the code sent by SMS. The address is kept as a keyed hash (for the per-address
    limit), never as itself."""

    __tablename__ = "remote_join"
    __table_args__ = (
        Index("ix_remote_join_phone_at", "phone", "created_at"),
        Index("ix_remote_join_address_at", "address_key", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(sa_type=String(64), unique=True)
    branch_id: int = Field(foreign_key="branch.id")
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    priority_id: int | None = Field(default=None, foreign_key="prioritygroup.id")
    phone: str = Field(sa_type=String(20))
    language: str = Field(default="ar", sa_type=String(2))
    address_key: str = Field(sa_type=String(64))
    code_hash: str = Field(sa_type=String(64))
    attempts: int = 0
    status: str = Field(default=JoinStatus.pending, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")


class RemoteTicket(SQLModel, table=True):
    """What a ticket joined from a phone carries. `live_phone` is the number while
    the ticket is live and empty after: its uniqueness is "one live remote ticket per
    mobile number", held by the database against two joins at once."""

    __tablename__ = "remote_ticket"
    __table_args__ = (UniqueConstraint("branch_id", "business_date", "code"),)

    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    hall_id: int = Field(foreign_key="hall.id", index=True)
    business_date: date
    code: str = Field(sa_type=String(8), description="Typed or scanned at the kiosk.")
    live_phone: str | None = Field(default=None, sa_type=String(20), unique=True)
    passed: int = Field(default=0, description="Visitors called past it while not arrived.")
    place_lost: bool = False
    on_way_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    on_way_minutes: int | None = None
    late_places: int | None = Field(default=None, description="Moved back once, by this many.")
    near_told_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    arrived_by: str | None = Field(
        default=None, sa_type=String(16), description="kiosk, location or staff"
    )
