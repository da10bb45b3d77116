"""Joining the line from a phone: what a visitor asks for is checked against the
branch's rules and an SMS code goes out; only the code typed back makes the ticket
(state `remote`). One function = one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from reception import audit
from reception.clock import Clock
from reception.edge.node import new_tracking_token
from reception.errors import N_, Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from reception.notify.outbox import enqueue_sms
from reception.outcome import Outcome
from reception.queue import checkin, queries, waiting_line
from reception.queue.models import Branch, Hall, Service, Ticket, TicketStatus
from reception.queue.rules import is_open, normalise_phone
from reception.remote import rules
from reception.remote.models import JoinStatus, RemoteJoin, RemotePolicy, RemoteTicket
from reception.settings import LANGUAGES

LIVE = (
    TicketStatus.remote,
    TicketStatus.waiting,
    TicketStatus.called,
    TicketStatus.serving,
    TicketStatus.transferred,
)
"""A ticket still in the branch's hands: its number may not join again."""


def policy_of(session: Session, branch: Branch) -> RemotePolicy:
    """The branch's rules; refused when the branch takes no remote joins."""
    policy = session.get(RemotePolicy, branch.id)
    if policy is None or not policy.enabled:
        raise Forbidden("remote_off", N_("This branch does not take joins from a phone."))
    return policy


def check_hours(policy: RemotePolicy, branch: Branch, now: datetime) -> None:
    local = now.astimezone(ZoneInfo(branch.timezone))
    hours = policy.hours or branch.opening_hours or {}
    if not is_open(hours, branch.holidays or [], local):
        raise Conflict(
            "remote_closed",
            N_("Joining from a phone is closed now. Please try again during its hours."),
        )


@dataclass(frozen=True)
class JoinStarted:
    token: str
    expires_at: datetime
    phone_ending: str
    """The number's last digits, to show where the code went."""


def start_join(
    session: Session,
    clock: Clock,
    *,
    branch: str,
    hall: str,
    service: str,
    phone: str,
    priority: str | None = None,
    language: str = "ar",
    address: str,
    secret: str,
) -> Outcome[JoinStarted]:
    """Check what a visitor asks for, and send an SMS code: the ticket exists only
    when they type it back (`confirm_join`)."""
    now = clock.now()
    branch_row = queries.branch_by_slug(session, branch)
    policy = policy_of(session, branch_row)
    check_hours(policy, branch_row, now)
    if language not in LANGUAGES:
        raise Invalid("bad_language", N_("Language is ar or en."))
    rules.check_offered("hall", hall, policy.halls)
    rules.check_offered("service", service, policy.services)
    rules.check_offered("priority", priority or None, policy.priorities)
    hall_row = queries.hall_by_slug(session, branch_row, hall)
    service_row = queries.service_by_slug(session, branch_row, service)
    if not queries.service_offered(session, hall_row.id or 0, service_row.id or 0):
        raise Invalid("service_not_in_hall", N_("This service is not offered in this hall."))
    group = queries.priority_by_slug(session, priority) if priority else None
    number = normalise_phone(phone)
    _check_no_live_ticket(session, number)
    _check_room(session, policy, hall_row)
    key = rules.address_key(secret, address)
    hour_ago = now - timedelta(hours=1)
    _throttle(
        session,
        RemoteJoin.phone == number,
        hour_ago,
        policy.codes_per_number_hour,
        N_("Too many codes were sent to this number. Please try again later."),
    )
    _throttle(
        session,
        RemoteJoin.address_key == key,
        hour_ago,
        policy.joins_per_address_hour,
        N_("Too many joins from this connection. Please try again later."),
    )
    token = new_tracking_token(session)
    code = rules.new_code()
    join = RemoteJoin(
        token=token,
        branch_id=branch_row.id or 0,
        hall_id=hall_row.id or 0,
        service_id=service_row.id or 0,
        priority_id=group.id if group else None,
        phone=number,
        language=language,
        address_key=key,
        code_hash=rules.code_hash(secret, token, code),
        created_at=now,
        expires_at=now + timedelta(minutes=policy.code_minutes),
    )
    session.add(join)
    session.flush()
    enqueue_sms(
        session,
        to=number,
        purpose="remote_code",
        language=language,
        branch_id=branch_row.id,
        now=now,
        key=token,
        code=code,
        branch=branch_row.name_ar if language == "ar" else branch_row.name_en,
    )
    audit.record(session, rules.VISITOR, "remote.join_started", "remote_join", join.id)
    return Outcome(JoinStarted(token, join.expires_at, number[-3:]))


