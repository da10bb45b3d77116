"""Check-in: a visitor takes a ticket (at a kiosk, through the API, or by checking in
an appointment). One function = one transaction (the caller's session scope); the
hall's event is returned to be published after the commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from reception import audit
from reception.auth import fields
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.edge.guard import require_centre_owned_branch
from reception.edge.node import new_tracking_token
from reception.errors import N_, Conflict, Invalid
from reception.events.messages import HallEvent
from reception.notify.outbox import enqueue_sms
from reception.outcome import Outcome
from reception.queue import checkin_postgres, queries, waiting_line
from reception.queue.hall_events import hall_event
from reception.queue.models import Hall, Service, ServiceMode, Ticket, TicketSequence, TicketStatus
from reception.queue.rules import (
    QueueState,
    RemoteAhead,
    check_residency,
    is_open,
    normalise_phone,
    priority_not_offered,
)
from reception.settings import LANGUAGES

APPOINTMENT_PRIORITY = "appointment"
"""The priority group a checked-in appointment gets (when the group exists)."""


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    hall: Hall
    service: Service
    position: int
    eta_minutes: int | None
    tracking_url: str
    replayed: bool = False
    eta_low_minutes: int | None = None
    eta_high_minutes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.ticket.id,
            "number": self.ticket.number,
            "hall": self.hall.slug,
            "service": self.service.slug,
            "status": self.ticket.status,
            "position": self.position,
            "eta_minutes": self.eta_minutes,
            "eta_low_minutes": self.eta_low_minutes,
            "eta_high_minutes": self.eta_high_minutes,
            "tracking_url": self.tracking_url,
            "issued_at": self.ticket.issued_at.isoformat(),
        }


def next_number(session: Session, hall_id: int, prefix: str, business_date: Any) -> int:
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
    scoped_key = f"{principal.actor}:{idempotency_key}" if idempotency_key else None
    taken: checkin_postgres.Taken | None = None
    if session.get_bind().dialect.name == "postgresql" and len(scoped_key or "") <= 160:
        # Place, setting and number in one statement (the checks below still decide)
        taken = checkin_postgres.take_number(
            session,
            clock.now(),
            branch=branch,
            hall=hall,
            service=service,
            priority=priority or None,
            scoped_key=scoped_key,
            token_id=principal.id if principal.kind == "token" else None,
        )
        place = None if taken is None else (taken.branch, taken.hall, taken.service)
    else:
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
    require_centre_owned_branch(session, branch_row)
    local_now = clock.now().astimezone(ZoneInfo(branch_row.timezone))
    if not is_open(branch_row.opening_hours or {}, branch_row.holidays or [], local_now):
        raise Conflict("closed", N_("We are closed now. Please come back during opening hours."))
    if service_row.mode == ServiceMode.appointment and not by_appointment:
        raise Invalid("by_appointment_only", N_("This service is by appointment only."))
    check_residency(residency)
    if language not in LANGUAGES:
        raise Invalid("bad_language", N_("Language is ar or en."))
    phone_e164 = normalise_phone(phone) if phone else None
    if taken is not None and priority and taken.group is None:
        raise queries.unknown_priority(priority)
    if taken is not None:
        group = taken.group
    else:
        group = queries.priority_by_slug(session, priority) if priority else None
    # Declared by the visitor at a kiosk: only the groups offered there. The
    # appointment group comes with a checked-in appointment, never by choice.
    declared = not (by_appointment and group is not None and group.slug == APPOINTMENT_PRIORITY)
    if group is not None and not group.at_kiosk and principal.role == Role.kiosk and declared:
        raise priority_not_offered()

    if scoped_key and (taken is None or taken.earlier_id is not None):
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

    if taken is not None:
        assert taken.seq is not None  # taken: no earlier ticket, the group exists
        setting, today, prefix, seq = taken.setting, taken.day, taken.prefix, taken.seq
    else:
        # Read before taking a number: from the number on, every check-in of this hall
        # waits for this one's commit (number series, counts, event sequence).
        setting = waiting_line.setting_for_checkin(session, hall_row.id)
        today = clock.local_date(branch_row.timezone)
        prefix = hall_row.ticket_prefix + service_row.ticket_prefix
        seq = next_number(session, hall_row.id, prefix, today)
    draft = Ticket.model_construct(
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
        tracking_token=new_tracking_token(session),
        idempotency_key=scoped_key,
        issued_at=clock.now(),
    )
    if taken is not None:  # with its audit entry and the counts, in one statement
        session.flush()  # what a calling action changed before (nothing, from a kiosk)
        ticket, waiting, ahead = checkin_postgres.insert_ticket(session, draft, principal.actor)
        before = sum(ahead.values())  # the new ticket's place in the line read before it
        line = [
            *taken.line[:before],
            (ticket.service_id, ticket.priority_weight, ticket.issued_at),
            *taken.line[before:],
        ]
        state = setting.with_waiting(waiting, line, clock.now())
    else:
        ticket = insert_ticket(session, draft)
        # Read once for the answer, the event and the SMS.
        state, ahead = waiting_line.queue_state_and_ahead(session, ticket, setting)
        audit.record(
            session, principal.actor, "ticket.issue", "ticket", ticket.id, number=ticket.number
        )
    issued = describe_issued(
        session, ticket, hall_row, public_base_url, state=state, ahead=ahead, service=service_row
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
            eta_low=issued.eta_low_minutes,
            eta_high=issued.eta_high_minutes,
            link=issued.tracking_url,
        )
    event = hall_event(
        session,
        hall_row,
        HallEvent.TICKET_ISSUED,
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
    remote: dict[int, RemoteAhead] | None = None,
) -> IssuedTicket:
    """The answer for a ticket: place, wait and link. `remote`: the visitors who
    joined from a phone ahead of it (`waiting_line.remote_ahead`), when the caller
    counts them (a kiosk check-in does not: it stays at its few statements)."""
    if service is None:
        service = session.get(Service, ticket.service_id)
    assert service is not None
    state = state or waiting_line.queue_state(session, hall.id or 0)
    if ahead is None:
        waiting = ticket.status in (TicketStatus.waiting, TicketStatus.remote)
        ahead = waiting_line.ahead_of(session, ticket) if waiting else {}
    position = waiting_line.position_of(session, ticket, state, ahead)
    wait = waiting_line.eta_of(session, ticket, position, service, state, ahead, remote)
    return IssuedTicket(
        ticket=ticket,
        hall=hall,
        service=service,
        position=position,
        eta_minutes=None if wait is None else wait.minutes,
        tracking_url=f"{base_url}/t/{ticket.tracking_token}",
        replayed=replayed,
        eta_low_minutes=None if wait is None else wait.low,
        eta_high_minutes=None if wait is None else wait.high,
    )
