"""Reads of letters: one letter as staff see it, search with filters, a department's
inbox sorted by service-level target, the public timeline of the tracking page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from reception import audit
from reception.auth.models import ApiToken, Role, StaffUser
from reception.auth.principal import Principal
from reception.errors import N_, Invalid, NotFound
from reception.inputs import check_day, digits_only, typed_date
from reception.letters.access import EVERYONE_ON_LETTERS, TRIAGE_ROLES, may_see
from reception.letters.models import (
    Category,
    Department,
    Letter,
    LetterStatus,
    LetterStep,
    RoutingRule,
)
from reception.letters.rules import OPEN, mask_id, mask_name, normalise_arabic, sla_state
from reception.queue.models import Branch, Hall, Ticket
from reception.settings import DEFAULT_TIMEZONE
from reception.timefmt import zone_of

MAX_RESULTS = 200


def letter_by_reference(session: Session, principal: Principal, reference: str) -> Letter:
    principal.require_role(*EVERYONE_ON_LETTERS)  # a kiosk or display reads no letter
    letter = session.exec(
        select(Letter).where(Letter.reference == reference.strip().upper()[:20])
    ).first()
    if letter is None or not may_see(principal, letter):
        raise NotFound("unknown_letter", N_("There is no such letter."))
    return letter


def _names(session: Session) -> tuple[dict[int, Category], dict[int, Department]]:
    return (
        {c.id or 0: c for c in session.exec(select(Category))},
        {d.id or 0: d for d in session.exec(select(Department))},
    )


def _zones(session: Session) -> dict[int, str]:
    """Each branch's time zone, for the times a letter list shows."""
    return {b.id or 0: b.timezone for b in session.exec(select(Branch))}


def summary(
    letter: Letter,
    categories: dict[int, Category],
    departments: dict[int, Department],
    now: datetime,
    zones: dict[int, str] | None = None,
) -> dict[str, Any]:
    """A letter in a list: no body, the identity number masked. `timezone` is the
    letter's branch's: the zone its times are shown in."""
    category = categories.get(letter.category_id or 0)
    department = departments.get(letter.department_id or 0)
    return {
        "id": letter.id,
        "reference": letter.reference,
        "status": letter.status,
        "subject": letter.subject,
        "sender": letter.sender_name,
        "sender_id": mask_id(letter.sender_id_number),
        "channel": letter.channel,
        "category": category.slug if category else None,
        "category_name_ar": category.name_ar if category else None,
        "category_name_en": category.name_en if category else None,
        "department": department.slug if department else None,
        "department_name_ar": department.name_ar if department else None,
        "department_name_en": department.name_en if department else None,
        "created_at": letter.created_at.isoformat(),
        "status_since": letter.status_since.isoformat(),
        "timezone": (zones or {}).get(letter.branch_id, DEFAULT_TIMEZONE),
        "sla": sla_state(
            category.sla_hours if category else None, letter.status, letter.status_since, now
        )
        if letter.status in OPEN
        else "ok",
    }


def summary_of(session: Session, letter: Letter, now: datetime) -> dict[str, Any]:
    """`summary` of one letter, reading only its own category, department and branch."""
    category = session.get(Category, letter.category_id) if letter.category_id else None
    department = session.get(Department, letter.department_id) if letter.department_id else None
    branch = session.get(Branch, letter.branch_id)
    return summary(
        letter,
        {category.id or 0: category} if category else {},
        {department.id or 0: department} if department else {},
        now,
        {letter.branch_id: branch.timezone} if branch else {},
    )


def detail(session: Session, letter: Letter, now: datetime) -> dict[str, Any]:
    categories, departments = _names(session)
    data = summary(letter, categories, departments, now, _zones(session))
    hall = session.get(Hall, letter.hall_id) if letter.hall_id else None
    data.update(
        body=letter.body,
        residency=letter.residency,
        sex=letter.sex,
        language=letter.language,
        hall=hall.slug if hall else None,
        has_phone=bool(letter.phone),
        steps=[
            {
                "kind": s.kind,
                "from": s.from_status,
                "to": s.to_status,
                "note": s.note,
                "public": s.public,
                "actor": s.actor,
                "at": s.at.isoformat(),
            }
            for s in steps_of(session, letter.id or 0)
        ],
    )
    return data


