"""A mobile unit as its own node: what the centre keeps of each unit (its token, how
far it has synced, which of its rows became which of the centre's) and what the unit
keeps of its link (where the centre is, the outbox of records still to send).

Both sides have all four tables; a centre's `edge_node` and `edge_outbox` stay empty,
a unit's `edge_unit` and `edge_row` too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from reception.clock import utcnow
from reception.columns import UTCDateTime


class EdgeUnit(SQLModel, table=True):
    """At the centre: one laptop allowed to serve a mobile branch. Its token is an API
    token of role `edge` (revoking it stops the unit's pushes and pulls); a branch with
    any unit is owned by its units and read-only at the centre."""

    __tablename__ = "edge_unit"

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    token_id: int = Field(foreign_key="apitoken.id", unique=True)
    name: str = Field(sa_type=String(80))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    config_pulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_push_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="When the centre last took a batch."
    )
    acked_seq: int = Field(default=0, description="The unit's last outbox number stored here.")
    complete_through: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="The unit's clock when its outbox was last empty after a push: every "
        "record it made before this is here.",
    )
    pending: int = Field(default=0, description="Records the unit still held at its last push.")


class EdgeRow(SQLModel, table=True):
    """At the centre: a row a unit made, under the unit's own id and the centre's."""

    __tablename__ = "edge_row"
    __table_args__ = (Index("ix_edge_row_central", "tbl", "central_id"),)

    unit_id: int = Field(foreign_key="edge_unit.id", primary_key=True)
    tbl: str = Field(sa_type=String(40), primary_key=True)
    local_id: int = Field(primary_key=True)
    central_id: int
    seq: int = Field(description="The unit's outbox number of the state stored here.")


class EdgeNode(SQLModel, table=True):
    """At a unit: its link to the centre (one row, id 1). The token is not kept here:
    it comes from the environment (RECEPTION_EDGE_TOKEN)."""

    __tablename__ = "edge_node"

    id: int = Field(default=1, primary_key=True)
    central_url: str = Field(sa_type=String(300))
    public_url: str = Field(
        default="", sa_type=String(300), description="The centre's address in SMS links."
    )
    unit_id: int
    branch_id: int = Field(foreign_key="branch.id")
    token_tag: str = Field(
        sa_type=String(12),
        description="Starts every tracking token made here, so the centre knows a link "
        "it has not received yet is on its way.",
    )
    sms_via: str = Field(default="centre", sa_type=String(8), description="centre or unit")
    initialized_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    config_pulled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_push_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="Last push the centre acknowledged."
    )
    last_error: str = Field(default="", sa_type=String(300))
    failures: int = Field(default=0, description="Failed pushes in a row (for the back-off).")
    next_try_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EdgeOutbox(SQLModel, table=True):
    """At a unit: a row of a synced table was made or changed (written by database
    triggers in the same transaction, so nothing is missed, not even a bulk update).
    The row's state at sending time goes, in `seq` order."""

    __tablename__ = "edge_outbox"
    # Never reuse a number, even once sent records are cleared away: the centre keeps
    # the last number it stored.
    __table_args__ = (
        Index("ix_edge_outbox_unsent", "sent_at", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: int | None = Field(default=None, primary_key=True)
    tbl: str = Field(sa_type=String(40))
    row_id: int
    queued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
