"""When the SMS worker may send: the quiet hours and the hourly cap per number.
Built by the settings at start-up; it depends on nothing of the product, so the
settings need not import the sending machinery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SendPolicy:
    """So that a bug can never spam a citizen: no message to a number beyond
    `max_per_hour`, and nothing that can wait is sent in the quiet hours (local time
    of the message's branch; `timezone` where the message has none)."""

    quiet_start: time | None = None
    quiet_end: time | None = None
    timezone: str | None = None
    """Where a message belongs to no branch (None: the clock's own zone, UTC)."""
    max_per_hour: int = 0  # 0: no limit

    def quiet_until(self, now: datetime, timezone: str | None = None) -> datetime | None:
        """The end of the quiet hours if `now` falls inside them (in `timezone`, or
        the policy's own zone)."""
        if self.quiet_start is None or self.quiet_end is None:
            return None
        zone = timezone or self.timezone
        local = now.astimezone(ZoneInfo(zone)) if zone else now
        start, end, clock = self.quiet_start, self.quiet_end, local.time()
        inside = start <= clock < end if start < end else clock >= start or clock < end
        if not inside:
            return None
        until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if until <= local:
            until += timedelta(days=1)
        return until.astimezone(now.tzinfo)


def parse_quiet_hours(text: str) -> tuple[time | None, time | None]:
    """`22:00-07:00` → the two times; empty → no quiet hours."""
    if not text.strip():
        return None, None
    start, _, end = text.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
