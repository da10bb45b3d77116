"""The centre storing a batch a mobile unit pushed: one transaction, idempotent.

Each record names a row of the unit (table, the unit's id, the outbox number of the
state it carries). The first time, the row is inserted under a new centre id and the
pair is kept in `edge_row`; later states of an `upsert` table replace it when their
number is higher; anything else was stored already and is skipped. Links to other
synced rows are rewritten to the centre's ids (their parents came first), links to
the branch's set-up keep their ids but must name that branch's rows, and links to
what only the unit has (its kiosk token) are dropped.

A record that is malformed (422) or names another branch (403) stops the batch:
nothing of it is stored and the unit hears which record it was."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Integer, String, Table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from reception.auth.models import StaffUser
from reception.clock import clock_of
from reception.edge.guard import INGEST
from reception.edge.models import EdgeRow, EdgeUnit
from reception.edge.protocol import EdgePushIn, EdgeRecordIn
from reception.edge.tables import BY_NAME, ENTITY_LINKS, Synced, Take
from reception.edge.units import token_tag
from reception.edge.wire import table_of, values_from_wire
from reception.errors import N_, Conflict, Forbidden, Invalid, Unauthorized
from reception.events.messages import HallEvent
from reception.letters.attachments import store_file
from reception.letters.models import CallTopic, Category, Department
from reception.outcome import Outcome
from reception.queue.hall_events import hall_event
from reception.queue.models import Counter, Hall, PriorityGroup, Service

GLOBAL: dict[str, type[SQLModel]] = {
    "prioritygroup": PriorityGroup,
    "department": Department,
    "category": Category,
    "calltopic": CallTopic,
}
"""Lists every branch shares: a unit's row may name any of their rows."""

DROPPED = frozenset({"apitoken"})
"""Links to rows only the unit has (its own kiosk's token): NULL at the centre."""


def _invalid(record: EdgeRecordIn, problem: str) -> Invalid:
    return Invalid(
        "invalid",
        N_("Record {seq}: {problem}"),
        details={"seq": record.seq},
        seq=record.seq,
        problem=problem,
    )


def _forbidden(record: EdgeRecordIn) -> Forbidden:
    return Forbidden(
        "forbidden",
        N_("Record {seq} is not of this unit's branch: the batch was not stored."),
        details={"seq": record.seq},
        seq=record.seq,
    )


def _check_value(table: Table, column: Column[Any], value: Any) -> None:
    """Refuse what the database would refuse (a 422, not a driver error)."""
    where = f"{table.name}.{column.name}"
    if value is None:
        if not column.nullable:
            raise ValueError(f"{where} may not be null")
        return
    kind = column.type
    if isinstance(kind, JSON):
        return
    try:
        python = kind.python_type
    except NotImplementedError:
        return
    if python is bool:
        ok = isinstance(value, bool)
    elif python is int:
        limit = 2**31 if isinstance(getattr(kind, "impl", kind), Integer) else 2**63
        ok = isinstance(value, int) and not isinstance(value, bool) and -limit <= value < limit
    elif python is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif python is str:
        length = getattr(kind, "length", None) if isinstance(kind, String) else None
        ok = isinstance(value, str) and "\x00" not in value
        ok = ok and (length is None or len(value) <= length)
    elif python in (datetime, date):
        ok = isinstance(value, str)
    else:
        ok = True
    if not ok:
        raise ValueError(f"{where}: wrong type or too long")


