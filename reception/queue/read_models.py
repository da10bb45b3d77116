"""Read models for the screens: everything one page needs, from one call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from reception import audit
from reception.appointments.models import Appointment
from reception.audit import AuditEntry
from reception.auth.actions import list_tokens
from reception.auth.models import ApiToken, StaffUser, UserHall
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Forbidden, Invalid, NotFound
from reception.letters.models import Category, Department, RoutingRule
from reception.queue import queries, waiting_line
from reception.queue.display_settings import screen_counters
from reception.queue.models import Branch, BranchStop, Counter, Hall, PriorityGroup, Service, Ticket
from reception.queue.queries import allowed_halls, principal_branch
from reception.queue.rules import is_open, priority_not_offered
from reception.timefmt import local_time


@dataclass
class KioskView:
    """One step of the kiosk: hall → service → priority → mobile number → ticket."""

    branch: Branch
    halls: list[Hall]
    hall: Hall | None
    services: list[dict[str, Any]] = field(default_factory=list)
    service: Service | None = None
    priorities: list[PriorityGroup] = field(default_factory=list)
    priority: PriorityGroup | None = None
    priority_chosen: bool = False
    stop: BranchStop | None = None
    open_now: bool = True
    has_appointments: bool = False
    """Whether any service here is booked: only then does the kiosk offer check-in."""

    @property
    def step(self) -> str:
        if self.hall is None:
            return "hall"
        if self.service is None:
            return "service"
        if not self.priority_chosen:
            return "priority"
        return "phone"

    @property
    def step_number(self) -> int:
        return ["hall", "service", "priority", "phone"].index(self.step) + 1


def kiosk_view(
    session: Session,
    principal: Principal,
    hall_slug: str | None,
    service_slug: str | None = None,
    priority_slug: str | None = None,
    clock: Clock | None = None,
) -> KioskView:
    branch = principal_branch(session, principal, None)
    halls = allowed_halls(session, principal, branch)
    if not halls:
        raise Forbidden("no_hall", N_("This kiosk is not allowed to issue tickets in any hall."))
    stop = queries.current_stop(session, branch, (clock or Clock()).local_date(branch.timezone))
    hall = None
    if len(halls) == 1:
        hall = halls[0]
    elif hall_slug:
        hall = next((h for h in halls if h.slug == hall_slug), None)
        if hall is None:
            raise Invalid(
                "unknown_hall", N_("There is no hall {slug} in this branch."), slug=hall_slug
            )
    local_now = (clock or Clock()).now().astimezone(ZoneInfo(branch.timezone))
    open_now = is_open(branch.opening_hours or {}, branch.holidays or [], local_now)
    booked = session.exec(
        select(Service.id).where(
            Service.branch_id == branch.id,
            Service.active == True,  # noqa: E712
            col(Service.mode).in_(["appointment", "both"]),
        )
    ).first()
    view = KioskView(
        branch=branch,
        halls=halls,
        hall=hall,
        stop=stop,
        open_now=open_now,
        has_appointments=booked is not None,
    )
    if not open_now:
        return view
    if hall is None:
        return view
    waiting = waiting_line.waiting_by_service(session, hall)
    offered = queries.hall_services(session, hall)
    offered = [s for s in offered if s.mode != "appointment"]  # booked visits check in
    for service in offered:
        view.services.append({"service": service, **waiting.get(service.slug, {})})
    if not service_slug:
        return view
    view.service = next((s for s in offered if s.slug == service_slug), None)
    if view.service is None:
        raise Invalid("unknown_service", N_("There is no service {slug} here."), slug=service_slug)
    view.priorities = list(
        session.exec(
            select(PriorityGroup)
            .where(PriorityGroup.at_kiosk == True)  # noqa: E712
            .order_by(col(PriorityGroup.sort_order), col(PriorityGroup.id))
        )
    )
    if priority_slug == "none":
        view.priority_chosen = True
    elif priority_slug:
        view.priority = next((p for p in view.priorities if p.slug == priority_slug), None)
        if view.priority is None and queries.priority_exists(session, priority_slug):
            raise priority_not_offered()
        if view.priority is None:
            raise Invalid(
                "unknown_priority", N_("There is no priority group {slug}."), slug=priority_slug
            )
        view.priority_chosen = True
    elif not view.priorities:
        view.priority_chosen = True
    return view


@dataclass
class TicketView:
    ticket: Ticket
    branch: Branch
    hall: Hall
    service: Service
    counter: Counter | None
    position: int
    eta_minutes: int | None
    eta_low_minutes: int | None = None
    eta_high_minutes: int | None = None
    """The range the wait is likely to fall in (about 80 %)."""


def ticket_view(session: Session, ticket: Ticket) -> TicketView:
    hall = session.get(Hall, ticket.hall_id)
    service = session.get(Service, ticket.service_id)
    branch = session.get(Branch, ticket.branch_id)
    assert hall is not None and service is not None and branch is not None
    state = waiting_line.queue_state(session, ticket.hall_id)
    in_line = ticket.status in waiting_line.IN_LINE
    ahead = waiting_line.ahead_of(session, ticket) if in_line else {}
    position = waiting_line.position_of(session, ticket, state, ahead)
    remote = waiting_line.remote_ahead(session, ticket) if in_line else None
    wait = waiting_line.eta_of(session, ticket, position, service, state, ahead, remote)
    return TicketView(
        ticket=ticket,
        branch=branch,
        hall=hall,
        service=service,
        counter=session.get(Counter, ticket.counter_id) if ticket.counter_id else None,
        position=position,
        eta_minutes=None if wait is None else wait.minutes,
        eta_low_minutes=None if wait is None else wait.low,
        eta_high_minutes=None if wait is None else wait.high,
    )


def kiosk_ticket(session: Session, principal: Principal, ticket_id: int) -> TicketView:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not principal.may_use_hall(ticket.branch_id, ticket.hall_id):
        raise NotFound("unknown_ticket", N_("This ticket does not exist."))
    return ticket_view(session, ticket)


def tracked_ticket(session: Session, token: str) -> TicketView:
    ticket = queries.ticket_by_token(session, token)
    if ticket is None:
        raise NotFound("unknown_tracking", N_("We could not find this ticket. Check the link."))
    return ticket_view(session, ticket)


@dataclass
class CounterRow:
    counter: Counter
    hall: Hall
    current: Ticket | None
    waiting: int


def operator_counters(session: Session, principal: Principal) -> list[CounterRow]:
    branch = principal_branch(session, principal, None)
    rows: list[CounterRow] = []
    for hall in allowed_halls(session, principal, branch):
        waiting = waiting_line.waiting_by_service(session, hall)
        for counter in queries.counters_of_hall(session, hall.id or 0):
            served = set(queries.services_of_counter(session, counter.id or 0))
            services = {s.slug for s in queries.hall_services(session, hall) if s.id in served}
            rows.append(
                CounterRow(
                    counter=counter,
                    hall=hall,
                    current=queries.current_ticket_at(session, counter.id or 0),
                    waiting=sum(v["waiting"] for k, v in waiting.items() if k in services),
                )
            )
    return rows


@dataclass
class WaitingRow:
    ticket: Ticket
    service: Service
    waited_minutes: int
    priority: PriorityGroup | None


@dataclass
class CounterView:
    counter: Counter
    branch: Branch
    hall: Hall
    current: TicketView | None
    reason: str | None
    reason_priority: PriorityGroup | None
    history: list[AuditEntry]
    services: list[Service]
    hall_services: list[Service]
    hall_counters: list[Counter]
    waiting: int
    next_up: list[WaitingRow]
    appointment_time: str | None = None
    """Local time of the booked visit the current ticket checked in for."""
    remote_away: int = 0
    """Tickets of this counter's services joined from a phone, not arrived: the line
    holds their places, and the counter skips them until they check in."""


def counter_view(
    session: Session, principal: Principal, clock: Clock, counter_id: int
) -> CounterView:
    counter = queries.counter_by_id(session, counter_id)
    hall = session.get(Hall, counter.hall_id)
    assert hall is not None
    principal.require_hall(hall.branch_id, hall.id or 0)
    branch = session.get(Branch, hall.branch_id)
    assert branch is not None
    service_ids = queries.services_of_counter(session, counter_id)
    offered = queries.hall_services(session, hall)
    by_id = {s.id: s for s in offered}
    groups = {g.id: g for g in session.exec(select(PriorityGroup))}
    current = queries.current_ticket_at(session, counter_id)
    waiting_rows = list(
        session.exec(
            select(Ticket)
            .where(
                Ticket.hall_id == hall.id,
                Ticket.status == "waiting",
                col(Ticket.service_id).in_(service_ids),
                (col(Ticket.assigned_counter_id).is_(None))
                | (Ticket.assigned_counter_id == counter_id),
            )
            .order_by(*waiting_line.LINE_ORDER)
        )
    )
    now = clock.now()
    remote_away = session.exec(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.hall_id == hall.id,
            Ticket.status == "remote",
            col(Ticket.service_id).in_(service_ids),
        )
    ).one()
    appointment_time = None
    if current is not None:
        booked = session.exec(
            select(Appointment.starts_at).where(Appointment.ticket_id == current.id)
        ).first()
        if booked is not None:
            appointment_time = local_time(booked, branch.timezone, "time")
    return CounterView(
        appointment_time=appointment_time,
        counter=counter,
        branch=branch,
        hall=hall,
        current=ticket_view(session, current) if current else None,
        reason=current.call_reason if current else None,
        history=audit.history(session, "ticket", current.id) if current else [],
        reason_priority=groups.get(current.priority_id) if current else None,
        services=[s for s in offered if s.id in service_ids],
        hall_services=offered,
        hall_counters=queries.counters_of_hall(session, hall.id or 0),
        waiting=len(waiting_rows),
        remote_away=int(remote_away),
        next_up=[
            WaitingRow(
                ticket=t,
                service=by_id[t.service_id],
                waited_minutes=max(
                    0, int((now - (t.arrived_at or t.issued_at)).total_seconds() // 60)
                ),
                priority=groups.get(t.priority_id),
            )
            for t in waiting_rows[:10]
            if t.service_id in by_id
        ],
    )


@dataclass
class DisplayView:
    branch: Branch
    hall: Hall
    snapshot: dict[str, Any]


def display_view(
    session: Session,
    principal: Principal,
    clock: Clock,
    branch_slug: str | None,
    hall_slug: str | None,
) -> DisplayView:
    if session.get_bind().dialect.name == "postgresql":
        # The snapshot and its sequence number must come from one consistent view.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    branch = principal_branch(session, principal, branch_slug)
    halls = allowed_halls(session, principal, branch)
    hall = next((h for h in halls if h.slug == hall_slug), None) if hall_slug else None
    if hall is None and not hall_slug and len(halls) >= 1:
        hall = halls[0]
    if hall is None:
        raise Forbidden("wrong_hall", N_("Your account is not allowed to work in this hall."))
    snapshot = queries.hall_snapshot(session, hall, clock.local_date(branch.timezone))
    if principal.kind == "token" and principal.role == "display":
        token = session.get(ApiToken, principal.id)
        snapshot["screen"] = {"id": principal.id, "counters": screen_counters(token)}
    return DisplayView(branch=branch, hall=hall, snapshot=snapshot)


@dataclass
class SupervisedCounter:
    counter: Counter
    services: list[Service]
    current: Ticket | None
    current_service: Service | None
    operator: str | None
    minutes_at_counter: int | None


@dataclass
class SupervisedHall:
    hall: Hall
    counters: list[SupervisedCounter]
    waiting: dict[str, dict[str, Any]]
    longest_wait_minutes: int | None
    services: list[Service]
    screens: list[ApiToken] = field(default_factory=list)
    """The hall's display screens paired with a token, and the counters each shows."""


