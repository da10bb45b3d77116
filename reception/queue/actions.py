"""What a counter does with tickets: call the next or a chosen one, recall, start,
finish, send back, transfer. One function = one transaction (the caller's session
scope); the hall's events are returned to be published after the commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from reception import audit
from reception.auth import fields
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Invalid, NotFound
from reception.events.messages import HallEvent
from reception.feedback.invite import invite_to_rate
from reception.notify.outbox import enqueue_sms
from reception.outcome import Outcome
from reception.queue import queries, waiting_line
from reception.queue.hall_events import hall_event
from reception.queue.models import (
    Branch,
    CallReason,
    Counter,
    CounterService,
    CounterStatus,
    Hall,
    Service,
    Ticket,
    TicketStatus,
    VisitOutcome,
)
from reception.queue.rules import (
    CLOSE_CHOICES,
    check_close_choice,
    check_ticket_transition,
)
from reception.remote import passing as remote_passing


def counter_for_operator(
    session: Session, principal: Principal, counter_id: int
) -> tuple[Counter, Hall]:
    """The counter, locked for this transaction: two actions on one counter (two
    operators, or a double click) run one after the other. SQLite's single writer
    already serialises them; PostgreSQL takes the counter's row lock."""
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_COUNTER_SQL, {"id": counter_id})
    # Read from the database even if this session saw it before (one query, not two).
    counter = queries.counter_by_id(session, counter_id, fresh=True)
    hall = session.get(Hall, counter.hall_id)
    assert hall is not None and hall.id is not None
    principal.require_hall(hall.branch_id, hall.id)
    return counter, hall


_LOCK_COUNTER_SQL = text("SELECT 1 FROM counter WHERE id = :id FOR UPDATE")


