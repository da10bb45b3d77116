"""Scale-out of check-in (`POST /api/v1/tickets`) over 1, 2 and 4 workers on PostgreSQL
+ Redis, each worker a separate `reception serve` process on its own port in its own
capped cgroup: a model of one host per worker on a two-core machine.

Why caps: on two cores a second uncapped worker shows nothing but the machine; the
workers, PostgreSQL, Redis, wrk and the kernel share the same CPUs. With each worker held
to `BENCH_CPU_SHARE` of one core (default 0.2 = 20 %), four workers together use at most
0.8 of a core, which leaves 1.2 cores for PostgreSQL, Redis, the load generators and the
kernel even at the largest point; what is measured is then how the product scales when
each worker has its own (small) host, not how two cores are shared. A quarter of a core
would leave 1 core for the rest at four workers, too close to what PostgreSQL takes at
that rate to be sure it is not the bound. PostgreSQL, Redis and wrk are not capped.

Load: one wrk per worker port (no proxy in front, so the proxy's CPU is not measured),
all started together, `BENCH_CONNECTIONS` (64) connections shared evenly; requests/s is
their sum, p99 the largest of their p99s (an upper bound of the combined p99). Check-ins
alternate between the men's and women's halls (post.lua BENCH_BODY2); the `1-hall`
cases send them all to the men's hall. Before the measured `BENCH_DURATION` (6 s), a
`BENCH_WARMUP` (1 s) load opens every worker's database connections.

`worker_cpu_ms_per_checkin` is the workers' CPU time (utime + stime from /proc) over the
measured load divided by the check-ins answered: the cost a host pays per check-in, which
is what sizes hosts. It grows with the requests a capped worker has in flight at once
(with 8 connections instead of 64 one capped worker spent about two thirds of it per
check-in), so compare figures taken with the same connections.

Verified for every case (fresh database each):
- every check-in answered once: tickets added during the wrk load are at least the 2xx
  wrk counted and at most that plus the connections open when wrk stopped (a request
  in flight at the stop is committed but not counted); then an exact pass: 40
  check-ins per worker sent from here, each answer read, and the database must grow by
  exactly the number of 201s, with no number given twice;
- numbers gapless: per hall, series and day, the numbers are 1..n with none missing or
  repeated;
- every display sees every call: a display socket per hall on every worker; 5 tickets
  per hall called through the staff API (call-next), the calls spread over the workers;
  every socket must receive every `ticket.called` of its hall.

The one-hall ceiling: each check-in takes its number with an upsert on the hall's number
series row and holds that row lock until its commit (the number, the insert, the queue
position read, the audit row, then the commit's WAL flush), so check-ins of one hall go
one at a time through that stretch whatever the number of workers; its ceiling is
1 / (time the lock is held). A worker capped at a fraction of a core stretches that time
(and one throttled while holding the lock stalls the hall for the rest of the period).
The 1-hall cases report `lock_bound_ms` = 1000 / rps: the longest the lock can be held
per check-in at that rate (when more workers do not raise the rate, it is the bound).

Prints requests/s, p99 and ratios 2/1 and 4/1 (targets ≥ 1.8 and ≥ 3.2) per hall
mode; writes benchmarks/results/scaleout.json. Every process started here is stopped
by PID; every cgroup is removed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.checkin import TICKET, TICKET_WOMEN, base_env, parse_wrk
from benchmarks.common import (
    RESULTS,
    ROOT,
    _cpu_ticks,
    cli,
    free_port,
    fresh_postgres_database,
    postgres_url,
    start_redis,
    stop,
    wait_idle,
    wait_ready,
)
from benchmarks.hosts import CappedHosts, why_not_writable

DURATION = os.environ.get("BENCH_DURATION", "6s")
WARMUP = os.environ.get("BENCH_WARMUP", "1s")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "64"))
SHARE = float(os.environ.get("BENCH_CPU_SHARE", "0.2"))
WORKERS = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2,4").split(",")]
ONE_HALL_WORKERS = [int(n) for n in os.environ.get("BENCH_ONE_HALL_WORKERS", "1,4").split(",")]
EXACT_PER_WORKER, CALLS_PER_HALL = 40, 5
SERVED = {"close_current": "served"}
CALLED = re.compile(r'^\{"type":"ticket\.called".*?"ticket":\{[^{}]*?"number":"([^"]+)"')
TARGETS = {"2": 1.8, "4": 3.2}
Case = dict[str, Any]


def wrk_all(urls: list[str], token: str, halls: int, duration: str) -> dict[str, float]:
    """One wrk per worker, all at once; their sum (rps, answers) and worst p99."""
    env = {**os.environ, "BENCH_BODY": TICKET, "BENCH_TOKEN": token}
    if halls == 2:
        env["BENCH_BODY2"] = TICKET_WOMEN
    per = max(1, CONNECTIONS // len(urls))
    script = str(ROOT / "benchmarks" / "post.lua")
    procs = [
        subprocess.Popen(
            ["wrk", "-t1", f"-c{per}", f"-d{duration}", "--timeout", "10s", "--latency"]
            + ["-s", script, url],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for url in urls
    ]
    outputs = []
    try:
        for proc in procs:
            outputs.append(proc.communicate(timeout=180)[0])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    figures = [parse_wrk(out) for out in outputs]
    answered = [int(re.search(r"(\d+) requests in", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    failed = sum(f["errors"] + f["timeouts"] for f in figures)
    return {
        "rps": sum(f["rps"] for f in figures),
        "p50_ms": max(f["p50_ms"] for f in figures),
        "p99_ms": max(f["p99_ms"] for f in figures),
        "answered_2xx": sum(answered) - sum(f["errors"] for f in figures),
        "failed": failed,
        "connections": per * len(urls),
    }


def ticket_counts(url: str) -> dict[str, Any]:
    """How many tickets there are, and whether every series is 1..n without a gap."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM ticket")).scalar_one()
            rows = conn.execute(
                text(
                    "SELECT hall_id, prefix, business_date, count(*), count(DISTINCT seq), "
                    "min(seq), max(seq) FROM ticket GROUP BY hall_id, prefix, business_date"
                )
            ).all()
    finally:
        engine.dispose()
    broken = [
        f"hall {r[0]} {r[1]} {r[2]}: {r[3]} tickets, {r[4]} numbers, {r[5]}..{r[6]}"
        for r in rows
        if not (r[3] == r[4] == r[6] and r[5] == 1)
    ]
    return {"total": int(total), "series": len(rows), "gaps": broken}


