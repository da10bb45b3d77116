"""The only writers of meeting requests: a letter asks to meet the minister; the
minister's office approves it with a date, proposes another date, declines it or
refers it; the citizen accepts or turns down a proposed date from the letter's
tracking link. Every step appends to the request's history, writes an audit entry
and queues an SMS to the letter's phone in its language, all in one transaction.

An approved meeting is an appointment of kind `meeting`, booked through the same
action as any other appointment, so the kiosk checks it in by its code."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from reception import audit
from reception.appointments.actions import book_appointment, release_seat
from reception.appointments.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    MeetingMode,
    MeetingRequest,
    MeetingStatus,
)
from reception.appointments.rules import (
    check_appointment_transition,
    check_meeting_transition,
)
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Invalid, NotFound
from reception.letters.actions import letter_for, tracking_url
from reception.letters.models import Letter, LetterStatus
from reception.letters.queries import letter_by_token
from reception.notify.outbox import enqueue_sms
from reception.outcome import Outcome
from reception.queue import queries as queue_queries
from reception.queue.models import Branch, Hall, Service, ServiceMode
from reception.timefmt import local_time

OFFICE_ROLES = (Role.admin, Role.supervisor)
"""The minister's office: the only ones who decide about a meeting."""
REQUEST_ROLES = (Role.operator, Role.supervisor, Role.admin, Role.department_officer)
DEFAULT_SERVICE = "minister"
MAX_TEXT = 4000
MAX_REFERRED_TO = 160
MAX_LINK = 300

DECISIONS = ("approve", "propose", "decline", "refer", "cancel", "reschedule")
TARGET = {
    "approve": MeetingStatus.approved,
    "propose": MeetingStatus.proposed,
    "decline": MeetingStatus.declined,
    "refer": MeetingStatus.referred,
    "cancel": MeetingStatus.cancelled,
    "reschedule": MeetingStatus.approved,
}
ALLOWED_NAMES = {
    "approve": {"approve"},
    "propose": {"propose"},
    "decline": {"decline"},
    "refer": {"refer"},
    "cancel": {"cancel", "withdraw"},
    "reschedule": {"reschedule"},
}
SECTION_OF_SEX = {"male": "men", "female": "women"}

ACCEPTING_CITIZEN = Principal(
    "citizen", 0, "citizen", Role.supervisor, None, frozenset(), department_id=None
)
"""Books the date the office itself proposed, when the citizen accepts it from the
tracking link: the office chose the time, so it may be a free time as for the office."""


def _text(
    value: str, limit: int, *, required: bool = False, code: str = "", message: str = ""
) -> str:
    value = value.strip()
    if required and not value:
        raise Invalid(code, message)
    if len(value) > limit:
        raise Invalid("too_long", N_("This text is too long."))
    return value


def _mode(value: str) -> str:
    if value not in {m.value for m in MeetingMode}:
        raise Invalid("bad_mode", N_("A meeting is in person or remote."))
    return value


def _video_link(value: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(
            "video_link_required", N_("A remote meeting needs its video link (https://…).")
        )
    parts = urlsplit(value)
    if (
        parts.scheme != "https"
        or not parts.netloc
        or len(value) > MAX_LINK
        or any(ch.isspace() for ch in value)
    ):
        raise Invalid("bad_video_link", N_("The video link must be a full https:// address."))
    return value


def _when(value: datetime | None, branch: Branch, clock: Clock) -> datetime:
    """A date and time still to come; a time without zone is the branch's local time
    (what a datetime-local field sends)."""
    if value is None:
        raise Invalid("time_required", N_("Choose the date and time of the meeting."))
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(branch.timezone))
    if value <= clock.now():
        raise Invalid("in_the_past", N_("An appointment is booked for a time still to come."))
    return value


def is_open(session: Session, row: MeetingRequest) -> bool:
    """Still pending, or approved for a meeting that has not taken place yet."""
    if row.status in (MeetingStatus.requested, MeetingStatus.proposed):
        return True
    if row.status != MeetingStatus.approved or row.appointment_id is None:
        return False
    appointment = session.get(Appointment, row.appointment_id)
    return appointment is not None and appointment.status == AppointmentStatus.booked