def _lock_next_waiting(
    session: Session,
    hall_id: int,
    counter_id: int,
    starving_before: datetime | None,
) -> tuple[Ticket, CallReason] | None:
    """The ticket this counter calls next, locked for this transaction.

    Policy: a ticket that has waited past the branch's maximum goes first (oldest
    first; `waiting_line.WAITING_SINCE` says from when), so priority visitors never
    starve the others; otherwise the highest
    priority weight, then the earliest arrival. Tickets transferred to another
    counter are left to that counter."""
    served = select(CounterService.service_id).where(CounterService.counter_id == counter_id)
    base = select(Ticket).where(
        Ticket.hall_id == hall_id,
        Ticket.status == TicketStatus.waiting,
        col(Ticket.service_id).in_(served),
        (col(Ticket.assigned_counter_id).is_(None)) | (Ticket.assigned_counter_id == counter_id),
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    candidates = []
    if starving_before is not None:
        candidates.append(
            (
                base.where(starving_before >= waiting_line.WAITING_SINCE).order_by(col(Ticket.id)),
                True,
            )
        )
    candidates.append((base.order_by(*waiting_line.LINE_ORDER), False))
    for stmt, starving in candidates:
        stmt = stmt.limit(1)
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        ticket = session.exec(stmt).first()
        if ticket is None:
            continue
        if ticket.assigned_counter_id == counter_id:
            reason = CallReason.assigned
        elif starving and ticket.priority_weight == 0:
            reason = CallReason.max_wait
        elif ticket.priority_weight > 0:
            reason = CallReason.priority
        else:
            reason = CallReason.order
        return ticket, reason
    return None


def _move(
    session: Session,
    clock: Clock,
    principal: Principal,
    ticket: Ticket,
    target: TicketStatus,
    public_base_url: str = "",
) -> str:
    move = check_ticket_transition(ticket.status, target)
    now = clock.now()
    ticket.status = target
    if target == TicketStatus.called:
        ticket.called_at = now
    elif target == TicketStatus.serving:
        ticket.serving_at = now
    elif target in (TicketStatus.done, TicketStatus.no_show):
        ticket.finished_at = now
    session.add(ticket)
    audit.record(
        session, principal.actor, f"ticket.{move}", "ticket", ticket.id, number=ticket.number
    )
    if target == TicketStatus.done:
        invite_to_rate(session, ticket, public_base_url)
    return move


def _call(
    session: Session,
    clock: Clock,
    principal: Principal,
    ticket: Ticket,
    counter: Counter,
    reason: CallReason,
    public_base_url: str = "",
) -> None:
    ticket.counter_id = counter.id
    ticket.called_by_id = principal.user_id
    ticket.assigned_counter_id = None
    ticket.call_reason = reason
    _move(session, clock, principal, ticket, TicketStatus.called)
    session.flush()
    if ticket.phone:
        # Once per counter: a recall does not text again, a transfer to another does.
        enqueue_sms(
            session,
            to=ticket.phone,
            purpose="ticket_called",
            language=ticket.language,
            branch_id=ticket.branch_id,
            now=ticket.called_at,
            key=f"{ticket.id}:{counter.id}",
            number=ticket.number,
            counter=counter.number,
            link=f"{public_base_url}/t/{ticket.tracking_token}" if public_base_url else "",
        )


def _tell_the_next(
    session: Session, hall: Hall, counter: Counter, public_base_url: str, now: datetime
) -> None:
    """The visitor now first in line at this counter gets "you are next", once."""
    upcoming = session.exec(
        select(Ticket)
        .where(
            Ticket.hall_id == hall.id,
            Ticket.status == TicketStatus.waiting,
            col(Ticket.service_id).in_(queries.services_of_counter(session, counter.id or 0)),
            col(Ticket.assigned_counter_id).is_(None) | (Ticket.assigned_counter_id == counter.id),
        )
        .order_by(*waiting_line.LINE_ORDER)
        .limit(1)
    ).first()
    if upcoming is not None and upcoming.phone:
        enqueue_sms(
            session,
            to=upcoming.phone,
            purpose="ticket_next",
            language=upcoming.language,
            branch_id=upcoming.branch_id,
            now=now,
            key=str(upcoming.id),
            number=upcoming.number,
            link=f"{public_base_url}/t/{upcoming.tracking_token}" if public_base_url else "",
        )


def call_next(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter_id: int,
    public_base_url: str = "",
    close_current: str | None = None,
) -> Outcome[dict[str, Any] | None]:
    """Call the first waiting ticket the counter serves, exactly once across
    operators. A ticket still open at the counter is first closed as the operator
    says (`close_current`, see rules.CLOSE_CHOICES); without a word, nothing is
    closed and the call is refused (`current_open`). A ticket sent back to the line
    is not called again by this same call (it is chosen before the other goes back)."""
    check_close_choice(close_current)
    counter, hall = counter_for_operator(session, principal, counter_id)
    if counter.status != CounterStatus.open:
        raise Conflict("counter_not_open", N_("This counter is not open."))
    current = open_ticket_to_close(session, counter, close_current)
    branch = session.get(Branch, hall.branch_id)
    assert branch is not None
    starving_before = (
        clock.now() - timedelta(minutes=branch.max_wait_minutes)
        if branch.max_wait_minutes
        else None
    )
    found = _lock_next_waiting(session, hall.id or 0, counter.id or 0, starving_before)
    ticket, reason = found if found is not None else (None, CallReason.order)
    closed = _close_and_call(
        session, clock, principal, counter, current, close_current, ticket, reason, public_base_url
    )
    events = [hall_event(session, hall, closed[1], ticket=closed[0])] if closed else []
    if ticket is None:
        return Outcome(None, events)
    service = session.get(Service, ticket.service_id)
    assert service is not None
    summary = queries.ticket_summary(ticket, counter, service)
    events.append(hall_event(session, hall, HallEvent.TICKET_CALLED, ticket=summary))
    # After the hall's row, as in every call: two calls writing the same "you are
    # next" SMS in opposite orders to the hall's row would deadlock on PostgreSQL.
    _tell_the_next(session, hall, counter, public_base_url, clock.now())
    remote_passing.after_call(session, clock, hall, counter.id or 0, ticket, public_base_url)
    return Outcome(summary, events)


API_TICKET_FIELDS = ("id", "number", "status", "service", "counter", "called_at")
"""The fields of a ticket in the JSON API's answers."""


def open_ticket_to_close(
    session: Session, counter: Counter, close_current: str | None
) -> Ticket | None:
    """The counter's open ticket (called or being served), which the operator's
    `close_current` will close before the counter calls another or closes; None when
    none is open. Without a choice, raise Conflict `current_open` carrying the ticket:
    a visitor who never came must not be counted as served by a click on "call next"."""
    current = queries.current_ticket_at(session, counter.id or 0)
    if current is None or close_current is not None:
        return current
    service = session.get(Service, current.service_id)
    assert service is not None
    summary = queries.ticket_summary(current, counter, service)
    raise Conflict(
        "current_open",
        N_(
            "Ticket {number} is still open at this counter. Say first how it ended: "
            "served, did not come, or back to the line."
        ),
        details={"ticket": {k: summary[k] for k in API_TICKET_FIELDS}},
        number=current.number,
    )


def close_ticket(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter: Counter,
    ticket: Ticket,
    close_current: str,
    public_base_url: str = "",
) -> tuple[dict[str, Any], HallEvent]:
    """Close the counter's open ticket as the operator said: its summary and the kind
    of the hall event the caller adds to its outcome once its own writes are done (the
    hall's event number is taken last, as by every action)."""
    action = CLOSE_CHOICES[check_close_choice(close_current) or ""]
    return _apply(session, clock, principal, counter, ticket, action, None, public_base_url)


def _close_and_call(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter: Counter,
    current: Ticket | None,
    close_current: str | None,
    ticket: Ticket | None,
    reason: CallReason,
    public_base_url: str,
) -> tuple[dict[str, Any], HallEvent] | None:
    """Close the open ticket (if any) and call `ticket` (if any). A ticket sent back
    and the one called change two waiting counts: they are written in the order of
    those counts' keys, the same in every transaction, so two counters doing this at
    once wait for each other instead of deadlocking."""
    call_first = (
        ticket is not None
        and current is not None
        and close_current == "return"
        and (ticket.service_id, ticket.priority_weight)
        < (current.service_id, current.priority_weight)
    )
    if ticket is not None and call_first:
        _call(session, clock, principal, ticket, counter, reason, public_base_url)
    closed = None
    if current is not None and close_current is not None:
        closed = close_ticket(
            session, clock, principal, counter, current, close_current, public_base_url
        )
    if ticket is not None and not call_first:
        _call(session, clock, principal, ticket, counter, reason, public_base_url)
    return closed


def act_on_current(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter_id: int,
    action: str,
    outcome: str | None = None,
    public_base_url: str = "",
) -> Outcome[dict[str, Any]]:
    """recall, start, finish, no_show or return (to the queue, keeping its place) on
    the ticket the counter has called."""
    if action not in _CURRENT_TARGETS:
        raise Invalid("unknown_action", N_("Unknown action."))
    if outcome is not None and outcome not in {o.value for o in VisitOutcome}:
        raise Invalid("bad_outcome", N_("Unknown outcome of the visit."))
    counter, hall = counter_for_operator(session, principal, counter_id)
    fields.require_settable(principal, "ticket.finish", ["outcome"] if outcome else [])
    ticket = queries.current_ticket_at(session, counter.id or 0)
    if ticket is None:
        raise Conflict("no_current_ticket", N_("This counter has no ticket called."))
    branch = session.get(Branch, hall.branch_id)
    if action == "recall" and branch is not None and ticket.recall_count >= branch.max_recalls:
        action = "no_show"  # called again as often as the branch allows: did not come
    summary, kind = _apply(
        session, clock, principal, counter, ticket, action, outcome, public_base_url
    )
    return Outcome(summary, [hall_event(session, hall, kind, ticket=summary)])


_CURRENT_TARGETS = {
    "recall": TicketStatus.called,
    "start": TicketStatus.serving,
    "finish": TicketStatus.done,
    "no_show": TicketStatus.no_show,
    "return": TicketStatus.waiting,
}


def _apply(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter: Counter,
    ticket: Ticket,
    action: str,
    outcome: str | None,
    public_base_url: str,
) -> tuple[dict[str, Any], HallEvent]:
    """One move of the counter's current ticket: its summary and its hall event's kind."""
    target = _CURRENT_TARGETS[action]
    _move(session, clock, principal, ticket, target, public_base_url)
    if target == TicketStatus.done:
        ticket.outcome = outcome or VisitOutcome.served
    if action == "recall":
        ticket.recall_count += 1
    summary_counter: Counter | None = counter
    if action == "return":
        ticket.counter_id = None
        ticket.call_reason = None
        summary_counter = None
    session.flush()
    service = session.get(Service, ticket.service_id)
    assert service is not None
    kind = {
        "recall": HallEvent.TICKET_RECALLED,
        "start": HallEvent.TICKET_SERVING,
        "return": HallEvent.TICKET_RETURNED,
    }.get(action, HallEvent.TICKET_FINISHED)
    return queries.ticket_summary(ticket, summary_counter, service), kind


def call_ticket(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter_id: int,
    ticket_id: int,
    public_base_url: str = "",
    close_current: str | None = None,
) -> Outcome[dict[str, Any]]:
    """Call one chosen waiting ticket (one this counter serves) out of turn. A ticket
    still open at the counter is closed as for `call_next`."""
    check_close_choice(close_current)
    counter, hall = counter_for_operator(session, principal, counter_id)
    if counter.status != CounterStatus.open:
        raise Conflict("counter_not_open", N_("This counter is not open."))
    stmt = select(Ticket).where(Ticket.id == ticket_id, Ticket.hall_id == hall.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    ticket = session.exec(stmt).first()
    if ticket is None:
        raise NotFound("unknown_ticket", N_("This ticket does not exist."))
    if ticket.service_id not in queries.services_of_counter(session, counter_id):
        raise Conflict("not_served_here", N_("This counter does not serve that ticket's service."))
    if ticket.assigned_counter_id not in (None, counter_id):
        raise Conflict("assigned_elsewhere", N_("This ticket was sent to another counter."))
    if ticket.status == TicketStatus.remote:
        raise Conflict(
            "not_arrived", N_("This visitor joined from a phone and has not checked in yet.")
        )
    if ticket.status != TicketStatus.waiting:
        raise Conflict(
            "illegal_transition",
            N_("This is not possible for a ticket that is {current}."),
            current=ticket.status,
        )
    current = open_ticket_to_close(session, counter, close_current)
    closed = _close_and_call(
        session,
        clock,
        principal,
        counter,
        current,
        close_current,
        ticket,
        CallReason.chosen,
        public_base_url,
    )
    events = [hall_event(session, hall, closed[1], ticket=closed[0])] if closed else []
    service = session.get(Service, ticket.service_id)
    assert service is not None
    summary = queries.ticket_summary(ticket, counter, service)
    events.append(hall_event(session, hall, HallEvent.TICKET_CALLED, ticket=summary))
    remote_passing.after_call(session, clock, hall, counter.id or 0, ticket, public_base_url)
    return Outcome(summary, events)


def transfer_ticket(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter_id: int,
    *,
    service: str,
    to_counter: int | None = None,
    to_back: bool = False,
) -> Outcome[dict[str, Any]]:
    """Send the counter's current visitor to another service (and optionally to one
    counter). The ticket keeps its place by original arrival in the new line."""
    counter, hall = counter_for_operator(session, principal, counter_id)
    given = {"service": service, "counter": to_counter, "to_back": to_back}
    fields.require_settable(principal, "ticket.transfer", [k for k, v in given.items() if v])
    ticket = queries.current_ticket_at(session, counter_id)
    if ticket is None:
        raise Conflict("no_current_ticket", N_("This counter has no ticket called."))
    branch = session.get(Branch, hall.branch_id)
    assert branch is not None
    new_service = queries.service_by_slug(session, branch, service)
    if not queries.service_offered(session, hall.id or 0, new_service.id or 0):
        raise Invalid("service_not_in_hall", N_("This service is not offered in this hall."))
    target: Counter | None = None
    if to_counter is not None:
        target = session.get(Counter, to_counter)
        if target is None or target.hall_id != hall.id:
            raise Invalid("unknown_counter", N_("There is no counter {id}."), id=to_counter)
        if new_service.id not in queries.services_of_counter(session, to_counter):
            raise Invalid("not_served_there", N_("That counter does not serve the chosen service."))
    _move(session, clock, principal, ticket, TicketStatus.transferred)
    ticket.service_id = new_service.id or 0
    # The service here is over: the next counter's starts when that operator starts it
    # (else a visit finished there unstarted would count its wait as service time).
    ticket.serving_at = None
    ticket.counter_id = None
    ticket.call_reason = None
    ticket.assigned_counter_id = target.id if target else None
    if to_back:  # a supervisor's decision: behind everyone waiting now
        ticket.queue_key = waiting_line.end_of_line(session, hall.id or 0)
    _move(session, clock, principal, ticket, TicketStatus.waiting)
    session.flush()
    summary = queries.ticket_summary(ticket, None, new_service)
    return Outcome(
        summary, [hall_event(session, hall, HallEvent.TICKET_TRANSFERRED, ticket=summary)]
    )
