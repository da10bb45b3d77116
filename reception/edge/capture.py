"""At a unit, every new or changed row of a synced table is noted in the outbox by
SQLite triggers, in the same transaction as the change: a Core insert (audit entries),
a bulk update (closing a day) or an ORM write are all caught, and nothing is noted for
a change that was rolled back.

Installed by `reception edge init` and ensured again when a unit starts; never at the
centre (the centre has no `edge_node` row and never calls this)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from reception.edge.tables import SYNCED

# The same text as UTCDateTime stores on SQLite (UTC, no zone).
_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def trigger_names() -> list[str]:
    return [f"edge_capture_{s.name}_{event}" for s in SYNCED for event in ("insert", "update")]


def _statements() -> list[str]:
    statements = []
    for synced in SYNCED:
        table = synced.name
        for event in ("insert", "update"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS edge_capture_{table}_{event} "
                f"AFTER {event.upper()} ON {table} FOR EACH ROW BEGIN "
                f"INSERT INTO edge_outbox (tbl, row_id, queued_at) "
                f"VALUES ('{table}', NEW.id, {_NOW}); END"
            )
    return statements


def install_on(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        raise RuntimeError("a mobile unit runs on SQLite")
    for statement in _statements():
        conn.execute(text(statement))


def install(engine: Engine) -> None:
    """Create the capture triggers if they are missing (safe to run at every start)."""
    with engine.begin() as conn:
        install_on(conn)


def installed(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        return {str(r[0]) for r in rows} & set(trigger_names())