class Batch:
    """One push being stored: what the unit's branch owns, and the id map."""

    def __init__(self, session: Session, unit: EdgeUnit, root: Path) -> None:
        self.session = session
        self.unit = unit
        self.root = root
        branch = unit.branch_id
        self.halls = set(session.exec(select(Hall.id).where(Hall.branch_id == branch)).all())
        self.own: dict[str, set[Any]] = {
            "branch": {branch},
            "hall": self.halls,
            "service": set(session.exec(select(Service.id).where(Service.branch_id == branch))),
            "counter": set(
                session.exec(select(Counter.id).where(col(Counter.hall_id).in_(self.halls)))
            ),
            "staffuser": set(
                session.exec(select(StaffUser.id).where(StaffUser.branch_id == branch))
            ),
        }
        self.shared: dict[str, set[Any]] = {
            name: set(session.exec(select(model.id)))  # type: ignore[attr-defined]
            for name, model in GLOBAL.items()
        }
        self.rows: dict[tuple[str, int], EdgeRow] = {}
        self.halls_changed: set[int] = set()
        """Halls whose line a stored ticket changed: their displays are told."""

    def load_map(self, records: Iterable[EdgeRecordIn]) -> None:
        """The id map of every row the batch names, one query per table."""
        wanted: dict[str, set[int]] = {}
        for record in records:
            wanted.setdefault(record.tbl, set()).add(record.id)
            synced = BY_NAME.get(record.tbl)
            if synced is None:
                continue
            for column, target in synced.links.items():
                value = record.row.get(column)
                if isinstance(value, int) and not isinstance(value, bool):
                    wanted.setdefault(target, set()).add(value)
            entity = record.row.get("entity")
            entity_id = record.row.get("entity_id")
            if (
                record.tbl == "auditentry"
                and entity in ENTITY_LINKS
                and isinstance(entity_id, str)
                and entity_id.isdigit()
                and len(entity_id) < 10
            ):
                wanted.setdefault(ENTITY_LINKS[entity], set()).add(int(entity_id))
        for tbl, ids in wanted.items():
            chosen = sorted(ids)
            for start in range(0, len(chosen), 500):
                for row in self.session.exec(
                    select(EdgeRow).where(
                        EdgeRow.unit_id == self.unit.id,
                        EdgeRow.tbl == tbl,
                        col(EdgeRow.local_id).in_(chosen[start : start + 500]),
                    )
                ):
                    self.rows[(tbl, row.local_id)] = row

    def values(self, synced: Synced, record: EdgeRecordIn) -> dict[str, Any]:
        table = table_of(synced.model)
        names = {c.name for c in table.columns}
        missing = names - set(record.row)
        if missing:
            raise _invalid(record, f"missing columns {sorted(missing)}")
        if record.row.get("id") != record.id:
            raise _invalid(record, "the row's id is not the record's")
        try:
            for column in table.columns:
                if column.name in record.row and column.name != "id":
                    _check_value(table, column, record.row[column.name])
            values = values_from_wire(synced.model, record.row)
        except (ValueError, TypeError) as exc:
            raise _invalid(record, str(exc)[:200]) from None
        values.pop("id", None)
        return values

    def check_and_link(self, synced: Synced, record: EdgeRecordIn, values: dict[str, Any]) -> None:
        """Refuse rows of another branch; rewrite links to the centre's ids."""
        for column in table_of(synced.model).columns:
            value = values.get(column.key)
            if value is None:
                continue
            if column.name in synced.links:
                mapped = self.rows.get((synced.links[column.name], value))
                if mapped is None:
                    raise _invalid(record, f"{column.name} names a row not received yet")
                values[column.key] = mapped.central_id
                continue
            for key in column.foreign_keys:
                target = key.column.table.name
                if target in DROPPED:
                    values[column.key] = None
                elif target in self.own:
                    if value not in self.own[target]:
                        raise _forbidden(record)
                elif target in self.shared:
                    if value not in self.shared[target]:
                        raise _invalid(record, f"{column.name}: no such {target}")
                else:
                    raise _invalid(record, f"{column.name}: a link the centre does not take")
        if synced.name == "auditentry" and values.get("entity") in ENTITY_LINKS:
            local = str(values.get("entity_id", ""))
            found = (
                self.rows.get((ENTITY_LINKS[values["entity"]], int(local)))
                if local.isdigit() and len(local) < 10
                else None
            )
            values["entity_id"] = (
                str(found.central_id) if found else f"{token_tag(self.unit.id or 0)}{local}"[:40]
            )

    def attach_file(self, record: EdgeRecordIn, values: dict[str, Any]) -> None:
        if record.file is None:
            raise _invalid(record, "an attachment without its file")
        try:
            data = base64.b64decode(record.file, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(record, "the file is not base64") from None
        if len(data) != values.get("size"):
            raise _invalid(record, "the file's size is not the row's")
        digest, stored_as = store_file(self.root, data)
        if digest != values.get("sha256"):
            raise _invalid(record, "the file's SHA-256 is not the row's")
        values["stored_as"] = stored_as

    def store(self, record: EdgeRecordIn) -> None:
        synced = BY_NAME.get(record.tbl)
        if synced is None:
            raise _invalid(record, f"{record.tbl} is not a table a unit sends")
        values = self.values(synced, record)
        self.check_and_link(synced, record, values)
        if synced.name == "outgoingsms" and values.get("idempotency_key"):
            # A message's key is made of the unit's own ids (`ticket_issued:12`), which the
            # centre's own messages use too: the unit's mark keeps the two apart.
            mark = token_tag(self.unit.id or 0)
            values["idempotency_key"] = f"{mark}{values['idempotency_key']}"[:80]
        known = self.rows.get((record.tbl, record.id))
        if known is not None and (synced.take == Take.insert or record.seq <= known.seq):
            return  # this state or a newer one is here already
        table = table_of(synced.model)
        connection = self.session.connection()
        if synced.name == "ticket":
            self.halls_changed.add(int(values["hall_id"]))
        if known is not None:
            connection.execute(
                table.update().where(table.c.id == known.central_id).values(**values)
            )
            known.seq = record.seq
            self.session.add(known)
            return
        if synced.name == "attachment":
            self.attach_file(record, values)
        central = connection.execute(
            table.insert().values(**values).returning(table.c.id)
        ).scalar_one()
        row = EdgeRow(
            unit_id=self.unit.id or 0,
            tbl=record.tbl,
            local_id=record.id,
            central_id=int(central),
            seq=record.seq,
        )
        self.rows[(record.tbl, record.id)] = row
        self.session.add(row)


def ingest(session: Session, unit_id: int, body: EdgePushIn, root: Path) -> Outcome[int]:
    """Store a unit's batch; the unit's last stored outbox number."""
    session.info[INGEST] = True
    # Two pushes of one unit at once (a retry racing a slow answer) take turns here.
    unit = session.exec(select(EdgeUnit).where(EdgeUnit.id == unit_id).with_for_update()).first()
    if unit is None or unit.revoked_at is not None:
        raise Unauthorized("bad_token", N_("The access token is not valid."))
    last = 0
    for record in body.records:
        if record.seq <= last:
            raise _invalid(record, "records must come in increasing seq order")
        last = record.seq
    batch = Batch(session, unit, root)
    batch.load_map(body.records)
    try:
        for record in body.records:
            batch.store(record)
        session.flush()
    except IntegrityError:
        raise Conflict(
            "edge_conflict",
            N_("A record clashes with a row already at the centre: the batch was not stored."),
        ) from None
    # A batch older than one stored already (two pushes of the unit crossing, a late
    # retry) says nothing new of what still waits at the unit.
    newest = not body.records or last >= unit.acked_seq
    if last > unit.acked_seq:
        unit.acked_seq = last
    unit.last_push_at = clock_of(session).now()
    if newest:
        unit.pending = body.pending_after
        if body.pending_after == 0 and (
            unit.complete_through is None or body.unit_clock > unit.complete_through
        ):
            unit.complete_through = body.unit_clock
    session.add(unit)
    events = [
        hall_event(session, hall, HallEvent.LINE_CHANGED)
        for hall in session.exec(select(Hall).where(col(Hall.id).in_(sorted(batch.halls_changed))))
    ]
    return Outcome(unit.acked_seq, events)
