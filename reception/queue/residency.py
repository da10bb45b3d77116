"""The operator corrects what the visitor in front of them stated about residency
(citizen or resident): published statistics count visitors by it, so a wrong or
missing answer at the kiosk is put right at the counter, with the old and the new
value in the audit trail."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from reception import audit
from reception.auth import fields
from reception.auth.principal import Principal
from reception.errors import N_, Conflict, Invalid
from reception.outcome import Outcome
from reception.queue import queries
from reception.queue.actions import counter_for_operator
from reception.queue.models import Service, Ticket
from reception.queue.rules import check_residency


def set_residency(session: Session, actor: str, ticket: Ticket, value: str, **why: Any) -> None:
    """Give the ticket its residency, with the old and the new value in the audit trail."""
    was = ticket.residency
    ticket.residency = value
    session.add(ticket)
    audit.record(
        session, actor, "ticket.residency", "ticket", ticket.id,
        number=ticket.number, was=was, now=value, **why,
    )  # fmt: skip


def correct_residency(
    session: Session, principal: Principal, counter_id: int, residency: str
) -> Outcome[dict[str, Any]]:
    """Set the residency of the ticket this counter has called or is serving. Only
    the counter's own hall (operators) or branch (supervisors) may do it."""
    counter, _hall = counter_for_operator(session, principal, counter_id)
    fields.require_settable(principal, "ticket.residency", ["residency"])
    value = check_residency(residency or None)
    if value is None:
        raise Invalid("residency_required", N_("Choose citizen or resident."))
    ticket = queries.current_ticket_at(session, counter.id or 0)
    if ticket is None:
        raise Conflict("no_current_ticket", N_("This counter has no ticket called."))
    if ticket.residency != value:
        set_residency(session, principal.actor, ticket, value)
        session.flush()
    service = session.get(Service, ticket.service_id)
    assert service is not None
    summary = queries.ticket_summary(ticket, counter, service)
    return Outcome({**summary, "residency": ticket.residency})