def trail(session: Session, letter: Letter) -> list[dict[str, Any]]:
    """The letter's steps as its page tells them: who acted (the person's full name, or
    the role when the account has none) and what each step decided: the category set
    or changed, the department it was sent to or accepted by, the letter merged into."""
    steps = steps_of(session, letter.id or 0)
    decided = {
        entry.data.get("step"): entry.data
        for entry in audit.history(session, "letter", letter.id)
        if entry.action in ("letter.classify", "letter.route")
    }
    categories, departments = _names(session)
    people = _actors(session, {s.actor for s in steps})
    merged_into = session.get(Letter, letter.merged_into_id) if letter.merged_into_id else None
    category: Category | None = None
    department: Department | None = None
    # A step recorded before the decisions went into the audit entry: the last
    # classification and routing still name the letter's current category and department.
    last = {s.kind: s.id for s in steps}
    told: list[dict[str, Any]] = []
    for step in steps:
        data = dict(decided.get(step.id, {}))
        if step.id == last.get("classify") and "category" not in data:
            data["category"] = letter.category_id
        if step.id == last.get("route") and "department" not in data:
            data["department"] = letter.department_id
        line: dict[str, Any] = {
            "kind": step.kind,
            "at": step.at.isoformat(),
            "note": step.note,
            "public": step.public,
            **people.get(step.actor, {"name": "", "role": "system"}),
        }
        if step.kind == "classify":
            chosen = categories.get(data.get("category") or 0)
            line.update(category=chosen, before=category if category != chosen else None)
            category = chosen or category
        elif step.kind == "route":
            department = departments.get(data.get("department") or 0)
            line["department"] = department
        elif step.kind in ("accept", "answer", "return"):
            line["department"] = department
        elif step.kind == "merge":
            line.update(note="", reference=merged_into.reference if merged_into else step.note)
        told.append(line)
    return told


def _actors(session: Session, actors: set[str]) -> dict[str, dict[str, str]]:
    """`user:<id>` / `token:<id>` / `system` → the name to show and the role: a
    username or a token's name is an account's key, never shown to people."""
    ids = {kind: set[int]() for kind in ("user", "token")}
    for actor in actors:
        kind, _, number = actor.partition(":")
        if kind in ids and number.isdigit():
            ids[kind].add(int(number))
    found: dict[str, dict[str, str]] = {}
    if ids["user"]:
        for user in session.exec(select(StaffUser).where(col(StaffUser.id).in_(ids["user"]))):
            found[f"user:{user.id}"] = {"name": user.full_name.strip(), "role": user.role}
    if ids["token"]:
        for token in session.exec(select(ApiToken).where(col(ApiToken.id).in_(ids["token"]))):
            found[f"token:{token.id}"] = {"name": "", "role": token.role}
    return found


def steps_of(session: Session, letter_id: int, public_only: bool = False) -> list[LetterStep]:
    stmt = select(LetterStep).where(LetterStep.letter_id == letter_id)
    if public_only:
        stmt = stmt.where(LetterStep.public == True)  # noqa: E712
    return list(session.exec(stmt.order_by(col(LetterStep.at), col(LetterStep.id))))


def _visible(principal: Principal) -> list[Any]:
    """The SQL side of `may_see`: what this principal may list."""
    if principal.role == Role.department_officer:
        return [Letter.department_id == (principal.department_id or -1)]
    if principal.role not in TRIAGE_ROLES:
        return [Letter.id == -1]
    where: list[Any] = []
    if principal.branch_id is not None:
        where.append(Letter.branch_id == principal.branch_id)
    if principal.hall_ids:
        where.append(
            col(Letter.hall_id).is_(None) | col(Letter.hall_id).in_(sorted(principal.hall_ids))
        )
    return where


def _day(value: str | None, today: date) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(typed_date(value))
    except ValueError:
        raise Invalid("bad_date", N_("Dates are written like 2026-12-18.")) from None
    return check_day(day, today)


