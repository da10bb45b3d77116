"""Writers of letters (attachments: `attachments.py`; phone calls: `calls.py`; the
taxonomy: `setup.py`). One function = one transaction; each transition adds a
step to the letter's trail and an audit entry; a step the citizen should know about
queues an SMS in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from reception import audit
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.bidi import refuse_direction_overrides
from reception.clock import Clock
from reception.edge.node import new_tracking_token, reference_mark, unit_marks
from reception.errors import N_, Forbidden, Invalid, NotFound
from reception.letters.access import EVERYONE_ON_LETTERS as EVERYONE_ON_LETTERS
from reception.letters.access import TRIAGE_ROLES, may_see
from reception.letters.advice import FirstSuggestion, record_decision
from reception.letters.events import EVENT_OF_STEP, letter_events
from reception.letters.models import (
    Category,
    Channel,
    Department,
    Letter,
    LetterSequence,
    LetterStatus,
    LetterStep,
    RoutingRule,
)
from reception.letters.rules import (
    AT_TRIAGE,
    OPEN,
    Rule,
    check_id_number,
    check_letter_transition,
    choose_department,
    normalise_arabic,
)
from reception.notify.outbox import enqueue_sms
from reception.outcome import Outcome
from reception.queue import queries as queue_queries
from reception.queue.models import Ticket
from reception.queue.residency import set_residency
from reception.queue.rules import normalise_phone
from reception.settings import LANGUAGES

SEXES = ("male", "female")
MAX_NOTE = 4000


@dataclass
class Registered:
    letter: Letter
    tracking_url: str


def tracking_url(base_url: str, letter: Letter) -> str:
    return f"{base_url}/l/{letter.tracking_token}"


def _next_reference(session: Session, year: int) -> str:
    """`L-2026-004217`: a yearly series, taken atomically (an upsert returning the value)."""
    table = LetterSequence.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt: Any = (
        insert(table)
        .values(year=year, last_number=1)
        .on_conflict_do_update(
            index_elements=["year"], set_={"last_number": table.c.last_number + 1}
        )
        .returning(table.c.last_number)
    )
    number = int(session.execute(stmt).scalar_one())
    return f"{reference_mark(session)}-{year}-{number:06d}"


def _one_line(value: str, limit: int, code: str, message: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid(code, message)
    if len(value) > limit:
        raise Invalid("too_long", N_("This text is too long."))
    return value


def _note(value: str, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise Invalid("reason_required", N_("Write the reason; the next person needs it."))
    if len(value) > MAX_NOTE:
        raise Invalid("too_long", N_("This text is too long."))
    return value


def _step(
    session: Session,
    clock: Clock,
    letter: Letter,
    actor: str,
    kind: str,
    *,
    to: LetterStatus | None = None,
    note: str = "",
    public: bool = False,
    **details: Any,
) -> LetterStep:
    """One line of the trail. `details` go into the audit entry with the step: what
    the step decided (the category chosen, the department sent to), which the
    letter's history shows beside the move."""
    before = letter.status
    if to is not None:
        check_letter_transition(letter.status, to)
        letter.status = to
        letter.status_since = clock.now()
        session.add(letter)
    step = LetterStep(
        letter_id=letter.id or 0,
        actor=actor,
        kind=kind,
        from_status=before if to is not None else None,
        to_status=to.value if to is not None else None,
        note=note,
        public=public,
        at=clock.now(),
    )
    session.add(step)
    session.flush()
    audit.record(session, actor, f"letter.{kind}", "letter", letter.id, step=step.id, **details)
    return step


def _tell_citizen(
    session: Session, letter: Letter, step: LetterStep, purpose: str, base_url: str
) -> None:
    if letter.phone:
        enqueue_sms(
            session,
            to=letter.phone,
            purpose=purpose,
            language=letter.language,
            branch_id=letter.branch_id,
            now=step.at,
            key=str(step.id),
            reference=letter.reference,
            link=tracking_url(base_url, letter),
        )