def _throttle(session: Session, where: Any, since: datetime, most: int, message: str) -> None:
    rows = session.exec(
        select(RemoteJoin.created_at)
        .where(where, RemoteJoin.created_at > since)
        .order_by(RemoteJoin.created_at)  # type: ignore[arg-type]
    ).all()
    if len(rows) >= most:
        wait = rows[len(rows) - most] - since  # until the oldest counted leaves the hour
        raise TooManyRequests("remote_throttled", message, retry_after=int(wait.total_seconds()))


def _check_no_live_ticket(session: Session, phone: str) -> None:
    live = session.exec(
        select(Ticket.id)
        .join(RemoteTicket, RemoteTicket.ticket_id == Ticket.id)  # type: ignore[arg-type]
        .where(RemoteTicket.live_phone == phone, Ticket.status.in_(LIVE))  # type: ignore[attr-defined]
    ).first()
    if live is not None:
        raise Conflict(
            "remote_ticket_exists",
            N_("This number already has a ticket in line. Follow it by the link in its SMS."),
        )


_REMOTE_IN_HALL = text(
    "SELECT COUNT(*) FROM ticket WHERE hall_id = :hall AND remote "
    "AND status IN ('remote', 'waiting')"
)


def _check_room(session: Session, policy: RemotePolicy, hall: Hall) -> None:
    n = session.connection().execute(_REMOTE_IN_HALL, {"hall": hall.id}).scalar_one()
    if int(n) >= policy.cap_per_hall:
        raise Conflict(
            "remote_full",
            N_("This hall's line takes no more joins from a phone now. Please come to the hall."),
        )


@dataclass(frozen=True)
class JoinAnswer:
    """What typing the code gave: the ticket, or how many tries are left."""

    issued: checkin.IssuedTicket | None
    code: str | None = None
    tries_left: int = 0


_LOCK_JOINS = text("SELECT branch_id FROM remote_policy WHERE branch_id = :id FOR UPDATE")
"""One confirmed join of a branch at a time (the cap holds). The policy's row, not the
hall's: the hall's row is locked last in every action of a hall, after the number
series and the waiting counts, and locking it first here would deadlock with them."""
_FREE_ENDED_PHONE = text(
    """
    UPDATE remote_ticket SET live_phone = NULL
    WHERE live_phone = :phone AND ticket_id IN (
      SELECT id FROM ticket
      WHERE status NOT IN ('remote', 'waiting', 'called', 'serving', 'transferred'))
    """
)


