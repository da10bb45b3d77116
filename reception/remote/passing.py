"""As the line moves: a call passes the remote visitors not arrived ahead of the one
called (past the branch's allowance they lose their place), and those now near the
front get their SMS, once. Runs inside the call's transaction."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, select

from reception.clock import Clock
from reception.notify.outbox import enqueue_sms
from reception.queue import waiting_line
from reception.queue.models import Hall, Ticket, TicketStatus
from reception.queue.rules import people_ahead
from reception.remote import queries as queries_remote
from reception.remote.models import RemotePolicy, RemoteTicket

_ANY_AWAY = text("SELECT id FROM ticket WHERE hall_id = :hall AND status = 'remote' LIMIT 1")
_PASSED = """
    UPDATE remote_ticket SET passed = passed + 1
    WHERE ticket_id IN (
      SELECT r.ticket_id FROM remote_ticket r JOIN ticket t ON t.id = r.ticket_id
      WHERE t.hall_id = :hall AND t.status = 'remote'
        AND t.service_id IN (SELECT service_id FROM counterservice WHERE counter_id = :counter)
        AND (t.priority_weight > :weight
             OR (t.priority_weight = :weight
                 AND (COALESCE(t.queue_key, t.id) < :key
                      OR (COALESCE(t.queue_key, t.id) = :key AND t.id < :id))))
      {lock})
    """
_LOSE_PLACE = """
    UPDATE remote_ticket SET place_lost = :yes
    WHERE ticket_id IN (
      SELECT r.ticket_id FROM remote_ticket r JOIN ticket t ON t.id = r.ticket_id
      WHERE r.hall_id = :hall AND r.place_lost = :no AND t.status = 'remote'
        AND r.passed > CASE WHEN r.on_way_at IS NULL THEN :allowed ELSE :allowed_on_way END
      {lock})
    """
SKIP_BUSY = "FOR UPDATE OF r SKIP LOCKED"
"""On PostgreSQL a call passes over the remote tickets whose visitor is changing them
at that instant (arriving, on the way, cancelling): waiting for them would lock their
rows after the hall's, against the order of every other action (a deadlock), and a
pass not counted then only errs in the visitor's favour."""
_AFTER_CALL = {
    dialect: (text(_PASSED.format(lock=lock)), text(_LOSE_PLACE.format(lock=lock)))
    for dialect, lock in (("postgresql", SKIP_BUSY), ("sqlite", ""))
}


def after_call(
    session: Session, clock: Clock, hall: Hall, counter_id: int, called: Ticket, base_url: str
) -> None:
    """In the call's transaction: every remote visitor not arrived whom this call
    passed counts it (past the allowance they lose their place), and remote visitors
    now near the front get their SMS, once."""
    conn = session.connection()
    if conn.execute(_ANY_AWAY, {"hall": hall.id}).first() is None:
        return
    session.flush()
    passed, lose_place = _AFTER_CALL[session.get_bind().dialect.name]
    conn.execute(
        passed,
        {
            "hall": hall.id,
            "counter": counter_id,
            "weight": called.priority_weight,
            "key": called.queue_key or called.id,
            "id": called.id,
        },
    )
    policy = queries_remote.policy_of_ticket(session, called)
    conn.execute(
        lose_place,
        {
            "hall": hall.id,
            "yes": True,
            "no": False,
            "allowed": policy.passes_allowed,
            "allowed_on_way": policy.passes_allowed_on_way,
        },
    )
    tell_near_front(session, clock, hall, policy, base_url)


def tell_near_front(
    session: Session, clock: Clock, hall: Hall, policy: RemotePolicy, base_url: str
) -> None:
    rows = session.exec(
        select(Ticket, RemoteTicket)
        .join(RemoteTicket, RemoteTicket.ticket_id == Ticket.id)  # type: ignore[arg-type]
        .where(
            Ticket.hall_id == hall.id,
            Ticket.status == TicketStatus.remote,
            RemoteTicket.near_told_at.is_(None),  # type: ignore[union-attr]
            RemoteTicket.place_lost.is_(False),  # type: ignore[attr-defined]
        )
        .with_for_update(of=RemoteTicket, skip_locked=True)  # see SKIP_BUSY
    ).all()
    if not rows:
        return
    state = waiting_line.queue_state(session, hall.id or 0)
    now = clock.now()
    for ticket, row in rows:
        place = people_ahead(state, ticket.service_id, waiting_line.ahead_of(session, ticket)) + 1
        if place > policy.notify_at_place or ticket.phone is None:
            continue
        row.near_told_at = now
        session.add(row)
        enqueue_sms(
            session,
            to=ticket.phone,
            purpose="remote_near",
            language=ticket.language,
            branch_id=ticket.branch_id,
            now=now,
            key=str(ticket.id),
            number=ticket.number,
            ahead=place - 1,
            code=row.code,
            link=f"{base_url}/t/{ticket.tracking_token}" if base_url else "",
        )
