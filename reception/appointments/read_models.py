"""Read models for the appointment screens: the staff booking desk and calendar, the
slip handed to a visitor, and the citizen's own page behind the SMS link. One call
gives a page everything it shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from reception.appointments import queries
from reception.appointments.actions import appointment_by_token, tracking_link
from reception.appointments.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    MeetingMode,
    SlotTemplate,
)
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Forbidden, NotFound
from reception.letters.rules import mask_name
from reception.notify.backends import mask_phone
from reception.queue import queries as queue_queries
from reception.queue.models import Branch, Hall, Service, ServiceMode
from reception.queue.queries import allowed_halls, principal_branch

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RESCHEDULE_DAYS = 14
WEEK_DAYS = 7


def weekday_key(day: date) -> str:
    """The key of `labels.DAY_NAMES` for a date."""
    return WEEKDAY_KEYS[day.weekday()]


@dataclass(frozen=True)
class Place:
    branch: Branch
    hall: Hall
    service: Service


def _place(session: Session, row: Appointment) -> Place:
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    service = session.get(Service, row.service_id)
    assert branch is not None and hall is not None and service is not None
    return Place(branch, hall, service)


def _bookable_services(session: Session, hall: Hall) -> list[Service]:
    return [s for s in queue_queries.hall_services(session, hall) if s.mode != ServiceMode.walk_in]


def _has_templates(
    session: Session, branch: Branch, hall: Hall | None = None, service: Service | None = None
) -> bool:
    stmt = select(SlotTemplate.id).where(
        SlotTemplate.branch_id == branch.id,
        SlotTemplate.active == True,  # noqa: E712
    )
    if hall is not None:
        stmt = stmt.where(SlotTemplate.hall_id == hall.id)
    if service is not None:
        stmt = stmt.where(SlotTemplate.service_id == service.id)
    return session.exec(stmt).first() is not None


def _staff_halls(session: Session, principal: Principal) -> tuple[Branch, list[Hall]]:
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    branch = principal_branch(session, principal, None)
    halls = allowed_halls(session, principal, branch)
    if not halls:
        raise Forbidden("wrong_hall", N_("Your account is not allowed to work in this hall."))
    return branch, halls


# --- the booking desk ---------------------------------------------------------------


@dataclass
class BookingView:
    """Hall → service → day → a free slot → the visitor's name and mobile."""

    branch: Branch
    today: date
    day: date
    halls: list[Hall]
    hall: Hall
    services: list[Service]
    service: Service | None
    slots: list[queries.SlotView] = field(default_factory=list)
    has_templates: bool = False
    none_free: bool = False
    """No service was asked for and no service of the hall has a free time on the day."""

    @property
    def weekday(self) -> str:
        return weekday_key(self.day)

    @property
    def previous_day(self) -> date | None:
        return self.day - timedelta(days=1) if self.day > self.today else None

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)

    @property
    def free(self) -> int:
        return sum(s.free for s in self.slots)


def booking_view(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    hall: str | None,
    service: str | None,
    day: date | None,
) -> BookingView:
    branch, halls = _staff_halls(session, principal)
    hall_row = next((h for h in halls if h.slug == hall), halls[0])
    services = _bookable_services(session, hall_row)
    today = clock.local_date(branch.timezone)
    chosen = max(day or today, today)
    view = BookingView(
        branch=branch,
        today=today,
        day=chosen,
        halls=halls,
        hall=hall_row,
        services=services,
        service=next((s for s in services if s.slug == service), None),
    )
    if view.service is not None:
        _fill_slots(session, clock, view, view.service)
        return view
    # No service asked for: open on the first one with a free time that day, so the
    # desk never greets the operator with an empty grid while another service has room.
    for candidate in services:
        _fill_slots(session, clock, view, candidate)
        if any(slot.free > 0 for slot in view.slots):
            view.service = candidate
            return view
    view.none_free = bool(services)
    view.service = services[0] if services else None
    if view.service is not None:
        _fill_slots(session, clock, view, view.service)
    return view