def _meeting_hall(session: Session, letter: Letter) -> Hall:
    """The letter's hall; a letter that came by phone, mail or online meets in the
    hall of the sender's section."""
    if letter.hall_id is not None:
        hall = session.get(Hall, letter.hall_id)
        if hall is not None:
            return hall
    halls = list(
        session.exec(select(Hall).where(Hall.branch_id == letter.branch_id).order_by(col(Hall.id)))
    )
    section = SECTION_OF_SEX.get(letter.sex)
    for hall in halls:
        if hall.section == section:
            return hall
    if not halls:
        raise Invalid("no_hall", N_("This branch has no hall for the meeting."))
    return halls[0]


def _meeting_service(session: Session, branch: Branch, hall: Hall, slug: str) -> Service:
    """The service named by `slug`; without one, the first service of the hall that
    takes appointments (services for appointments only before those for both)."""
    named = session.exec(
        select(Service).where(
            Service.branch_id == branch.id,
            Service.slug == slug,
            Service.active == True,  # noqa: E712
        )
    ).first()
    if named is not None:
        return named
    candidates = sorted(
        session.exec(
            select(Service).where(
                Service.branch_id == branch.id,
                Service.active == True,  # noqa: E712
                Service.mode != ServiceMode.walk_in,
            )
        ),
        key=lambda s: (s.mode != ServiceMode.appointment, s.sort_order, s.id or 0),
    )
    for service in candidates:
        if queue_queries.service_offered(session, hall.id or 0, service.id or 0):
            return service
    raise Invalid(
        "no_meeting_service",
        N_(
            "No service of this hall takes appointments. An administrator has to add one "
            "for meetings with the minister."
        ),
    )


def _record(
    session: Session,
    clock: Clock,
    row: MeetingRequest,
    actor: str,
    action: str,
    **data: Any,
) -> None:
    entry = {"at": clock.now().isoformat(), "actor": actor, "action": action, "status": row.status}
    entry.update({k: v for k, v in data.items() if v not in (None, "")})
    row.history = [*(row.history or []), entry]  # a new list, so the JSON column is saved
    session.add(row)
    session.flush()
    audit.record(session, actor, f"meeting.{action}", "meeting_request", row.id, **data)


def _tell_citizen(
    session: Session,
    row: MeetingRequest,
    letter: Letter,
    purpose: str,
    public_base_url: str,
    at: datetime | None = None,
    code: str = "",
) -> None:
    if not letter.phone:
        return
    branch = session.get(Branch, row.branch_id)
    assert branch is not None
    enqueue_sms(
        session,
        to=letter.phone,
        purpose=purpose,
        language=letter.language,
        branch_id=letter.branch_id,
        key=f"{row.id}:{len(row.history or [])}",
        reference=letter.reference,
        day=local_time(at, branch.timezone, "date"),
        time=local_time(at, branch.timezone, "time"),
        code=code,
        link=tracking_url(public_base_url.rstrip("/"), letter),
    )


