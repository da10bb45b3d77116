"""Pure waiting estimates: how long until a ticket is called, and a range around it.

With the hall's waiting line in hand (`QueueState.line`, as the database gives it),
the estimate replays the line: each open counter, when free, takes the first ticket it
serves in line order (a ticket waiting past the branch's maximum first, as the call
does), at that service's live minutes times the counter's own pace; visitors at a
counter now finish after the expected rest of their visit; priority visitors who will
arrive meanwhile (at the hall's recent rate) go ahead of lower weights; remote
visitors ahead who have not arrived count with the chance they check in. A replay,
unlike a pooled average, sees which counter can take which ticket and who jumps ahead,
which on the benchmark's day halves the error. Without a line (a state built by
hand), the pooled estimate: the work ahead shared by the counters able to take it.

The range is about 80 % wide: the spread of the visits still to come before the
ticket on the counter that calls it (each visit's length varies by `VISIT_SPREAD` of its
mean), of the priority arrivals, a share of the estimate for what no one can foresee (a
counter closing, a visitor who takes an hour) and a floor of two minutes; rounded
outwards to whole minutes, or to 5 minutes when long. On the benchmark's days
(`benchmarks/eta.py`) 80–84 % of real waits fell inside it."""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

VISIT_SPREAD = 0.45
"""How much one visit's length varies: its standard deviation over its mean."""
UNFORESEEN = 0.08
"""The share of the estimate added to its spread for what the line does not show."""
SPREAD_FLOOR_MINUTES = 2.0
"""Spread every estimate has, however short: a visitor called at once may still wait
for the operator to look up."""
INTERVAL_Z = 1.2816
"""Half-width of an 80 % interval, in standard deviations."""
HORIZON_MINUTES = 12 * 60.0


@dataclass(frozen=True)
class InLine:
    """A waiting ticket as the estimate sees it."""

    service_id: int
    weight: int
    waited: float
    """Minutes since it was issued."""
    chance: float = 1.0
    """How likely it is to be called at all (a remote visitor not yet arrived)."""


@dataclass(frozen=True)
class RemoteAhead:
    """Remote tickets of a service ahead of a ticket whose visitors have not arrived
    yet, and the chance that such a visitor checks in before their turn."""

    not_arrived: int
    checkin_probability: float


@dataclass(frozen=True)
class WaitEstimate:
    minutes: int
    low: int
    high: int


@dataclass(frozen=True)
class QueueState:
    """What the waiting estimate needs to know about one hall right now."""

    counters: dict[int, frozenset[int]]
    """Open counters → the services each serves."""
    waiting: Mapping[int, int]
    """Waiting tickets per service."""
    busy: list[tuple[int, int]]
    """(counter id, service id) of visitors being called or served at open counters."""
    minutes: dict[int, float]
    """Live minutes per visit, per service."""
    services: tuple[tuple[int, str, str, str], ...] = ()
    """(id, slug, Arabic name, English name) of the active services offered in the
    hall, in display order, when the state was read from the database."""
    line: tuple[InLine, ...] | None = None
    """The waiting tickets in line order, when read from the database."""
    busy_for: Mapping[int, float] = field(default_factory=dict)
    """Counter → minutes since its visitor was called."""
    pace: Mapping[int, float] = field(default_factory=dict)
    """Counter → its recent visit lengths over the hall's (1.0 when not known)."""
    arrivals: Mapping[tuple[int, int], float] = field(default_factory=dict)
    """(service, weight > 0) → recent priority arrivals per minute."""
    max_wait_minutes: float | None = None
    """The branch's anti-starvation wait: past it a ticket is called first."""


def _pool(state: QueueState, service_id: int) -> tuple[list[int], dict[int, float]]:
    """The open counters able to serve a service, and for each service they serve the
    pool's share of all open counters serving it (work others can take is shared)."""
    pool = [c for c, services in state.counters.items() if service_id in services]
    share: dict[int, float] = {}
    for service in frozenset().union(*(state.counters[c] for c in pool)):
        servers = [c for c, services in state.counters.items() if service in services]
        share[service] = len(set(pool).intersection(servers)) / len(servers)
    return pool, share


