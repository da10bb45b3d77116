"""At the centre, a branch served by a mobile unit is the unit's: its tickets, phone
calls and ratings (the tables a unit keeps sending newer states of) change only when
the unit's records arrive. Any other write to them, by a screen, the API or a job,
is refused with a clear 403; the jobs leave those branches alone instead of failing.

Letters are not guarded: they are handed over on arrival and triaged at the centre.

Two ways in are covered: the ORM (a `before_flush` listener on every session) and
the few plain inserts of the hot paths, which call `require_centre_owned` themselves.
The unit's own ingest marks its session (`INGEST`) and passes."""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from reception.edge.models import EdgeUnit
from reception.errors import N_, Forbidden
from reception.feedback.models import Rating
from reception.letters.models import Enquiry
from reception.queue.models import Branch, BranchKind, Ticket

INGEST = "edge_ingest"
"""Key in `Session.info`: this session stores a unit's rows."""

_BRANCHES = "edge_unit_branches"
"""Key in `Session.info`: the unit branches, read once per session."""

OWNED_BY_UNIT = (Ticket, Enquiry, Rating)


def unit_branches(session: Session | OrmSession) -> frozenset[int]:
    """Branches that have a unit (even a revoked one: the data stays the unit's)."""
    known = session.info.get(_BRANCHES)
    if known is None:
        with session.no_autoflush:
            rows = session.execute(select(EdgeUnit.branch_id).distinct()).scalars().all()
        known = frozenset(int(b) for b in rows)
        session.info[_BRANCHES] = known
    return frozenset(known)


def refusal() -> Forbidden:
    return Forbidden(
        "mobile_unit_branch",
        N_("This branch is a mobile unit: its visitors are served and recorded at the unit."),
    )


def require_centre_owned(session: Session | OrmSession, branch_id: int | None) -> None:
    """Refuse a write to a unit's branch, unless it is the unit's own ingest."""
    if session.info.get(INGEST) or branch_id is None:
        return
    if branch_id in unit_branches(session):
        raise refusal()


def require_centre_owned_branch(session: Session | OrmSession, branch: Branch) -> None:
    """`require_centre_owned` for the plain inserts of check-ins: only a mobile branch
    can have a unit, so a centre's check-in pays nothing for the check."""
    if branch.kind == BranchKind.mobile:
        require_centre_owned(session, branch.id)


@event.listens_for(OrmSession, "before_flush")
def _refuse_writes_to_unit_rows(session: OrmSession, _context: Any, _instances: Any) -> None:
    if session.info.get(INGEST):
        return
    touched = [
        row
        for row in chain(session.new, session.dirty, session.deleted)
        if isinstance(row, OWNED_BY_UNIT)
    ]
    if not touched:
        return
    owned = unit_branches(session)
    if owned and any(row.branch_id in owned for row in touched):
        raise refusal()
