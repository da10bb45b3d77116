"""How long a ticket waited and was served, in whole seconds, as SQL on either database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, case, cast, extract, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from reception.queue.models import Ticket, TicketStatus


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """Whole seconds from `start` to `end` (each truncated to the second); NULL when
    either is NULL."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", end)), BigInteger) - cast(
            func.floor(extract("epoch", start)), BigInteger
        )
    return cast(func.strftime("%s", end), Integer) - cast(func.strftime("%s", start), Integer)


def wait_seconds(dialect: str) -> ColumnElement[Any]:
    return seconds_between(dialect, col(Ticket.issued_at), col(Ticket.called_at))


def service_seconds(dialect: str) -> ColumnElement[Any]:
    """Service time of a ticket done; NULL for any other ticket."""
    timed = seconds_between(dialect, col(Ticket.serving_at), col(Ticket.finished_at))
    return case((col(Ticket.status) == TicketStatus.done, timed))
