"""ETA accuracy on a simulated day in the men's hall of the demo branch.

Arrivals (busier mid-morning), true service times that differ from the
administrator's expected times, counters opening late, pausing and closing — all
driven through the real actions on a SQLite file with a moved clock. Two measures:

- at issue: for every ticket, the estimate shown when it was issued against the wait
  it really had;
- during the wait: every 5 simulated minutes, the estimate the tracking page shows
  each waiting ticket against the rest of its wait;

and for the range shown beside the estimate, its coverage (share of real waits inside
it) and how far outside it the others fell. The baseline, computed in the same run
from the same queue states, is the constant estimate: people ahead × the expected
service time ÷ open counters. An oracle (`eta_oracle`) replays the line from the same
snapshots knowing the true mean service times, the counter schedule and every later
arrival: its error is the share no estimate can remove (the dice of the visits).

Prints ratios against the baseline; writes benchmarks/results/eta.json and eta.txt.
A second run adds visitors who join from a phone (`--remote N`, 20 by default; a
separate random stream, the day's own arrivals unchanged): some arrive late, some
never (`add_remote_visitors`). It measures the local visitors' estimates with them
in the line, and the remote visitors' own."""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import re
import statistics
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from benchmarks.eta_oracle import Day, Knowledge, Snapshot, Waiting, replay_wait
from reception.auth.principal import Principal
from reception.clock import FrozenClock
from reception.db import make_engine, session_scope
from reception.demo import COUNTER_SERVICES, load_demo
from reception.errors import DomainError
from reception.migrate import upgrade
from reception.notify.models import OutgoingSms
from reception.queue import actions, checkin, counters, queries, read_models
from reception.queue.models import Branch, Counter, Hall, Service, Ticket
from reception.queue.waiting_line import LINE_ORDER
from reception.remote import actions as remote_actions
from reception.remote import joining as remote_joining
from reception.remote.models import RemoteJoin, RemoteTicket

RESULTS = Path(__file__).resolve().parent / "results"
ADMIN = Principal("system", 0, "simulation", "admin", None, frozenset())
SEED = 20261123
SIGMA = 0.4  # spread of the log-normal visit lengths
SAMPLE_EVERY = 5.0  # minutes between two looks at the tracking pages
# service slug: (share of arrivals, true mean minutes); expected minutes come from the demo
MIX = {
    "letter": (0.5, 11.0),
    "follow_up": (0.3, 5.0),
    "complaint": (0.15, 15.0),
    "appointment": (0.05, 10.0),
}
COUNTER_EVENTS = [(60.0, 4, "open"), (240.0, 2, "pause"), (270.0, 2, "resume"), (300.0, 4, "close")]
ORACLES = (
    Knowledge(name="oracle"),
    Knowledge(later_arrivals=False, name="oracle_without_later_arrivals"),
    Knowledge(schedule=False, name="oracle_without_counter_schedule"),
    Knowledge(true_minutes=False, name="oracle_with_expected_minutes"),
    Knowledge(true_minutes=False, schedule=False, later_arrivals=False, name="oracle_knowing_now"),
)


def constant_estimate(ahead: int, minutes_per_visit: float, open_counters: int) -> int | None:
    """The baseline: the work ahead shared by the open counters, at the expected
    service time, rounded up; None when no counter serves the service."""
    if open_counters <= 0:
        return None
    return math.ceil(round(ahead * minutes_per_visit / open_counters, 6))


@dataclass
class Guess:
    """One estimate shown to a visitor: at issue (`minute` = issue) or during the wait."""

    ticket_id: int
    minute: float
    live: int | None
    low: int | None
    high: int | None
    baseline: int | None
    snapshot: Snapshot | None
    """The line as it was (None for a visitor from a phone: the oracles do not model them)."""


def arrivals_per_hour(minute_of_day: float) -> float:
    return 34.0 if 9 * 60 <= minute_of_day < 11 * 60 else 18.0


