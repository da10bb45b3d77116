"""Reads about meetings with the minister: the requests of one letter, the office's
queue, what the citizen sees on the letter page, and a branch's agenda of one day
(meetings first, then the other appointments), also as an iCalendar file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from reception.appointments.ics import CalendarEvent, write_calendar
from reception.appointments.meetings import OFFICE_ROLES, REQUEST_ROLES, is_open
from reception.appointments.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    MeetingMode,
    MeetingRequest,
    MeetingStatus,
    SlotTemplate,
)
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.errors import N_, Forbidden, Invalid, NotFound
from reception.inputs import check_day, to_id, to_int
from reception.letters.actions import letter_for
from reception.letters.models import Letter
from reception.letters.queries import letter_by_reference
from reception.letters.rules import mask_name
from reception.queue import queries as queue_queries
from reception.queue.models import Branch, Hall, Service
from reception.queue.queries import principal_branch
from reception.queue.rules import WEEKDAYS
from reception.timefmt import local_time

AGENDA_ROLES = (Role.admin, Role.supervisor, Role.operator)
OPEN_FIRST = {
    MeetingStatus.requested: 0,
    MeetingStatus.proposed: 1,
    MeetingStatus.approved: 2,
    MeetingStatus.referred: 3,
    MeetingStatus.declined: 4,
    MeetingStatus.cancelled: 5,
}
MEETING_STATUS_LABELS = {
    "requested": N_("Your request to meet the minister is being considered."),
    "proposed": N_("The minister's office proposes a date for your meeting."),
    "approved": N_("Your meeting with the minister is confirmed."),
    "declined": N_("The minister's office could not arrange a meeting."),
    "referred": N_("Your request was referred."),
    "cancelled": N_("The meeting was cancelled."),
}
"""What each state means, in plain words for the citizen."""
ASKED_FOR_ANOTHER = N_(
    "You asked for another date. Staff at the reception centre can request a new meeting for you."
)
MODE_LABELS = {"in_person": N_("In person"), "remote": N_("Remote (video)")}
DEFAULT_MINUTES = 30


def _local(moment: datetime | str | None, zone: ZoneInfo) -> str:
    return local_time(moment, zone.key)


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _names(row: Hall | Service | Branch) -> dict[str, str]:
    return {"slug": row.slug, "name_ar": row.name_ar, "name_en": row.name_en}


def meeting_view(session: Session, row: MeetingRequest) -> dict[str, Any]:
    """One request as staff see it (JSON-ready; `*_local` in the branch's time)."""
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    letter = session.get(Letter, row.letter_id)
    assert branch is not None and hall is not None and letter is not None
    zone = ZoneInfo(branch.timezone)
    appointment = session.get(Appointment, row.appointment_id) if row.appointment_id else None
    starts = appointment.starts_at if appointment is not None else None
    return {
        "id": row.id,
        "letter_id": row.letter_id,
        "reference": letter.reference,
        "subject": letter.subject,
        "sender": letter.sender_name,
        "branch": branch.slug,
        "hall": _names(hall),
        "status": row.status,
        "open": is_open(session, row),
        "mode": row.mode,
        "reason": row.reason,
        "requested_by": row.requested_by,
        "proposed_at": _iso(row.proposed_at),
        "proposed_local": _local(row.proposed_at, zone),
        "starts_at": _iso(starts),
        "starts_local": _local(starts, zone),
        "appointment": (
            {"id": appointment.id, "code": appointment.code, "status": appointment.status}
            if appointment is not None
            else None
        ),
        "decision_note": row.decision_note,
        "referred_to": row.referred_to,
        "video_link": row.video_link,
        "history": [
            {
                **entry,
                "at_local": _local(entry["at"], zone),
                "starts_local": _local(entry.get("starts_at"), zone),
            }
            for entry in (row.history or [])
        ],
        "created_at": _iso(row.created_at),
        "created_local": _local(row.created_at, zone),
        "decided_at": _iso(row.decided_at),
    }


def meeting_detail(session: Session, meeting_id: int) -> dict[str, Any]:
    row = session.get(MeetingRequest, meeting_id)
    assert row is not None
    return meeting_view(session, row)


def letter_id_for(session: Session, principal: Principal, key: str) -> int:
    """A letter named by its id or its reference (`L-2026-000123`), if the principal
    may work on it."""
    principal.require_role(*REQUEST_ROLES)
    key = key.strip()
    if to_int(key, high=10**18) is not None:  # an id; anything else is a reference
        number = to_id(key)
        if number is None:
            raise NotFound("unknown_letter", N_("There is no such letter."))
        letter = letter_for(session, principal, number)
    else:
        letter = letter_by_reference(session, principal, key)
    return letter.id or 0


def meetings_of_letter(session: Session, letter_id: int) -> list[dict[str, Any]]:
    """The letter's requests, the latest first. The caller has checked the letter may
    be seen."""
    rows = session.exec(
        select(MeetingRequest)
        .where(MeetingRequest.letter_id == letter_id)
        .order_by(col(MeetingRequest.id).desc())
    ).all()
    return [meeting_view(session, row) for row in rows]


def meeting_queue(
    session: Session, principal: Principal, status: str | None = None
) -> list[dict[str, Any]]:
    """The minister's office's list: open requests first (waiting for a decision, then
    waiting for the citizen, then approved), each group oldest first."""
    principal.require_role(*OFFICE_ROLES)
    if status is not None and status not in OPEN_FIRST:
        raise Invalid(
            "bad_status",
            N_("The status is requested, proposed, approved, declined, referred or cancelled."),
        )
    stmt = select(MeetingRequest)
    if principal.branch_id is not None:
        stmt = stmt.where(MeetingRequest.branch_id == principal.branch_id)
    if status:
        stmt = stmt.where(MeetingRequest.status == status)
    rows = [
        r
        for r in session.exec(stmt.order_by(col(MeetingRequest.created_at), col(MeetingRequest.id)))
        if principal.may_use_hall(r.branch_id, r.hall_id)
    ]
    rows.sort(key=lambda r: OPEN_FIRST.get(MeetingStatus(r.status), 9))
    return [meeting_view(session, row) for row in rows]


def citizen_meeting(session: Session, letter: Letter) -> dict[str, Any] | None:
    """The letter's latest meeting request as the citizen sees it: the state in plain
    words, the local date and time, the place or the video link. Nothing about who
    decided, and no internal reason."""
    row = session.exec(
        select(MeetingRequest)
        .where(MeetingRequest.letter_id == letter.id)
        .order_by(col(MeetingRequest.id).desc())
    ).first()
    if row is None:
        return None
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    assert branch is not None and hall is not None
    zone = ZoneInfo(branch.timezone)
    appointment = session.get(Appointment, row.appointment_id) if row.appointment_id else None
    approved = row.status == MeetingStatus.approved and appointment is not None
    when = appointment.starts_at if approved and appointment is not None else row.proposed_at
    explained = MEETING_STATUS_LABELS.get(row.status, row.status)
    last = (row.history or [{}])[-1]
    if row.status == MeetingStatus.cancelled and last.get("actor") == "citizen":
        explained = ASKED_FOR_ANOTHER
    return {
        "status": row.status,
        "explained": explained,
        "mode": row.mode,
        "mode_label": MODE_LABELS.get(row.mode, row.mode),
        "when_local": _local(when, zone) if row.status in ("approved", "proposed") else "",
        "branch": branch,
        "hall": hall,
        "video_link": row.video_link if approved and row.mode == MeetingMode.remote else "",
        "code": (
            appointment.code
            if approved and appointment is not None and row.mode == MeetingMode.in_person
            else ""
        ),
        "note": row.decision_note if row.status in ("declined", "proposed") else "",
        "referred_to": row.referred_to if row.status == MeetingStatus.referred else "",
        "may_answer": row.status == MeetingStatus.proposed,
    }


# --- the day's agenda ------------------------------------------------------------


def parse_day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise Invalid("bad_date", N_("Dates are written like 2026-12-01.")) from None
    return check_day(day, default)


def agenda_branch(session: Session, principal: Principal, slug: str | None) -> Branch:
    principal.require_role(*AGENDA_ROLES)
    if not slug:
        return principal_branch(session, principal, None)
    branch = queue_queries.branch_by_slug(session, slug)
    if not principal.may_use_branch(branch.id or 0):
        raise Forbidden("wrong_branch", N_("Your account is not allowed to work in this branch."))
    return branch


@dataclass(frozen=True)
class AgendaEntry:
    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    time: str
    ends: str
    hall: Hall
    service: Service
    name: str
    mode: str
    video_link: str
    status: str
    reference: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "time": self.time,
            "ends": self.ends,
            "hall": _names(self.hall),
            "service": _names(self.service),
            "name": self.name,
            "mode": self.mode,
            "video_link": self.video_link,
            "status": self.status,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class Agenda:
    branch: Branch
    day: date
    meetings: list[AgendaEntry]
    appointments: list[AgendaEntry]

    @property
    def entries(self) -> list[AgendaEntry]:
        return [*self.meetings, *self.appointments]

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "branch": {**_names(self.branch), "timezone": self.branch.timezone},
            "day": self.day.isoformat(),
            "meetings": [e.as_dict() for e in self.meetings],
            "appointments": [e.as_dict() for e in self.appointments],
        }


