"""The audit trail: every action appends its entries inside the action's own
transaction, so an entry exists exactly when the change it records does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String
from sqlmodel import Field, Session, SQLModel, col, select

from reception.clock import clock_of, utcnow
from reception.columns import UTCDateTime


class AuditEntry(SQLModel, table=True):
    __table_args__ = (Index("ix_auditentry_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(sa_type=String(80), description="user:<id>, token:<id> or system")
    action: str = Field(sa_type=String(60))
    entity: str = Field(sa_type=String(40))
    entity_id: str = Field(sa_type=String(40))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


def history(session: Session, entity: str, entity_id: object) -> list[AuditEntry]:
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(col(AuditEntry.id))
        )
    )


_INSERT = AuditEntry.__table__.insert()  # type: ignore[attr-defined]


def record(
    session: Session, actor: str, action: str, entity: str, entity_id: object, **data: Any
) -> None:
    """Append an entry in the action's transaction (a plain insert: every action
    writes one, so it skips the session's unit of work), at the time of the clock
    bound to the session."""
    session.connection().execute(
        _INSERT,
        {
            "at": clock_of(session).now(),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "data": data,
        },
    )