def people_ahead(state: QueueState, service_id: int, ahead: Mapping[int, int] | None = None) -> int:
    """How many visitors the counters able to serve a ticket will see first, counted
    with the pool's shares (rounded to the nearest person). `ahead` holds, per
    service, the waiting tickets that go before this one (higher weight, then earlier
    arrival); without it, the ticket is a newcomer behind everyone. Without an open
    counter, the tickets of the same service that go first."""
    before = state.waiting if ahead is None else ahead
    pool, share = _pool(state, service_id)
    if not pool:
        return before.get(service_id, 0)
    return round(sum(share[s] * n for s, n in before.items() if s in share))


def remaining_minutes(mean: float, elapsed: float) -> float:
    """The expected rest of a visit of this mean already `elapsed` minutes long, its
    length log-normal with spread `VISIT_SPREAD` (a long visit tends to go on)."""
    if mean <= 0:
        return 0.0
    if elapsed <= 0:
        return mean
    sigma = math.sqrt(math.log(1 + VISIT_SPREAD**2))
    mu = math.log(mean) - sigma * sigma / 2
    z = math.log(elapsed)
    still = _normal_cdf((mu - z) / sigma)
    if still < 1e-6:
        return min(mean / 4, 2.0)
    return max(mean * _normal_cdf((mu + sigma * sigma - z) / sigma) / still - elapsed, 0.0)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def estimate_wait(
    state: QueueState,
    service_id: int,
    ahead: Mapping[int, int] | None = None,
    *,
    weight: int = 0,
    remote: Mapping[int, RemoteAhead] | None = None,
) -> WaitEstimate | None:
    """Minutes until a ticket of `service_id` and priority `weight` is called, and an
    80 % range. `ahead` as for `people_ahead` (the ticket's place in line: with a
    line, the first `sum(ahead)` of it go first); `remote` per service the remote
    visitors ahead not yet arrived. None when no open counter serves it."""
    pool = [c for c, services in state.counters.items() if service_id in services]
    if not pool:
        return None
    if state.line is None:
        wait, spread = _pooled(state, service_id, ahead, remote)
    else:
        wait, spread = _replay(state, service_id, ahead, weight, remote)
    return _with_range(wait, spread)


def estimate_eta(
    state: QueueState,
    service_id: int,
    ahead: Mapping[int, int] | None = None,
    *,
    weight: int = 0,
    remote: Mapping[int, RemoteAhead] | None = None,
) -> int | None:
    """The minutes of `estimate_wait` alone."""
    found = estimate_wait(state, service_id, ahead, weight=weight, remote=remote)
    return None if found is None else found.minutes


def estimate_newcomers(state: QueueState) -> dict[int, WaitEstimate | None]:
    """`estimate_wait` of a newcomer (no priority) for every service of the state, in
    one replay of the line: each newcomer joins the end of the line and, once called,
    takes no time, so none of them delays another."""
    services = {s for s, *_ in state.services} | set(state.waiting) | set(state.minutes)
    served = {s: [c for c, offered in state.counters.items() if s in offered] for s in services}
    if state.line is None:
        return {
            s: _with_range(*_pooled(state, s, None, None)) if served[s] else None for s in services
        }
    markers = sorted(s for s in services if served[s])
    found = _run(state, list(state.line), [InLine(s, 0, 0.0, 0.0) for s in markers], 0)
    out: dict[int, WaitEstimate | None] = dict.fromkeys(services)
    for k, s in enumerate(markers):
        out[s] = _with_range(*found.get(k, (HORIZON_MINUTES, HORIZON_MINUTES / 4)))
    return out