def register_letter(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    branch: str,
    sender_name: str,
    sender_id_number: str,
    sex: str,
    subject: str,
    public_base_url: str,
    body: str = "",
    phone: str | None = None,
    language: str = "ar",
    channel: str = Channel.counter,
    hall: str | None = None,
    ticket_number: str | None = None,
) -> Outcome[Registered]:
    principal.require_role(*TRIAGE_ROLES)
    branch_row = queue_queries.branch_by_slug(session, branch)
    assert branch_row.id is not None
    if not principal.may_use_branch(branch_row.id):
        raise Forbidden("wrong_branch", N_("Your account is not allowed to work in this branch."))
    if channel not in {c.value for c in Channel}:
        raise Invalid("bad_channel", N_("The channel is counter, phone, mail or online."))
    hall_row = queue_queries.hall_by_slug(session, branch_row, hall) if hall else None
    if hall_row is not None:
        principal.require_hall(branch_row.id, hall_row.id or 0)
    elif channel == Channel.counter:
        raise Invalid("hall_required", N_("A letter handed in at a counter belongs to a hall."))
    if sex not in SEXES:
        raise Invalid("bad_sex", N_("Choose male or female."))
    if language not in LANGUAGES:
        raise Invalid("bad_language", N_("Language is ar or en."))
    id_number, residency = check_id_number(sender_id_number)
    name = _one_line(sender_name, 160, "name_required", N_("Write the sender's full name."))
    refuse_direction_overrides(name)
    subject = _one_line(subject, 200, "subject_required", N_("Write the subject of the letter."))
    body = body.strip()
    if len(body) > 20000:
        raise Invalid("too_long", N_("This text is too long."))
    phone_e164 = normalise_phone(phone) if phone else None
    ticket_id = None
    if ticket_number and ticket_number.strip():
        number = ticket_number.strip().upper()[:12]
        ticket = session.exec(
            select(Ticket).where(
                Ticket.hall_id == (hall_row.id if hall_row else -1),
                Ticket.number == number,
                Ticket.business_date == clock.local_date(branch_row.timezone),
            )
        ).first()
        if ticket is None:
            raise Invalid(
                "unknown_ticket_number", N_("There is no ticket {number} today."), number=number
            )
        ticket_id = ticket.id
        if ticket.residency is None:
            # The ID number shows what the visitor did not state at the kiosk; the
            # visit then counts as citizen or resident in the statistics, not unknown.
            set_residency(session, principal.actor, ticket, residency, source="letter")
    now = clock.now()
    letter = Letter(
        reference=_next_reference(session, now.astimezone(ZoneInfo(branch_row.timezone)).year),
        tracking_token=new_tracking_token(session),
        branch_id=branch_row.id,
        hall_id=hall_row.id if hall_row else None,
        ticket_id=ticket_id,
        channel=channel,
        sender_name=name,
        sender_id_number=id_number,
        residency=residency,
        sex=sex,
        phone=phone_e164,
        language=language,
        subject=subject,
        body=body,
        search_text=normalise_arabic(f"{subject} {body}"),
        received_by=principal.actor,
        created_at=now,
        status_since=now,
    )
    session.add(letter)
    session.flush()
    step = _step(session, clock, letter, principal.actor, "receive", public=True)
    _tell_citizen(session, letter, step, "letter_received", public_base_url)
    events = letter_events(session, letter, EVENT_OF_STEP["receive"], step.at)
    registered = Registered(letter=letter, tracking_url=tracking_url(public_base_url, letter))
    return Outcome(registered, events)


def letter_for(session: Session, principal: Principal, letter_id: int) -> Letter:
    letter = session.get(Letter, letter_id)
    if letter is None or not may_see(principal, letter):
        raise NotFound("unknown_letter", N_("There is no such letter."))
    return letter


def duplicates_of(session: Session, letter: Letter, category_id: int | None = None) -> list[str]:
    """References of the same sender's other open letters in the same category."""
    category_id = category_id or letter.category_id
    if category_id is None:
        return []
    rows = session.exec(
        select(Letter.reference).where(
            Letter.sender_id_number == letter.sender_id_number,
            Letter.category_id == category_id,
            Letter.id != letter.id,
            col(Letter.status).in_([s.value for s in OPEN]),
        )
    ).all()
    return list(rows)