REMOTE_MIX = {"letter": 0.55, "follow_up": 0.3, "complaint": 0.15}
"""The services the demo branch offers to visitors joining from a phone."""
REMOTE_SECRET = "bench-secret"
REMOTE_VISITORS = 20
"""Joins from a phone in the second run: on top of the day's own arrivals, which
stay as they are."""


@dataclass(frozen=True)
class RemotePlan:
    """One visitor who joins from a phone: the service, the minutes they say they
    need ("I'm on my way"), and when they really check in (None: never)."""

    service: str
    declared: int
    travel: float | None


def add_remote_visitors(
    schedule: Callable[[float, str, int], None], count: int, rng: random.Random
) -> dict[int, RemotePlan]:
    """`count` joins spread over the first six hours. Each visitor says they need
    20–60 minutes; six in ten come on time (60–100 % of it), three in ten late
    (120–200 %), one in ten never. Their check-in at the kiosk is a later event."""
    plans: dict[int, RemotePlan] = {}
    for index in range(count):
        at = rng.uniform(0, 6 * 60)
        slug = rng.choices(list(REMOTE_MIX), weights=list(REMOTE_MIX.values()))[0]
        declared = rng.choice([20, 30, 45, 60])
        luck = rng.random()
        if luck < 0.1:
            travel = None
        elif luck < 0.4:
            travel = declared * rng.uniform(1.2, 2.0)
        else:
            travel = declared * rng.uniform(0.6, 1.0)
        plans[index] = RemotePlan(slug, declared, travel)
        schedule(at, "remote_join", index)
    return plans


def join_from_phone(
    engine: Any, clock: FrozenClock, plan: RemotePlan, index: int
) -> tuple[checkin.IssuedTicket, str]:
    """The real join: the SMS code read from the outbox, typed back, then "I'm on my
    way". Returns the ticket as the join answered it and its kiosk code."""
    phone = f"+96655{index:07d}"
    with session_scope(engine, clock) as s:
        started = remote_joining.start_join(
            s,
            clock,
            branch="riyadh",
            hall="men",
            service=plan.service,
            phone=phone,
            address=f"10.1.{index // 250}.{index % 250}",
            secret=REMOTE_SECRET,
        ).value
    with session_scope(engine, clock) as s:
        body = s.exec(
            select(OutgoingSms.body)
            .where(OutgoingSms.to == phone, OutgoingSms.purpose == "remote_code")
            .order_by(col(OutgoingSms.id).desc())
        ).first()
    code = re.search(r"\d{6}", body or "")
    assert code is not None, body
    with session_scope(engine, clock) as s:
        answer = remote_joining.confirm_join(
            s,
            clock,
            token=started.token,
            code=code.group(0),
            secret=REMOTE_SECRET,
            public_base_url="http://sim",
        ).value
    assert answer.issued is not None and answer.code is not None
    with session_scope(engine, clock) as s:
        remote_actions.on_my_way(
            s, clock, token=answer.issued.ticket.tracking_token, minutes=plan.declared
        )
    return answer.issued, answer.code


def snapshot(
    s: Session,
    hall_id: int,
    minute: float,
    start: datetime,
    status: dict[int, str],
    numbers: dict[int, int],
    slugs: dict[int, str],
    now: datetime,
) -> Snapshot:
    waiting = tuple(
        Waiting(
            t.id or 0,
            slugs[t.service_id],
            t.priority_weight,
            (t.issued_at - start).total_seconds() / 60,
        )
        for t in s.exec(
            select(Ticket)
            .where(Ticket.hall_id == hall_id, Ticket.status == "waiting")
            .order_by(*LINE_ORDER)
        )
    )
    busy = {
        numbers[t.counter_id]: (slugs[t.service_id], (now - t.called_at).total_seconds() / 60)
        for t in s.exec(
            select(Ticket).where(
                Ticket.hall_id == hall_id, col(Ticket.status).in_(["called", "serving"])
            )
        )
        if t.counter_id is not None and t.called_at is not None
    }
    return Snapshot(minute, waiting, busy, {numbers[c]: st for c, st in status.items()})