def request_meeting(
    session: Session,
    clock: Clock,
    principal: Principal,
    letter_id: int,
    mode: str,
    reason: str,
    *,
    public_base_url: str = "",
) -> Outcome[MeetingRequest]:
    """Triage staff of the letter's hall, or an officer of the department holding the
    letter, ask the minister's office for a meeting. One open request per letter."""
    principal.require_role(*REQUEST_ROLES)
    letter = letter_for(session, principal, letter_id)
    # Lock the letter (PostgreSQL) so two requests for it cannot both pass the check.
    session.exec(select(Letter.id).where(Letter.id == letter.id).with_for_update()).first()
    if letter.status == LetterStatus.merged:
        raise Conflict(
            "letter_merged", N_("This letter was merged into another; ask for the meeting there.")
        )
    mode = _mode(mode)
    reason = _text(
        reason,
        MAX_TEXT,
        required=True,
        code="reason_required",
        message=N_("Write why the citizen should meet the minister."),
    )
    earlier = session.exec(
        select(MeetingRequest).where(MeetingRequest.letter_id == letter.id)
    ).all()
    if any(is_open(session, m) for m in earlier):
        raise Conflict(
            "meeting_already_requested",
            N_("A meeting with the minister is already being arranged for this letter."),
        )
    hall = _meeting_hall(session, letter)
    row = MeetingRequest(
        letter_id=letter.id or 0,
        branch_id=letter.branch_id,
        hall_id=hall.id or 0,
        mode=mode,
        reason=reason,
        requested_by=principal.actor,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    _record(session, clock, row, principal.actor, "request", mode=mode, note=reason)
    _tell_citizen(session, row, letter, "meeting_requested", public_base_url)
    return Outcome(row)


def _office_meeting(session: Session, principal: Principal, meeting_id: int) -> MeetingRequest:
    principal.require_role(*OFFICE_ROLES)
    row = session.get(MeetingRequest, meeting_id)
    if row is None or not principal.may_use_hall(row.branch_id, row.hall_id):
        raise NotFound("unknown_meeting", N_("There is no such meeting request."))
    return row


def _book(
    session: Session,
    clock: Clock,
    principal: Principal,
    row: MeetingRequest,
    letter: Letter,
    starts_at: datetime,
    service: str,
) -> Appointment:
    branch = session.get(Branch, row.branch_id)
    hall = session.get(Hall, row.hall_id)
    assert branch is not None and hall is not None
    chosen = _meeting_service(session, branch, hall, service or DEFAULT_SERVICE)
    booked = book_appointment(
        session,
        clock,
        principal,
        branch=branch.slug,
        hall=hall.slug,
        service=chosen.slug,
        starts_at=starts_at,
        phone=letter.phone,
        name=letter.sender_name,
        language=letter.language,
        kind=AppointmentKind.meeting,
        notify=False,  # the meeting's own SMS links to the letter page
    ).value
    booked.video_link = row.video_link if row.mode == MeetingMode.remote else ""
    session.add(booked)
    return booked


def _release(session: Session, row: MeetingRequest, actor: str) -> None:
    """Cancel the meeting's appointment, if it still holds one, without an SMS of its
    own: the meeting's SMS says it."""
    if row.appointment_id is None:
        return
    appointment = session.get(Appointment, row.appointment_id)
    if appointment is None or appointment.status == AppointmentStatus.cancelled:
        return
    check_appointment_transition(appointment.status, AppointmentStatus.cancelled)
    release_seat(session, appointment.template_id, appointment.starts_at)
    appointment.status = AppointmentStatus.cancelled
    session.add(appointment)
    audit.record(session, actor, "appointment.cancel", "appointment", appointment.id)


STATE_MESSAGES: dict[str, str] = {
    MeetingStatus.requested: N_("This meeting request is still waiting for a decision."),
    MeetingStatus.proposed: N_(
        "A date was proposed to the citizen: wait for the answer, or propose another "
        "date, decline or cancel."
    ),
    MeetingStatus.approved: N_("This meeting is approved: it can only be moved or cancelled."),
    MeetingStatus.declined: N_("This meeting request was declined and is closed."),
    MeetingStatus.referred: N_("This meeting request was referred and is closed."),
    MeetingStatus.cancelled: N_("This meeting request was cancelled and is closed."),
}
"""Why a step is not possible, said for each state (the status itself is a code)."""


def _check(row: MeetingRequest, action: str) -> None:
    try:
        name = check_meeting_transition(row.status, TARGET[action])
    except Conflict:
        name = ""
    if name not in ALLOWED_NAMES[action]:
        message = STATE_MESSAGES.get(row.status)
        raise Conflict(
            "illegal_meeting_transition",
            message or N_("This is not possible for a meeting request that is {current}."),
            current=row.status,
        )


def decide_meeting(
    session: Session,
    clock: Clock,
    principal: Principal,
    meeting_id: int,
    action: str,
    starts_at: datetime | None = None,
    note: str = "",
    referred_to: str = "",
    video_link: str = "",
    service: str = DEFAULT_SERVICE,
    public_base_url: str = "",
    mode: str | None = None,
) -> Outcome[MeetingRequest]:
    """The minister's office: approve (books the meeting), propose another date,
    decline (with the reason), refer to a deputy or a department, cancel, or move an
    approved meeting to another time."""
    row = _office_meeting(session, principal, meeting_id)
    if action not in DECISIONS:
        raise Invalid(
            "unknown_decision",
            N_("Choose approve, propose, decline, refer, cancel or reschedule."),
        )
    _check(row, action)
    letter = session.get(Letter, row.letter_id)
    branch = session.get(Branch, row.branch_id)
    assert letter is not None and branch is not None
    note = _text(note, MAX_TEXT)
    actor = principal.actor
    now = clock.now()

    if action in ("approve", "reschedule"):
        when = _when(starts_at, branch, clock)
        if mode:
            row.mode = _mode(mode)
        if row.mode == MeetingMode.remote:
            row.video_link = _video_link(video_link or row.video_link)
        else:
            row.video_link = ""
        if action == "reschedule":
            _release(session, row, actor)  # first, so the same slot can be taken again
        booked = _book(session, clock, principal, row, letter, when, service)
        row.appointment_id = booked.id
        row.status = MeetingStatus.approved
        row.proposed_at = None
        row.decision_note = note or row.decision_note
        row.decided_at = now
        _record(
            session, clock, row, actor, action,
            starts_at=when.isoformat(), mode=row.mode, note=note, appointment=booked.code,
        )  # fmt: skip
        _tell_citizen(session, row, letter, "meeting_approved", public_base_url, when, booked.code)
    elif action == "propose":
        when = _when(starts_at, branch, clock)
        if mode:
            row.mode = _mode(mode)
        row.video_link = (
            _video_link(video_link or row.video_link) if row.mode == MeetingMode.remote else ""
        )
        row.status = MeetingStatus.proposed
        row.proposed_at = when
        row.decision_note = note
        row.decided_at = now
        _record(session, clock, row, actor, action, starts_at=when.isoformat(), note=note)
        _tell_citizen(session, row, letter, "meeting_proposed", public_base_url, when)
    elif action == "decline":
        row.decision_note = _text(
            note,
            MAX_TEXT,
            required=True,
            code="reason_required",
            message=N_("Write the reason; the citizen reads it."),
        )
        row.status = MeetingStatus.declined
        row.proposed_at = None
        row.decided_at = now
        _record(session, clock, row, actor, action, note=row.decision_note)
        _tell_citizen(session, row, letter, "meeting_declined", public_base_url)
    elif action == "refer":
        row.referred_to = _text(
            referred_to,
            MAX_REFERRED_TO,
            required=True,
            code="referred_to_required",
            message=N_("Write to whom it is referred: a deputy minister or a department."),
        )
        row.decision_note = note
        row.status = MeetingStatus.referred
        row.proposed_at = None
        row.decided_at = now
        _record(session, clock, row, actor, action, referred_to=row.referred_to, note=note)
        _tell_citizen(session, row, letter, "meeting_referred", public_base_url)
    else:  # cancel
        _release(session, row, actor)
        row.status = MeetingStatus.cancelled
        row.proposed_at = None
        row.decision_note = note or row.decision_note
        row.decided_at = now
        _record(session, clock, row, actor, action, note=note)
        _tell_citizen(session, row, letter, "meeting_cancelled", public_base_url)
    return Outcome(row)


def _proposed_for(session: Session, letter: Letter) -> MeetingRequest:
    row = session.exec(
        select(MeetingRequest)
        .where(MeetingRequest.letter_id == letter.id)
        .order_by(col(MeetingRequest.id).desc())
    ).first()
    if row is None:
        raise NotFound("no_meeting", N_("No meeting with the minister is being arranged."))
    if row.status != MeetingStatus.proposed:
        raise Conflict(
            "no_proposal",
            N_("There is no proposed date to answer. The page shows the latest state."),
        )
    return row


def accept_proposal(
    session: Session, clock: Clock, token: str, *, public_base_url: str = ""
) -> Outcome[MeetingRequest]:
    """From the letter's tracking link: the citizen takes the proposed date, and the
    meeting is booked at it."""
    letter = letter_by_token(session, token)
    row = _proposed_for(session, letter)
    check_meeting_transition(row.status, MeetingStatus.approved)
    branch = session.get(Branch, row.branch_id)
    assert branch is not None
    when = _when(row.proposed_at, branch, clock)
    booked = _book(session, clock, ACCEPTING_CITIZEN, row, letter, when, DEFAULT_SERVICE)
    row.appointment_id = booked.id
    row.status = MeetingStatus.approved
    row.proposed_at = None
    row.decided_at = clock.now()
    _record(
        session, clock, row, "citizen", "accept", starts_at=when.isoformat(),
        appointment=booked.code,
    )  # fmt: skip
    _tell_citizen(session, row, letter, "meeting_approved", public_base_url, when, booked.code)
    return Outcome(row)


def decline_proposal(
    session: Session, clock: Clock, token: str, *, public_base_url: str = ""
) -> Outcome[MeetingRequest]:
    """From the letter's tracking link: the citizen cannot come at the proposed date;
    the request ends and a new one can be made."""
    letter = letter_by_token(session, token)
    row = _proposed_for(session, letter)
    check_meeting_transition(row.status, MeetingStatus.cancelled)
    row.status = MeetingStatus.cancelled
    row.proposed_at = None
    row.decided_at = clock.now()
    _record(session, clock, row, "citizen", "withdraw")
    _tell_citizen(session, row, letter, "meeting_cancelled", public_base_url)
    return Outcome(row)