def confirm_join(
    session: Session,
    clock: Clock,
    *,
    token: str,
    code: str,
    secret: str,
    public_base_url: str,
) -> Outcome[JoinAnswer]:
    """The visitor types the SMS code: the ticket is made (state `remote`) and its
    link sent. A wrong code is counted (the answer says how many tries are left; the
    count is kept, so the caller commits it) and after the policy's tries the join
    is void."""
    now = clock.now()
    join = session.exec(select(RemoteJoin).where(RemoteJoin.token == token[:64])).first()
    if join is None:
        raise NotFound("unknown_join", N_("This join does not exist. Please start again."))
    if join.status == JoinStatus.confirmed and join.ticket_id is not None:
        ticket = session.get(Ticket, join.ticket_id)
        assert ticket is not None
        raise Conflict(
            "join_confirmed",
            N_("This code was already used: your ticket is {number}."),
            number=ticket.number,
        )
    if join.status == JoinStatus.failed:
        raise Conflict("join_failed", N_("Too many wrong codes. Please start again."))
    if now >= join.expires_at:
        raise Conflict("code_expired", N_("This code has expired. Please ask for a new one."))
    typed = rules.clean_code(code)
    branch = session.get(Branch, join.branch_id)
    assert branch is not None
    policy = policy_of(session, branch)
    if not rules.code_matches(secret, join.token, typed, join.code_hash):
        join.attempts += 1
        if join.attempts >= policy.code_attempts:
            join.status = JoinStatus.failed
        session.add(join)
        audit.record(session, rules.VISITOR, "remote.wrong_code", "remote_join", join.id)
        return Outcome(JoinAnswer(None, tries_left=max(0, policy.code_attempts - join.attempts)))
    check_hours(policy, branch, now)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_JOINS, {"id": branch.id})
    hall = session.get(Hall, join.hall_id)
    service = session.get(Service, join.service_id)
    assert hall is not None and service is not None
    _check_no_live_ticket(session, join.phone)
    _check_room(session, policy, hall)
    session.execute(_FREE_ENDED_PHONE, {"phone": join.phone})
    ticket = _new_remote_ticket(session, clock, join, branch, hall, service)
    kiosk_code = _remote_row(session, ticket, join.phone)
    join.status = JoinStatus.confirmed
    join.ticket_id = ticket.id
    session.add(join)
    audit.record(session, rules.VISITOR, "ticket.join", "ticket", ticket.id, number=ticket.number)
    issued = checkin.describe_issued(
        session,
        ticket,
        hall,
        public_base_url,
        service=service,
        remote=waiting_line.remote_ahead(session, ticket),
    )
    enqueue_sms(
        session,
        to=join.phone,
        purpose="remote_joined",
        language=join.language,
        branch_id=branch.id,
        now=now,
        key=str(ticket.id),
        number=ticket.number,
        code=kiosk_code,
        hall=hall.name_ar if join.language == "ar" else hall.name_en,
        link=issued.tracking_url,
    )
    return Outcome(JoinAnswer(issued, code=kiosk_code))


def _new_remote_ticket(
    session: Session, clock: Clock, join: RemoteJoin, branch: Branch, hall: Hall, service: Service
) -> Ticket:
    from reception.edge.guard import require_centre_owned_branch
    from reception.queue.models import PriorityGroup

    require_centre_owned_branch(session, branch)
    group = session.get(PriorityGroup, join.priority_id) if join.priority_id else None
    today = clock.local_date(branch.timezone)
    prefix = hall.ticket_prefix + service.ticket_prefix
    seq = checkin.next_number(session, hall.id or 0, prefix, today)
    draft = Ticket.model_construct(
        branch_id=branch.id,
        hall_id=hall.id,
        service_id=service.id or 0,
        business_date=today,
        prefix=prefix,
        seq=seq,
        number=f"{prefix}-{seq:03d}",
        status=TicketStatus.remote,
        priority_id=group.id if group else None,
        priority_weight=group.weight if group else 0,
        residency=None,
        language=join.language,
        phone=join.phone,
        tracking_token=new_tracking_token(session),
        idempotency_key=None,
        issued_at=clock.now(),
        remote=True,
    )
    return checkin.insert_ticket(session, draft)


def _remote_row(session: Session, ticket: Ticket, phone: str) -> str:
    """The remote ticket's own row with a kiosk code unused in its branch today; the
    number is its live number (the database refuses a second one)."""
    for _ in range(20):
        code = rules.new_code()
        taken = session.exec(
            select(RemoteTicket.ticket_id).where(
                RemoteTicket.branch_id == ticket.branch_id,
                RemoteTicket.business_date == ticket.business_date,
                RemoteTicket.code == code,
            )
        ).first()
        if taken is None:
            break
    else:  # pragma: no cover - a million codes a day
        raise Conflict("remote_full", N_("Please try again in a moment."))
    row = RemoteTicket(
        ticket_id=ticket.id or 0,
        branch_id=ticket.branch_id,
        hall_id=ticket.hall_id,
        business_date=ticket.business_date,
        code=code,
        live_phone=phone,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "remote_ticket_exists",
            N_("This number already has a ticket in line. Follow it by the link in its SMS."),
        ) from None
    return code


JOIN_KEPT = timedelta(days=2)
"""How long a join (its number, its code's hash) is kept: past the hour its limits
count, only for looking into a complaint the next day."""


def forget_old_joins(session: Session, now: datetime) -> int:
    """Delete joins older than `JOIN_KEPT`; the ticket keeps what it needs."""
    old = session.exec(select(RemoteJoin).where(RemoteJoin.created_at < now - JOIN_KEPT)).all()
    for join in old:
        session.delete(join)
    return len(old)
