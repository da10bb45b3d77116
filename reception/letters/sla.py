"""Telling the live screens when a letter goes past the target of its stage.

Whether a letter is late is judged when it is read (`rules.sla_state`); nothing
happens at the moment a target passes. Housekeeping therefore looks, once a minute,
for letters that became late since they entered their stage and were not yet
announced, marks them, and publishes `letter.sla_breached` on their channels."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, false
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, or_, select

from reception import audit
from reception.clock import Clock
from reception.letters.events import SLA_BREACHED, letter_events
from reception.letters.models import Category, Letter
from reception.letters.rules import SLA_STAGES
from reception.outcome import Outcome

BATCH = 200
"""Letters announced in one pass at most; the rest follow in the next passes."""


def late_letters(session: Session, now: datetime) -> ColumnElement[bool]:
    """Open letters past the target of their current stage, as `sla_state` judges:
    late when now − status_since > the stage's target hours (a returned letter is
    held to the classification target; no positive target: never late)."""
    targets: dict[tuple[str, float], list[int]] = defaultdict(list)
    for category_id, hours in session.execute(
        select(col(Category.id), col(Category.sla_hours))
    ).all():
        for stage in SLA_STAGES:
            target = (hours or {}).get("classified" if stage == "returned" else stage)
            if isinstance(target, int | float) and not isinstance(target, bool) and target > 0:
                targets[(stage, float(target))].append(category_id or 0)
    if not targets:
        return false()
    return or_(
        *[
            and_(
                col(Letter.status) == stage,
                col(Letter.category_id).in_(ids),
                col(Letter.status_since) < now - timedelta(hours=hours),
            )
            for (stage, hours), ids in targets.items()
        ]
    )


def announce_sla_breaches(session: Session, clock: Clock, actor: str = "system") -> Outcome[int]:
    now = clock.now()
    told = col(Letter.sla_breach_told_at)
    stmt = (
        select(Letter)
        .where(late_letters(session, now), or_(told.is_(None), told < col(Letter.status_since)))
        .order_by(col(Letter.id))
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # every worker runs housekeeping
    events = []
    letters = list(session.exec(stmt))
    for letter in letters:
        letter.sla_breach_told_at = now
        session.add(letter)
        audit.record(session, actor, "letter.sla_breach", "letter", letter.id, status=letter.status)
        events += letter_events(session, letter, SLA_BREACHED, now)
    return Outcome(len(letters), events)
