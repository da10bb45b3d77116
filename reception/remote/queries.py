"""What the visitor's screens for joining from a phone read: the branch's offer, a
join waiting for its code, and what a remote ticket's tracking page shows beside the
place in line; and a branch's rules as an administrator sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from reception.errors import N_, NotFound
from reception.qr import qr_data_uri
from reception.queue import checkin, queries, waiting_line
from reception.queue.models import Branch, Hall, PriorityGroup, Service, Ticket
from reception.queue.rules import is_open
from reception.remote.models import JoinStatus, RemoteJoin, RemotePolicy, RemoteTicket
from reception.remote.rules import passes_allowed
from reception.remote.setup import policy_fields


@dataclass
class JoinOffer:
    """The `/join/<branch>` page: what may be chosen, or why nothing may be now."""

    branch: Branch
    enabled: bool
    open_now: bool
    hours: dict[str, Any]
    """The hours joining is open (the branch's when the policy names none)."""
    halls: list[Hall] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    priorities: list[PriorityGroup] = field(default_factory=list)

    @property
    def may_join(self) -> bool:
        return self.enabled and self.open_now and bool(self.halls) and bool(self.services)


def join_offer(session: Session, now: datetime, branch_slug: str) -> JoinOffer:
    branch = _branch(session, branch_slug)
    policy = session.get(RemotePolicy, branch.id)
    hours = dict((policy.hours if policy else None) or branch.opening_hours or {})
    if policy is None or not policy.enabled:
        return JoinOffer(branch, enabled=False, open_now=False, hours=hours)
    local = now.astimezone(ZoneInfo(branch.timezone))
    open_now = is_open(hours, branch.holidays or [], local)
    halls = [
        h
        for h in session.exec(
            select(Hall).where(Hall.branch_id == branch.id).order_by(col(Hall.id))
        )
        if h.slug in policy.halls
    ]
    services = [
        s
        for s in session.exec(
            select(Service)
            .where(Service.branch_id == branch.id, Service.active == True)  # noqa: E712
            .order_by(col(Service.sort_order), col(Service.id))
        )
        if s.slug in policy.services
    ]
    priorities = [
        p
        for p in session.exec(
            select(PriorityGroup).order_by(col(PriorityGroup.sort_order), col(PriorityGroup.id))
        )
        if p.slug in policy.priorities
    ]
    return JoinOffer(branch, True, open_now, hours, halls, services, priorities)


def _branch(session: Session, slug: str) -> Branch:
    branch = session.exec(select(Branch).where(Branch.slug == slug[:64])).first()
    if branch is None:
        raise NotFound("unknown_branch", N_("There is no such branch."))
    return branch


@dataclass
class PendingJoin:
    """The code step: where the code went (the number's last digits only)."""

    branch: Branch
    phone_ending: str
    expires_at: datetime
    minutes: int
    status: str


def pending_join(session: Session, branch_slug: str, token: str) -> PendingJoin:
    branch = _branch(session, branch_slug)
    join = session.exec(
        select(RemoteJoin).where(RemoteJoin.token == token[:64], RemoteJoin.branch_id == branch.id)
    ).first()
    if join is None:
        raise NotFound("unknown_join", N_("This join does not exist. Please start again."))
    policy = session.get(RemotePolicy, branch.id)
    return PendingJoin(
        branch=branch,
        phone_ending=join.phone[-3:],
        expires_at=join.expires_at,
        minutes=policy.code_minutes if policy else 10,
        status=JoinStatus(join.status),
    )


@dataclass
class RemoteFacts:
    """What a remote ticket's page shows beside its place: the kiosk code, what the
    visitor said, how many passed them, and what they may still do."""

    row: RemoteTicket
    code_qr: str
    allowance: int
    late_max_places: int
    geo_checkin: bool
    away: bool
    """Joined from the phone and not checked in yet."""

    @property
    def passed_over(self) -> bool:
        return self.away and self.row.passed > 0

    @property
    def may_be_late(self) -> bool:
        return self.row.late_places is None and self.late_max_places > 0


def remote_facts(session: Session, ticket: Ticket) -> RemoteFacts | None:
    """None for a ticket taken in the hall."""
    if not ticket.remote:
        return None
    row = session.get(RemoteTicket, ticket.id)
    if row is None:
        return None
    policy = session.get(RemotePolicy, ticket.branch_id) or RemotePolicy(branch_id=ticket.branch_id)
    return RemoteFacts(
        row=row,
        code_qr=qr_data_uri(row.code),
        allowance=passes_allowed(policy.model_dump(), row.on_way_at is not None),
        late_max_places=policy.late_max_places,
        geo_checkin=bool(
            policy.enabled
            and policy.geo_checkin
            and policy.latitude is not None
            and policy.longitude is not None
        ),
        away=ticket.status == "remote",
    )


def remote_ticket_by_token(session: Session, token: str) -> tuple[Ticket, RemoteFacts]:
    """A remote ticket by its tracking link, for its confirm steps."""
    ticket = queries.ticket_by_token(session, token)
    facts = remote_facts(session, ticket) if ticket is not None else None
    if ticket is None or facts is None:
        raise NotFound("unknown_tracking", N_("We could not find this ticket. Check the link."))
    return ticket, facts


def tracked_with_remote(session: Session, token: str) -> tuple[Any, RemoteFacts | None]:
    """The tracking page's ticket view, and its remote facts when it joined by phone."""
    from reception.queue.read_models import tracked_ticket

    view = tracked_ticket(session, token)
    return view, remote_facts(session, view.ticket)


def takes_remote(session: Session, branch_id: int | None) -> bool:
    """Whether the kiosk offers "I joined from my phone"."""
    policy = session.get(RemotePolicy, branch_id) if branch_id else None
    return bool(policy and policy.enabled)


def branch_policy(session: Session, branch: str) -> dict[str, Any]:
    """A branch's rules; a branch that never set them shows the defaults, off."""
    row = queries.branch_by_slug(session, branch)
    policy = session.get(RemotePolicy, row.id) or RemotePolicy(branch_id=row.id or 0)
    return policy_fields(policy, row)


def policy_of_ticket(session: Session, ticket: Ticket) -> RemotePolicy:
    """The rules of a ticket's branch (the defaults where it never set them)."""
    policy = session.get(RemotePolicy, ticket.branch_id)
    return policy if policy is not None else RemotePolicy(branch_id=ticket.branch_id)


def described(session: Session, ticket_id: int, base_url: str) -> checkin.IssuedTicket:
    """The ticket as the action just left it, read in the action's own transaction
    (a read after the commit could already find it called)."""
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    hall = session.get(Hall, ticket.hall_id)
    service = session.get(Service, ticket.service_id)
    assert hall is not None and service is not None
    return checkin.describe_issued(
        session,
        ticket,
        hall,
        base_url,
        service=service,
        remote=waiting_line.remote_ahead(session, ticket),
    )


def visitor_state(session: Session, ticket_id: int, base_url: str) -> dict[str, Any]:
    """A remote ticket as its visitor sees it after a change: no code, no phone."""
    issued = described(session, ticket_id, base_url)
    row = session.get(RemoteTicket, ticket_id)
    assert row is not None
    return {
        "number": issued.ticket.number,
        "hall": issued.hall.slug,
        "service": issued.service.slug,
        "status": issued.ticket.status,
        "position": issued.position,
        "eta_minutes": issued.eta_minutes,
        "on_way_minutes": row.on_way_minutes,
        "late_places": row.late_places,
        "place_lost": row.place_lost,
    }
