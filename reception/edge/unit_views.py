"""What the administration screen of mobile units shows: the mobile branches, the units
of one of them with how far each has synced, and one unit before it is revoked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from reception.edge.units import UnitState, list_units
from reception.errors import N_, NotFound
from reception.queue.models import Branch, BranchKind


@dataclass(frozen=True)
class UnitsView:
    branch: Branch | None
    """The branch shown; None when there is no mobile branch at all."""
    branches: list[Branch]
    """The mobile branches, and the branch shown if it is not one."""
    units: list[UnitState]


def units_view(session: Session, branch_slug: str | None) -> UnitsView:
    """The units of the branch `branch_slug` (the first mobile branch by default)."""
    mobile = list(
        session.exec(
            select(Branch).where(Branch.kind == BranchKind.mobile).order_by(col(Branch.id))
        )
    )
    branch: Branch | None
    if branch_slug:
        branch = session.exec(select(Branch).where(Branch.slug == branch_slug)).first()
        if branch is None:
            raise NotFound("unknown_branch", N_("There is no branch {branch}."), branch=branch_slug)
        if branch not in mobile:
            mobile.append(branch)
    else:
        branch = mobile[0] if mobile else None
    units = [u for u in list_units(session) if branch is not None and u.branch_id == branch.id]
    return UnitsView(branch, mobile, units)


def unit_state(session: Session, unit_id: int) -> UnitState:
    """One unit as the list shows it (before revoking it)."""
    for unit in list_units(session):
        if unit.id == unit_id:
            return unit
    raise NotFound("unknown_unit", N_("There is no mobile unit {id}."), id=unit_id)
