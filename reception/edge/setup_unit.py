"""Turn this instance into a mobile unit, or refresh its set-up: pull the configuration
document from the centre and apply it.

The set-up rows (the branch, its stops, halls, services, counters, the global lists,
the staff of the branch) keep the centre's ids, so that every record the unit makes
points at rows the centre knows. Applying is an upsert by id in dependency order: a
second run takes in new staff and changed stops and leaves every local record alone.
A database that holds another branch's data (the demo data, a centre's copy) is
refused: a unit's database holds its own branch and nothing else."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from reception.clock import Clock
from reception.edge import capture
from reception.edge.models import EdgeNode
from reception.edge.node import NODE_ID, SMS_VIA, forget_marks
from reception.edge.wire import values_from_wire

CONFIG_PATH = "/api/v1/edge/config"

# The set-up a unit takes from the centre, in dependency order (a row's foreign keys
# point only at tables earlier in the list). Anything else in the document is ignored.
SETUP_TABLES: tuple[str, ...] = (
    "branch",
    "branchstop",
    "prioritygroup",
    "department",
    "category",
    "calltopic",
    "smspurposerule",
    "smstemplate",
    "hall",
    "service",
    "counter",
    "counterservice",
    "routingrule",
    "remote_policy",
    "staffuser",
    "userhall",
)


class SetupRefused(Exception):
    """The configuration cannot be applied here (message says why and what to do)."""


@dataclass
class Applied:
    unit_id: int
    branch_id: int
    rows: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def fetch_config(central_url: str, token: str, timeout: float = 30.0) -> dict[str, Any]:
    """The unit's configuration document from the centre (bearer: the unit's token)."""
    request = urllib.request.Request(
        central_url.rstrip("/") + CONFIG_PATH,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            document = json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise SetupRefused(
                f"the centre refused the token (HTTP {exc.code}): check RECEPTION_EDGE_TOKEN "
                "or ask the centre for a new one"
            ) from None
        raise SetupRefused(f"the centre answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SetupRefused(f"the centre cannot be reached ({type(exc).__name__})") from None
    except ValueError:
        raise SetupRefused("the centre's answer is not a configuration document") from None
    if not isinstance(document, dict) or not isinstance(document.get("tables"), dict):
        raise SetupRefused("the centre's answer is not a configuration document")
    return document


def _tables() -> dict[str, Table]:
    import reception.models  # noqa: F401  (every table known to the metadata)

    return {str(t.name): t for t in SQLModel.metadata.sorted_tables}


def _foreign_rows(conn: Connection, branch_id: int) -> list[str]:
    """Tables holding rows of a branch other than `branch_id`."""
    found = []
    present = set(inspect(conn).get_table_names())
    for name, table in _tables().items():
        if name not in present:
            continue
        column = table.c.id if name == "branch" else table.c.get("branch_id")
        if column is None:
            continue
        count = conn.execute(
            select(func.count()).select_from(table).where(column != branch_id)
        ).scalar_one()
        if count:
            found.append(name)
    return found


def _same_branch(conn: Connection, table: Table, branch_id: int, rows: list[Any]) -> None:
    """The branch row already here (a re-run) must be the unit's own, not another
    branch that happens to have the same number."""
    here = conn.execute(select(table.c.slug).where(table.c.id == branch_id)).scalar_one_or_none()
    theirs = next(
        (r.get("slug") for r in rows if isinstance(r, dict) and r.get("id") == branch_id), None
    )
    if here is not None and theirs is not None and here != theirs:
        raise SetupRefused(
            f"this database holds another branch ({here}): point DATABASE_URL at a new, "
            "empty SQLite file (for example sqlite:///var/unit.db) and run this again"
        )


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    model = _model_of(table)
    keys = [c.name for c in table.primary_key.columns]
    for data in rows:
        values = values_from_wire(model, data)
        stmt = sqlite.insert(table).values(values)
        changes = {k: v for k, v in values.items() if k not in keys}
        stmt = (
            stmt.on_conflict_do_update(index_elements=keys, set_=changes)
            if changes
            else stmt.on_conflict_do_nothing(index_elements=keys)
        )
        conn.execute(stmt)


def _model_of(table: Table) -> type[SQLModel]:
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    raise SetupRefused(f"no model for table {table.name}")


def apply_config(
    engine: Engine,
    clock: Clock,
    document: dict[str, Any],
    central_url: str,
    sms_via: str | None = None,
) -> Applied:
    """Apply the centre's document to this database and make it a unit (one transaction)."""
    if engine.dialect.name != "sqlite":
        raise SetupRefused("a mobile unit keeps its data in SQLite (DATABASE_URL=sqlite:///…)")
    unit = document.get("unit") or {}
    try:
        unit_id = int(unit["id"])
        branch_id = int(unit["branch_id"])
        token_tag = str(document["token_tag"])
    except (KeyError, TypeError, ValueError):
        raise SetupRefused("the centre's configuration names no unit") from None
    if sms_via is not None and sms_via not in SMS_VIA:
        raise SetupRefused("--sms-via is centre or unit")
    tables = _tables()
    applied = Applied(unit_id=unit_id, branch_id=branch_id)
    with engine.begin() as conn:
        existing = conn.execute(
            select(tables["edge_node"]).where(tables["edge_node"].c.id == NODE_ID)
        ).first()
        if existing is not None and int(existing.unit_id) != unit_id:
            raise SetupRefused(
                f"this database belongs to unit {existing.unit_id}, not unit {unit_id}: "
                "start from an empty database for another unit"
            )
        foreign = _foreign_rows(conn, branch_id)
        if foreign:
            raise SetupRefused(
                "this database holds data of another branch (" + ", ".join(foreign) + "); "
                "a unit's database holds its own branch only: point DATABASE_URL at a new, "
                "empty SQLite file (for example sqlite:///var/unit.db) and run this again"
            )
        # a row may name a later one of its own table (a subcategory before its parent)
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        received: dict[str, Any] = document["tables"]
        _same_branch(conn, tables["branch"], branch_id, received.get("branch") or [])
        applied.ignored = sorted(set(received) - set(SETUP_TABLES))
        for name in SETUP_TABLES:
            rows = received.get(name)
            if not rows or name not in tables:
                continue
            _upsert(conn, tables[name], list(rows))
            applied.rows[name] = len(rows)
        if _foreign_rows(conn, branch_id):
            raise SetupRefused("the centre's configuration holds another branch's rows")
        now = clock.now()
        node_values = {
            "id": NODE_ID,
            "central_url": central_url.rstrip("/"),
            "public_url": str(document.get("public_url") or central_url).rstrip("/"),
            "unit_id": unit_id,
            "branch_id": branch_id,
            "token_tag": token_tag,
            "config_pulled_at": now,
        }
        if existing is None:
            node_values.update(sms_via=sms_via or "centre", initialized_at=now)
            conn.execute(tables["edge_node"].insert().values(**_typed(node_values)))
        else:
            if sms_via is not None:
                node_values["sms_via"] = sms_via
            conn.execute(
                tables["edge_node"]
                .update()
                .where(tables["edge_node"].c.id == NODE_ID)
                .values(**_typed(node_values))
            )
        capture.install_on(conn)
    forget_marks(engine)
    return applied


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k in EdgeNode.model_fields}


def init_unit(
    engine: Engine,
    clock: Clock,
    central_url: str,
    token: str,
    sms_via: str | None = None,
) -> Applied:
    """`reception edge init`: pull the configuration and apply it."""
    if not token:
        raise SetupRefused("no token: pass --token or set RECEPTION_EDGE_TOKEN")
    document = fetch_config(central_url, token)
    return apply_config(engine, clock, document, central_url, sms_via)
