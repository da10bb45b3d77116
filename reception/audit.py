"""The audit trail: every action appends its entries inside the action's own
transaction, so an entry exists exactly when the change it records does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, Session, SQLModel

from reception.clock import utcnow
from reception.db import UTCDateTime


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(sa_type=String(80), description="user:<id>, token:<id> or system")
    action: str = Field(sa_type=String(60))
    entity: str = Field(sa_type=String(40))
    entity_id: str = Field(sa_type=String(40))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


def record(
    session: Session, actor: str, action: str, entity: str, entity_id: object, **data: Any
) -> None:
    session.add(
        AuditEntry(actor=actor, action=action, entity=entity, entity_id=str(entity_id), data=data)
    )
