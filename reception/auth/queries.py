"""Turn a session user id or a bearer token into a Principal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.auth.actions import token_digest
from reception.auth.models import ApiToken, StaffSession, StaffUser, UserHall
from reception.auth.passwords import verify_password
from reception.auth.principal import Principal
from reception.auth.sessions import secret_digest
from reception.auth.throttle import HASHING_AT_ONCE
from reception.db import fetch_all, fetch_one


def principal_for_user(session: Session, user_id: int) -> Principal | None:
    return _user_principal(session, session.get(StaffUser, user_id))


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    session_id: int
    started: datetime


_SESSIONS = StaffSession.__table__  # type: ignore[attr-defined]
_USERS = StaffUser.__table__  # type: ignore[attr-defined]
_HALLS = UserHall.__table__  # type: ignore[attr-defined]
_SESSION, _USER, _HALL = _SESSIONS.c, _USERS.c, _HALLS.c
_COOKIE = (
    sql_select(
        _SESSION.id,
        _SESSION.created_at,
        _USER.id,
        _USER.username,
        _USER.full_name,
        _USER.role,
        _USER.branch_id,
        _USER.department_id,
        _USER.active,
        _HALL.hall_id,
    )
    .select_from(
        _SESSIONS.join(_USERS, _USER.id == _SESSION.user_id).outerjoin(
            _HALLS, _HALL.user_id == _USER.id
        )
    )
    .where(_SESSION.secret_hash == bindparam("digest"))
)
"""Built once: the session, its account and the account's halls (one row per hall),
in one indexed lookup on every signed-in request."""


def signed_in(engine: Engine, secret: str) -> SignedIn | None:
    """The session a cookie's secret names, with what its account may do, read
    straight from the driver in one query (cheaper than the account and halls were
    read before sessions were kept on the server). None once the session was ended
    or the account disabled."""
    rows = fetch_all(engine, _COOKIE, {"digest": secret_digest(secret)})
    if not rows:
        return None
    session_id, started, user_id, username, full_name, role, branch, department, active = rows[0][
        :9
    ]
    if not active:
        return None
    principal = Principal(
        kind="user",
        id=int(user_id),
        name=full_name or username,
        role=role,
        branch_id=branch,
        hall_ids=frozenset(row[9] for row in rows if row[9] is not None),
        department_id=department,
    )
    return SignedIn(principal, int(session_id), _utc(started))


def _utc(value: datetime | str) -> datetime:
    """A UTC column as the driver gives it: text on SQLite, a datetime on PostgreSQL."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _user_principal(session: Session, user: StaffUser | None) -> Principal | None:
    if user is None or not user.active or user.id is None:
        return None
    halls = session.exec(select(UserHall.hall_id).where(UserHall.user_id == user.id)).all()
    return _principal_of_user(user, halls)


def _principal_of_user(user: StaffUser, halls: Iterable[int]) -> Principal:
    assert user.id is not None
    return Principal(
        kind="user",
        id=user.id,
        name=user.full_name or user.username,
        role=user.role,
        branch_id=user.branch_id,
        hall_ids=frozenset(halls),
        department_id=user.department_id,
    )


_TOKEN_BY_HASH = select(ApiToken).where(ApiToken.token_hash == bindparam("digest"))
"""Built once: it runs for every request that carries a token."""


def principal_for_token(session: Session, token: str) -> Principal | None:
    row = session.exec(_TOKEN_BY_HASH, params={"digest": token_digest(token)}).first()
    return _token_principal(row)


_TOKEN = ApiToken.__table__.c  # type: ignore[attr-defined]
_BEARER = sql_select(
    _TOKEN.id,
    _TOKEN.name,
    _TOKEN.role,
    _TOKEN.branch_id,
    _TOKEN.hall_id,
    _TOKEN.department_id,
    _TOKEN.revoked_at,
).where(_TOKEN.token_hash == bindparam("digest"))


def principal_for_bearer(engine: Engine, token: str) -> Principal | None:
    """`principal_for_token` for every API request: the same row and answer, read
    straight from the driver (a tenth of the cost of a session and an ORM query)."""
    row = fetch_one(engine, _BEARER, {"digest": token_digest(token)})
    return None if row is None else _principal_of_token(*row)


def principal_for_token_id(session: Session, token_id: int) -> Principal | None:
    """A paired device: its session holds the token's id and works until revoked."""
    return _token_principal(session.get(ApiToken, token_id))


def _token_principal(row: ApiToken | None) -> Principal | None:
    if row is None or row.id is None:
        return None
    return _principal_of_token(
        row.id, row.name, row.role, row.branch_id, row.hall_id, row.department_id, row.revoked_at
    )


def _principal_of_token(
    token_id: int,
    name: str,
    role: str,
    branch_id: int | None,
    hall_id: int | None,
    department_id: int | None,
    revoked_at: object,
) -> Principal | None:
    """What a token may do, from its row (read by the ORM or straight from the driver:
    both ways come here, so a rule added here holds for both)."""
    if revoked_at is not None:
        return None
    return Principal(
        kind="token",
        id=int(token_id),
        name=name,
        role=role,
        branch_id=branch_id,
        hall_ids=frozenset({hall_id}) if hall_id else frozenset(),
        department_id=department_id,
    )


def user_by_id(session: Session, user_id: int) -> StaffUser | None:
    return session.get(StaffUser, user_id)


def user_by_username(session: Session, username: str) -> StaffUser | None:
    return session.exec(select(StaffUser).where(StaffUser.username == username)).first()


def check_password(user: StaffUser | None, password: str) -> StaffUser | None:
    """Verify outside any database session (hashing is slow on purpose); at most a
    couple of verifications run at once."""
    with HASHING_AT_ONCE:
        ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    return user


def current_access(
    session: Session, user_ids: set[int], token_ids: set[int], session_ids: set[int]
) -> tuple[dict[int, Principal], dict[int, Principal], dict[int, datetime]]:
    """What the given accounts, tokens and sessions may do now, in three queries
    whatever their number (absent from the answer: disabled, revoked or ended). Used
    to check the sockets a worker holds when access events may have been lost."""
    users: dict[int, Principal] = {}
    tokens: dict[int, Principal] = {}
    sessions: dict[int, datetime] = {}
    if user_ids:
        rows = session.exec(select(StaffUser).where(col(StaffUser.id).in_(user_ids))).all()
        halls: dict[int, set[int]] = {}
        for user_id, hall_id in session.exec(
            select(UserHall.user_id, UserHall.hall_id).where(col(UserHall.user_id).in_(user_ids))
        ):
            halls.setdefault(user_id, set()).add(hall_id)
        for user in rows:
            if user.active and user.id is not None:
                users[user.id] = _principal_of_user(user, halls.get(user.id, ()))
    if token_ids:
        for token in session.exec(select(ApiToken).where(col(ApiToken.id).in_(token_ids))):
            principal = _token_principal(token)
            if principal is not None:
                tokens[principal.id] = principal
    if session_ids:
        found = session.exec(
            select(StaffSession.id, StaffSession.created_at).where(
                col(StaffSession.id).in_(session_ids)
            )
        )
        sessions = {i: started for i, started in found if i is not None}
    return users, tokens, sessions
