"""What an estimate could know at best, for the ETA benchmark: a replay of the line
from a snapshot of the hall, served at the true mean service times.

The oracle knows everything the simulated day holds except the dice: the true mean
minutes of each service, when counters open, pause and close, every ticket that will
arrive later (with its service and priority), the line's order and its anti-starvation
rule, and how long each visitor now at a counter has been there. Only the randomness of
each visit's length is hidden from it, so its error is what no estimate can remove.
Switching pieces of that knowledge off (`Knowledge`) shows how much of the live
estimate's error each one explains."""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Waiting:
    ticket_id: int
    service: str
    weight: int
    issued_minute: float


@dataclass(frozen=True)
class Snapshot:
    """The hall at `minute`: who waits, in line order, and who is at which counter."""

    minute: float
    waiting: tuple[Waiting, ...]
    busy: Mapping[int, tuple[str, float]]
    """counter number → (service, minutes since the call)."""
    status: Mapping[int, str]
    """counter number → open, paused or closed."""


@dataclass(frozen=True)
class Day:
    """What the oracle may know of the whole day."""

    counter_services: Mapping[int, frozenset[str]]
    counter_events: Sequence[tuple[float, int, str]]
    """(minute, counter number, status it takes)."""
    arrivals: Sequence[Waiting]
    max_wait_minutes: float | None
    true_minutes: Mapping[str, float]
    expected_minutes: Mapping[str, float]
    sigma: float


@dataclass(frozen=True)
class Knowledge:
    true_minutes: bool = True
    schedule: bool = True
    later_arrivals: bool = True
    name: str = field(default="oracle", compare=False)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def remaining_minutes(mean: float, elapsed: float, sigma: float) -> float:
    """Expected rest of a log-normal visit of this mean already `elapsed` long."""
    if elapsed <= 0:
        return mean
    mu = math.log(mean) - sigma * sigma / 2
    z = math.log(elapsed)
    still = _normal_cdf((mu - z) / sigma)
    if still < 1e-9:
        return 0.5
    return max(mean * _normal_cdf((mu + sigma * sigma - z) / sigma) / still - elapsed, 0.0)


def replay_wait(day: Day, snap: Snapshot, ticket_id: int, know: Knowledge) -> float | None:
    """Minutes from the snapshot until `ticket_id` is called, in the oracle's replay;
    None when it is not called before the day's events run out."""
    minutes = day.true_minutes if know.true_minutes else day.expected_minutes
    status = dict(snap.status)
    free_at: dict[int, float] = dict.fromkeys(day.counter_services, snap.minute)
    for counter, (service, elapsed) in snap.busy.items():
        free_at[counter] = snap.minute + remaining_minutes(minutes[service], elapsed, day.sigma)
    line = list(snap.waiting)
    changes = [e for e in day.counter_events if e[0] > snap.minute] if know.schedule else []
    later = (
        [a for a in day.arrivals if a.issued_minute > snap.minute] if know.later_arrivals else []
    )
    moments: list[float] = sorted(
        {
            snap.minute,
            *free_at.values(),
            *(e[0] for e in changes),
            *(a.issued_minute for a in later),
        }
    )
    heapq.heapify(moments)
    seen: set[float] = set()
    while moments:
        now = heapq.heappop(moments)
        if now in seen:
            continue
        seen.add(now)
        for minute, counter, new_status in changes:
            if minute <= now:
                status[counter] = new_status
        changes = [e for e in changes if e[0] > now]
        line.extend(a for a in later if a.issued_minute <= now)
        later = [a for a in later if a.issued_minute > now]
        for counter in sorted(day.counter_services):
            if status[counter] != "open" or free_at[counter] > now:
                continue
            served = [w for w in line if w.service in day.counter_services[counter]]
            if not served:
                continue
            starving = [
                w
                for w in served
                if day.max_wait_minutes is not None
                and now - w.issued_minute >= day.max_wait_minutes
            ]
            pick = (
                min(starving, key=lambda w: w.ticket_id)
                if starving
                else min(served, key=lambda w: (-w.weight, w.ticket_id))
            )
            if pick.ticket_id == ticket_id:
                return now - snap.minute
            line.remove(pick)
            free_at[counter] = now + minutes[pick.service]
            heapq.heappush(moments, free_at[counter])
    return None