def _pooled(
    state: QueueState,
    service_id: int,
    ahead: Mapping[int, int] | None,
    remote: Mapping[int, RemoteAhead] | None,
) -> tuple[float, float]:
    """Every waiting ticket that goes first and that the pool can serve adds its
    service's live minutes, times the pool's share of the counters serving that
    service. Each visitor now at a pool counter adds half a visit. The total is
    divided by the pool's counters and rounded up."""
    pool, share = _pool(state, service_id)
    before = dict(state.waiting if ahead is None else ahead)
    work = sum(state.minutes.get(s, 0.0) * share[s] * n for s, n in before.items() if s in share)
    for s, far in (remote or {}).items():
        if s in share:
            work += state.minutes.get(s, 0.0) * share[s] * far.not_arrived * far.checkin_probability
    work += sum(state.minutes.get(service, 0.0) / 2 for c, service in state.busy if c in pool)
    spread = math.sqrt(
        sum(
            (VISIT_SPREAD * state.minutes.get(s, 0.0)) ** 2 * share[s] * n
            for s, n in before.items()
            if s in share
        )
    )
    return math.ceil(round(work / len(pool), 6)), spread / len(pool)


def _replay(
    state: QueueState,
    service_id: int,
    ahead: Mapping[int, int] | None,
    weight: int,
    remote: Mapping[int, RemoteAhead] | None,
) -> tuple[float, float]:
    """The line replayed until the ticket is called: (minutes, standard deviation)."""
    assert state.line is not None
    place = len(state.line) if ahead is None else min(sum(ahead.values()), len(state.line))
    line = list(state.line[:place])
    for s, far in sorted((remote or {}).items()):
        line.extend(InLine(s, weight, 0.0, far.checkin_probability) for _ in range(far.not_arrived))
    behind = state.line[place:] if ahead is not None else ()
    waited = 0.0
    if behind and (behind[0].service_id, behind[0].weight) == (service_id, weight):
        waited, behind = behind[0].waited, behind[1:]  # the ticket itself, in its line
    line.append(InLine(service_id, weight, waited))
    target = len(line) - 1
    line.extend(behind)
    found = _run(state, line, [], weight, target)
    return found.get(-1, (HORIZON_MINUTES, HORIZON_MINUTES / 4))


def _run(
    state: QueueState,
    line: list[InLine],
    markers: list[InLine],
    weight: int,
    target: int | None = None,
) -> dict[int, tuple[float, float]]:
    """Replay `line` (in line order) until `line[target]` is called (key -1), or every
    marker (key: its index), appended behind the line, is; with priority arrivals of
    a weight above `weight`. Each called one's (minutes, standard deviation)."""
    waiting = _Waiting(state.max_wait_minutes)
    for ticket in line:
        waiting.add(ticket)
    first_marker = len(line)
    for marker in markers:
        waiting.add(marker)
    services = [t.service_id for t in ([line[target]] if target is not None else markers)]
    alongside = {  # per service called for, the services its counters also serve
        mine: frozenset().union(*(o for o in state.counters.values() if mine in o))
        for mine in services
    }
    visit = state.minutes
    free: dict[int, float] = dict.fromkeys(state.counters, 0.0)
    variance = dict.fromkeys(state.counters, 0.0)  # of the moment each counter is free
    for counter, service in state.busy:
        if counter in free:
            mean = visit.get(service, 0.0) * state.pace.get(counter, 1.0)
            elapsed = state.busy_for.get(counter)
            free[counter] = mean / 2 if elapsed is None else remaining_minutes(mean, elapsed)
            variance[counter] = (VISIT_SPREAD * free[counter]) ** 2
    streams = [
        (s, w, per_minute)
        for (s, w), per_minute in sorted(state.arrivals.items())
        if w > weight and per_minute > 0
    ]
    # priority visitors expected meanwhile, evenly spaced at their recent rate
    coming = [(0.5 / per_minute, i) for i, (_s, _w, per_minute) in enumerate(streams)]
    heapq.heapify(coming)
    moments = sorted({*free.values(), *(at for at, _i in coming)})
    arrived = dict.fromkeys(services, 0.0)
    order = sorted(state.counters)
    found: dict[int, tuple[float, float]] = {}
    while moments:
        now = heapq.heappop(moments)
        if now > HORIZON_MINUTES:
            break
        while coming and coming[0][0] <= now:
            at, i = heapq.heappop(coming)
            s, w, per_minute = streams[i]
            waiting.add(InLine(s, w, -at))
            for mine in arrived:
                if s in alongside[mine]:
                    arrived[mine] += visit.get(s, 0.0) ** 2
            heapq.heappush(coming, (at + 1 / per_minute, i))
            heapq.heappush(moments, at + 1 / per_minute)
        for counter in order:
            while free[counter] <= now:
                picked = waiting.take(state.counters[counter], now)
                if picked is None:
                    break
                ticket = waiting.tickets[picked]
                if picked == target or first_marker <= picked < first_marker + len(markers):
                    # the calling counter's own spread, shared as its pool shares the work
                    served = sum(
                        1 for offered in state.counters.values() if ticket.service_id in offered
                    )
                    spread = variance[counter] / served + arrived[ticket.service_id] / served**2
                    found[-1 if picked == target else picked - first_marker] = (
                        now,
                        math.sqrt(spread),
                    )
                    if target is not None or len(found) == len(markers):
                        return found
                    continue  # a newcomer's marker takes no time
                pace = state.pace.get(counter, 1.0)
                length = visit.get(ticket.service_id, 0.0) * pace * ticket.chance
                free[counter] = now + length
                variance[counter] += (VISIT_SPREAD * length) ** 2 + length**2 * ticket.chance * (
                    1 - ticket.chance
                )
                heapq.heappush(moments, free[counter])
    return found


