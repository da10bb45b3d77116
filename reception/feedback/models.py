"""A visitor's rating of one visit, tied to where and by whom they were served."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime

REASONS = ("waiting", "staff", "clarity", "place", "result")
"""Reason chips a visitor may tap; what each means is in the templates, translated."""


class RatingSource(StrEnum):
    device = "device"
    sms = "sms"


class Rating(SQLModel, table=True):
    """One per ticket (the unique ticket_id is what stops stuffing): the hall, service,
    counter and operator are copied from the ticket so reports need no join."""

    __table_args__ = (Index("ix_rating_branch_at", "branch_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    branch_id: int = Field(foreign_key="branch.id")
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    counter_id: int | None = Field(default=None, foreign_key="counter.id")
    operator_id: int | None = Field(default=None, foreign_key="staffuser.id")
    score: int = Field(description="1 (very unhappy) to 5 (very happy)")
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    comment: str = Field(default="", sa_type=Text)
    source: str = Field(default=RatingSource.device, sa_type=String(8))
    device_token_id: int | None = Field(default=None, foreign_key="apitoken.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
