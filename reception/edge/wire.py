"""A table row as JSON and back, the same on both sides of a unit's link: dates and
times as ISO text (times always UTC), JSON columns as they are, everything else as
the column's plain value. Only the table's own columns travel, never relations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Table
from sqlmodel import SQLModel

from reception.columns import UTCDateTime


def table_of(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a row to send")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def row_to_wire(row: SQLModel) -> dict[str, Any]:
    """Every column of the row, by column name."""
    return {c.name: _plain(getattr(row, c.key)) for c in table_of(type(row)).columns}


def values_from_wire(model: type[SQLModel], data: dict[str, Any]) -> dict[str, Any]:
    """The column values of a row received as JSON, typed for the model. Unknown
    names are refused (ValueError): a row from a newer or older schema is not guessed."""
    table = table_of(model)
    unknown = set(data) - {c.name for c in table.columns}
    if unknown:
        raise ValueError(f"unknown columns for {table.name}: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name not in data:
            continue
        value = data[column.name]
        kind = column.type
        if value is not None and isinstance(kind, UTCDateTime):
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError(f"{table.name}.{column.name}: time without zone")
            value = parsed.astimezone(UTC)
        elif value is not None and isinstance(getattr(kind, "impl", kind), Date):
            value = date.fromisoformat(value)
        values[column.key] = value
    return values


def row_from_wire(model: type[SQLModel], data: dict[str, Any]) -> SQLModel:
    return model(**values_from_wire(model, data))