def run_day(remote: int, seed: int = SEED) -> dict[str, Any]:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="bench-eta-"))
    url = f"sqlite:///{work / 'eta.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    load_demo(engine, work, "http://sim")
    with session_scope(engine) as s:  # start from an empty queue: drop the demo tickets
        for row in (*s.exec(select(RemoteTicket)), *s.exec(select(RemoteJoin))):
            s.delete(row)
        s.flush()
        for t in s.exec(select(Ticket)):
            s.delete(t)
    start = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 08:00 in Riyadh
    clock = FrozenClock(start)
    with session_scope(engine, clock) as s:
        hall = s.exec(select(Hall).where(Hall.slug == "men")).one()
        hall_id = hall.id or 0
        counter_ids = {
            c.number: c.id or 0 for c in s.exec(select(Counter).where(Counter.hall_id == hall_id))
        }
        expected = {sv.slug: sv.expected_minutes for sv in s.exec(select(Service))}
        service_ids = {sv.slug: sv.id or 0 for sv in s.exec(select(Service))}
        max_wait = s.exec(select(Branch).where(Branch.id == hall.branch_id)).one().max_wait_minutes
    numbers = {cid: n for n, cid in counter_ids.items()}
    slugs = {sid: slug for slug, sid in service_ids.items()}
    with session_scope(engine, clock) as s:  # counter 4 starts the day closed
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
    for at, number, kind in COUNTER_EVENTS:
        schedule(at, kind, number)
    plans = add_remote_visitors(schedule, remote, random.Random(seed + 1))
    remote_codes: dict[int, str] = {}
    remote_ids: set[int] = set()
    remote_at_join: list[Guess] = []
    busy: dict[int, bool] = dict.fromkeys(counter_ids.values(), False)
    status = {cid: ("closed" if n == 4 else "open") for n, cid in counter_ids.items()}
    at_issue: list[Guess] = []
    during: list[Guess] = []
    refusals: dict[str, int] = {}

    def fill_idle_counters(now: float) -> None:
        for cid in counter_ids.values():
            if status[cid] != "open" or busy[cid]:
                continue
            with session_scope(engine, clock) as s:
                called = actions.call_next(s, clock, ADMIN, cid).value
            if called is None:
                continue
            busy[cid] = True
            mean = MIX[called["service"]][1]
            duration = rng.lognormvariate(math.log(mean) - SIGMA * SIGMA / 2, SIGMA)
            schedule(now + duration, "finish", cid)

    def look_at_tracking_pages(minute: float) -> None:
        """What every waiting visitor's tracking page says now (reads only)."""
        clock.at = start + timedelta(minutes=minute)
        with session_scope(engine, clock) as s:
            snap = snapshot(s, hall_id, minute, start, status, numbers, slugs, clock.at)
            for w in snap.waiting:
                ticket = s.get(Ticket, w.ticket_id)
                assert ticket is not None
                view = read_models.tracked_ticket(s, ticket.tracking_token)
                open_now = queries.open_counters_for(s, hall_id, service_ids[w.service])
                during.append(
                    Guess(
                        w.ticket_id,
                        minute,
                        view.eta_minutes,
                        getattr(view, "eta_low_minutes", view.eta_minutes),
                        getattr(view, "eta_high_minutes", view.eta_minutes),
                        constant_estimate(view.position - 1, expected[w.service], open_now),
                        snap,
                    )
                )

    next_look = SAMPLE_EVERY
    while events:
        while next_look < events[0][0]:
            look_at_tracking_pages(next_look)
            next_look += SAMPLE_EVERY
        now, _, kind, value = heapq.heappop(events)
        clock.at = start + timedelta(minutes=now)
        if kind == "arrive":
            slug = rng.choices(list(MIX), weights=[m[0] for m in MIX.values()])[0]
            elderly = rng.random() < 0.08
            with session_scope(engine, clock) as s:
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
                snap = snapshot(s, hall_id, now, start, status, numbers, slugs, clock.at)
            at_issue.append(
                Guess(
                    issued.ticket.id or 0,
                    now,
                    issued.eta_minutes,
                    getattr(issued, "eta_low_minutes", issued.eta_minutes),
                    getattr(issued, "eta_high_minutes", issued.eta_minutes),
                    baseline,
                    snap,
                )
            )
        elif kind == "remote_join":
            plan = plans[value]
            try:
                issued, code = join_from_phone(engine, clock, plan, value)
            except DomainError as refused:  # the hall's cap, the hours: counted, not joined
                refusals[refused.code] = refusals.get(refused.code, 0) + 1
            else:
                remote_ids.add(issued.ticket.id or 0)
                remote_codes[value] = code
                remote_at_join.append(
                    Guess(
                        issued.ticket.id or 0,
                        now,
                        issued.eta_minutes,
                        issued.eta_low_minutes,
                        issued.eta_high_minutes,
                        None,
                        None,
                    )
                )
                if plan.travel is not None:
                    schedule(now + plan.travel, "remote_checkin", value)
        elif kind == "remote_checkin":
            with session_scope(engine, clock) as s:
                remote_actions.arrive_by_code(
                    s, clock, ADMIN, branch="riyadh", code=remote_codes[value]
                )
        elif kind == "finish":
            with session_scope(engine, clock) as s:
                actions.act_on_current(s, clock, ADMIN, value, "finish")
            busy[counter_ids[numbers[value]] if value in numbers else value] = False
        else:
            cid = counter_ids[value]
            if kind == "close" and busy[cid]:
                schedule(now + 1, kind, value)  # finish the visitor first
                continue
            with session_scope(engine, clock) as s:
                counters.set_counter_status(s, clock, ADMIN, cid, kind)
            status[cid] = {"open": "open", "resume": "open", "pause": "paused", "close": "closed"}[
                kind
            ]
        fill_idle_counters(now)

    with session_scope(engine, clock) as s:
        tickets = list(s.exec(select(Ticket).where(Ticket.hall_id == hall_id)))
        called = {
            t.id: (t.called_at - start).total_seconds() / 60
            for t in tickets
            if t.called_at is not None
        }
        arrivals = sorted(
            (
                Waiting(
                    t.id or 0,
                    slugs[t.service_id],
                    t.priority_weight,
                    (t.issued_at - start).total_seconds() / 60,
                )
                for t in tickets
            ),
            key=lambda w: w.issued_minute,
        )
    engine.dispose()
    day = Day(
        counter_services={n: frozenset(v) for n, v in COUNTER_SERVICES.items()},
        counter_events=[
            (at, n, {"open": "open", "resume": "open", "pause": "paused", "close": "closed"}[k])
            for at, n, k in COUNTER_EVENTS
        ],
        arrivals=arrivals,
        max_wait_minutes=max_wait,
        true_minutes={slug: m[1] for slug, m in MIX.items()},
        expected_minutes=expected,
        sigma=SIGMA,
    )
    oracles = ORACLES if not remote else ()  # the oracles know no visitor from a phone
    locals_during = [g for g in during if g.ticket_id not in remote_ids]
    out: dict[str, Any] = {
        "at_issue": measure(at_issue, called, day, oracles),
        "during_wait": measure(locals_during, called, day, oracles),
        "tickets": len(at_issue),
        "tickets_called": len(called),
        "mean_wait_minutes": statistics.mean(
            called[g.ticket_id] - g.minute for g in at_issue if g.ticket_id in called
        ),
        "looks_at_tracking_pages": len(during),
    }
    if remote:
        arrived = {
            t.id: (t.arrived_at - start).total_seconds() / 60
            for t in tickets
            if t.id in remote_ids and t.arrived_at is not None
        }
        # A visitor from a phone is called only after they arrive: the estimate at the
        # join is judged against the call, late arrivals included, and the estimate
        # their page shows once they are in the hall against the rest of that wait.
        held = {t: called.get(t, math.inf) for t in remote_ids}
        remote_during = [g for g in during if g.ticket_id in remote_ids]
        out["remote"] = {
            "joins_planned": remote,
            "joined": len(remote_ids),
            "arrived": len(arrived),
            "called": sum(1 for t in remote_ids if t in called),
            "refused": refusals,
            "own_estimate_in_the_hall": measure(remote_during, called, day, ()),
            "own_estimate_at_join_vs_call": errors_of(
                [
                    abs(g.live - (held[g.ticket_id] - g.minute))
                    for g in remote_at_join
                    if g.live is not None and held[g.ticket_id] != math.inf
                ]
            ),
        }
    return out


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def errors_of(values: list[float]) -> dict[str, float]:
    return {
        "median_abs_error_min": statistics.median(values),
        "p90_abs_error_min": p90(values),
        "mean_abs_error_min": statistics.mean(values),
        "count": len(values),
    }


