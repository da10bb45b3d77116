"""Reads for ratings: which visit a tablet or a link rates, and everything its page shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, col, select

from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, DomainError, Forbidden, Invalid, NotFound
from reception.feedback import rules
from reception.feedback.models import REASONS, Rating
from reception.inputs import to_id, to_int
from reception.queue import queries as queue_queries
from reception.queue.models import Branch, Counter, Hall, Service, Ticket, TicketStatus
from reception.queue.queries import allowed_halls, principal_branch


def rating_for(session: Session, ticket_id: int) -> Rating | None:
    return session.exec(select(Rating).where(Rating.ticket_id == ticket_id)).first()


def ticket_by_link(session: Session, token: str) -> Ticket:
    """The ticket behind an SMS rating link (its tracking token)."""
    ticket = queue_queries.ticket_by_token(session, token)
    if ticket is None:
        raise NotFound("unknown_tracking", N_("We could not find this ticket. Check the link."))
    return ticket


def _device_branch(session: Session, principal: Principal) -> tuple[Branch, list[Hall]]:
    principal.require_role(Role.kiosk)
    branch = principal_branch(session, principal, None)
    return branch, allowed_halls(session, principal, branch)


def ticket_by_number(session: Session, clock: Clock, principal: Principal, typed: str) -> Ticket:
    """Today's ticket with that number in the halls the device serves. Two halls could
    share a prefix: then the visit that ended last is the one just left."""
    number = rules.normalise_ticket_number(typed)
    branch, halls = _device_branch(session, principal)
    found = session.exec(
        select(Ticket).where(
            Ticket.branch_id == branch.id,
            col(Ticket.hall_id).in_([h.id for h in halls]),
            Ticket.business_date == clock.local_date(branch.timezone),
            Ticket.number == number,
        )
    ).all()
    if not found:
        raise NotFound(
            "unknown_ticket_number",
            N_("We could not find ticket {number} today. Please check the number."),
            number=number,
        )
    finished = [t for t in found if t.status == TicketStatus.done and t.finished_at]
    if finished:
        return max(finished, key=lambda t: (t.finished_at, t.id or 0))
    return found[0]


def device_ticket(session: Session, clock: Clock, principal: Principal, ref: int | str) -> Ticket:
    """A ticket a rating device names by its id, or by the number printed on it."""
    if isinstance(ref, str) and to_int(ref, high=10**18) is None:
        return ticket_by_number(session, clock, principal, ref)
    principal.require_role(Role.kiosk)
    ticket_id = to_id(ref)
    ticket = session.get(Ticket, ticket_id) if ticket_id is not None else None
    if ticket is None:
        raise NotFound("unknown_ticket", N_("This ticket does not exist."))
    principal.require_hall(ticket.branch_id, ticket.hall_id)
    return ticket


def counter_for_device(session: Session, principal: Principal, counter_id: int) -> Counter:
    counter = queue_queries.counter_by_id(session, counter_id)
    hall = session.get(Hall, counter.hall_id)
    if hall is None or not principal.may_use_hall(hall.branch_id, hall.id or 0):
        raise Forbidden("wrong_hall", N_("Your account is not allowed to work in this hall."))
    return counter


def last_visit_at_counter(session: Session, clock: Clock, counter_id: int) -> Ticket | None:
    """The visit that ended last at the counter, if that was in the last few minutes and
    it is not rated yet. An earlier visitor who left without rating is not offered: the
    person at the tablet now is the one who just stood up."""
    since = clock.now() - timedelta(minutes=rules.COUNTER_TABLET_MINUTES)
    last = session.exec(
        select(Ticket)
        .where(Ticket.counter_id == counter_id, Ticket.status == TicketStatus.done)
        .order_by(col(Ticket.finished_at).desc(), col(Ticket.id).desc())
        .limit(1)
    ).first()
    if last is None or last.finished_at is None or last.finished_at < since:
        return None
    if rating_for(session, last.id or 0) is not None:
        return None
    return last


@dataclass
class RateView:
    """One rating screen: the visit to rate (or why it cannot be), and the choices."""

    mode: str  # "device" (the tablet at the exit or the counter) or "link" (the SMS)
    ticket: Ticket | None = None
    hall: Hall | None = None
    service: Service | None = None
    counter: Counter | None = None
    problem: DomainError | None = None
    bound_counter: Counter | None = None
    typed: str = ""
    manual: bool = False
    """The visitor asked to type a number instead of the counter's last visit."""
    letters: list[str] = field(default_factory=list)
    reasons: tuple[str, ...] = REASONS

    @property
    def can_rate(self) -> bool:
        return self.ticket is not None and self.problem is None


def _describe(session: Session, clock: Clock, view: RateView, ticket: Ticket) -> None:
    view.ticket = ticket
    view.hall = session.get(Hall, ticket.hall_id)
    view.service = session.get(Service, ticket.service_id)
    view.counter = session.get(Counter, ticket.counter_id) if ticket.counter_id else None
    try:
        rules.check_ratable(ticket, clock.now(), rating_for(session, ticket.id or 0) is not None)
    except DomainError as exc:
        view.problem = exc


def device_rate_view(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    counter_id: int | None = None,
    typed: str | None = None,
    ticket_id: int | None = None,
    manual: bool = False,
) -> RateView:
    """What the rating tablet shows: the visit just finished at its counter, the ticket
    whose number was typed, or the keypad to type one."""
    branch, halls = _device_branch(session, principal)
    services = session.exec(select(Service).where(Service.branch_id == branch.id)).all()
    prefixes = [h.ticket_prefix for h in halls] + [s.ticket_prefix for s in services]
    view = RateView(
        mode="device", manual=manual, letters=sorted({ch for p in prefixes for ch in p})
    )
    if counter_id is not None:
        view.bound_counter = counter_for_device(session, principal, counter_id)
    if ticket_id is not None:
        _describe(session, clock, view, device_ticket(session, clock, principal, ticket_id))
    elif typed:
        view.typed = typed[:20]
        try:
            ticket = ticket_by_number(session, clock, principal, typed)
        except (NotFound, Invalid) as exc:
            view.problem = exc
        else:
            _describe(session, clock, view, ticket)
    elif view.bound_counter is not None and not manual:
        last = last_visit_at_counter(session, clock, view.bound_counter.id or 0)
        if last is not None:
            _describe(session, clock, view, last)
    return view


def link_rate_view(session: Session, clock: Clock, token: str) -> RateView:
    """The page behind the SMS link: the visit, or why it cannot be rated (any more)."""
    view = RateView(mode="link")
    _describe(session, clock, view, ticket_by_link(session, token))
    return view


def link_rating(session: Session, token: str) -> Rating | None:
    return rating_for(session, ticket_by_link(session, token).id or 0)
