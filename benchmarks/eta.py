"""ETA accuracy on a simulated day in the men's hall of the demo branch.

Arrivals (busier mid-morning), true service times that differ from the
administrator's expected times, counters opening late, pausing and closing — all
driven through the real actions on a SQLite file with a moved clock. For every
ticket the estimate shown at issue is compared with the wait it really had. The
baseline, computed in the same run from the same queue states, is the constant
estimate: tickets ahead × the expected service time ÷ open counters.

Prints median and 90th percentile absolute error in minutes; writes
benchmarks/results/eta.json."""

from __future__ import annotations

import heapq
import json
import math
import random
import statistics
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from reception.auth.principal import Principal
from reception.clock import FrozenClock
from reception.db import make_engine, session_scope
from reception.demo import load_demo
from reception.migrate import upgrade
from reception.queue import actions, checkin, counters, queries
from reception.queue.models import Counter, Hall, Service, Ticket

RESULTS = Path(__file__).resolve().parent / "results"
ADMIN = Principal("system", 0, "simulation", "admin", None, frozenset())
SEED = 20261123
# service slug: (share of arrivals, true mean minutes); expected minutes come from the demo
MIX = {
    "letter": (0.5, 11.0),
    "follow_up": (0.3, 5.0),
    "complaint": (0.15, 15.0),
    "appointment": (0.05, 10.0),
}


def constant_estimate(ahead: int, minutes_per_visit: float, open_counters: int) -> int | None:
    """The baseline: the work ahead shared by the open counters, at the expected
    service time, rounded up; None when no counter serves the service."""
    if open_counters <= 0:
        return None
    return math.ceil(round(ahead * minutes_per_visit / open_counters, 6))


@dataclass
class Prediction:
    ticket_id: int
    predicted: int | None
    baseline: int | None


def arrivals_per_hour(minute_of_day: float) -> float:
    return 34.0 if 9 * 60 <= minute_of_day < 11 * 60 else 18.0


def main() -> None:
    rng = random.Random(SEED)
    work = Path(tempfile.mkdtemp(prefix="bench-eta-"))
    url = f"sqlite:///{work / 'eta.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    load_demo(engine, work, "http://sim")
    with session_scope(engine) as s:  # start from an empty queue: drop the demo tickets
        for t in s.exec(select(Ticket)):
            s.delete(t)
    start = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 08:00 in Riyadh
    clock = FrozenClock(start)
    with session_scope(engine) as s:
        hall = s.exec(select(Hall).where(Hall.slug == "men")).one()
        hall_id = hall.id or 0
        counter_ids = {
            c.number: c.id or 0 for c in s.exec(select(Counter).where(Counter.hall_id == hall_id))
        }
        expected = {sv.slug: sv.expected_minutes for sv in s.exec(select(Service))}
        service_ids = {sv.slug: sv.id or 0 for sv in s.exec(select(Service))}
    with session_scope(engine) as s:  # counter 4 starts the day closed
        counters.set_counter_status(s, clock, ADMIN, counter_ids[4], "close")

    events: list[tuple[float, int, str, int]] = []
    seq = 0

    def schedule(minute: float, kind: str, value: int = 0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (minute, seq, kind, value))

    minute = 0.0
    while True:
        minute += rng.expovariate(arrivals_per_hour(8 * 60 + minute) / 60)
        if minute > 7 * 60:
            break
        schedule(minute, "arrive")
    schedule(60, "open", 4)
    schedule(4 * 60, "pause", 2)
    schedule(4 * 60 + 30, "resume", 2)
    schedule(5 * 60, "close", 4)
    busy: dict[int, bool] = dict.fromkeys(counter_ids.values(), False)
    status = {cid: ("closed" if n == 4 else "open") for n, cid in counter_ids.items()}
    predictions: list[Prediction] = []

    def fill_idle_counters(now: float) -> None:
        for cid in counter_ids.values():
            if status[cid] != "open" or busy[cid]:
                continue
            with session_scope(engine) as s:
                called = actions.call_next(s, clock, ADMIN, cid).value
            if called is None:
                continue
            busy[cid] = True
            mean = MIX[called["service"]][1]
            duration = rng.lognormvariate(math.log(mean) - 0.08, 0.4)
            schedule(now + duration, "finish", cid)

    while events:
        now, _, kind, value = heapq.heappop(events)
        clock.at = start + timedelta(minutes=now)
        if kind == "arrive":
            slug = rng.choices(list(MIX), weights=[m[0] for m in MIX.values()])[0]
            elderly = rng.random() < 0.08
            with session_scope(engine) as s:
                issued = checkin.issue_ticket(
                    s,
                    clock,
                    ADMIN,
                    branch="riyadh",
                    hall="men",
                    service=slug,
                    priority="elderly" if elderly else None,
                    public_base_url="http://sim",
                ).value
                baseline = constant_estimate(
                    issued.position - 1,
                    expected[slug],
                    queries.open_counters_for(s, hall_id, service_ids[slug]),
                )
            predictions.append(Prediction(issued.ticket.id or 0, issued.eta_minutes, baseline))
        elif kind == "finish":
            with session_scope(engine) as s:
                actions.act_on_current(s, clock, ADMIN, value, "finish")
            busy[value] = False
        else:
            if kind == "close" and busy[value]:
                schedule(now + 1, kind, value)  # finish the visitor first
                continue
            with session_scope(engine) as s:
                counters.set_counter_status(s, clock, ADMIN, value, kind)
            status[value] = {
                "open": "open",
                "resume": "open",
                "pause": "paused",
                "close": "closed",
            }[kind]
        fill_idle_counters(now)

    with session_scope(engine) as s:
        waits = {
            t.id: (t.called_at - t.issued_at).total_seconds() / 60
            for t in s.exec(select(Ticket).where(Ticket.hall_id == hall_id))
            if t.called_at is not None
        }
    engine.dispose()

    def errors(pick: str) -> list[float]:
        out = []
        for p in predictions:
            guess = getattr(p, pick)
            if p.ticket_id in waits and guess is not None:
                out.append(abs(guess - waits[p.ticket_id]))
        return out

    def p90(values: list[float]) -> float:
        return statistics.quantiles(values, n=10)[-1]

    live, base = errors("predicted"), errors("baseline")
    summary = {
        "benchmark": "eta",
        "seed": SEED,
        "tickets": len(predictions),
        "tickets_called": len(waits),
        "mean_wait_minutes": statistics.mean(waits.values()),
        "live": {"median_abs_error_min": statistics.median(live), "p90_abs_error_min": p90(live)},
        "baseline_constant": {
            "median_abs_error_min": statistics.median(base),
            "p90_abs_error_min": p90(base),
        },
    }
    summary["median_ratio"] = (
        summary["live"]["median_abs_error_min"]
        / summary["baseline_constant"]["median_abs_error_min"]
    )
    summary["p90_ratio"] = (
        summary["live"]["p90_abs_error_min"] / summary["baseline_constant"]["p90_abs_error_min"]
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eta.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"ETA over a simulated day ({summary['tickets']} tickets, mean wait "
        f"{summary['mean_wait_minutes']:.1f} min): live estimate median "
        f"{summary['live']['median_abs_error_min']:.1f} min, p90 "
        f"{summary['live']['p90_abs_error_min']:.1f} min | constant baseline median "
        f"{summary['baseline_constant']['median_abs_error_min']:.1f} min, p90 "
        f"{summary['baseline_constant']['p90_abs_error_min']:.1f} min | ratios "
        f"{summary['median_ratio']:.2f} / {summary['p90_ratio']:.2f}"
    )


if __name__ == "__main__":
    main()
