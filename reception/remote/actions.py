"""Joining the line from a phone, arriving, and what a remote visitor may say on the
tracking page. One function = one transaction; events after the commit.

A remote ticket is a ticket in state `remote`: it holds its place in the hall's line
(its id orders it, like any ticket, by the time of the join) but is only called once
its visitor checks in (state `waiting`). While it waits away, every visitor called
past it counts; past the branch's allowance it loses its place and joins the end of
the line when it arrives."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from reception import audit
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from reception.events.base import Event
from reception.events.messages import HallEvent
from reception.notify.outbox import enqueue_sms
from reception.outcome import Outcome
from reception.queue import checkin, queries, waiting_line
from reception.queue.hall_events import hall_event
from reception.queue.models import Branch, Hall, Service, Ticket, TicketStatus
from reception.queue.rules import check_ticket_transition, is_open, normalise_phone, people_ahead
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
VISITOR = "visitor"
"""The audit actor of what a visitor does from their own phone."""


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
    token = secrets.token_urlsafe(24)
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
    audit.record(session, VISITOR, "remote.join_started", "remote_join", join.id)
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
        audit.record(session, VISITOR, "remote.wrong_code", "remote_join", join.id)
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
    audit.record(session, VISITOR, "ticket.join", "ticket", ticket.id, number=ticket.number)
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
    from reception.queue.models import PriorityGroup

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
        tracking_token=secrets.token_urlsafe(24),
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
    return _arrive(session, clock, VISITOR, ticket, row, "location")


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
        last = session.connection().execute(
            text("SELECT COALESCE(MAX(COALESCE(queue_key, id)), 0) FROM ticket WHERE hall_id = :h"),
            {"h": hall.id},
        )
        ticket.queue_key = int(last.scalar_one()) + 1
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


def _policy_of_ticket(session: Session, ticket: Ticket) -> RemotePolicy:
    policy = session.get(RemotePolicy, ticket.branch_id)
    return policy if policy is not None else RemotePolicy(branch_id=ticket.branch_id)


def on_my_way(session: Session, clock: Clock, *, token: str, minutes: Any) -> Outcome[Ticket]:
    """ "I'm on my way, I need N minutes": the line lets more visitors pass before
    the ticket loses its place, and the staff and the estimate know."""
    ticket, row = _remote_ticket(session, token)
    if ticket.status != TicketStatus.remote:
        raise Conflict("not_away", N_("You are already checked in."))
    row.on_way_minutes = rules.check_minutes(minutes)
    row.on_way_at = clock.now()
    session.add(row)
    audit.record(session, VISITOR, "ticket.on_way", "ticket", ticket.id, minutes=row.on_way_minutes)
    return Outcome(ticket)


def be_late(session: Session, clock: Clock, *, token: str, places: Any) -> Outcome[Ticket]:
    """ "I'll be late": the ticket moves back by the places chosen, once."""
    ticket, row = _remote_ticket(session, token)
    if ticket.status not in (TicketStatus.remote, TicketStatus.waiting):
        raise Conflict("ticket_closed", N_("This ticket is no longer in line."))
    if row.late_places is not None:
        raise Conflict("late_once", N_("You already moved back once."))
    policy = _policy_of_ticket(session, ticket)
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
        last = session.connection().execute(
            text("SELECT COALESCE(MAX(COALESCE(queue_key, id)), 0) FROM ticket WHERE hall_id = :h"),
            {"h": ticket.hall_id},
        )
        ticket.queue_key = int(last.scalar_one()) + 1
    else:
        ticket.queue_key = int(behind[0]) + 1
    row.late_places = chosen
    session.add(ticket)
    session.add(row)
    audit.record(session, VISITOR, "ticket.late", "ticket", ticket.id, places=chosen)
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
    audit.record(session, VISITOR, "ticket.cancel", "ticket", ticket.id, number=ticket.number)
    return Outcome(ticket, _line_changed(session, ticket) if was_waiting else [])


def _line_changed(session: Session, ticket: Ticket) -> list[Event]:
    if ticket.status == TicketStatus.remote:
        return []
    hall = session.get(Hall, ticket.hall_id)
    assert hall is not None
    session.flush()  # the ticket's and the waiting counts' rows before the hall's
    return [hall_event(session, hall, HallEvent.LINE_CHANGED)]


# --- as the line moves --------------------------------------------------------------

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
    policy = _policy_of_ticket(session, called)
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
