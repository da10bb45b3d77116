"""Throttling of guesses: wrong passwords, links that do not exist, appointment codes
that do not exist.

Every wrong guess leaves a strike in the database under the keys it counts against
(the account *and* the address it came from, the address alone, the kiosk, the code
typed). A key with `max_failures` strikes inside its window waits until the oldest of
them leaves the window. The strikes are rows, so every worker and every host sharing
the database sees the same count; an in-process counter would let each worker grant
its own allowance.

Keys are stored as keyed hashes (HMAC with the application's secret), never as the
username or address itself. Password hashing never runs more than a couple at a time,
so a flood of guesses cannot slow the kiosks and displays down."""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from reception.auth.models import GuessStrike

if TYPE_CHECKING:
    from reception.settings import Settings

HASHING_AT_ONCE = threading.BoundedSemaphore(2)


@dataclass(frozen=True)
class Limit:
    scope: str
    """What is counted: `login_account_address`, `login_address`, `link_address`,
    `code_kiosk` or `code`."""
    max_failures: int
    window_seconds: int


@dataclass(frozen=True)
class Check:
    """One key counted against one limit."""

    limit: Limit
    key: str


@dataclass(frozen=True)
class GuessLimits:
    """The limits in force, from the settings (policy, not code)."""

    login_account_address: Limit
    login_address: Limit
    link_address: Limit
    code_kiosk: Limit
    code: Limit

    @classmethod
    def from_settings(cls, settings: Settings) -> GuessLimits:
        lock = settings.login_lock_seconds
        window = settings.guess_window_seconds
        return cls(
            login_account_address=Limit(
                "login_account_address", settings.login_failures_per_account_and_address, lock
            ),
            login_address=Limit("login_address", settings.login_failures_per_address, lock),
            link_address=Limit("link_address", settings.link_guesses_per_address, window),
            code_kiosk=Limit("code_kiosk", settings.code_guesses_per_kiosk, window),
            code=Limit("code", settings.code_guesses_per_code, window),
        )


def hashed(secret: str, *parts: str) -> str:
    """A key that names its parts without revealing them (32 hex characters)."""
    message = "\x1f".join(parts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def seconds_to_wait(session: Session, now: datetime, checks: list[Check]) -> int:
    """Seconds until every one of these keys may guess again (0: now)."""
    wait = 0
    for check in checks:
        limit = check.limit
        if limit.max_failures <= 0:
            continue
        since = now - timedelta(seconds=limit.window_seconds)
        nth_latest = session.exec(
            select(GuessStrike.at)
            .where(
                GuessStrike.scope == limit.scope,
                GuessStrike.key == check.key,
                col(GuessStrike.at) > since,
            )
            .order_by(col(GuessStrike.at).desc())
            .offset(limit.max_failures - 1)
            .limit(1)
        ).first()
        if nth_latest is not None:
            left = limit.window_seconds - (now - nth_latest).total_seconds()
            wait = max(wait, math.ceil(left), 1)
    return wait


def record_failure(session: Session, now: datetime, checks: list[Check]) -> list[Check]:
    """Count one wrong guess against every key; the checks this guess has just locked
    come back (the caller records a lockout in the audit trail)."""
    locked = []
    for check in checks:
        limit = check.limit
        since = now - timedelta(seconds=limit.window_seconds)
        session.execute(
            delete(GuessStrike).where(
                col(GuessStrike.scope) == limit.scope,
                col(GuessStrike.key) == check.key,
                col(GuessStrike.at) <= since,
            )
        )
        session.add(GuessStrike(scope=limit.scope, key=check.key, at=now))
        session.flush()
        count = session.exec(
            select(func.count())
            .select_from(GuessStrike)
            .where(GuessStrike.scope == limit.scope, GuessStrike.key == check.key)
        ).one()
        if count == limit.max_failures:
            locked.append(check)
    return locked


def forget_failures(session: Session, checks: list[Check]) -> None:
    """A right guess clears these keys' strikes (never the address's own count: one
    good account must not reset the allowance of an address trying many)."""
    for check in checks:
        session.execute(
            delete(GuessStrike).where(
                col(GuessStrike.scope) == check.limit.scope, col(GuessStrike.key) == check.key
            )
        )


def forget_old_strikes(session: Session, now: datetime, older_than_seconds: int) -> int:
    """Housekeeping: strikes no window can still count."""
    result = session.execute(
        delete(GuessStrike).where(col(GuessStrike.at) < now - timedelta(seconds=older_than_seconds))
    )
    return int(getattr(result, "rowcount", 0) or 0)
