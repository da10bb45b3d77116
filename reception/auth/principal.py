"""Who is acting: a signed-in staff user or a bearer-token device/integration."""

from __future__ import annotations

from dataclasses import dataclass

from reception.auth.models import Role
from reception.errors import N_, Forbidden


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "token"
    id: int
    name: str
    role: str
    branch_id: int | None
    hall_ids: frozenset[int]
    """Halls this principal may act in; empty means every hall of `branch_id`
    (or of every branch when `branch_id` is None), which only admins, supervisors
    and kiosks of a whole branch get."""
    department_id: int | None = None
    """A department officer's department: the only letters they ever see."""

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def may_use_branch(self, branch_id: int) -> bool:
        return self.branch_id is None or self.branch_id == branch_id

    def may_use_hall(self, branch_id: int, hall_id: int) -> bool:
        if not self.may_use_branch(branch_id):
            return False
        if self.hall_ids:
            return hall_id in self.hall_ids
        return self.role in (Role.admin, Role.supervisor, Role.kiosk)

    def require_role(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden("wrong_role", N_("Your account is not allowed to do this."))

    def require_hall(self, branch_id: int, hall_id: int) -> None:
        if not self.may_use_hall(branch_id, hall_id):
            raise Forbidden("wrong_hall", N_("Your account is not allowed to work in this hall."))
