"""Turn a session user id or a bearer token into a Principal."""

from __future__ import annotations

from sqlmodel import Session, select

from reception.auth.actions import token_digest
from reception.auth.models import ApiToken, StaffUser, UserHall
from reception.auth.passwords import verify_password
from reception.auth.principal import Principal


def principal_for_user(session: Session, user_id: int) -> Principal | None:
    user = session.get(StaffUser, user_id)
    if user is None or not user.active or user.id is None:
        return None
    halls = session.exec(select(UserHall.hall_id).where(UserHall.user_id == user.id)).all()
    return Principal(
        kind="user",
        id=user.id,
        name=user.full_name or user.username,
        role=user.role,
        branch_id=user.branch_id,
        hall_ids=frozenset(halls),
    )


def principal_for_token(session: Session, token: str) -> Principal | None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if row is None or row.revoked_at is not None or row.id is None:
        return None
    return Principal(
        kind="token",
        id=row.id,
        name=row.name,
        role=row.role,
        branch_id=row.branch_id,
        hall_ids=frozenset({row.hall_id}) if row.hall_id else frozenset(),
    )


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    return user