def measure(
    guesses: list[Guess],
    called: dict[int, float],
    day: Day,
    oracles: tuple[Knowledge, ...] = ORACLES,
) -> dict[str, Any]:
    """Errors of every estimator over the guesses whose ticket was called and which
    the live estimate answered (no open counter: no figure shown, none compared)."""
    kept = [g for g in guesses if g.ticket_id in called and g.live is not None]
    real = [called[g.ticket_id] - g.minute for g in kept]
    out: dict[str, Any] = {
        "live": errors_of([abs(g.live - r) for g, r in zip(kept, real, strict=True)]),
        "baseline_constant": errors_of(
            [abs(g.baseline - r) for g, r in zip(kept, real, strict=True) if g.baseline is not None]
        ),
    }
    for know in oracles:
        found = [
            (replay_wait(day, g.snapshot, g.ticket_id, know), r)
            for g, r in zip(kept, real, strict=True)
            if g.snapshot is not None
        ]
        out[know.name] = errors_of([abs(p - r) for p, r in found if p is not None])
    outside = []
    inside = 0
    for g, r in zip(kept, real, strict=True):
        low, high = g.low if g.low is not None else g.live, g.high if g.high is not None else g.live
        assert low is not None and high is not None
        if low <= r <= high:
            inside += 1
        else:
            outside.append(low - r if r < low else r - high)
    out["range"] = {
        "coverage": inside / len(kept),
        "median_distance_outside_min": statistics.median(outside) if outside else 0.0,
        "median_width_min": statistics.median((g.high or 0) - (g.low or 0) for g in kept),
    }
    base = out["baseline_constant"]
    for name in ["live", *(k.name for k in oracles)]:
        out[name]["median_ratio_to_baseline"] = (
            out[name]["median_abs_error_min"] / base["median_abs_error_min"]
        )
        out[name]["p90_ratio_to_baseline"] = (
            out[name]["p90_abs_error_min"] / base["p90_abs_error_min"]
        )
    return out


