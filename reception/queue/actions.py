"""The only writers of the queue. One function = one transaction (the caller's
session scope); events are returned to be published after the commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from reception import audit
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Invalid
from reception.events import Event
from reception.notify.outbox import enqueue_sms
from reception.queue import queries
from reception.queue.models import (
    Counter,
    CounterStatus,
    Hall,
    Residency,
    Service,
    Ticket,
    TicketSequence,
    TicketStatus,
)
from reception.queue.rules import check_ticket_transition, normalise_phone

T = TypeVar("T")


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
    values = {
        "hall_id": hall_id,
        "prefix": prefix,
        "business_date": business_date,
        "last_number": 1,
    }
    table = TicketSequence.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt: Any = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["hall_id", "prefix", "business_date"],
        set_={"last_number": table.c.last_number + 1},
    ).returning(table.c.last_number)
    return int(session.execute(stmt).scalar_one())


_BUMP_SEQ_SQL = text("UPDATE hall SET event_seq = event_seq + 1 WHERE id = :id RETURNING event_seq")


def _bump_seq(session: Session, hall_id: int) -> int:
    """Next event number of the hall, taken in the action's own transaction so the
    order of numbers is the order of commits that displays must follow."""
    return int(session.execute(_BUMP_SEQ_SQL, {"id": hall_id}).scalar_one())


def _hall_event(session: Session, hall: Hall, kind: str, **payload: Any) -> Event:
    assert hall.id is not None
    seq = _bump_seq(session, hall.id)
    body = {"type": kind, "seq": seq, "hall": hall.slug, **payload}
    body["waiting"] = queries.waiting_by_service(session, hall)
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
) -> Outcome[IssuedTicket]:
    principal.require_role(Role.kiosk, Role.admin, Role.supervisor)
    branch_row = queries.branch_by_slug(session, branch)
    hall_row = queries.hall_by_slug(session, branch_row, hall)
    assert branch_row.id is not None and hall_row.id is not None
    principal.require_hall(branch_row.id, hall_row.id)
    service_row = queries.service_by_slug(session, branch_row, service)
    if not queries.service_offered(session, hall_row.id, service_row.id or 0):
        raise Invalid("service_not_in_hall", N_("This service is not offered in this hall."))
    if residency is not None and residency not in {r.value for r in Residency}:
        raise Invalid("bad_residency", N_("Residency is citizen or resident."))
    if language not in ("ar", "en"):
        raise Invalid("bad_language", N_("Language is ar or en."))
    phone_e164 = normalise_phone(phone) if phone else None
    group = queries.priority_by_slug(session, priority) if priority else None

    scoped_key = f"{principal.actor}:{idempotency_key}" if idempotency_key else None
    if scoped_key:
        if len(scoped_key) > 160:
            raise Invalid("bad_idempotency_key", N_("The Idempotency-Key is too long."))
        earlier = session.exec(select(Ticket).where(Ticket.idempotency_key == scoped_key)).first()
        if earlier is not None:
            return Outcome(_issued(session, earlier, hall_row, public_base_url, replayed=True))

    today = clock.local_date(branch_row.timezone)
    prefix = hall_row.ticket_prefix + service_row.ticket_prefix
    seq = _next_number(session, hall_row.id, prefix, today)
    ticket = Ticket(
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
    session.add(ticket)
    session.flush()
    issued = _issued(session, ticket, hall_row, public_base_url)
    audit.record(
        session, principal.actor, "ticket.issue", "ticket", ticket.id, number=ticket.number
    )
    if phone_e164:
        enqueue_sms(
            session,
            to=phone_e164,
            purpose="ticket_issued",
            language=language,
            key=str(ticket.id),
            number=ticket.number,
            service=service_row.name_ar if language == "ar" else service_row.name_en,
            hall=hall_row.name_ar if language == "ar" else hall_row.name_en,
            ahead=issued.position - 1,
            eta=issued.eta_minutes if issued.eta_minutes is not None else "?",
            link=issued.tracking_url,
        )
    event = _hall_event(
        session,
        hall_row,
        "ticket.issued",
        ticket=queries.ticket_summary(ticket, None, service_row),
    )
    return Outcome(issued, [event])


def _issued(
    session: Session, ticket: Ticket, hall: Hall, base_url: str, replayed: bool = False
) -> IssuedTicket:
    service = session.get(Service, ticket.service_id)
    assert service is not None
    position = queries.position_of(session, ticket)
    return IssuedTicket(
        ticket=ticket,
        hall=hall,
        service=service,
        position=position,
        eta_minutes=queries.eta_of(session, ticket, position, service),
        tracking_url=f"{base_url}/t/{ticket.tracking_token}",
        replayed=replayed,
    )


def _counter_for_operator(
    session: Session, principal: Principal, counter_id: int
) -> tuple[Counter, Hall]:
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    counter = queries.counter_by_id(session, counter_id)
    hall = session.get(Hall, counter.hall_id)
    assert hall is not None and hall.id is not None
    principal.require_hall(hall.branch_id, hall.id)
    return counter, hall


def _lock_next_waiting(session: Session, hall_id: int, service_ids: list[int]) -> Ticket | None:
    stmt = (
        select(Ticket)
        .where(
            Ticket.hall_id == hall_id,
            Ticket.status == TicketStatus.waiting,
            col(Ticket.service_id).in_(service_ids),
        )
        .order_by(col(Ticket.priority_weight).desc(), col(Ticket.id))
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return session.exec(stmt).first()


def _move(
    session: Session, clock: Clock, principal: Principal, ticket: Ticket, target: TicketStatus
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
    return move


def call_next(
    session: Session, clock: Clock, principal: Principal, counter_id: int
) -> Outcome[dict[str, Any] | None]:
    """Finish what the counter is doing (a called or served ticket becomes done) and
    call the first waiting ticket it serves, exactly once across operators."""
    counter, hall = _counter_for_operator(session, principal, counter_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT 1 FROM counter WHERE id = :id FOR UPDATE"), {"id": counter.id})
    if counter.status != CounterStatus.open:
        raise Conflict("counter_not_open", N_("This counter is not open."))
    events: list[Event] = []
    current = queries.current_ticket_at(session, counter.id or 0)
    if current is not None:
        _move(session, clock, principal, current, TicketStatus.done)
    ticket = _lock_next_waiting(
        session, hall.id or 0, queries.services_of_counter(session, counter.id or 0)
    )
    if ticket is None:
        if current is not None:
            events.append(_hall_event(session, hall, "ticket.finished", ticket={"id": current.id}))
        return Outcome(None, events)
    ticket.counter_id = counter.id
    ticket.called_by_id = principal.user_id
    _move(session, clock, principal, ticket, TicketStatus.called)
    session.flush()
    service = session.get(Service, ticket.service_id)
    assert service is not None
    summary = queries.ticket_summary(ticket, counter, service)
    events.append(_hall_event(session, hall, "ticket.called", ticket=summary))
    return Outcome(summary, events)


def act_on_current(
    session: Session, clock: Clock, principal: Principal, counter_id: int, action: str
) -> Outcome[Ticket]:
    """recall, start, finish or no_show on the ticket the counter has called."""
    targets = {
        "recall": TicketStatus.called,
        "start": TicketStatus.serving,
        "finish": TicketStatus.done,
        "no_show": TicketStatus.no_show,
    }
    if action not in targets:
        raise Invalid("unknown_action", N_("Unknown action."))
    counter, hall = _counter_for_operator(session, principal, counter_id)
    ticket = queries.current_ticket_at(session, counter.id or 0)
    if ticket is None:
        raise Conflict("no_current_ticket", N_("This counter has no ticket called."))
    _move(session, clock, principal, ticket, targets[action])
    if action == "recall":
        ticket.recall_count += 1
    session.flush()
    service = session.get(Service, ticket.service_id)
    assert service is not None
    kind = {"recall": "ticket.recalled", "start": "ticket.serving"}.get(action, "ticket.finished")
    event = _hall_event(
        session, hall, kind, ticket=queries.ticket_summary(ticket, counter, service)
    )
    return Outcome(ticket, [event])
