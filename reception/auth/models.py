"""Staff users (people and devices) and bearer tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    operator = "operator"
    department_officer = "department_officer"
    kiosk = "kiosk"
    display = "display"
    edge = "edge"
    """A mobile unit's link: pulls its configuration and pushes its records, nothing else."""


class StaffUser(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=String(60), unique=True, index=True)
    full_name: str = Field(default="", sa_type=String(120))
    password_hash: str = Field(sa_type=String(200))
    role: str = Field(sa_type=String(24))
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    language: str = Field(default="ar", sa_type=String(2))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class UserHall(SQLModel, table=True):
    """Halls a user may work in. A user with none works in every hall of the branch
    only if the role is admin, supervisor or kiosk; operators need at least one and
    a display exactly one."""

    user_id: int = Field(foreign_key="staffuser.id", primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", primary_key=True)


class ApiToken(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(80))
    role: str = Field(sa_type=String(24))
    token_hash: str = Field(sa_type=String(64), unique=True, index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    hall_id: int | None = Field(default=None, foreign_key="hall.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    display_counters: str = Field(
        default="",
        sa_type=String(200),
        description="A display screen shows only these counter numbers (1,2,3); empty: all.",
    )


class GuessStrike(SQLModel, table=True):
    """One wrong guess (a password, a link, an appointment code) counted against one
    key: see `reception.auth.throttle`. The key is a keyed hash, never the username,
    address or code itself."""

    __table_args__ = (Index("ix_guessstrike_scope_key_at", "scope", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(sa_type=String(24))
    key: str = Field(sa_type=String(32))
    at: datetime = Field(sa_type=UTCDateTime, index=True)


class StaffSession(SQLModel, table=True):
    """A browser signed in to an account. Its cookie carries a random secret; only the
    secret's SHA-256 is kept here, so a copy of this table signs nobody in. Deleting
    the row ends the session on every worker at its next request."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staffuser.id", index=True)
    secret_hash: str = Field(sa_type=String(64), unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