def _not_at_a_unit(session: Session) -> None:
    """A letter registered at a mobile unit is handed to the centre, which triages it:
    the unit registers letters (with their attachments) and changes none afterwards."""
    if unit_marks(session) is not None:
        raise Forbidden(
            "letter_at_centre",
            N_("Letters registered at a mobile unit are classified at the centre."),
        )


def classify_and_route(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    letter_id: int,
    category: str,
    public_base_url: str,
    department: str | None = None,
    note: str = "",
    suggested: FirstSuggestion | None = None,
) -> Outcome[Letter]:
    """Triage's decision: the category, then the department — the routing rules' choice
    unless the operator names another. Both steps are recorded, and so is whether the
    model's first suggestion (`suggested`, what the screen computed) was taken."""
    principal.require_role(*TRIAGE_ROLES)
    _not_at_a_unit(session)
    letter = letter_for(session, principal, letter_id)
    if letter.status not in AT_TRIAGE:
        check_letter_transition(letter.status, LetterStatus.classified)
    category_row = session.exec(select(Category).where(Category.slug == category)).first()
    if category_row is None or not category_row.active:
        raise Invalid("unknown_category", N_("There is no category {slug}."), slug=category[:40])
    if session.exec(select(Category.id).where(Category.parent_id == category_row.id)).first():
        raise Invalid("category_has_children", N_("Choose one of this category's subcategories."))
    if department:
        dept = session.exec(select(Department).where(Department.slug == department)).first()
        if dept is None or not dept.active:
            raise Invalid(
                "unknown_department", N_("There is no department {slug}."), slug=department[:40]
            )
        department_id = dept.id
    else:
        categories = {category_row.id, category_row.parent_id or category_row.id}
        rules = [
            Rule(r.department_id, r.branch_id, r.residency)
            for r in session.exec(
                select(RoutingRule).where(col(RoutingRule.category_id).in_(categories))
            )
        ]
        department_id = choose_department(rules, letter.branch_id, letter.residency)
        if department_id is None:
            raise Invalid(
                "no_route", N_("No routing rule covers this category: choose the department.")
            )
    letter.category_id = category_row.id
    step = _step(session, clock, letter, principal.actor, "classify", to=LetterStatus.classified,
                 note=_note(note), category=category_row.id)  # fmt: skip
    record_decision(session, letter, suggested, category_row.slug, step.at)
    events = letter_events(session, letter, EVENT_OF_STEP["classify"], step.at)
    letter.department_id = department_id
    step = _step(session, clock, letter, principal.actor, "route", to=LetterStatus.routed,
                 public=True, department=department_id)  # fmt: skip
    _tell_citizen(session, letter, step, "letter_routed", public_base_url)
    events += letter_events(session, letter, EVENT_OF_STEP["route"], step.at)
    return Outcome(letter, events)


def _officer_letter(session: Session, principal: Principal, letter_id: int) -> Letter:
    principal.require_role(Role.department_officer, Role.supervisor, Role.admin)
    _not_at_a_unit(session)
    return letter_for(session, principal, letter_id)


# What a department may do with a letter: (target status, public?, SMS purpose, note needed)
DEPARTMENT_MOVES: dict[str, tuple[LetterStatus | None, bool, str | None, bool]] = {
    "accept": (LetterStatus.in_progress, True, None, False),
    "note": (None, False, None, True),
    "request_info": (None, True, "letter_info_needed", True),
    "answer": (LetterStatus.answered, True, "letter_answered", True),
    "return": (LetterStatus.returned, False, None, True),
    "reopen": (LetterStatus.in_progress, False, None, True),
}