def _fill_slots(session: Session, clock: Clock, view: BookingView, service: Service) -> None:
    view.has_templates = _has_templates(session, view.branch, view.hall, service)
    view.slots = (
        queries.slots(
            session,
            view.branch,
            view.day,
            view.day,
            hall=view.hall,
            service=service,
            after=clock.now(),
        )
        if view.has_templates
        else []
    )


# --- the slip ------------------------------------------------------------------------


@dataclass
class AppointmentSlip:
    appointment: Appointment
    place: Place
    local: datetime
    link: str

    @property
    def weekday(self) -> str:
        return weekday_key(self.local.date())


def appointment_slip(
    session: Session, principal: Principal, appointment_id: int, public_base_url: str
) -> AppointmentSlip:
    """A booking as staff may see it: only in a hall they work in."""
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    row = session.get(Appointment, appointment_id)
    if row is None or not principal.may_use_hall(row.branch_id, row.hall_id):
        raise NotFound("unknown_appointment", N_("There is no such appointment."))
    place = _place(session, row)
    local = row.starts_at.astimezone(ZoneInfo(place.branch.timezone))
    return AppointmentSlip(row, place, local, tracking_link(public_base_url, row))


# --- the calendar ---------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaRow:
    appointment: Appointment
    local: datetime
    name: str
    phone: str
    hall: Hall
    service: Service
    no_shows: int | None
    """How often this number did not come; None when the viewer may not see it."""


@dataclass(frozen=True)
class SlotUse:
    local: datetime
    capacity: int
    taken: int


@dataclass
class CalendarView:
    branch: Branch
    mode: str
    today: date
    day: date
    halls: list[Hall]
    hall: Hall | None
    all_halls_allowed: bool
    services: list[Service]
    service: Service | None
    columns: list[queries.DayColumn]
    agenda: list[AgendaRow]
    has_templates: bool
    shows_no_shows: bool

    @property
    def step(self) -> int:
        return WEEK_DAYS if self.mode == "week" else 1

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=self.step)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=self.step)

    @property
    def last_day(self) -> date:
        return self.day + timedelta(days=self.step - 1)

    @property
    def times(self) -> list[SlotUse]:
        """The first day's slots, one per starting time (several halls or services
        at the same time add up)."""
        merged: dict[datetime, SlotUse] = {}
        for s in self.columns[0].slots if self.columns else []:
            seen = merged.get(s.starts_at)
            merged[s.starts_at] = SlotUse(
                s.local,
                s.capacity + (seen.capacity if seen else 0),
                s.taken + (seen.taken if seen else 0),
            )
        return [merged[k] for k in sorted(merged)]

    @property
    def capacity(self) -> int:
        return sum(c.capacity for c in self.columns)

    @property
    def taken(self) -> int:
        return sum(c.taken for c in self.columns)


