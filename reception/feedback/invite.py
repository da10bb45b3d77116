"""The SMS that asks a visitor to rate the visit that just ended.

Kept apart from the rating actions: the queue calls it when a ticket becomes done."""

from __future__ import annotations

from sqlmodel import Session

from reception.notify.outbox import enqueue_sms
from reception.queue.models import Ticket


def rating_link(public_base_url: str, ticket: Ticket) -> str:
    return f"{public_base_url}/r/{ticket.tracking_token}"


def invite_to_rate(session: Session, ticket: Ticket, public_base_url: str) -> None:
    """Once per ticket, to a visitor who left a mobile number; not essential, so a
    number that sent STOP gets nothing. Without a public address there is no link to
    send, and so no message."""
    if not ticket.phone or not public_base_url:
        return
    enqueue_sms(
        session,
        to=ticket.phone,
        purpose="ticket_feedback",
        language=ticket.language,
        branch_id=ticket.branch_id,
        now=ticket.finished_at,
        key=str(ticket.id),
        number=ticket.number,
        link=rating_link(public_base_url, ticket),
    )
