"""At the centre: the laptops allowed to serve a mobile branch. Adding one makes its
token (role `edge`, shown once); revoking it stops the token at once (a stolen laptop
neither pulls nor pushes again). Both are audited actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from reception import audit
from reception.auth.actions import create_token, revoke_token
from reception.auth.models import Role
from reception.edge.models import EdgeUnit
from reception.errors import N_, Invalid, NotFound
from reception.outcome import Outcome
from reception.queue.models import Branch, BranchKind


def token_tag(unit_id: int) -> str:
    """What starts every tracking token and letter reference made at the unit."""
    return f"u{unit_id}x"


@dataclass(frozen=True)
class NewUnit:
    unit: EdgeUnit
    token: str
    """The clear token: shown once, never stored."""


@dataclass(frozen=True)
class UnitState:
    id: int
    name: str
    branch: str
    branch_id: int
    token_tag: str
    created_at: datetime
    revoked_at: datetime | None
    config_pulled_at: datetime | None
    last_push_at: datetime | None
    acked_seq: int
    pending: int
    complete_through: datetime | None

    def as_json(self) -> dict[str, object]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "id": self.id,
            "name": self.name,
            "branch": self.branch,
            "token_tag": self.token_tag,
            "created_at": iso(self.created_at),
            "revoked_at": iso(self.revoked_at),
            "config_pulled_at": iso(self.config_pulled_at),
            "last_push_at": iso(self.last_push_at),
            "acked_seq": self.acked_seq,
            "pending": self.pending,
            "complete_through": iso(self.complete_through),
        }


def add_unit(session: Session, *, branch_slug: str, name: str, actor: str) -> Outcome[NewUnit]:
    """A new unit of a mobile branch, with its token (the clear token returned once)."""
    name = name.strip()
    if not name or len(name) > 80:
        raise Invalid("unit_name", N_("Give the unit a name of at most 80 characters."))
    branch = session.exec(select(Branch).where(Branch.slug == branch_slug)).first()
    if branch is None or branch.id is None:
        raise NotFound("unknown_branch", N_("There is no branch {slug}."), slug=branch_slug)
    if branch.kind != BranchKind.mobile:
        raise Invalid(
            "not_mobile",
            N_("Branch {branch} is not a mobile unit: only a mobile branch has unit laptops."),
            branch=branch_slug,
        )
    token, clear = create_token(
        session,
        name=f"edge {name}"[:80],
        role=Role.edge,
        branch_slug=branch_slug,
        actor=actor,
        unit=True,
    )
    assert token.id is not None
    unit = EdgeUnit(branch_id=branch.id, token_id=token.id, name=name)
    session.add(unit)
    session.flush()
    audit.record(session, actor, "edge_unit.add", "edge_unit", unit.id, branch=branch_slug)
    return Outcome(NewUnit(unit, clear))


def revoke_unit(session: Session, *, unit_id: int, actor: str) -> Outcome[EdgeUnit]:
    """The unit's token stops working at once, on every worker."""
    unit = session.get(EdgeUnit, unit_id)
    if unit is None:
        raise NotFound("unknown_unit", N_("There is no mobile unit {id}."), id=unit_id)
    outcome = revoke_token(session, token_id=unit.token_id, actor=actor)
    if unit.revoked_at is None:
        unit.revoked_at = outcome.value.revoked_at
        session.add(unit)
        audit.record(session, actor, "edge_unit.revoke", "edge_unit", unit.id)
    return Outcome(unit, outcome.events)


def list_units(session: Session) -> list[UnitState]:
    rows = session.exec(
        select(EdgeUnit, Branch)
        .join(Branch, col(Branch.id) == EdgeUnit.branch_id)
        .order_by(col(EdgeUnit.id))
    ).all()
    return [
        UnitState(
            id=unit.id or 0,
            name=unit.name,
            branch=branch.slug,
            branch_id=unit.branch_id,
            token_tag=token_tag(unit.id or 0),
            created_at=unit.created_at,
            revoked_at=unit.revoked_at,
            config_pulled_at=unit.config_pulled_at,
            last_push_at=unit.last_push_at,
            acked_seq=unit.acked_seq,
            pending=unit.pending,
            complete_through=unit.complete_through,
        )
        for unit, branch in rows
    ]


def unit_of_token(session: Session, token_id: int) -> EdgeUnit | None:
    """The unit a live edge token belongs to (None once revoked)."""
    unit = session.exec(select(EdgeUnit).where(EdgeUnit.token_id == token_id)).first()
    if unit is None or unit.revoked_at is not None:
        return None
    return unit


def unit_branches(session: Session) -> set[int]:
    """Branches owned by a unit (any unit, even revoked: its data stays the unit's)."""
    return set(session.exec(select(EdgeUnit.branch_id).distinct()).all())
