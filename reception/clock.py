"""An injectable clock, so tests and simulations can move time.

Every time stamp written to the database comes from a clock: the one an action is
given, or the one bound to the action's session (`bind_clock`, done by whatever opens
the session: the web runner, the SMS worker, housekeeping, the CLI). Helpers that
only receive the session (the audit trail, the SMS outbox) ask `clock_of(session)`.
The models' `default_factory=utcnow` is a safety net only; every writer sets its
times explicitly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def local_date(self, timezone: str) -> date:
        return self.now().astimezone(ZoneInfo(timezone)).date()


class FrozenClock(Clock):
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at = self.at + timedelta(**kwargs)


SYSTEM_CLOCK = Clock()
SESSION_CLOCK = "clock"
"""Key in `Session.info` of the clock the session's writes take their times from."""


def bind_clock(session: Any, clock: Clock) -> Any:
    """Make `clock` the one the writes of this session stamp their rows with."""
    session.info[SESSION_CLOCK] = clock
    return session


def clock_of(session: Any) -> Clock:
    """The clock bound to the session; the system clock when nothing bound one."""
    bound = session.info.get(SESSION_CLOCK)
    return bound if isinstance(bound, Clock) else SYSTEM_CLOCK


def utcnow() -> datetime:
    return datetime.now(UTC)
