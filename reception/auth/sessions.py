"""Writers for staff sessions: signing in, signing out, signing out everywhere.

A session is a row (`StaffSession`); the browser's signed cookie holds its random
secret. Every request that carries the cookie reads the row, so deleting it ends the
session on every worker at once, with no cache that could keep it alive."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from reception import audit
from reception.auth import access
from reception.auth.models import Role, StaffSession, StaffUser
from reception.errors import N_, NotFound
from reception.outcome import Outcome

DEVICE_ROLES = frozenset({Role.kiosk.value, Role.display.value})
"""A kiosk or display signed in with an account stays signed in until it is signed out
(a visitor could not sign it in again); every other session has a maximum age."""


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(
    session: Session, *, user_id: int, now: datetime, max_age_seconds: int
) -> Outcome[str]:
    """A new session for a user who just proved their password; the clear secret is
    returned for the cookie and never stored. The user's own sessions that are past
    their maximum age are deleted here, so the table stays small without a sweeper."""
    user = session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("unknown_user", N_("There is no user {username}."), username=str(user_id))
    if user.role not in DEVICE_ROLES:
        oldest = now - timedelta(seconds=max_age_seconds)
        session.exec(
            delete(StaffSession).where(
                col(StaffSession.user_id) == user_id, col(StaffSession.created_at) < oldest
            )
        )
    clear = secrets.token_urlsafe(32)
    session.add(StaffSession(user_id=user_id, secret_hash=secret_digest(clear), created_at=now))
    return Outcome(clear)


def end_session(session: Session, *, secret: str, actor: str) -> Outcome[None]:
    """Sign out: the session ends everywhere, and its open sockets close."""
    row = session.exec(
        select(StaffSession).where(StaffSession.secret_hash == secret_digest(secret))
    ).first()
    if row is None or row.id is None:
        return Outcome(None)
    session.delete(row)
    audit.record(session, actor, "user.sign_out", "staffuser", row.user_id)
    return Outcome(None, [access.ended(sessions=[row.id], reason="sign_out")])


def delete_sessions(session: Session, user_id: int, keep: int | None = None) -> list[int]:
    """Delete a user's sessions (all, or all but `keep`); their ids, for the event."""
    query = select(StaffSession.id).where(StaffSession.user_id == user_id)
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    ids = [i for i in session.exec(query).all() if i is not None]
    if ids:
        session.exec(delete(StaffSession).where(col(StaffSession.id).in_(ids)))
    return ids


def sign_out_everywhere(
    session: Session, *, username: str | None = None, user_id: int | None = None, actor: str
) -> Outcome[int]:
    """End every session of one account (an administrator's button, or the person's
    own); their open pages and sockets close. Returns how many sessions ended."""
    if user_id is not None:
        user = session.get(StaffUser, user_id)
    else:
        user = session.exec(select(StaffUser).where(StaffUser.username == username)).first()
    if user is None or user.id is None:
        raise NotFound("unknown_user", N_("There is no user {username}."), username=username or "-")
    ids = delete_sessions(session, user.id)
    audit.record(
        session, actor, "user.sign_out_everywhere", "staffuser", user.id, sessions=len(ids)
    )
    event = access.ended(principals=[f"user:{user.id}"], reason="sign_out_everywhere")
    return Outcome(len(ids), [event])
