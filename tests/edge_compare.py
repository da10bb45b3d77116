"""What arrived at the centre from a mobile unit, compared row by row with what the
unit holds: every row of every synced table exactly once, in the unit's order, with
the same content (its links rewritten to the centre's ids), attachments' bytes equal.

Read straight from both databases (the test's own eyes, not the product's code)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from reception.edge.models import EdgeRow, EdgeUnit
from reception.edge.tables import ENTITY_LINKS, SYNCED
from reception.edge.wire import row_to_wire

CENTRE_OWN: dict[str, set[str]] = {
    # The centre keeps the file in its own storage, under its own name.
    "attachment": {"stored_as"},
    # A rating device's token is the unit's own: it has no row at the centre.
    "rating": {"device_token_id"},
    # The centre's sender sends the message (sms_via=centre) and records how that
    # went; the key that makes a message unique may be made unique at the centre too.
    "outgoingsms": {
        "status",
        "attempts",
        "next_attempt_at",
        "provider_sid",
        "last_error",
        "sent_at",
        "idempotency_key",
    },
}
"""Columns of a unit's row that legitimately differ at the centre, by table."""


def rows_by_id(engine: Engine, model: type[SQLModel]) -> dict[int, SQLModel]:
    with Session(engine) as s:
        rows = s.exec(select(model)).all()
        for row in rows:
            s.expunge(row)
    return {row.id: row for row in rows}  # type: ignore[attr-defined]


def unit_of(centre: Engine) -> EdgeUnit:
    with Session(centre) as s:
        units = s.exec(select(EdgeUnit)).all()
        assert len(units) == 1, units
        s.expunge(units[0])
        return units[0]


def mapping(centre: Engine, unit_id: int) -> dict[str, dict[int, int]]:
    """tbl → {unit's id: centre's id}, and no centre row named twice."""
    with Session(centre) as s:
        rows = s.exec(select(EdgeRow).where(EdgeRow.unit_id == unit_id)).all()
    out: dict[str, dict[int, int]] = {}
    for row in rows:
        out.setdefault(row.tbl, {})[row.local_id] = row.central_id
    for tbl, ids in out.items():
        twice = [c for c, n in Counter(ids.values()).items() if n > 1]
        assert not twice, f"{tbl}: centre rows mapped from several unit rows: {twice}"
    return out


def expected_at_centre(
    tbl: str, wire: dict[str, Any], links: dict[str, str], maps: dict[str, dict[int, int]]
) -> dict[str, Any]:
    """The unit's row as the centre must hold it: links rewritten, own columns dropped."""
    out = dict(wire)
    for column, target in links.items():
        if out.get(column) is not None:
            assert out[column] in maps.get(target, {}), (tbl, column, out[column])
            out[column] = maps[target][out[column]]
    if tbl == "auditentry" and out["entity"] in ENTITY_LINKS and str(out["entity_id"]).isdigit():
        target = ENTITY_LINKS[out["entity"]]
        out["entity_id"] = str(maps[target][int(out["entity_id"])])
    for column in CENTRE_OWN.get(tbl, set()) | {"id"}:
        out.pop(column, None)
    return out


def check_arrived_once(
    unit: Engine, centre: Engine, unit_files: Path, centre_files: Path
) -> dict[str, int]:
    """Every row the unit made is at the centre exactly once, in order, equal; returns
    the number of rows per table (so the caller can check its own counts)."""
    edge_unit = unit_of(centre)
    assert edge_unit.id is not None
    maps = mapping(centre, edge_unit.id)
    counts: dict[str, int] = {}
    for synced in SYNCED:
        tbl = synced.name
        local = rows_by_id(unit, synced.model)
        central = rows_by_id(centre, synced.model)
        mapped = maps.get(tbl, {})
        assert set(mapped) == set(local), (
            f"{tbl}: unit rows {sorted(local)} but the centre mapped {sorted(mapped)}"
        )
        order = [mapped[i] for i in sorted(mapped)]
        assert order == sorted(order), f"{tbl}: centre ids not in the unit's order: {order}"
        for local_id, row in local.items():
            there = central.get(mapped[local_id])
            assert there is not None, f"{tbl} {local_id}: mapped to a missing centre row"
            want = expected_at_centre(tbl, row_to_wire(row), synced.links, maps)
            have = {k: v for k, v in row_to_wire(there).items() if k in want}
            assert have == want, f"{tbl} unit {local_id} / centre {there.id}: {have} != {want}"  # type: ignore[attr-defined]
            if tbl == "attachment":
                sent = (unit_files / row.stored_as).read_bytes()  # type: ignore[attr-defined]
                kept = (centre_files / there.stored_as).read_bytes()  # type: ignore[attr-defined]
                assert kept == sent, f"attachment {local_id}: bytes differ"
        counts[tbl] = len(local)
    return counts


def branch_count(engine: Engine, model: type[SQLModel], branch_id: int) -> int:
    with Session(engine) as s:
        column = col(model.branch_id)  # type: ignore[attr-defined]
        return int(s.exec(select(func.count()).select_from(model).where(column == branch_id)).one())
