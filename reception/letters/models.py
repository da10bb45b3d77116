"""Letters, their taxonomy (categories, departments, routing rules) and their trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime


class LetterStatus(StrEnum):
    received = "received"
    classified = "classified"
    routed = "routed"
    in_progress = "in_progress"
    returned = "returned"
    answered = "answered"
    closed = "closed"
    rejected = "rejected"
    merged = "merged"


class Channel(StrEnum):
    counter = "counter"
    phone = "phone"
    mail = "mail"
    online = "online"


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(40), unique=True, index=True)
    name_ar: str = Field(sa_type=String(160))
    name_en: str = Field(sa_type=String(160))
    active: bool = True


class Category(SQLModel, table=True):
    """A kind of letter. Nested one level at most: a category has a parent or
    children, never both. Its description and example phrases (Arabic and English)
    say what letters belong here, to the staff and to the suggestions alike."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(40), unique=True, index=True)
    name_ar: str = Field(sa_type=String(160))
    name_en: str = Field(sa_type=String(160))
    parent_id: int | None = Field(default=None, foreign_key="category.id")
    sla_hours: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON),
        description="Target hours per stage: {'received': 24, 'routed': 48, 'in_progress': 240}",
    )
    description_ar: str = Field(default="", sa_type=String(600))
    description_en: str = Field(default="", sa_type=String(600))
    examples_ar: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="Phrases citizens write about this kind of letter, one per entry.",
    )
    examples_en: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    active: bool = True


class RoutingRule(SQLModel, table=True):
    """Category → department, optionally only for one branch or one residency; the most
    specific matching rule wins."""

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    residency: str | None = Field(default=None, sa_type=String(16))


class LetterSequence(SQLModel, table=True):
    year: int = Field(primary_key=True)
    last_number: int = 0


class LetterFeed(SQLModel, table=True):
    """The last sequence number sent on a letters channel (a branch's triage desk, a
    department's inbox): a screen that sees a number skipped knows it missed a change."""

    channel: str = Field(sa_type=String(60), primary_key=True)
    last_seq: int = 0


class Letter(SQLModel, table=True):
    __table_args__ = (
        Index("ix_letter_desk", "status", "department_id"),
        Index("ix_letter_sender", "sender_id_number"),
        Index("ix_letter_branch_created", "branch_id", "created_at"),  # reports by date
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_type=String(20), unique=True, index=True)
    tracking_token: str = Field(sa_type=String(64), unique=True, index=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    hall_id: int | None = Field(default=None, foreign_key="hall.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    channel: str = Field(default=Channel.counter, sa_type=String(12))
    sender_name: str = Field(sa_type=String(160))
    sender_id_number: str = Field(sa_type=String(10))
    residency: str = Field(sa_type=String(16))
    sex: str = Field(sa_type=String(8))
    phone: str | None = Field(default=None, sa_type=String(20))
    language: str = Field(default="ar", sa_type=String(2))
    subject: str = Field(sa_type=String(200))
    body: str = Field(default="", sa_type=Text)
    search_text: str = Field(
        default="", sa_type=Text, description="Subject and body, Arabic-normalised, for search."
    )
    category_id: int | None = Field(default=None, foreign_key="category.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    status: str = Field(default=LetterStatus.received, sa_type=String(16), index=True)
    merged_into_id: int | None = Field(default=None, foreign_key="letter.id")
    received_by: str = Field(sa_type=String(40), description="The actor who registered it.")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status_since: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sla_breach_told_at: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="When the screens were told the current stage went past its target.",
    )


class LetterStep(SQLModel, table=True):
    """One line of a letter's trail: a transition, a note, a call. `public` steps are
    the ones the citizen sees on the tracking page."""

    __table_args__ = (Index("ix_letterstep_kind_at", "kind", "at"),)  # calls in reports

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    actor: str = Field(sa_type=String(40))
    kind: str = Field(sa_type=String(24))
    from_status: str | None = Field(default=None, sa_type=String(16))
    to_status: str | None = Field(default=None, sa_type=String(16))
    note: str = Field(default="", sa_type=Text)
    public: bool = False
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attachment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("letter_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    letter_id: int = Field(foreign_key="letter.id", index=True)
    filename: str = Field(sa_type=String(200))
    content_type: str = Field(sa_type=String(40))
    size: int
    sha256: str = Field(sa_type=String(64))
    stored_as: str = Field(sa_type=String(200), description="Path under ATTACHMENTS_DIR.")
    added_by: str = Field(sa_type=String(40))
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CallTopic(SQLModel, table=True):
    """What a phone call is about, from a list the administrator keeps (like the
    categories of letters). A topic in use is deactivated, never deleted."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(40), unique=True, index=True)
    name_ar: str = Field(sa_type=String(160))
    name_en: str = Field(sa_type=String(160))
    active: bool = True
    sort_order: int = 0


class Enquiry(SQLModel, table=True):
    """A phone call logged at the desk (the call log): its topic, direction and length
    in whole minutes, and optionally the letter or the ticket it concerns. Calls logged
    on a letter's own page stay steps of that letter (`call_in`/`call_out`)."""

    __table_args__ = (Index("ix_enquiry_topic_at", "topic_id", "at"),)  # reports by topic

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    hall_id: int | None = Field(default=None, foreign_key="hall.id")
    topic_id: int = Field(foreign_key="calltopic.id")
    direction: str = Field(sa_type=String(4))
    duration_minutes: int | None = Field(default=None, description="Whole minutes, 1–240.")
    letter_id: int | None = Field(default=None, foreign_key="letter.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    note: str = Field(default="", sa_type=Text)
    actor: str = Field(sa_type=String(40))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class SuggestionModel(SQLModel, table=True):
    """One generation of the letter-category model, trained by one worker and loaded by
    every worker (the newest id wins). Only the last few generations are kept."""

    __tablename__ = "suggestion_model"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decisions: int = Field(description="Staff decisions it learned from.")
    seeds: int = Field(description="Examples from the categories' own descriptions.")
    fingerprint: str = Field(sa_type=String(64), description="What it learned from.")
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SuggestionTraining(SQLModel, table=True):
    """The one training under way across all workers (a single row, id 1): who trains
    which generation and how far it is, so no two workers train the same thing."""

    __tablename__ = "suggestion_training"

    id: int = Field(default=1, primary_key=True)
    fingerprint: str = Field(default="", sa_type=String(64))
    owner: str = Field(default="", sa_type=String(80))
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    progress: float = 0.0
    running: bool = False
