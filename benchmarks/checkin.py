"""Check-in throughput: `POST /api/v1/tickets` served the way the README serves it
(`reception serve`), against a bare Starlette + SQLAlchemy Core insert on one SQLite
writer connection with the same uvicorn settings, the same load generator (wrk, 64
connections) and the same durability setting, rounds interleaved.

Cases:
- `sqlite-full`: SQLITE_SYNCHRONOUS=full, the default (every acknowledged ticket is on
  disk before the answer), against the bare insert with synchronous=FULL;
- `sqlite-normal`: SQLITE_SYNCHRONOUS=normal against the bare insert with NORMAL;
- `postgres-redis`: one worker against two (`--workers 2`), PostgreSQL + Redis, when a
  PostgreSQL server is given (BENCH_DATABASE_URL or TEST_DATABASE_URL) and redis-server
  is installed. Its ratio is two workers over one, in the same run.
- `postgres-redis-2-halls`: the same with every other check-in in the women's hall (the
  check-ins of one hall wait for each other's commit; those of two halls need not).

Every round starts from the demo data; the queue grows by every ticket issued during
the run (thousands waiting), which the bare insert does not have to count.
Prints requests/s and p99 with their ratios; writes benchmarks/results/checkin.json."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RESULTS,
    ROOT,
    cli,
    free_port,
    fresh_postgres_database,
    postgres_url,
    start_redis,
    stop,
    wait_idle,
    wait_ready,
)

DURATION = os.environ.get("BENCH_DURATION", "8s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = 64
TICKET = json.dumps({"branch": "riyadh", "hall": "men", "service": "letter"})
TICKET_WOMEN = json.dumps({"branch": "riyadh", "hall": "women", "service": "letter"})
UVICORN_QUIET = ["--no-access-log", "--log-level", "warning"]


def parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = {}
    for pct, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        percentiles[f"p{pct}_ms"] = float(value) * factor
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*timeout (\d+)", output)
    return {
        "rps": rps,
        **percentiles,
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
        "timeouts": float(socket_errors.group(1)) if socket_errors else 0.0,
    }


def run_wrk(url: str, token: str, halls: int = 1) -> dict[str, float]:
    env = {**os.environ, "BENCH_BODY": TICKET, "BENCH_TOKEN": token}
    if halls == 2:  # every other request to the women's hall
        env["BENCH_BODY2"] = TICKET_WOMEN
    script = str(ROOT / "benchmarks" / "post.lua")
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "10s", "--latency"]
    out = subprocess.run(
        [*cmd, "-s", script, url], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    return parse_wrk(out)


def prepare(env: dict[str, str]) -> str:
    """Migrated database with the demo data; returns a kiosk token of the demo branch."""
    cli(env, "migrate")
    cli(env, "demo")
    return cli(env, "token", "create", "--role", "kiosk", "--name", "bench", "--branch", "riyadh")


def serve_ours(env: dict[str, str], workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reception.cli", "serve", "--port", str(port)]
        + ["--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
    wait_idle(proc)
    return proc, f"http://127.0.0.1:{port}/api/v1/tickets"


def serve_bare(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(port)]
        + UVICORN_QUIET
        + ["--ws-per-message-deflate", "false"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(f"http://127.0.0.1:{port}/bare", proc)
    return proc, f"http://127.0.0.1:{port}/bare"


def base_env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VAR_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'reception.sqlite3'}",
        "SMS_BACKEND": "console",
        "BROADCAST_URL": "memory://",
        "LOG_LEVEL": "WARNING",
        "BARE_DATABASE_URL": f"sqlite:///{work / 'bare.sqlite3'}",
    }


def interleave(name: str, runs: dict[str, tuple[str, str]], halls: int = 1) -> list[dict[str, Any]]:
    """ROUNDS rounds; in each, every server in turn under the same load."""
    rounds = []
    for index in range(ROUNDS):
        figures = {label: run_wrk(url, token, halls) for label, (url, token) in runs.items()}
        rounds.append({"round": index + 1, **figures})
        shown = " | ".join(
            f"{label} {f['rps']:.0f} rps p99 {f['p99_ms']:.1f} ms"
            + (
                f" ({f['errors'] + f['timeouts']:.0f} failed)"
                if f["errors"] or f["timeouts"]
                else ""
            )
            for label, f in figures.items()
        )
        print(f"{name} round {index + 1}: {shown}", flush=True)
    return rounds


def best(rounds: list[dict[str, Any]], label: str, metric: str) -> float:
    values = [r[label][metric] for r in rounds]
    return max(values) if metric == "rps" else min(values)


def summarise(
    rounds: list[dict[str, Any]], labels: tuple[str, str], **about: Any
) -> dict[str, Any]:
    """The case's record: what it was, its rounds, and each server's best figures."""
    case: dict[str, Any] = {**about, "rounds": rounds}
    for label in labels:
        case[f"{label}_rps"] = best(rounds, label, "rps")
        case[f"{label}_p99_ms"] = best(rounds, label, "p99_ms")
    return case


def sqlite_case(synchronous: str) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    env = {**base_env(work), "SQLITE_SYNCHRONOUS": synchronous}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        token = prepare(env)
        ours, ours_url = serve_ours(env)
        procs.append(ours)
        bare, bare_url = serve_bare(env)
        procs.append(bare)
        rounds = interleave(
            f"sqlite-{synchronous}", {"bare": (bare_url, ""), "checkin": (ours_url, token)}
        )
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    case = summarise(rounds, ("bare", "checkin"), synchronous=synchronous)
    case["rps_ratio"] = case["checkin_rps"] / case["bare_rps"]
    case["p99_ratio"] = case["checkin_p99_ms"] / case["bare_p99_ms"]
    case["targets"] = {"rps_ratio_at_least": 0.5, "p99_ratio_at_most": 2.0}
    print(
        f"sqlite-{synchronous}: check-in {case['checkin_rps']:.0f} rps = "
        f"{case['rps_ratio']:.2f}× bare {case['bare_rps']:.0f} (target ≥ 0.50); p99 "
        f"{case['checkin_p99_ms']:.1f} ms = {case['p99_ratio']:.2f}× bare "
        f"{case['bare_p99_ms']:.1f} ms (target ≤ 2.00)",
        flush=True,
    )
    return case


def postgres_case(halls: int = 1) -> dict[str, Any] | None:
    name = "postgres-redis" if halls == 1 else "postgres-redis-2-halls"
    server = postgres_url()
    if server is None or shutil.which("redis-server") is None:
        print(f"{name}: skipped (set BENCH_DATABASE_URL and install redis-server)")
        return None
    work = Path(tempfile.mkdtemp(prefix="bench-checkin-pg-"))
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
            token = prepare(env)
            one, one_url = serve_ours(env, workers=1)
            procs.append(one)
            two, two_url = serve_ours(env, workers=2)
            procs.append(two)
            rounds = interleave(
                name,
                {"1-worker": (one_url, token), "2-workers": (two_url, token)},
                halls,
            )
            for proc in (one, two):
                stop(proc)  # before the database is dropped
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    case = summarise(rounds, ("1-worker", "2-workers"), halls=halls)
    case["rps_ratio"] = case["2-workers_rps"] / case["1-worker_rps"]
    case["targets"] = {"rps_ratio_at_least": 1.5}
    print(
        f"{name}: 2 workers {case['2-workers_rps']:.0f} rps = {case['rps_ratio']:.2f}× "
        f"1 worker {case['1-worker_rps']:.0f} rps (target ≥ 1.50)",
        flush=True,
    )
    return case


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    only = set(filter(None, os.environ.get("BENCH_CASES", "").split(",")))
    cases: dict[str, Any] = {}
    for name, run in (
        ("sqlite-full", lambda: sqlite_case("full")),
        ("sqlite-normal", lambda: sqlite_case("normal")),
        ("postgres-redis", postgres_case),
        ("postgres-redis-2-halls", lambda: postgres_case(halls=2)),
    ):
        if not only or name in only:
            result = run()
            if result is not None:
                cases[name] = result
    if "postgres-redis" in cases and "sqlite-full" in cases:
        ratio = cases["postgres-redis"]["2-workers_rps"] / cases["sqlite-full"]["checkin_rps"]
        cases["postgres-redis"]["ratio_to_sqlite_one_worker"] = ratio
        print(f"postgres-redis: 2 workers = {ratio:.2f}× SQLite with one worker (sqlite-full)")
    if only and (RESULTS / "checkin.json").exists():  # one case run again: keep the others
        earlier = json.loads((RESULTS / "checkin.json").read_text()).get("cases", {})
        cases = {**{k: v for k, v in earlier.items() if k not in only}, **cases}
    summary = {
        "benchmark": "checkin",
        "connections": CONNECTIONS,
        "duration": DURATION,
        "cases": cases,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "checkin.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
