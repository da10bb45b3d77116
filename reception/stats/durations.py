"""How long a ticket waited and was served, in whole seconds, as SQL on either database;
and which tickets are visitors at all."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, and_, case, cast, extract, func, or_
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


def arrival() -> ColumnElement[Any]:
    """When the visitor was in the hall: the ticket's time, or for a ticket joined
    from a phone, its check-in."""
    return func.coalesce(col(Ticket.arrived_at), col(Ticket.issued_at))


def wait_seconds(dialect: str) -> ColumnElement[Any]:
    """From arriving in the hall to the (last) call."""
    return seconds_between(dialect, arrival(), col(Ticket.called_at))


def is_visitor() -> ColumnElement[bool]:
    """A ticket that counts as a visitor: not cancelled, and if joined from a phone,
    checked in (a remote ticket that never arrived was never in the hall)."""
    return and_(
        col(Ticket.status) != TicketStatus.cancelled,
        or_(col(Ticket.remote).is_(False), col(Ticket.arrived_at).is_not(None)),
    )


def service_seconds(dialect: str) -> ColumnElement[Any]:
    """Service time of a ticket done; NULL for any other ticket."""
    timed = seconds_between(dialect, col(Ticket.serving_at), col(Ticket.finished_at))
    return case((col(Ticket.status) == TicketStatus.done, timed))
