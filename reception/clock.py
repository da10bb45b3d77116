"""An injectable clock, so tests and simulations can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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


def utcnow() -> datetime:
    return datetime.now(UTC)