class _Waiting:
    """The replay's waiting tickets, per service in line order (weight, then place)
    and by how long they have waited, so a counter finds its next ticket quickly."""

    def __init__(self, max_wait_minutes: float | None) -> None:
        self.limit = max_wait_minutes
        self.tickets: list[InLine] = []
        self.in_line: dict[int, list[tuple[int, int]]] = {}
        self.by_age: dict[int, list[tuple[float, int]]] = {}
        self.taken: set[int] = set()

    def add(self, ticket: InLine) -> None:
        k = len(self.tickets)
        self.tickets.append(ticket)
        heapq.heappush(self.in_line.setdefault(ticket.service_id, []), (-ticket.weight, k))
        heapq.heappush(self.by_age.setdefault(ticket.service_id, []), (-ticket.waited, k))

    def _head(self, heap: list[Any]) -> Any:
        while heap and heap[0][1] in self.taken:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def take(self, services: frozenset[int], now: float) -> int | None:
        """The ticket a counter serving `services` calls at `now`: the longest waiting
        past the branch's maximum, else the first in line."""
        best: Any = None
        if self.limit is not None:
            for s in services:
                head = self._head(self.by_age.get(s, []))
                if (
                    head is not None
                    and now - head[0] >= self.limit
                    and (best is None or head < best)
                ):
                    best = head
        if best is None:
            for s in services:
                head = self._head(self.in_line.get(s, []))
                if head is not None and (best is None or head < best):
                    best = head
        if best is None:
            return None
        self.taken.add(best[1])
        return int(best[1])


def _with_range(wait: float, spread: float) -> WaitEstimate:
    wait = max(wait, 0.0)
    sigma = math.sqrt(spread**2 + (UNFORESEEN * wait) ** 2 + SPREAD_FLOOR_MINUTES**2)
    low = max(wait - INTERVAL_Z * sigma, 0.0)
    high = wait + INTERVAL_Z * sigma
    step = 5 if high > 20 else 1
    minutes = math.ceil(round(wait, 6)) if wait < 1 else round(wait)
    return WaitEstimate(
        minutes=minutes,
        low=min(math.floor(low / step) * step, minutes),
        high=max(math.ceil(round(high, 6) / step) * step, minutes),
    )