def department_move(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    letter_id: int,
    move: str,
    note: str = "",
    public_base_url: str,
) -> Outcome[Letter]:
    """Accept, note, ask the citizen for more information, answer, return to triage."""
    if move not in DEPARTMENT_MOVES:
        raise Invalid("unknown_move", N_("Unknown action {name}."), name=move[:20])
    target, public, purpose, needs_note = DEPARTMENT_MOVES[move]
    letter = _officer_letter(session, principal, letter_id)
    if move in ("note", "request_info") and letter.status != LetterStatus.in_progress:
        check_letter_transition(letter.status, LetterStatus.answered)  # a clear 409
    step = _step(session, clock, letter, principal.actor, move, to=target,
                 note=_note(note, required=needs_note), public=public)  # fmt: skip
    if purpose:
        _tell_citizen(session, letter, step, purpose, public_base_url)
    if target is None:  # a note or a question to the citizen: the lists do not change
        return Outcome(letter)
    return Outcome(letter, letter_events(session, letter, EVENT_OF_STEP[move], step.at))


def triage_move(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    letter_id: int,
    move: str,
    note: str = "",
    merge_into: str | None = None,
    public_base_url: str,
) -> Outcome[Letter]:
    """Close an answered letter, reject one, or merge a duplicate into another."""
    principal.require_role(*TRIAGE_ROLES)
    _not_at_a_unit(session)
    letter = letter_for(session, principal, letter_id)
    if move == "close":
        step = _step(session, clock, letter, principal.actor, "close", to=LetterStatus.closed,
                     note=_note(note), public=True)  # fmt: skip
        _tell_citizen(session, letter, step, "letter_closed", public_base_url)
    elif move == "reject":
        step = _step(session, clock, letter, principal.actor, "reject", to=LetterStatus.rejected,
                     note=_note(note, required=True), public=True)  # fmt: skip
        _tell_citizen(session, letter, step, "letter_rejected", public_base_url)
    elif move == "merge":
        other = session.exec(
            select(Letter).where(Letter.reference == (merge_into or "").strip().upper())
        ).first()
        if other is None or other.id == letter.id or not may_see(principal, other):
            raise Invalid("unknown_reference", N_("There is no other letter with this reference."))
        if other.status not in OPEN:
            raise Invalid("merge_into_closed", N_("Merge only into a letter that is still open."))
        letter.merged_into_id = other.id
        step = _step(session, clock, letter, principal.actor, "merge", to=LetterStatus.merged,
                     note=other.reference, public=True)  # fmt: skip
    else:
        raise Invalid("unknown_move", N_("Unknown action {name}."), name=move[:20])
    return Outcome(letter, letter_events(session, letter, EVENT_OF_STEP[move], step.at))


TRIAGE_MOVES = ("close", "reject", "merge")
MOVES = frozenset(DEPARTMENT_MOVES) | frozenset(TRIAGE_MOVES)
"""Every move a letter can be given by name (the desk's buttons, the API's paths)."""


def move_letter(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    letter_id: int,
    move: str,
    note: str = "",
    merge_into: str | None = None,
    public_base_url: str,
) -> Outcome[Letter]:
    """One move by its name, for every screen: triage's close, reject and merge, or one
    of the department's moves."""
    if move in TRIAGE_MOVES:
        return triage_move(
            session, clock, principal, letter_id=letter_id, move=move, note=note,
            merge_into=merge_into, public_base_url=public_base_url,
        )  # fmt: skip
    return department_move(
        session, clock, principal, letter_id=letter_id, move=move, note=note,
        public_base_url=public_base_url,
    )  # fmt: skip


def log_call(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    letter_id: int,
    direction: str,
    note: str,
) -> Outcome[LetterStep]:
    """A phone call about a letter, incoming or outgoing, with what was said."""
    principal.require_role(*TRIAGE_ROLES, Role.department_officer)
    if direction not in ("in", "out"):
        raise Invalid("bad_direction", N_("A call is incoming or outgoing."))
    letter = letter_for(session, principal, letter_id)
    step = _step(session, clock, letter, principal.actor, f"call_{direction}",
                 note=_note(note, required=True))  # fmt: skip
    return Outcome(step)