def calendar_view(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    mode: str,
    day: date | None,
    hall: str | None,
    service: str | None,
) -> CalendarView:
    """Seats used per slot (a day) or per day (a week) and the day's bookings. Someone
    allowed in only some halls always looks at one of them."""
    branch, halls = _staff_halls(session, principal)
    every_hall = list(
        session.exec(select(Hall).where(Hall.branch_id == branch.id).order_by(col(Hall.id)))
    )
    all_allowed = len(halls) == len(every_hall) and len(halls) > 1
    hall_row: Hall | None = next((h for h in halls if h.slug == hall), None)
    if hall_row is None and not (all_allowed and hall in (None, "", "all")):
        hall_row = halls[0]
    services: list[Service] = []
    seen: set[int] = set()
    for h in [hall_row] if hall_row is not None else halls:
        for s in _bookable_services(session, h):
            if s.id not in seen:
                seen.add(s.id or 0)
                services.append(s)
    service_row = next((s for s in services if s.slug == service), None)
    mode = "week" if mode == "week" else "day"
    today = clock.local_date(branch.timezone)
    first = day or today
    days = WEEK_DAYS if mode == "week" else 1
    columns = queries.calendar(session, branch, first, days, hall=hall_row, service=service_row)
    hall_ids = frozenset(h.id or 0 for h in ([hall_row] if hall_row is not None else halls))
    start, _ = queries.local_day_bounds(branch, first)
    _, end = queries.local_day_bounds(branch, first + timedelta(days=days - 1))
    rows = queries.appointments_between(
        session, branch, start, end, hall_ids=hall_ids, service=service_row
    )
    supervises = principal.has_role(Role.supervisor, Role.admin)
    counts = (
        queries.no_show_counts(session, sorted({r.phone for r in rows if r.phone}))
        if supervises
        else {}
    )
    by_id = {h.id: h for h in every_hall}
    service_names = {s.id: s for s in services}
    zone = ZoneInfo(branch.timezone)
    agenda = []
    for r in rows:
        svc = service_names.get(r.service_id) or session.get(Service, r.service_id)
        assert svc is not None
        agenda.append(
            AgendaRow(
                appointment=r,
                local=r.starts_at.astimezone(zone),
                name=mask_name(r.name),
                phone=mask_phone(r.phone) if r.phone else "",
                hall=by_id[r.hall_id],
                service=svc,
                no_shows=counts.get(r.phone or "", 0) if supervises and r.phone else None,
            )
        )
    return CalendarView(
        branch=branch,
        mode=mode,
        today=today,
        day=first,
        halls=halls,
        hall=hall_row,
        all_halls_allowed=all_allowed,
        services=services,
        service=service_row,
        columns=columns,
        agenda=agenda,
        has_templates=_has_templates(session, branch, hall_row, service_row),
        shows_no_shows=supervises,
    )


# --- the citizen's page ------------------------------------------------------------


@dataclass
class CitizenAppointment:
    appointment: Appointment
    place: Place
    local: datetime
    name: str
    code_qr: str
    video_link: str
    early_minutes: int
    days: list[tuple[date, list[queries.SlotView]]] = field(default_factory=list)

    @property
    def weekday(self) -> str:
        return weekday_key(self.local.date())

    @property
    def is_meeting(self) -> bool:
        return self.appointment.kind == AppointmentKind.meeting

    @property
    def may_change(self) -> bool:
        """Only a booked visit: meetings are changed by the minister's office."""
        return self.appointment.status == AppointmentStatus.booked and not self.is_meeting


def citizen_appointment(
    session: Session, clock: Clock, token: str, *, with_free_slots: bool = False
) -> CitizenAppointment:
    """What the SMS link shows: no personal data beyond a masked name; with the free
    slots of the next two weeks when the visitor wants another time."""
    from reception.qr import qr_data_uri

    row = appointment_by_token(session, token)
    place = _place(session, row)
    local = row.starts_at.astimezone(ZoneInfo(place.branch.timezone))
    video = ""
    if row.kind == AppointmentKind.meeting:
        meeting = queries.meetings_of(session, [row.id or 0]).get(row.id or 0)
        remote = meeting is not None and meeting.mode == MeetingMode.remote
        video = row.video_link or (meeting.video_link if meeting is not None and remote else "")
        if not video.startswith(("https://", "http://")):
            video = ""  # only a web address becomes a link
    view = CitizenAppointment(
        appointment=row,
        place=place,
        local=local,
        name=mask_name(row.name),
        code_qr=qr_data_uri(row.code),
        video_link=video,
        early_minutes=place.branch.checkin_early_minutes,
    )
    if with_free_slots and view.may_change:
        first = clock.local_date(place.branch.timezone)
        free = queries.free_slots(
            session,
            clock,
            place.branch,
            place.hall,
            place.service,
            first,
            first + timedelta(days=RESCHEDULE_DAYS - 1),
        )
        by_day: dict[date, list[queries.SlotView]] = {}
        for s in free:
            if s.starts_at == row.starts_at:
                continue
            by_day.setdefault(s.local.date(), []).append(s)
        view.days = sorted(by_day.items())
    return view