def agenda(session: Session, principal: Principal, branch: Branch, day: date) -> Agenda:
    """Every appointment of the branch's local `day` that is not cancelled, in the
    halls the principal works in: meetings with the minister first, then the others,
    each in time order. Names are masked: the agenda is printed and pinned up."""
    zone = ZoneInfo(branch.timezone)
    start = datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)
    rows = [
        a
        for a in session.exec(
            select(Appointment)
            .where(
                Appointment.branch_id == branch.id,
                Appointment.starts_at >= start,
                Appointment.starts_at < end,
                Appointment.status != AppointmentStatus.cancelled,
            )
            .order_by(col(Appointment.starts_at), col(Appointment.id))
        )
        if principal.may_use_hall(a.branch_id, a.hall_id)
    ]
    halls = {h.id: h for h in session.exec(select(Hall).where(Hall.branch_id == branch.id))}
    services = {
        s.id: s for s in session.exec(select(Service).where(Service.branch_id == branch.id))
    }
    ids = [a.id for a in rows]
    meetings = (
        {
            m.appointment_id: m
            for m in session.exec(
                select(MeetingRequest).where(col(MeetingRequest.appointment_id).in_(ids))
            )
        }
        if ids
        else {}
    )
    letters = (
        {
            letter.id: letter
            for letter in session.exec(
                select(Letter).where(col(Letter.id).in_([m.letter_id for m in meetings.values()]))
            )
        }
        if meetings
        else {}
    )
    template_ids = {a.template_id for a in rows if a.template_id is not None}
    minutes = (
        {
            t.id: t.slot_minutes
            for t in session.exec(
                select(SlotTemplate).where(col(SlotTemplate.id).in_(template_ids))
            )
        }
        if template_ids
        else {}
    )
    out: dict[bool, list[AgendaEntry]] = {True: [], False: []}
    for a in rows:
        service = services[a.service_id]
        length = minutes.get(a.template_id) or service.expected_minutes or DEFAULT_MINUTES
        if a.kind == AppointmentKind.meeting:
            length = max(length, DEFAULT_MINUTES)
        ends = a.starts_at + timedelta(minutes=length)
        meeting = meetings.get(a.id)
        letter = letters.get(meeting.letter_id) if meeting is not None else None
        remote = meeting is not None and meeting.mode == MeetingMode.remote
        out[a.kind == AppointmentKind.meeting].append(
            AgendaEntry(
                id=a.id or 0,
                kind=a.kind,
                starts_at=a.starts_at,
                ends_at=ends,
                time=local_time(a.starts_at, zone.key, "time"),
                ends=local_time(ends, zone.key, "time"),
                hall=halls[a.hall_id],
                service=service,
                name=mask_name(a.name),
                mode=meeting.mode if meeting is not None else MeetingMode.in_person,
                video_link=(a.video_link or meeting.video_link) if remote and meeting else "",
                status=a.status,
                reference=letter.reference if letter is not None else "",
            )
        )
    return Agenda(branch=branch, day=day, meetings=out[True], appointments=out[False])


