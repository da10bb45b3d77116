"""The SMS outbox: a row is written in the same transaction as the change it tells."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime


class SmsStatus(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    undelivered = "undelivered"
    failed = "failed"


class OutgoingSms(SQLModel, table=True):
    __table_args__ = (
        Index("ix_outgoingsms_due", "status", "next_attempt_at"),
        Index("ix_outgoingsms_created", "created_at"),  # reports by date
        Index("ix_outgoingsms_branch_created", "branch_id", "created_at", "status"),  # by branch
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(sa_type=String(80), unique=True)
    to: str = Field(sa_type=String(20))
    branch_id: int | None = Field(
        default=None,
        foreign_key="branch.id",
        description="The branch whose visitor, letter or appointment it is (reports).",
    )
    body: str = Field(sa_type=Text)
    language: str = Field(sa_type=String(2))
    purpose: str = Field(sa_type=String(40))
    status: str = Field(default=SmsStatus.pending, sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    provider_sid: str | None = Field(default=None, sa_type=String(64))
    last_error: str | None = Field(default=None, sa_type=String(300))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SmsOptOut(SQLModel, table=True):
    """A number that sent STOP: it gets no more messages except the call to its counter."""

    phone: str = Field(sa_type=String(20), primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InboundSms(SQLModel, table=True):
    """A message a citizen sent us, by the provider's id only: a signed webhook
    replayed later (the same MessageSid) finds its row and changes nothing."""

    message_sid: str = Field(sa_type=String(64), primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class SmsPurposeRule(SQLModel, table=True):
    """How one kind of message is sent, as an administrator set it. A purpose without
    a row follows `DEFAULT_QUIET_EXEMPT` (the migration seeds the same set)."""

    purpose: str = Field(sa_type=String(40), primary_key=True)
    quiet_exempt: bool = Field(
        default=False, description="Sent even in the quiet hours (the visitor is waiting now)."
    )


DEFAULT_QUIET_EXEMPT = frozenset(
    {
        "ticket_issued",
        "ticket_next",
        "ticket_called",
        "remote_code",
        "remote_joined",
        "remote_near",
    }
)
"""Answers to what the visitor is doing right now: never held back for the night."""


class SmsTemplate(SQLModel, table=True):
    """An administrator's text for one message in one language, in place of the
    shipped one; `%(name)s` stands for a value of the message (see notify/texts.py)."""

    purpose: str = Field(sa_type=String(40), primary_key=True)
    language: str = Field(sa_type=String(2), primary_key=True)
    text: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(sa_type=String(80))
