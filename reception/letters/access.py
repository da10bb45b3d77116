"""Who may see a letter: shared by the writers, the reads and the live channels."""

from __future__ import annotations

from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.letters.models import Letter

TRIAGE_ROLES = (Role.operator, Role.supervisor, Role.admin)
EVERYONE_ON_LETTERS = (*TRIAGE_ROLES, Role.department_officer)


def may_see(principal: Principal, letter: Letter) -> bool:
    """Triage staff of the letter's branch (and hall), or officers of the department it
    is routed to; nobody else has any business with it."""
    if principal.role == Role.department_officer:
        return principal.department_id is not None and letter.department_id == (
            principal.department_id
        )
    if principal.role not in TRIAGE_ROLES or not principal.may_use_branch(letter.branch_id):
        return False
    if letter.hall_id is not None and principal.hall_ids:
        return letter.hall_id in principal.hall_ids  # a women's-hall letter stays there
    return True