def settled_total(url: str, timeout: float = 30) -> int:
    """The ticket count once the requests in flight when wrk stopped have committed
    (the same for one second)."""
    last, deadline = ticket_counts(url)["total"], time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = ticket_counts(url)["total"]
        if now == last:
            break
        last = now
    return last


async def exact_and_displays(
    hosts: list[str], tokens: dict[str, str], halls: list[str]
) -> dict[str, Any]:
    """Exact check-in pass and the display check, through every worker."""
    import httpx2
    from websockets.asyncio.client import connect

    kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
    seen: dict[tuple[int, str], set[str]] = {}
    sockets = []
    async with contextlib.AsyncExitStack() as stack:
        for index, host in enumerate(hosts):
            for hall in halls:
                ws = await stack.enter_async_context(
                    connect(
                        f"ws://{host}/display/ws?hall={hall}",
                        additional_headers={"Authorization": f"Bearer {tokens['display-' + hall]}"},
                        compression=None,
                        open_timeout=30,
                    )
                )
                await asyncio.wait_for(ws.recv(), 30)  # the snapshot
                seen[(index, hall)] = set()
                sockets.append(((index, hall), ws))

        async def listen(key: tuple[int, str], ws: Any) -> None:
            with contextlib.suppress(Exception):
                async for message in ws:
                    if isinstance(message, str) and (match := CALLED.match(message)):
                        seen[key].add(match.group(1))

        listeners = [asyncio.create_task(listen(key, ws)) for key, ws in sockets]
        clients = [
            await stack.enter_async_context(httpx2.AsyncClient(base_url=f"http://{h}", timeout=30))
            for h in hosts
        ]
        gate = asyncio.Semaphore(8 * len(hosts))

        async def check_in(n: int) -> tuple[int, str]:
            body = {"branch": "riyadh", "hall": halls[n % len(halls)], "service": "letter"}
            async with gate:
                resp = await clients[n % len(clients)].post(
                    "/api/v1/tickets", json=body, headers=kiosk
                )
            number = resp.json().get("number", "") if resp.status_code == 201 else ""
            return resp.status_code, number

        answers = await asyncio.gather(*(check_in(n) for n in range(EXACT_PER_WORKER * len(hosts))))
        # The calls: counter 1 of each hall, each call through the next worker in turn.
        called: dict[str, list[str]] = {hall: [] for hall in halls}
        call_errors = 0
        turn = 0
        for hall in halls:
            op = {"Authorization": f"Bearer {tokens['operator-' + hall]}"}
            tree = (await clients[0].get("/api/v1/branches", headers=op)).json()
            hall_tree = next(h for b in tree["branches"] for h in b["halls"] if h["slug"] == hall)
            counter = next(c["id"] for c in hall_tree["counters"] if c["number"] == 1)
            for _ in range(CALLS_PER_HALL):
                resp = await clients[turn % len(clients)].post(
                    f"/api/v1/counters/{counter}/call-next", json=SERVED, headers=op
                )
                turn += 1
                if resp.status_code == 200:
                    called[hall].append(resp.json()["number"])
                else:
                    call_errors += 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(
            not set(called[hall]) <= seen[(i, hall)] for i, hall in seen
        ):
            await asyncio.sleep(0.05)
        for task in listeners:
            task.cancel()
    missed = {
        f"worker {i + 1} {hall}": sorted(set(called[hall]) - got)
        for (i, hall), got in seen.items()
        if set(called[hall]) - got
    }
    numbers = [number for status, number in answers if status == 201]
    return {
        "exact_sent": len(answers),
        "exact_201": len(numbers),
        "exact_other": sorted({status for status, _ in answers if status != 201}),
        "exact_duplicate_numbers": len(numbers) - len(set(numbers)),
        "calls": sum(len(v) for v in called.values()),
        "call_errors": call_errors,
        "displays": len(seen),
        "display_missed": missed,
    }