def search(
    session: Session,
    principal: Principal,
    now: datetime,
    *,
    q: str = "",
    status: str | None = None,
    category: str | None = None,
    department: str | None = None,
    hall: str | None = None,
    sla: str | None = None,
    sender_id: str | None = None,
    phone: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Letters this principal may see, newest first, filtered. `q` matches the subject
    and body with Arabic spelling variants folded, every word present; it also finds a
    reference number. A kiosk or display may not list letters at all (403, not an
    empty list)."""
    principal.require_role(*EVERYONE_ON_LETTERS)
    stmt = select(Letter).where(*_visible(principal))
    if status:
        if status not in {s.value for s in LetterStatus}:
            raise Invalid("bad_status", N_("Unknown status {name}."), name=status[:20])
        stmt = stmt.where(Letter.status == status)
    categories, departments = _names(session)
    if category:
        ids = [c.id for c in categories.values() if c.slug == category]
        ids += [c.id for c in categories.values() if c.parent_id in ids]
        stmt = stmt.where(col(Letter.category_id).in_(ids or [-1]))
    if department:
        ids = [d.id for d in departments.values() if d.slug == department]
        stmt = stmt.where(col(Letter.department_id).in_(ids or [-1]))
    if hall:
        hall_ids = session.exec(select(Hall.id).where(Hall.slug == hall)).all()
        stmt = stmt.where(col(Letter.hall_id).in_(list(hall_ids) or [-1]))
    if sender_id:
        digits = digits_only(sender_id)[:10]
        stmt = stmt.where(Letter.sender_id_number == digits)
    if phone:
        from reception.queue.rules import normalise_phone

        stmt = stmt.where(Letter.phone == normalise_phone(phone))
    branch = session.get(Branch, principal.branch_id) if principal.branch_id else None
    zone = zone_of(branch.timezone if branch else None)
    today = now.astimezone(zone).date()  # the branch's today, not UTC's
    start, end = _day(date_from, today), _day(date_to, today)
    if start:
        stmt = stmt.where(Letter.created_at >= datetime.combine(start, time(), zone))
    if end:
        stmt = stmt.where(
            Letter.created_at < datetime.combine(end + timedelta(days=1), time(), zone)
        )
    raw = q.strip()
    if len(raw) >= 20 and " " not in raw and "/l/" not in raw:
        words: list[str] = []
        stmt = stmt.where(Letter.tracking_token == raw[-64:])  # read out by the caller
    elif "/l/" in raw:
        words = []
        stmt = stmt.where(Letter.tracking_token == raw.rsplit("/l/", 1)[1][:64])
    else:
        words = normalise_arabic(q[:200]).split()
    for word in words[:8]:
        pattern = "%" + word.replace("\\", "").replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(
            col(Letter.search_text).like(pattern) | col(Letter.reference).like(pattern.upper())
        )
    rows = session.exec(
        stmt.order_by(col(Letter.created_at).desc(), col(Letter.id).desc()).limit(
            MAX_RESULTS if sla else max(1, min(limit, MAX_RESULTS))
        )
    ).all()
    zones = _zones(session)
    found = [summary(letter, categories, departments, now, zones) for letter in rows]
    if sla:
        found = [f for f in found if f["sla"] == sla][:limit]
    return found


SLA_ORDER = {"late": 0, "near": 1, "ok": 2}


def inbox(session: Session, principal: Principal, now: datetime) -> list[dict[str, Any]]:
    """A department's open letters: late first, then near their target, then oldest."""
    rows = session.exec(
        select(Letter).where(
            *_visible(principal),
            col(Letter.status).in_([LetterStatus.routed, LetterStatus.in_progress]),
        )
    ).all()
    categories, departments = _names(session)
    zones = _zones(session)
    found = [summary(letter, categories, departments, now, zones) for letter in rows]
    found.sort(key=lambda f: (SLA_ORDER[f["sla"]], f["status_since"]))
    return found


def triage_queue(session: Session, principal: Principal, now: datetime) -> list[dict[str, Any]]:
    """Letters waiting for triage: new, classified but not routed, and returned ones."""
    rows = session.exec(
        select(Letter).where(
            *_visible(principal),
            col(Letter.status).in_(
                [LetterStatus.received, LetterStatus.classified, LetterStatus.returned]
            ),
        )
    ).all()
    categories, departments = _names(session)
    zones = _zones(session)
    found = [summary(letter, categories, departments, now, zones) for letter in rows]
    found.sort(key=lambda f: (SLA_ORDER[f["sla"]], f["status_since"]))
    return found


def letter_by_token(session: Session, token: str) -> Letter:
    """The letter behind a citizen's link (`/l/<token>`)."""
    letter = session.exec(select(Letter).where(Letter.tracking_token == token[:64])).first()
    if letter is None or not token:
        raise NotFound("unknown_link", N_("This link is not valid. Please check the SMS."))
    return letter


def public_timeline(session: Session, token: str) -> dict[str, Any]:
    """What the citizen sees at `/l/<token>`: no personal data beyond a masked name."""
    letter = letter_by_token(session, token)
    categories, departments = _names(session)
    department = departments.get(letter.department_id or 0)
    return {
        "letter": letter,
        "name": mask_name(letter.sender_name),
        "department": department,
        "steps": steps_of(session, letter.id or 0, public_only=True),
        "timezone": _zones(session).get(letter.branch_id, DEFAULT_TIMEZONE),
    }


def taxonomy(session: Session) -> dict[str, Any]:
    """Categories grouped under their parents, each with the department its general
    rule routes to; the active departments; the statuses — what the letter forms offer."""
    categories = list(
        session.exec(
            select(Category).where(Category.active == True).order_by(col(Category.id))  # noqa: E712
        )
    )
    departments = list(session.exec(select(Department).order_by(col(Department.id))))
    by_id = {d.id: d for d in departments}
    general = {
        r.category_id: by_id.get(r.department_id)
        for r in session.exec(select(RoutingRule))
        if r.branch_id is None and r.residency is None
    }
    parents = [c for c in categories if c.parent_id is None]
    return {
        "routes_to": {
            c.id: general.get(c.id or 0) or general.get(c.parent_id or 0) for c in categories
        },
        "groups": [(p, [c for c in categories if c.parent_id == p.id]) for p in parents],
        "departments": [d for d in departments if d.active],
        "statuses": [s.value for s in LetterStatus],
    }


def hall_of(session: Session, letter: Letter) -> Hall | None:
    return session.get(Hall, letter.hall_id) if letter.hall_id else None


def department_of(session: Session, principal: Principal) -> Department | None:
    return session.get(Department, principal.department_id) if principal.department_id else None


SEX_OF_SECTION = {"men": "male", "women": "female"}


def visitor_ticket(
    session: Session,
    principal: Principal,
    branch: Branch,
    today: date,
    *,
    ticket_id: int | None = None,
    number: str = "",
    hall: str = "",
) -> dict[str, Any]:
    """What today's ticket already knows about its visitor, for the new-letter form:
    the ticket's number and hall, the sex its hall implies, the mobile given at the
    kiosk (in the local form people read). Found by the ticket's id (the counter's
    current ticket) or its number; a ticket of a hall this account may not work in is
    refused, so nobody reads another hall's visitors through this form."""
    principal.require_role(*TRIAGE_ROLES)
    stmt = select(Ticket).where(Ticket.branch_id == branch.id, Ticket.business_date == today)
    if ticket_id is not None:
        stmt = stmt.where(Ticket.id == ticket_id)
    else:
        number = number.strip().upper()[:12]
        stmt = stmt.where(Ticket.number == number)
    found = list(session.exec(stmt.order_by(col(Ticket.id))))
    if not found:
        raise NotFound(
            "unknown_ticket_number", N_("There is no ticket {number} today."), number=number
        )
    halls = {h.id: h for h in session.exec(select(Hall).where(Hall.branch_id == branch.id))}
    # Two halls may print the same number: the hall named on the form comes first.
    found.sort(key=lambda t: halls[t.hall_id].slug != hall)
    ticket = found[0]
    principal.require_hall(branch.id or 0, ticket.hall_id)
    its_hall = halls[ticket.hall_id]
    phone = ticket.phone or ""
    if phone.startswith("+9665"):
        phone = "0" + phone[4:]
    return {
        "ticket_number": ticket.number,
        "hall": its_hall.slug,
        "sex": SEX_OF_SECTION.get(its_hall.section, ""),
        "phone": phone,
    }


def department_of_letter(session: Session, letter: Letter) -> Department | None:
    return session.get(Department, letter.department_id) if letter.department_id else None
