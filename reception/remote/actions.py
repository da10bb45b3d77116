"""Arriving, and what a remote visitor may say on the tracking page. One function =
one transaction; events after the commit.

A remote ticket is a ticket in state `remote` (`remote.joining` makes it): it holds
its place in the hall's line (its id orders it, like any ticket, by the time of the
join) but is only called once its visitor checks in (state `waiting`). While it waits
away, every visitor called past it counts (`remote.passing`); past the branch's
allowance it loses its place and joins the end of the line when it arrives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from reception import audit
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Forbidden, NotFound
from reception.events.base import Event
from reception.events.messages import HallEvent
from reception.outcome import Outcome
from reception.queue import queries, waiting_line
from reception.queue.hall_events import hall_event
from reception.queue.models import Branch, Hall, Service, Ticket, TicketStatus
from reception.queue.rules import check_ticket_transition
from reception.remote import queries as queries_remote
from reception.remote import rules
from reception.remote.models import RemotePolicy, RemoteTicket

# --- arriving ---------------------------------------------------------------------


def arrive_by_code(
    session: Session, clock: Clock, principal: Principal, *, branch: str, code: str
) -> Outcome[Ticket]:
    """A kiosk (or the staff) checks a remote visitor in by the code on their phone."""
    principal.require_role(Role.kiosk, Role.supervisor, Role.admin)
    branch_row = queries.branch_by_slug(session, branch)
    if not principal.may_use_branch(branch_row.id or 0):
        raise Forbidden("wrong_branch", N_("Your account is not allowed to work in this branch."))
    typed = rules.clean_code(code)
    row = session.exec(
        select(RemoteTicket).where(
            RemoteTicket.branch_id == branch_row.id,
            RemoteTicket.business_date == clock.local_date(branch_row.timezone),
            RemoteTicket.code == typed,
        )
    ).first()
    if row is None:
        raise NotFound("unknown_remote_code", N_("No ticket has this code today."))
    ticket = session.get(Ticket, row.ticket_id)
    assert ticket is not None
    principal.require_hall(ticket.branch_id, ticket.hall_id)
    by = "kiosk" if principal.role == Role.kiosk else "staff"
    return _arrive(session, clock, principal.actor, ticket, row, by)


def arrive_by_location(
    session: Session,
    clock: Clock,
    *,
    token: str,
    latitude: float,
    longitude: float,
    accuracy_m: float,
) -> Outcome[Ticket]:
    """The visitor checks in from the tracking page, where the branch allows it and
    the phone's location is within the branch's radius."""
    ticket, row = _remote_ticket(session, token)
    branch = session.get(Branch, ticket.branch_id)
    assert branch is not None
    policy = session.get(RemotePolicy, branch.id)
    if (
        policy is None
        or not policy.geo_checkin
        or policy.latitude is None
        or policy.longitude is None
    ):
        raise Forbidden("location_checkin_off", N_("Please check in at the kiosk with your code."))
    rules.check_location(
        latitude, longitude, accuracy_m, policy.latitude, policy.longitude, policy.radius_m
    )
    return _arrive(session, clock, rules.VISITOR, ticket, row, "location")


def _arrive(
    session: Session, clock: Clock, actor: str, ticket: Ticket, row: RemoteTicket, by: str
) -> Outcome[Ticket]:
    # The kiosk and the phone at once: one wins. NO KEY UPDATE, as the update itself
    # takes: a stronger lock would also wait for the remote row's foreign-key checks.
    session.refresh(ticket, with_for_update={"key_share": True})
    if ticket.status != TicketStatus.remote:
        if ticket.status == TicketStatus.waiting:
            raise Conflict(
                "already_arrived", N_("You are already checked in. Please wait in the hall.")
            )
        raise Conflict("ticket_closed", N_("This ticket is no longer in line."))
    check_ticket_transition(ticket.status, TicketStatus.waiting)
    hall = session.get(Hall, ticket.hall_id)
    assert hall is not None
    now = clock.now()
    if row.place_lost:  # too many were called past it: the end of the line
        ticket.queue_key = waiting_line.end_of_line(session, hall.id or 0)
    ticket.status = TicketStatus.waiting
    ticket.arrived_at = now
    row.arrived_by = by
    session.add(ticket)
    session.add(row)
    audit.record(
        session,
        actor,
        "ticket.arrive",
        "ticket",
        ticket.id,
        number=ticket.number,
        by=by,
        place_lost=row.place_lost,
    )
    service = session.get(Service, ticket.service_id)
    assert service is not None
    session.flush()  # the ticket's and the waiting counts' rows before the hall's
    event = hall_event(
        session,
        hall,
        HallEvent.TICKET_ARRIVED,
        ticket=queries.ticket_summary(ticket, None, service),
    )
    return Outcome(ticket, [event])


# --- what the visitor says on the tracking page -------------------------------------


def _remote_ticket(session: Session, token: str) -> tuple[Ticket, RemoteTicket]:
    ticket = queries.ticket_by_token(session, token[:64])
    if ticket is None:
        raise NotFound("unknown_ticket", N_("This ticket does not exist."))
    row = session.get(RemoteTicket, ticket.id)
    if row is None:  # a real link, not a guess: a ticket taken in the hall
        raise Conflict("not_remote", N_("This ticket was not taken from a phone."))
    session.refresh(ticket, with_for_update={"key_share": True})  # as the change finds it
    return ticket, row


def on_my_way(session: Session, clock: Clock, *, token: str, minutes: Any) -> Outcome[Ticket]:
    """ "I'm on my way, I need N minutes": the line lets more visitors pass before
    the ticket loses its place, and the staff and the estimate know."""
    ticket, row = _remote_ticket(session, token)
    if ticket.status != TicketStatus.remote:
        raise Conflict("not_away", N_("You are already checked in."))
    row.on_way_minutes = rules.check_minutes(minutes)
    row.on_way_at = clock.now()
    session.add(row)
    audit.record(
        session, rules.VISITOR, "ticket.on_way", "ticket", ticket.id, minutes=row.on_way_minutes
    )
    return Outcome(ticket)


def be_late(session: Session, clock: Clock, *, token: str, places: Any) -> Outcome[Ticket]:
    """ "I'll be late": the ticket moves back by the places chosen, once."""
    ticket, row = _remote_ticket(session, token)
    if ticket.status not in (TicketStatus.remote, TicketStatus.waiting):
        raise Conflict("ticket_closed", N_("This ticket is no longer in line."))
    if row.late_places is not None:
        raise Conflict("late_once", N_("You already moved back once."))
    policy = queries_remote.policy_of_ticket(session, ticket)
    chosen = rules.check_places(places, policy.late_max_places)
    own_key = ticket.queue_key or ticket.id or 0
    behind = (
        session.connection()
        .execute(
            text(
                """
            SELECT COALESCE(queue_key, id) AS k FROM ticket
            WHERE hall_id = :hall AND status IN ('remote', 'waiting')
              AND priority_weight = :weight AND id != :id
              AND (COALESCE(queue_key, id) > :key
                   OR (COALESCE(queue_key, id) = :key AND id > :id))
            ORDER BY k, id LIMIT 1 OFFSET :skip
            """
            ),
            {
                "hall": ticket.hall_id,
                "weight": ticket.priority_weight,
                "id": ticket.id,
                "key": own_key,
                "skip": chosen - 1,
            },
        )
        .first()
    )
    if behind is None:  # fewer behind than chosen: the end of the line
        ticket.queue_key = waiting_line.end_of_line(session, ticket.hall_id)
    else:
        ticket.queue_key = int(behind[0]) + 1
    row.late_places = chosen
    session.add(ticket)
    session.add(row)
    audit.record(session, rules.VISITOR, "ticket.late", "ticket", ticket.id, places=chosen)
    events = _line_changed(session, ticket)
    return Outcome(ticket, events)


def cancel_remote(session: Session, clock: Clock, *, token: str) -> Outcome[Ticket]:
    """ "Cancel my ticket": the place is freed, and the number may join again."""
    ticket, row = _remote_ticket(session, token)
    if ticket.status not in (TicketStatus.remote, TicketStatus.waiting):
        raise Conflict("ticket_closed", N_("This ticket is no longer in line."))
    was_waiting = ticket.status == TicketStatus.waiting
    check_ticket_transition(ticket.status, TicketStatus.cancelled)
    ticket.status = TicketStatus.cancelled
    ticket.finished_at = clock.now()
    row.live_phone = None
    session.add(ticket)
    session.add(row)
    audit.record(session, rules.VISITOR, "ticket.cancel", "ticket", ticket.id, number=ticket.number)
    return Outcome(ticket, _line_changed(session, ticket) if was_waiting else [])


def _line_changed(session: Session, ticket: Ticket) -> list[Event]:
    if ticket.status == TicketStatus.remote:
        return []
    hall = session.get(Hall, ticket.hall_id)
    assert hall is not None
    session.flush()  # the ticket's and the waiting counts' rows before the hall's
    return [hall_event(session, hall, HallEvent.LINE_CHANGED)]