def serve_worker(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """One `reception serve` process, one worker (uvicorn serves in that process)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reception.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return proc, f"127.0.0.1:{port}"


def run_case(server: str, workers: int, halls: int) -> Case:
    hall_names = ["men", "women"][:halls]
    work = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        redis, redis_port = start_redis()
        procs.append(redis)
        with fresh_postgres_database(server) as url:
            env = {
                **base_env(work),
                "DATABASE_URL": url,
                "BROADCAST_URL": f"redis://127.0.0.1:{redis_port}/0",
            }
            cli(env, "migrate")
            cli(env, "demo")
            tokens = {
                "kiosk": cli(
                    env,
                    "token",
                    "create",
                    "--role",
                    "kiosk",
                    "--name",
                    "bench-kiosk",
                    "--branch",
                    "riyadh",
                )  # fmt: skip
            }
            for role in ("display", "operator"):
                for hall in hall_names:
                    tokens[f"{role}-{hall}"] = cli(
                        env, "token", "create", "--role", role, "--name", f"bench-{role}-{hall}",
                        "--branch", "riyadh", "--hall", hall,
                    )  # fmt: skip
            servers = [serve_worker(env) for _ in range(workers)]
            procs += [proc for proc, _ in servers]
            hosts = [host for _, host in servers]
            for proc, host in servers:
                wait_ready(f"http://{host}/healthz", proc)
            for proc, _ in servers:
                wait_idle(proc)
            with CappedHosts(SHARE) as capped:
                for proc, _ in servers:
                    capped.place(proc.pid)
                urls = [f"http://{host}/api/v1/tickets" for host in hosts]
                before = ticket_counts(url)["total"]
                warm = wrk_all(urls, tokens["kiosk"], halls, WARMUP)
                throttled_before = capped.throttled_seconds()
                ticks_before = sum(_cpu_ticks(proc.pid) for proc, _ in servers)
                load = wrk_all(urls, tokens["kiosk"], halls, DURATION)
                ticks = sum(_cpu_ticks(proc.pid) for proc, _ in servers) - ticks_before
                throttled = capped.throttled_seconds() - throttled_before
                after_load = settled_total(url)
                checks = asyncio.run(exact_and_displays(hosts, tokens, hall_names))
                final = ticket_counts(url)
            for proc in procs[1:]:
                stop(proc)  # before the database is dropped
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    issued_in_load = after_load - before
    in_flight = issued_in_load - (warm["answered_2xx"] + load["answered_2xx"])
    answered_once = (
        0 <= in_flight <= warm["connections"] + load["connections"]
        and final["total"] - after_load == checks["exact_201"]
        and checks["exact_duplicate_numbers"] == 0
    )
    case: Case = {
        "workers": workers,
        "halls": halls,
        "cpu_share_per_worker": SHARE,
        **{k: v for k, v in load.items() if k != "answered_2xx"},
        "answered_2xx": load["answered_2xx"],
        "issued_during_load": issued_in_load,
        "in_flight_at_stop": in_flight,
        "throttled_seconds": round(throttled, 2),
        "worker_cpu_ms_per_checkin": round(
            1000 * ticks / os.sysconf("SC_CLK_TCK") / max(1.0, load["answered_2xx"]), 2
        ),
        **checks,
        "series": final["series"],
        "gaps": final["gaps"],
        "answered_once": answered_once,
        "gapless": not final["gaps"],
        "every_display_every_call": not checks["display_missed"] and not checks["call_errors"],
    }
    if halls == 1:
        case["lock_bound_ms"] = round(1000 / load["rps"], 2) if load["rps"] else None
    passed = answered_once and case["gapless"] and case["every_display_every_call"]
    failed = f" ({load['failed']:.0f} failed)" if load["failed"] else ""
    print(
        f"{halls}-hall {workers} worker(s): {load['rps']:.0f} rps, p99 {load['p99_ms']:.1f} ms"
        f"{failed}; {case['worker_cpu_ms_per_checkin']:.1f} ms worker CPU per check-in; "
        f"throttled {throttled:.1f} s; checks {'ok' if passed else 'FAILED'} "
        f"(answered once {answered_once}, "
        f"gapless {case['gapless']}, displays {checks['displays']} saw "
        f"{checks['calls']} calls: {checks['display_missed'] or 'all'})",
        flush=True,
    )
    return case


def ratios(cases: dict[str, Case], halls: int) -> dict[str, Any]:
    base = cases.get(f"{halls}-hall-1w")
    out: dict[str, Any] = {}
    if base is None or not base["rps"]:
        return out
    for n in (2, 4):
        other = cases.get(f"{halls}-hall-{n}w")
        if other is not None:
            ratio = other["rps"] / base["rps"]
            target = TARGETS[str(n)] if halls == 2 else None
            out[f"{n}/1"] = {"rps_ratio": round(ratio, 2), "target_at_least": target}
            shown = f" (target ≥ {target:.1f})" if target else ""
            print(
                f"{halls}-hall: {n} workers {other['rps']:.0f} rps = {ratio:.2f}× 1 worker "
                f"{base['rps']:.0f} rps{shown}; p99 {other['p99_ms']:.1f} ms vs "
                f"{base['p99_ms']:.1f} ms",
                flush=True,
            )
    return out


def main() -> None:
    # Stopped with SIGTERM, still stop the servers and remove what was made (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    server = postgres_url()
    if server is None or shutil.which("redis-server") is None:
        print("scaleout: skipped (set BENCH_DATABASE_URL and install redis-server)")
        return
    if (reason := why_not_writable()) is not None:
        print(f"scaleout: skipped: {reason}; run as root where /sys/fs/cgroup/cpu is cgroup v1")
        return
    print(
        f"scaleout: check-in on PostgreSQL + Redis, each worker its own process capped at "
        f"{SHARE:.0%} of a core, {CONNECTIONS} connections, {DURATION} per point",
        flush=True,
    )
    cases: dict[str, Case] = {}
    plan = [(n, 2) for n in WORKERS] + [(n, 1) for n in ONE_HALL_WORKERS]
    for workers, halls in plan:
        cases[f"{halls}-hall-{workers}w"] = run_case(server, workers, halls)
    summary = {
        "benchmark": "scaleout",
        "connections": CONNECTIONS,
        "duration": DURATION,
        "cpu_share_per_worker": SHARE,
        "machine_cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "cases": cases,
        "ratios": {"2-halls": ratios(cases, 2), "1-hall": ratios(cases, 1)},
    }
    for name, case in cases.items():
        if case["halls"] == 1 and case["workers"] == max(ONE_HALL_WORKERS) and case["rps"]:
            two = cases.get(f"2-hall-{case['workers']}w")
            print(
                f"{name}: one hall's check-ins take turns on its number-series row lock: "
                f"{case['rps']:.0f}/s"
                + (f" (two halls, same workers: {two['rps']:.0f}/s)" if two else "")
                + f" means each holds it at most {case['lock_bound_ms']:.1f} ms"
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scaleout.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
