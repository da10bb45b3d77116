"""The phone-call log: the list of call topics an administrator keeps, and the action
that logs a call at the desk with its topic, direction, length in minutes, and the
letter or ticket it concerns (if any)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from reception import audit
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Invalid, NotFound
from reception.letters.access import may_see
from reception.letters.models import CallTopic, Enquiry, Letter
from reception.outcome import Outcome
from reception.queue.models import Branch, Ticket
from reception.queue.setup import check_names, checked_slug, create_unless_taken

TRIAGE_ROLES = (Role.operator, Role.supervisor, Role.admin)
DIRECTIONS = ("in", "out")
MAX_CALL_MINUTES = 240
"""The longest call the log accepts; anything longer is a typing mistake."""
MAX_NOTE = 4000


# --- topics (administration) -----------------------------------------------------


def topic_by_slug(session: Session, slug: str) -> CallTopic:
    row = session.exec(select(CallTopic).where(CallTopic.slug == slug)).first()
    if row is None:
        raise NotFound("unknown_topic", N_("There is no call topic {slug}."), slug=slug[:40])
    return row


def list_topics(session: Session, active_only: bool = False) -> list[CallTopic]:
    stmt = select(CallTopic).order_by(col(CallTopic.sort_order), col(CallTopic.id))
    if active_only:
        stmt = stmt.where(col(CallTopic.active).is_(True))
    return list(session.exec(stmt))


def _order(value: int) -> int:
    if not -1000 <= value <= 1000:
        raise Invalid("bad_order", N_("The order is a whole number from -1000 to 1000."))
    return value


def add_topic(
    session: Session,
    *,
    slug: str,
    name_ar: str,
    name_en: str,
    sort_order: int = 0,
    active: bool = True,
    actor: str = "cli",
) -> CallTopic:
    check_names(name_ar, name_en)
    row = CallTopic(
        slug=checked_slug(slug),
        name_ar=name_ar.strip(),
        name_en=name_en.strip(),
        sort_order=_order(sort_order),
        active=active,
    )
    return create_unless_taken(session, actor, row, slug=slug)


def change_topic(
    session: Session,
    slug: str,
    *,
    name_ar: str | None = None,
    name_en: str | None = None,
    sort_order: int | None = None,
    active: bool | None = None,
    actor: str = "cli",
) -> CallTopic:
    """Rename, reorder, deactivate or reactivate a topic. A deactivated topic is no
    longer offered for new calls; the calls already logged keep it."""
    row = topic_by_slug(session, slug)
    check_names(name_ar if name_ar is not None else row.name_ar,
           name_en if name_en is not None else row.name_en)  # fmt: skip
    if name_ar is not None:
        row.name_ar = name_ar.strip()
    if name_en is not None:
        row.name_en = name_en.strip()
    if sort_order is not None:
        row.sort_order = _order(sort_order)
    if active is not None:
        row.active = active
    session.add(row)
    session.flush()
    audit.record(session, actor, "calltopic.set", "calltopic", row.id, active=row.active)
    return row


def remove_topic(session: Session, slug: str, *, actor: str = "cli") -> None:
    """Only a topic no call has used can be removed; the others are deactivated."""
    row = topic_by_slug(session, slug)
    used = session.exec(select(Enquiry.id).where(Enquiry.topic_id == row.id)).first()
    if used is not None:
        raise Conflict(
            "topic_in_use", N_("Calls were logged with this topic: deactivate it instead.")
        )
    audit.record(session, actor, "calltopic.remove", "calltopic", row.id, slug=row.slug)
    session.delete(row)
    session.flush()


# --- logging a call ----------------------------------------------------------------


def check_duration(minutes: int | None) -> int | None:
    """Whole minutes, 1 to MAX_CALL_MINUTES; None when nobody timed the call."""
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not 1 <= minutes <= MAX_CALL_MINUTES:
        raise Invalid(
            "bad_duration",
            N_("The length of a call is a whole number of minutes from 1 to {max}."),
            max=MAX_CALL_MINUTES,
        )
    return minutes


def _concerned_letter(session: Session, principal: Principal, reference: str) -> Letter:
    clean = reference.strip().upper()[:20]
    letter = session.exec(select(Letter).where(Letter.reference == clean)).first()
    if letter is None or not may_see(principal, letter):
        raise NotFound("unknown_letter", N_("There is no such letter."))
    return letter


def _concerned_ticket(
    session: Session, clock: Clock, principal: Principal, branch: Branch, ticket: int | str
) -> Ticket:
    """A ticket by its id, or by the number printed on it (today's, in this branch),
    in a hall the account may work in; any other ticket does not exist for it."""
    if isinstance(ticket, int) and not isinstance(ticket, bool):
        rows = [row] if (row := session.get(Ticket, ticket)) is not None else []
    else:
        number = str(ticket).strip().upper()[:12]
        today = clock.local_date(branch.timezone)
        rows = list(
            session.exec(
                select(Ticket).where(
                    Ticket.branch_id == branch.id,
                    Ticket.number == number,
                    Ticket.business_date == today,
                )
            )
        )
    mine = [r for r in rows if principal.may_use_hall(r.branch_id, r.hall_id)]
    if len(mine) != 1:
        raise NotFound("unknown_ticket", N_("This ticket does not exist."))
    return mine[0]


def log_enquiry(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    direction: str,
    topic: str,
    duration_minutes: int | None = None,
    note: str = "",
    letter: str | None = None,
    ticket: int | str | None = None,
) -> Outcome[Enquiry]:
    """Log one phone call (no caller details kept): its topic from the administered
    list, direction, length, and the letter or ticket it concerns, if any."""
    principal.require_role(*TRIAGE_ROLES)
    if direction not in DIRECTIONS:
        raise Invalid("bad_direction", N_("A call is incoming or outgoing."))
    if principal.branch_id is None:
        raise Invalid(
            "branch_required", N_("Every account except an administrator's needs a branch.")
        )
    branch = session.get(Branch, principal.branch_id)
    assert branch is not None
    if not topic or not topic.strip():
        raise Invalid("topic_required", N_("Choose what the call was about."))
    topic_row = session.exec(select(CallTopic).where(CallTopic.slug == topic.strip())).first()
    if topic_row is None or not topic_row.active:
        raise Invalid("unknown_topic", N_("Choose one of the call topics offered."))
    minutes = check_duration(duration_minutes)
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid("too_long", N_("This text is too long."))
    letter_row = (
        _concerned_letter(session, principal, letter) if letter and letter.strip() else None
    )
    ticket_row = (
        _concerned_ticket(session, clock, principal, branch, ticket)
        if ticket is not None and str(ticket).strip()
        else None
    )
    hall_id = (
        ticket_row.hall_id
        if ticket_row is not None
        else letter_row.hall_id
        if letter_row is not None
        else next(iter(principal.hall_ids))
        if len(principal.hall_ids) == 1
        else None
    )
    row = Enquiry(
        branch_id=branch.id or 0,
        hall_id=hall_id,
        topic_id=topic_row.id or 0,
        direction=direction,
        duration_minutes=minutes,
        letter_id=letter_row.id if letter_row is not None else None,
        ticket_id=ticket_row.id if ticket_row is not None else None,
        note=note,
        actor=principal.actor,
        at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, principal.actor, "enquiry.log", "enquiry", row.id, topic=topic_row.slug,
        letter=row.letter_id, ticket=row.ticket_id,
    )  # fmt: skip
    return Outcome(row)