def report(summary: dict[str, Any]) -> str:
    lines = [
        f"ETA over a simulated day ({summary['tickets']} tickets, mean wait "
        f"{summary['mean_wait_minutes']:.1f} min; {summary['looks_at_tracking_pages']} "
        "looks at tracking pages during the waits)",
    ]
    for part, title in (("at_issue", "At issue"), ("during_wait", "During the wait")):
        m = summary[part]
        lines.append(f"{title}: abs error in minutes, median / p90 (ratio to the baseline)")
        for name in ["baseline_constant", "live", *(k.name for k in ORACLES if k.name in m)]:
            e = m[name]
            ratio = (
                f"  ({e['median_ratio_to_baseline']:.2f} / {e['p90_ratio_to_baseline']:.2f})"
                if "median_ratio_to_baseline" in e
                else ""
            )
            lines.append(
                f"  {name:34} {e['median_abs_error_min']:5.1f} / "
                f"{e['p90_abs_error_min']:5.1f}{ratio}"
            )
        r = m["range"]
        lines.append(
            f"  range: {r['coverage']:.0%} of real waits inside, median width "
            f"{r['median_width_min']:.0f} min, median {r['median_distance_outside_min']:.1f} min "
            "outside for the others"
        )
    if "remote" in summary:
        r = summary["remote"]
        hall = r["own_estimate_in_the_hall"]
        join = r["own_estimate_at_join_vs_call"]
        lines += [
            f"Visitors from a phone: {r['joined']} joined ({r['refused'] or 'none'} refused), "
            f"{r['arrived']} arrived, {r['called']} called",
            f"  their page once in the hall: live {hall['live']['median_abs_error_min']:.1f} / "
            f"{hall['live']['p90_abs_error_min']:.1f}, baseline "
            f"{hall['baseline_constant']['median_abs_error_min']:.1f} / "
            f"{hall['baseline_constant']['p90_abs_error_min']:.1f}; range holds "
            f"{hall['range']['coverage']:.0%}",
            f"  the estimate at the join against the call (late arrivals included): "
            f"{join['median_abs_error_min']:.1f} / {join['p90_abs_error_min']:.1f}",
        ]
    return "\n".join(lines)