def agenda_calendar(
    agenda_day: Agenda,
    language: str,
    gettext: Callable[[str], str],
    now: datetime,
    host: str,
) -> str:
    """The agenda as an iCalendar file: one event per entry, times in UTC, the video
    link of remote meetings; masked names only, never a phone or an ID number."""
    events = []
    for e in agenda_day.entries:
        hall = e.hall.name_ar if language == "ar" else e.hall.name_en
        branch = agenda_day.branch.name_ar if language == "ar" else agenda_day.branch.name_en
        service = e.service.name_ar if language == "ar" else e.service.name_en
        if e.kind == AppointmentKind.meeting:
            title = gettext(N_("Meeting with the minister"))
            summary = f"{title}: {e.name} ({e.reference})" if e.reference else f"{title}: {e.name}"
        else:
            summary = f"{service}: {e.name}"
        lines = [f"{gettext(N_('Service'))}: {service}", f"{gettext(N_('Hall'))}: {hall}"]
        if e.video_link:
            lines.append(f"{gettext(N_('Video link'))}: {e.video_link}")
        events.append(
            CalendarEvent(
                uid=f"appointment-{e.id}@{host}",
                starts_at=e.starts_at,
                ends_at=e.ends_at,
                summary=summary,
                location=e.video_link if e.video_link else f"{hall} – {branch}",
                description="\n".join(lines),
                url=e.video_link,
                status="CONFIRMED",
            )
        )
    name = agenda_day.branch.name_ar if language == "ar" else agenda_day.branch.name_en
    return write_calendar(events, name=f"{name} {agenda_day.day.isoformat()}", now=now)
