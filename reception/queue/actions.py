"""The only writers of the queue. One function = one transaction (the caller's
session scope); events are returned to be published after the commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from reception import audit
from reception.auth import fields
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Invalid, NotFound
from reception.events import Event
from reception.feedback.invite import invite_to_rate
from reception.notify.outbox import enqueue_sms
from reception.queue import queries, waiting_line
from reception.queue.models import (
    Branch,
    CallReason,
    Counter,
    CounterService,
    CounterStatus,
    Hall,
    Service,
    ServiceMode,
    Ticket,
    TicketSequence,
    TicketStatus,
    VisitOutcome,
)
from reception.queue.rules import (
    CLOSE_CHOICES,
    QueueState,
    check_close_choice,
    check_residency,
    check_ticket_transition,
    is_open,
    normalise_phone,
    priority_not_offered,
)

T = TypeVar("T")
APPOINTMENT_PRIORITY = "appointment"
"""The priority group a checked-in appointment gets (when the group exists)."""


@dataclass
class Outcome(Generic[T]):
    value: T
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    hall: Hall
    service: Service
    position: int
    eta_minutes: int | None
    tracking_url: str
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.ticket.id,
            "number": self.ticket.number,
            "hall": self.hall.slug,
            "service": self.service.slug,
            "status": self.ticket.status,
            "position": self.position,
            "eta_minutes": self.eta_minutes,
            "tracking_url": self.tracking_url,
            "issued_at": self.ticket.issued_at.isoformat(),
        }


def hall_channel(hall_id: int) -> str:
    return f"hall:{hall_id}"


def _next_number(session: Session, hall_id: int, prefix: str, business_date: Any) -> int:
    """Atomically take the next number of a series (an upsert that returns the value)."""
    dialect = session.get_bind().dialect.name
    stmt = _NEXT_NUMBER.get(dialect)
    if stmt is None:
        table = TicketSequence.__table__  # type: ignore[attr-defined]
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(table)
            .values(
                hall_id=bindparam("series_hall"),
                prefix=bindparam("series_prefix"),
                business_date=bindparam("series_day"),
                last_number=1,
            )
            .on_conflict_do_update(
                index_elements=["hall_id", "prefix", "business_date"],
                set_={"last_number": table.c.last_number + 1},
            )
            .returning(table.c.last_number)
        )
        _NEXT_NUMBER[dialect] = stmt
    values = {"series_hall": hall_id, "series_prefix": prefix, "series_day": business_date}
    return int(session.connection().execute(stmt, values).scalar_one())


_NEXT_NUMBER: dict[str, Any] = {}
"""The numbering upsert per dialect, built once (it runs for every ticket)."""

_BUMP_SEQ_SQL = text("UPDATE hall SET event_seq = event_seq + 1 WHERE id = :id RETURNING event_seq")


def _bump_seq(session: Session, hall_id: int) -> int:
    """Next event number of the hall, taken in the action's own transaction so the
    order of numbers is the order of commits that displays must follow."""
    return int(session.connection().execute(_BUMP_SEQ_SQL, {"id": hall_id}).scalar_one())


def hall_event(
    session: Session, hall: Hall, kind: str, state: QueueState | None = None, **payload: Any
) -> Event:
    assert hall.id is not None
    seq = _bump_seq(session, hall.id)
    body = {"type": kind, "seq": seq, "hall": hall.slug, **payload}
    body["waiting"] = waiting_line.waiting_by_service(session, hall, state)
    return Event(hall_channel(hall.id), body)


def issue_ticket(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    branch: str,
    hall: str,
    service: str,
    public_base_url: str,
    phone: str | None = None,
    priority: str | None = None,
    residency: str | None = None,
    language: str = "ar",
    idempotency_key: str | None = None,
    by_appointment: bool = False,
) -> Outcome[IssuedTicket]:
    principal.require_role(Role.kiosk, Role.admin, Role.supervisor)
    given = {"phone": phone, "priority": priority, "residency": residency}
    fields.require_settable(principal, "ticket.issue", [k for k, v in given.items() if v])
    place = queries.place_for_checkin(session, branch, hall, service)
    if place is None:  # say which part is wrong, in the order a person would check
        branch_row = queries.branch_by_slug(session, branch)
        hall_row = queries.hall_by_slug(session, branch_row, hall)
        principal.require_hall(branch_row.id or 0, hall_row.id or 0)
        queries.service_by_slug(session, branch_row, service)
        raise Invalid("service_not_in_hall", N_("This service is not offered in this hall."))
    branch_row, hall_row, service_row = place
    assert branch_row.id is not None and hall_row.id is not None
    principal.require_hall(branch_row.id, hall_row.id)
    local_now = clock.now().astimezone(ZoneInfo(branch_row.timezone))
    if not is_open(branch_row.opening_hours or {}, branch_row.holidays or [], local_now):
        raise Conflict("closed", N_("We are closed now. Please come back during opening hours."))
    if service_row.mode == ServiceMode.appointment and not by_appointment:
        raise Invalid("by_appointment_only", N_("This service is by appointment only."))
    check_residency(residency)
    if language not in ("ar", "en"):
        raise Invalid("bad_language", N_("Language is ar or en."))
    phone_e164 = normalise_phone(phone) if phone else None
    group = queries.priority_by_slug(session, priority) if priority else None
    # Declared by the visitor at a kiosk: only the groups offered there. The
    # appointment group comes with a checked-in appointment, never by choice.
    declared = not (by_appointment and group is not None and group.slug == APPOINTMENT_PRIORITY)
    if group is not None and not group.at_kiosk and principal.role == Role.kiosk and declared:
        raise priority_not_offered()

    scoped_key = f"{principal.actor}:{idempotency_key}" if idempotency_key else None
    if scoped_key:
        if len(scoped_key) > 160:
            raise Invalid("bad_idempotency_key", N_("The Idempotency-Key is too long."))
        earlier = session.exec(select(Ticket).where(Ticket.idempotency_key == scoped_key)).first()
        if earlier is not None:
            if (earlier.hall_id, earlier.service_id) != (hall_row.id, service_row.id):
                raise Invalid(
                    "idempotency_key_reused",
                    N_("This Idempotency-Key was already used for another ticket."),
                )
            return Outcome(
                describe_issued(session, earlier, hall_row, public_base_url, replayed=True)
            )

    # Read before taking a number: from the number on, every check-in of this hall
    # waits for this one's commit (number series, counts, event sequence).
    setting = waiting_line.setting_for_checkin(session, hall_row.id)
    today = clock.local_date(branch_row.timezone)
    prefix = hall_row.ticket_prefix + service_row.ticket_prefix
    seq = _next_number(session, hall_row.id, prefix, today)
    ticket = Ticket.model_construct(
        branch_id=branch_row.id,
        hall_id=hall_row.id,
        service_id=service_row.id or 0,
        business_date=today,
        prefix=prefix,
        seq=seq,
        number=f"{prefix}-{seq:03d}",
        priority_id=group.id if group else None,
        priority_weight=group.weight if group else 0,
        residency=residency,
        language=language,
        phone=phone_e164,
        tracking_token=secrets.token_urlsafe(24),
        idempotency_key=scoped_key,
        issued_at=clock.now(),
    )
    ticket = insert_ticket(session, ticket)
    # Read once for the answer, the event and the SMS.
    state, ahead = waiting_line.queue_state_and_ahead(session, ticket, setting)
    issued = describe_issued(
        session, ticket, hall_row, public_base_url, state=state, ahead=ahead, service=service_row
    )
    audit.record(
        session, principal.actor, "ticket.issue", "ticket", ticket.id, number=ticket.number
    )
    if phone_e164:
        enqueue_sms(
            session,
            to=phone_e164,
            purpose="ticket_issued",
            language=language,
            branch_id=ticket.branch_id,
            now=ticket.issued_at,
            key=str(ticket.id),
            number=ticket.number,
            service=service_row.name_ar if language == "ar" else service_row.name_en,
            hall=hall_row.name_ar if language == "ar" else hall_row.name_en,
            ahead=issued.position - 1,
            eta=issued.eta_minutes if issued.eta_minutes is not None else "?",
            link=issued.tracking_url,
        )
    event = hall_event(
        session,
        hall_row,
        "ticket.issued",
        state,
        ticket=queries.ticket_summary(ticket, None, service_row),
    )
    return Outcome(issued, [event])


_INSERT_TICKET = Ticket.__table__.insert()  # type: ignore[attr-defined]


def insert_ticket(session: Session, draft: Ticket) -> Ticket:
    """Write a new ticket with a plain insert; returns it with its id. Every column's
    value comes from the draft, defaults included. Check-ins build both without
    validation or ORM state (`model_construct`, a sixth of the cost of `Ticket(...)`):
    the ticket stays outside the session, to be read, not changed."""
    values = {key: getattr(draft, key) for key in _TICKET_COLUMNS}
    key = session.connection().execute(_INSERT_TICKET, values).inserted_primary_key
    assert key is not None
    return Ticket.model_construct(id=int(key[0]), **values)


_TICKET_COLUMNS = tuple(
    column.key
    for column in Ticket.__table__.columns  # type: ignore[attr-defined]
    if column.key != "id"
)


def describe_issued(
    session: Session,
    ticket: Ticket,
    hall: Hall,
    base_url: str,
    replayed: bool = False,
    state: QueueState | None = None,
    ahead: dict[int, int] | None = None,
    service: Service | None = None,
) -> IssuedTicket:
    if service is None:
        service = session.get(Service, ticket.service_id)
    assert service is not None
    state = state or waiting_line.queue_state(session, hall.id or 0)
    if ahead is None:
        waiting = ticket.status == TicketStatus.waiting
        ahead = waiting_line.ahead_of(session, ticket) if waiting else {}
    position = waiting_line.position_of(session, ticket, state, ahead)
    return IssuedTicket(
        ticket=ticket,
        hall=hall,
        service=service,
        position=position,
        eta_minutes=waiting_line.eta_of(session, ticket, position, service, state, ahead),
        tracking_url=f"{base_url}/t/{ticket.tracking_token}",
        replayed=replayed,
    )


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


_LAST_KEY_SQL = text(
    "SELECT COALESCE(MAX(COALESCE(queue_key, id)), 0) FROM ticket WHERE hall_id = :hall"
)
_LOCK_COUNTER_SQL = text("SELECT 1 FROM counter WHERE id = :id FOR UPDATE")


def _lock_next_waiting(
    session: Session,
    hall_id: int,
    counter_id: int,
    starving_before: datetime | None,
) -> tuple[Ticket, CallReason] | None:
    """The ticket this counter calls next, locked for this transaction.

    Policy: a ticket that has waited past the branch's maximum goes first (oldest
    first), so priority visitors never starve the others; otherwise the highest
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
            (base.where(Ticket.issued_at <= starving_before).order_by(col(Ticket.id)), True)
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
    _tell_the_next(session, hall, counter, public_base_url, clock.now())
    service = session.get(Service, ticket.service_id)
    assert service is not None
    summary = queries.ticket_summary(ticket, counter, service)
    events.append(hall_event(session, hall, "ticket.called", ticket=summary))
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
) -> tuple[dict[str, Any], str]:
    """Close the counter's open ticket as the operator said: its summary and the kind
    of the hall event the caller publishes once its own writes are done (the hall's
    event number is taken last, as by every action)."""
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
) -> tuple[dict[str, Any], str] | None:
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
) -> tuple[dict[str, Any], str]:
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
        "recall": "ticket.recalled",
        "start": "ticket.serving",
        "return": "ticket.returned",
    }.get(action, "ticket.finished")
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
    events.append(hall_event(session, hall, "ticket.called", ticket=summary))
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
        last = session.execute(_LAST_KEY_SQL, {"hall": hall.id}).scalar_one()
        ticket.queue_key = int(last) + 1
    _move(session, clock, principal, ticket, TicketStatus.waiting)
    session.flush()
    summary = queries.ticket_summary(ticket, None, new_service)
    return Outcome(summary, [hall_event(session, hall, "ticket.transferred", ticket=summary)])