def supervisor_view(session: Session, principal: Principal, clock: Clock) -> list[SupervisedHall]:
    """Every counter of the principal's halls: who serves whom, since when; the queue."""
    from reception.auth.models import StaffUser

    branch = principal_branch(session, principal, None)
    now = clock.now()
    result = []
    for hall in allowed_halls(session, principal, branch):
        offered = queries.hall_services(session, hall)
        by_id = {
            s.id: s for s in session.exec(select(Service).where(Service.branch_id == branch.id))
        }
        rows = []
        for counter in queries.counters_of_hall(session, hall.id or 0):
            current = queries.current_ticket_at(session, counter.id or 0)
            operator = None
            if current is not None and current.called_by_id:
                user = session.get(StaffUser, current.called_by_id)
                operator = (user.full_name or user.username) if user else None
            since = current.serving_at or current.called_at if current else None
            rows.append(
                SupervisedCounter(
                    counter=counter,
                    services=[
                        by_id[sid]
                        for sid in queries.services_of_counter(session, counter.id or 0)
                        if sid in by_id
                    ],
                    current=current,
                    current_service=by_id.get(current.service_id) if current else None,
                    operator=operator,
                    minutes_at_counter=int((now - since).total_seconds() // 60) if since else None,
                )
            )
        oldest = session.exec(
            select(Ticket.issued_at)
            .where(Ticket.hall_id == hall.id, Ticket.status == "waiting")
            .order_by(col(Ticket.issued_at))
            .limit(1)
        ).first()
        result.append(
            SupervisedHall(
                hall=hall,
                counters=rows,
                waiting=waiting_line.waiting_by_service(session, hall),
                longest_wait_minutes=int((now - oldest).total_seconds() // 60) if oldest else None,
                services=list(by_id.values()) if by_id else offered,
                screens=list(
                    session.exec(
                        select(ApiToken)
                        .where(
                            ApiToken.hall_id == hall.id,
                            ApiToken.role == "display",
                            col(ApiToken.revoked_at).is_(None),
                        )
                        .order_by(col(ApiToken.name))
                    )
                ),
            )
        )
    return result


@dataclass
class AdminView:
    branch: Branch
    halls: list[tuple[Hall, list[dict[str, Any]]]]
    services: list[Service]
    priorities: list[PriorityGroup]
    users: list[StaffUser]
    tokens: list[ApiToken]
    stops: list[BranchStop]
    departments: list[Department]
    categories: list[Category]
    rules: list[RoutingRule]
    branches: list[Branch]
    slot_templates: list[Any] = field(default_factory=list)
    user_halls: dict[int, list[Hall]] = field(default_factory=dict)
    """The halls each account works in, by user id (none: every hall its role allows)."""


def admin_view(session: Session, principal: Principal, branch_slug: str | None) -> AdminView:
    """Everything the administration page shows for one branch."""
    from reception.appointments.setup import list_templates

    branch = principal_branch(session, principal, branch_slug)
    services = list(
        session.exec(
            select(Service).where(Service.branch_id == branch.id).order_by(col(Service.sort_order))
        )
    )
    by_id = {s.id: s for s in services}
    halls = []
    for hall in session.exec(select(Hall).where(Hall.branch_id == branch.id)):
        counters = [
            {
                "counter": c,
                "services": [
                    by_id[i] for i in queries.services_of_counter(session, c.id or 0) if i in by_id
                ],
            }
            for c in queries.counters_of_hall(session, hall.id or 0)
        ]
        halls.append((hall, counters))
    return AdminView(
        branch=branch,
        halls=halls,
        services=services,
        priorities=list(session.exec(select(PriorityGroup).order_by(col(PriorityGroup.id)))),
        users=list(session.exec(select(StaffUser).order_by(col(StaffUser.username)))),
        tokens=list_tokens(session),
        stops=queries.stops_of(session, branch.id or 0),
        departments=list(session.exec(select(Department).order_by(col(Department.id)))),
        categories=list(session.exec(select(Category).order_by(col(Category.id)))),
        rules=list(session.exec(select(RoutingRule).order_by(col(RoutingRule.id)))),
        branches=list(session.exec(select(Branch).order_by(col(Branch.id)))),
        slot_templates=list_templates(session, branch.slug),
        user_halls=_halls_of_users(session),
    )


def _halls_of_users(session: Session) -> dict[int, list[Hall]]:
    halls: dict[int, list[Hall]] = {}
    for user_id, hall in session.exec(
        select(UserHall.user_id, Hall)
        .join(Hall, col(Hall.id) == col(UserHall.hall_id))
        .order_by(col(Hall.id))
    ).all():
        halls.setdefault(user_id, []).append(hall)
    return halls