def other_days(count: int) -> dict[str, Any]:
    """The same kind of day with other dice (seeds 1…count): each day's figures,
    averaged, so that one day's luck does not decide what the estimate is worth."""
    days = [run_day(0, seed) for seed in range(1, count + 1)]
    out: dict[str, Any] = {"days": count}
    for part in ("at_issue", "during_wait"):
        out[part] = {
            name: {
                key: statistics.mean(d[part][name][key] for d in days)
                for key in ("median_abs_error_min", "p90_abs_error_min")
            }
            for name in ("baseline_constant", "live", "oracle")
        }
        out[part]["range_coverage"] = statistics.mean(d[part]["range"]["coverage"] for d in days)
    out["mean_wait_minutes"] = statistics.mean(d["mean_wait_minutes"] for d in days)
    return out


def report_other_days(other: dict[str, Any]) -> str:
    lines = [
        f"{other['days']} other days (seeds 1-{other['days']}, mean wait "
        f"{other['mean_wait_minutes']:.1f} min), each day's figures averaged:"
    ]
    for part, title in (("at_issue", "at issue"), ("during_wait", "during the wait")):
        m = other[part]
        figures = ", ".join(
            f"{name} {m[name]['median_abs_error_min']:.1f} / {m[name]['p90_abs_error_min']:.1f}"
            for name in ("baseline_constant", "live", "oracle")
        )
        lines.append(f"  {title}: {figures}; range coverage {m['range_coverage']:.0%}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--remote",
        type=int,
        default=REMOTE_VISITORS,
        help="visitors from a phone added to a second run of the day (0: no second run)",
    )
    parser.add_argument(
        "--other-days", type=int, default=6, help="days with other dice to average (0: none)"
    )
    args = parser.parse_args()
    summary: dict[str, Any] = {"benchmark": "eta", "seed": SEED, **run_day(0)}
    text = report(summary)
    if args.remote:
        with_remote = {"seed": SEED, **run_day(args.remote)}
        summary["with_remote_visitors"] = with_remote
        text += f"\nThe same day with {args.remote} visitors joining from a phone:\n"
        text += report(with_remote)
    if args.other_days:
        summary["other_days"] = other_days(args.other_days)
        text += "\n" + report_other_days(summary["other_days"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eta.json").write_text(json.dumps(summary, indent=2) + "\n")
    (RESULTS / "eta.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
