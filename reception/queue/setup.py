"""Writers for the centre's set-up: branches, halls, services, counters. Each change is
one transaction with an audit entry and takes effect at once, without a restart."""

from __future__ import annotations

import re
from datetime import date
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from reception import audit
from reception.auth.principal import Principal
from reception.errors import N_, Conflict, Invalid
from reception.events.messages import HallEvent
from reception.outcome import Outcome
from reception.queue import queries
from reception.queue.hall_events import hall_event
from reception.queue.models import (
    Branch,
    BranchKind,
    BranchStop,
    Counter,
    CounterService,
    Hall,
    PriorityGroup,
    Section,
    Service,
    ServiceMode,
)
from reception.queue.rules import parse_hours
from reception.settings import DEFAULT_TIMEZONE

T = TypeVar("T")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
PREFIX = re.compile(r"^[A-Z]{0,3}$")


def checked_slug(value: str) -> str:
    if not SLUG.match(value):
        raise Invalid("bad_slug", N_("{slug} is not a valid slug (a-z, 0-9, - and _)."), slug=value)
    return value


def create_unless_taken(session: Session, actor: str, row: T, **where: object) -> T:
    """Insert `row` unless a row of its kind matches `where` (slug taken), audited."""
    model = type(row)
    stmt = select(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    if session.exec(stmt).first() is not None:
        raise Conflict("slug_taken", N_("{slug} already exists."), slug=where.get("slug"))
    session.add(row)
    session.flush()
    entity = model.__name__.lower()
    audit.record(session, actor, f"{entity}.add", entity, getattr(row, "id", None), **where)
    return row


def check_names(name_ar: str, name_en: str) -> None:
    if not name_ar.strip() or not name_en.strip():
        raise Invalid("names_required", N_("Give both the Arabic and the English name."))
    if len(name_ar) > 120 or len(name_en) > 120:
        raise Invalid("name_too_long", N_("A name has at most 120 characters."))


def add_branch(
    session: Session,
    *,
    slug: str,
    name_ar: str,
    name_en: str,
    kind: str = "centre",
    timezone: str = DEFAULT_TIMEZONE,
    actor: str = "cli",
) -> Branch:
    check_names(name_ar, name_en)
    if kind not in {k.value for k in BranchKind}:
        raise Invalid("bad_kind", N_("A branch is a centre or a mobile unit."))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("bad_timezone", N_("Unknown time zone {tz}."), tz=timezone) from None
    branch = Branch(
        slug=checked_slug(slug), name_ar=name_ar, name_en=name_en, kind=kind, timezone=timezone
    )
    return create_unless_taken(session, actor, branch, slug=slug)


def add_hall(
    session: Session,
    *,
    branch: str,
    slug: str,
    section: str,
    name_ar: str,
    name_en: str,
    ticket_prefix: str,
    actor: str = "cli",
) -> Hall:
    check_names(name_ar, name_en)
    branch_row = queries.branch_by_slug(session, branch)
    if section not in {s.value for s in Section}:
        raise Invalid("bad_section", N_("A hall is for men or for women."))
    if not ticket_prefix or not PREFIX.match(ticket_prefix):
        raise Invalid("bad_prefix", N_("A ticket prefix is 1 to 3 capital letters."))
    hall = Hall(
        branch_id=branch_row.id or 0,
        slug=checked_slug(slug),
        section=section,
        name_ar=name_ar,
        name_en=name_en,
        ticket_prefix=ticket_prefix,
    )
    return create_unless_taken(session, actor, hall, branch_id=branch_row.id, slug=slug)


def add_service(
    session: Session,
    *,
    branch: str,
    slug: str,
    name_ar: str,
    name_en: str,
    expected_minutes: int = 10,
    ticket_prefix: str = "",
    mode: str = "both",
    actor: str = "cli",
) -> Service:
    check_names(name_ar, name_en)
    branch_row = queries.branch_by_slug(session, branch)
    if not 1 <= expected_minutes <= 480:
        raise Invalid("bad_minutes", N_("The expected service time is 1 to 480 minutes."))
    if not PREFIX.match(ticket_prefix):
        raise Invalid("bad_prefix", N_("A ticket prefix is 1 to 3 capital letters."))
    if mode not in {m.value for m in ServiceMode}:
        raise Invalid("bad_mode", N_("A service is walk-in, by appointment, or both."))
    service = Service(
        mode=mode,
        branch_id=branch_row.id or 0,
        slug=checked_slug(slug),
        name_ar=name_ar,
        name_en=name_en,
        expected_minutes=expected_minutes,
        ticket_prefix=ticket_prefix,
    )
    return create_unless_taken(session, actor, service, branch_id=branch_row.id, slug=slug)


def add_counter(
    session: Session,
    *,
    branch: str,
    hall: str,
    number: int,
    services: list[str],
    actor: str = "cli",
) -> Counter:
    branch_row = queries.branch_by_slug(session, branch)
    hall_row = queries.hall_by_slug(session, branch_row, hall)
    if not 1 <= number <= 9999:
        raise Invalid("bad_number", N_("A counter number is 1 to 9999."))
    if not services:
        raise Invalid("services_required", N_("A counter serves at least one service."))
    service_rows = [
        queries.service_by_slug(session, branch_row, s) for s in dict.fromkeys(services)
    ]
    exists = session.exec(
        select(Counter).where(Counter.hall_id == hall_row.id, Counter.number == number)
    ).first()
    if exists:
        raise Conflict("counter_exists", N_("Counter {n} already exists in this hall."), n=number)
    counter = Counter(hall_id=hall_row.id or 0, slug=str(number), number=number)
    session.add(counter)
    session.flush()
    for service in service_rows:
        session.add(CounterService(counter_id=counter.id or 0, service_id=service.id or 0))
    audit.record(session, actor, "counter.add", "counter", counter.id, services=services)
    return counter


def set_counter_services(
    session: Session, principal: Principal, *, counter_id: int, services: list[str]
) -> Outcome[Counter]:
    """Reassign the services a counter serves (a supervisor's decision for a hall of
    theirs, or an administrator's; audited); the hall's displays are told
    (`counter.services`)."""
    counter = queries.counter_by_id(session, counter_id)
    hall = session.get(Hall, counter.hall_id)
    assert hall is not None and hall.id is not None
    principal.require_hall(hall.branch_id, hall.id)
    branch_id = hall.branch_id
    actor = principal.actor
    if not services:
        raise Invalid("services_required", N_("A counter serves at least one service."))
    branch = session.get(Branch, branch_id)
    assert branch is not None
    wanted = {queries.service_by_slug(session, branch, slug).id for slug in services}
    current = set(queries.services_of_counter(session, counter_id))
    for link in session.exec(select(CounterService).where(CounterService.counter_id == counter_id)):
        if link.service_id not in wanted:
            session.delete(link)
    for service_id in wanted - current:
        session.add(CounterService(counter_id=counter_id, service_id=service_id or 0))
    audit.record(
        session, actor, "counter.services", "counter", counter_id, services=sorted(services)
    )
    session.flush()
    return Outcome(counter, [hall_event(session, hall, HallEvent.COUNTER_SERVICES)])


def set_branch_policy(
    session: Session, *, branch: str, max_wait_minutes: int | None, actor: str = "cli"
) -> Branch:
    """The anti-starvation limit: after this many minutes anyone is next (None: off)."""
    row = queries.branch_by_slug(session, branch)
    if max_wait_minutes is not None and not 5 <= max_wait_minutes <= 600:
        raise Invalid("bad_max_wait", N_("The longest wait is 5 to 600 minutes, or off."))
    row.max_wait_minutes = max_wait_minutes
    session.add(row)
    audit.record(session, actor, "branch.policy", "branch", row.id, max_wait=max_wait_minutes)
    return row


def set_priority_group(
    session: Session,
    *,
    slug: str,
    name_ar: str | None = None,
    name_en: str | None = None,
    weight: int | None = None,
    at_kiosk: bool | None = None,
    actor: str = "cli",
) -> PriorityGroup:
    """Add a priority group or change one: its names, weight and whether visitors may
    choose it themselves at the kiosk."""
    group = session.exec(
        select(PriorityGroup).where(PriorityGroup.slug == checked_slug(slug))
    ).first()
    if group is None:
        if not name_ar or not name_en or weight is None:
            raise Invalid(
                "names_required", N_("A new group needs Arabic and English names and a weight.")
            )
        group = PriorityGroup(slug=slug, name_ar=name_ar, name_en=name_en, weight=weight)
    if name_ar is not None or name_en is not None:
        check_names(name_ar or group.name_ar, name_en or group.name_en)
        group.name_ar = name_ar or group.name_ar
        group.name_en = name_en or group.name_en
    if weight is not None:
        if not 0 <= weight <= 100:
            raise Invalid("bad_weight", N_("A weight is 0 to 100."))
        group.weight = weight
    if at_kiosk is not None:
        group.at_kiosk = at_kiosk
    session.add(group)
    session.flush()
    audit.record(session, actor, "priority.set", "prioritygroup", group.id, weight=group.weight)
    return group


def add_stop(
    session: Session,
    *,
    branch: str,
    place_ar: str,
    place_en: str,
    starts_on: date,
    ends_on: date,
    actor: str = "cli",
) -> BranchStop:
    """A stop of a mobile unit: its place and the days it stands there."""
    check_names(place_ar, place_en)
    row = queries.branch_by_slug(session, branch)
    if row.kind != BranchKind.mobile:
        raise Invalid("not_mobile", N_("Only a mobile unit has stops."))
    if ends_on < starts_on:
        raise Invalid("bad_dates", N_("A stop ends on or after the day it starts."))
    overlapping = session.exec(
        select(BranchStop).where(
            BranchStop.branch_id == row.id,
            BranchStop.starts_on <= ends_on,
            BranchStop.ends_on >= starts_on,
        )
    ).first()
    if overlapping is not None:
        raise Conflict("stops_overlap", N_("The unit is already elsewhere on some of these days."))
    stop = BranchStop(
        branch_id=row.id or 0,
        place_ar=place_ar,
        place_en=place_en,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    session.add(stop)
    session.flush()
    audit.record(
        session,
        actor,
        "branch.stop",
        "branch",
        row.id,
        place=place_en,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
    )
    return stop


def set_opening_hours(
    session: Session,
    *,
    branch: str,
    days: str,
    start: str = "08:00",
    end: str = "15:00",
    closed: bool = False,
    actor: str = "cli",
) -> Branch:
    """Set the hours of the given days, or close them every week (other days keep
    theirs). A branch with no hours at all is always open; once any day has hours,
    a day without any is closed."""
    row = queries.branch_by_slug(session, branch)
    hours = dict(row.opening_hours or {})
    chosen = parse_hours(days, start, end)
    if closed:
        hours.update({day: [] for day in chosen})
    else:
        hours.update(chosen)
    row.opening_hours = hours
    session.add(row)
    audit.record(
        session,
        actor,
        "branch.hours",
        "branch",
        row.id,
        days=days,
        start=None if closed else start,
        end=None if closed else end,
    )
    return row


def set_holiday(
    session: Session, *, branch: str, day: date, closed: bool = True, actor: str = "cli"
) -> Branch:
    """Close a branch for a whole day (a public holiday), or open it again."""
    row = queries.branch_by_slug(session, branch)
    holidays = [d for d in (row.holidays or []) if d != day.isoformat()]
    if closed:
        holidays.append(day.isoformat())
    row.holidays = sorted(holidays)
    session.add(row)
    audit.record(
        session, actor, "branch.holiday", "branch", row.id, day=day.isoformat(), closed=closed
    )
    return row
