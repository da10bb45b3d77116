"""What the hall displays show besides the queue: a notice, the layout, the volume of
announcements. A supervisor changes them; every display of the hall applies the change
at once (a `display.config` event in the hall's sequence)."""

from __future__ import annotations

from sqlmodel import Session

from reception import audit
from reception.auth.models import ApiToken, Role
from reception.auth.principal import Principal
from reception.errors import N_, Invalid, NotFound
from reception.events.messages import HallEvent
from reception.inputs import to_int
from reception.outcome import Outcome
from reception.queue import queries
from reception.queue.hall_events import hall_event
from reception.queue.models import Hall

LAYOUTS = ("auto", "landscape", "portrait")
MAX_NOTICE = 300


def set_display(
    session: Session,
    principal: Principal,
    *,
    hall_id: int,
    notice_ar: str,
    notice_en: str,
    layout: str,
    volume: int,
) -> Outcome[Hall]:
    principal.require_role(Role.supervisor, Role.admin)
    hall = session.get(Hall, hall_id)
    if hall is None:
        raise NotFound("unknown_hall_id", N_("There is no hall {id}."), id=hall_id)
    principal.require_hall(hall.branch_id, hall_id)
    notice_ar, notice_en = " ".join(notice_ar.split()), " ".join(notice_en.split())
    if len(notice_ar) > MAX_NOTICE or len(notice_en) > MAX_NOTICE:
        raise Invalid("notice_too_long", N_("A notice has at most 300 characters."))
    if layout not in LAYOUTS:
        raise Invalid("bad_layout", N_("The layout is auto, landscape or portrait."))
    if not 0 <= volume <= 100:
        raise Invalid("bad_volume", N_("The volume is 0 (silent) to 100."))
    hall.notice_ar, hall.notice_en = notice_ar, notice_en
    hall.display_layout, hall.announce_volume = layout, volume
    session.add(hall)
    audit.record(
        session,
        principal.actor,
        "hall.display",
        "hall",
        hall.id,
        layout=layout,
        volume=volume,
        notice=bool(notice_ar or notice_en),
    )
    event = hall_event(
        session, hall, HallEvent.DISPLAY_CONFIG, display=queries.display_settings(hall)
    )
    return Outcome(hall, [event])


def parse_counters(text: str) -> list[int]:
    """`1, 2,3` → [1, 2, 3]; empty → [] (every counter)."""
    numbers = []
    for part in text.replace("،", ",").split(","):
        part = part.strip()
        if not part:
            continue
        number = to_int(part, low=1, high=9999, typed=True)
        if number is None:
            raise Invalid("bad_counters", N_("Write counter numbers separated by commas: 1, 2, 3."))
        numbers.append(number)
    return sorted(set(numbers))


def set_screen_counters(
    session: Session, principal: Principal, *, token_id: int, counters: str
) -> Outcome[ApiToken]:
    """Which counters one display screen shows (a screen above one row of desks)."""
    principal.require_role(Role.supervisor, Role.admin)
    token = session.get(ApiToken, token_id)
    if token is None or token.role != Role.display or token.hall_id is None:
        raise NotFound("unknown_screen", N_("There is no display screen {id}."), id=token_id)
    hall = session.get(Hall, token.hall_id)
    assert hall is not None and hall.id is not None
    principal.require_hall(hall.branch_id, hall.id)
    numbers = parse_counters(counters)
    existing = {c.number for c in queries.counters_of_hall(session, hall.id)}
    unknown = [n for n in numbers if n not in existing]
    if unknown:
        raise Invalid(
            "unknown_counter_number",
            N_("This hall has no counter {number}."),
            number=unknown[0],
        )
    token.display_counters = ",".join(str(n) for n in numbers)
    session.add(token)
    audit.record(
        session, principal.actor, "screen.counters", "apitoken", token.id, counters=numbers
    )
    event = hall_event(session, hall, HallEvent.DISPLAY_SCREEN, screen=token.id, counters=numbers)
    return Outcome(token, [event])


def screen_counters(token: ApiToken | None) -> list[int]:
    return parse_counters(token.display_counters) if token is not None else []
