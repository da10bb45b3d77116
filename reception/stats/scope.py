"""Who may read which reports: supervisors and administrators only; a principal tied
to a branch reads that branch only; without a branch filter a report covers every
branch the principal may see (the national rollup for an administrator)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Forbidden, Invalid
from reception.queue.models import Branch
from reception.settings import DEFAULT_TIMEZONE

REPORT_ROLES = (Role.supervisor, Role.admin)
MAX_BRANCHES = 200


@dataclass(frozen=True)
class Scope:
    branches: list[Branch]

    @property
    def branch_ids(self) -> list[int]:
        return [b.id or 0 for b in self.branches]

    @property
    def timezone(self) -> str:
        """The zone "today" is read in: the first branch's."""
        return self.branches[0].timezone if self.branches else DEFAULT_TIMEZONE

    @property
    def slugs(self) -> list[str]:
        return [b.slug for b in self.branches]


def require_reader(principal: Principal) -> None:
    principal.require_role(*REPORT_ROLES)


def report_scope(session: Session, principal: Principal, slugs: Sequence[str]) -> Scope:
    """The branches a report covers, checked against the principal."""
    require_reader(principal)
    wanted = [s.strip() for s in slugs if s and s.strip()]
    if len(wanted) > MAX_BRANCHES:
        raise Invalid("too_many_branches", N_("Too many branches in one report."))
    if not wanted:
        stmt = select(Branch).order_by(col(Branch.id))
        if principal.branch_id is not None:
            stmt = stmt.where(Branch.id == principal.branch_id)
        return Scope(list(session.exec(stmt).all()))
    known = {
        b.slug: b for b in session.exec(select(Branch).where(col(Branch.slug).in_(wanted))).all()
    }
    chosen: list[Branch] = []
    for slug in dict.fromkeys(wanted):
        branch = known.get(slug)
        if branch is None:
            raise Invalid("unknown_branch", N_("There is no branch {slug}."), slug=slug[:40])
        if not principal.may_use_branch(branch.id or 0):
            raise Forbidden(
                "other_branch", N_("Your account may only read the reports of its own branch.")
            )
        chosen.append(branch)
    chosen.sort(key=lambda b: b.id or 0)
    return Scope(chosen)


def today_in(scope: Scope, clock: Clock) -> date:
    return clock.local_date(scope.timezone)
