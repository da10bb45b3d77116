"""What the hall displays show besides the queue: a notice, the layout, the volume of
announcements. A supervisor changes them; every display of the hall applies the change
at once (a `display.config` event in the hall's sequence)."""

from __future__ import annotations

from sqlmodel import Session

from reception import audit
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.errors import N_, Invalid, NotFound
from reception.queue import queries
from reception.queue.actions import Outcome, hall_event
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
    event = hall_event(session, hall, "display.config", display=queries.display_settings(hall))
    return Outcome(hall, [event])
