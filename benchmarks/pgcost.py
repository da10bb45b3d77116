"""What a check-in costs PostgreSQL, before and after the five-statement check-in:
CPU seconds of the server's processes per 1,000 check-ins, and statements and round
trips per check-in, for the code of this tree ("after") and of an earlier commit
("before", BENCH_PGCOST_BEFORE, by default the one the five-statement check-in was
built on), measured in the same run on the same machine.

For each: a fresh PostgreSQL database with the demo data, Redis for the broadcast, one
`reception serve` worker run from that code (PYTHONPATH), then
1. counting: the worker's database connections pass through a relay that reads the
   wire protocol (`benchmarks.pgwire`); CHECKINS_COUNTED check-ins one after the
   other, every statement and round trip counted (BEGIN and COMMIT included);
2. CPU: the worker restarted on a direct connection, CHECKINS check-ins from
   CLIENTS keep-alive clients; the CPU time (utime + stime, /proc) of the backends
   of the benchmark's database before and after, and of every process of the server
   (its background writers too, and whatever else the server does meanwhile), with
   the worker's own CPU and the check-ins per second. Transactions are counted from
   `pg_stat_database` (pg_stat_statements needs a server setting).

Rounds alternate before and after; the best round of each is kept. Writes
benchmarks/results/pgcost.json (and prints what benchmarks/results/pgcost.txt holds)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.common import (
    RESULTS,
    ROOT,
    free_port,
    fresh_postgres_database,
    postgres_url,
    process_stats,
    start_redis,
    stop,
    wait_idle,
    wait_ready,
)
from benchmarks.pgwire import WireCounter

BEFORE = os.environ.get("BENCH_PGCOST_BEFORE", "2eef335a1f3da228875fc67aff1c4276a4350bbf")
CHECKINS = int(os.environ.get("BENCH_CHECKINS", "1500"))
CHECKINS_COUNTED = 20
WARM_UP = 200
"""Check-ins before anything is counted: every pooled connection has prepared the
check-in's statements by then (psycopg prepares one on its fifth use, a round trip
more that once)."""
CLIENTS = 8
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
TICKET = json.dumps({"branch": "riyadh", "hall": "men", "service": "letter"}).encode()
HERTZ = os.sysconf("SC_CLK_TCK")


@contextmanager
def code_of(commit: str) -> Iterator[Path]:
    """The tree of `commit` in a temporary directory (git archive: the repository's
    worktrees and branches are left alone)."""
    work = Path(tempfile.mkdtemp(prefix="bench-pgcost-code-"))
    try:
        archive = work / "code.tar"
        subprocess.run(
            ["git", "archive", "--format=tar", "-o", str(archive), commit],
            cwd=ROOT,
            check=True,
            timeout=120,
        )
        with tarfile.open(archive) as tar:
            tar.extractall(work / "tree", filter="data")
        yield work / "tree"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_cli(tree: Path, env: dict[str, str], *args: str) -> str:
    """`reception …` of the code in `tree` (`python -m` puts the working directory
    first on the path: it must be that tree); the last line it printed."""
    cmd = [sys.executable, "-m", "reception.cli", *args]
    out = subprocess.run(
        cmd, env=env, cwd=tree, check=True, capture_output=True, text=True, timeout=300
    )
    return (out.stdout.strip().splitlines() or [""])[-1]


def serve(tree: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "reception.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
    wait_idle(proc)
    return proc, port


def check_ins(port: int, token: str, count: int, clients: int) -> float:
    """`count` check-ins from `clients` keep-alive connections; seconds taken. Any
    answer but 201 stops the benchmark."""
    left = [count]
    lock = threading.Lock()
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    if left[0] <= 0 or failures:
                        return
                    left[0] -= 1
                conn.request("POST", "/api/v1/tickets", body=TICKET, headers=headers)
                answer = conn.getresponse()
                body = answer.read()
                if answer.status != 201:
                    failures.append(f"{answer.status} {body[:200]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"a check-in failed: {failures[0]}")
    return time.perf_counter() - started


def ticks(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def server_ticks(postmaster: int) -> int:
    """Every process of the PostgreSQL server, with the time of children it reaped."""
    total = 0
    for pid, fields in process_stats():
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total


class Server:
    """The benchmark's view of the PostgreSQL server holding its database."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with self.engine.connect() as conn:
            own = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        stat = Path(f"/proc/{own}/stat").read_text().rsplit(")", 1)[1].split()
        self.postmaster = int(stat[1])

    def backends(self) -> set[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            return {int(pid) for (pid,) in rows}

    def transactions(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                        "WHERE datname = current_database()"
                    )
                ).scalar_one()
            )

    def close(self) -> None:
        self.engine.dispose()


def measure(label: str, tree: Path, server_url: str) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-pgcost-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        redis, redis_port = start_redis()
        procs.append(redis)
        with fresh_postgres_database(server_url) as url:
            env = {
                **os.environ,
                "PYTHONPATH": str(tree),
                "VAR_DIR": str(work / "var"),
                "DATABASE_URL": url,
                "BROADCAST_URL": f"redis://127.0.0.1:{redis_port}/0",
                "SMS_BACKEND": "console",
                "LOG_LEVEL": "WARNING",
            }
            run_cli(tree, env, "migrate")
            run_cli(tree, env, "demo")
            token = run_cli(
                tree,
                env,
                "token",
                "create",
                "--role",
                "kiosk",
                "--name",
                "bench",
                "--branch",
                "riyadh",
            )

            parts = make_url(url)
            with WireCounter(parts.host or "127.0.0.1", parts.port or 5432) as wire:
                relayed = {**env, "DATABASE_URL": wire.url(url)}
                proc, port = serve(tree, relayed)
                procs.append(proc)
                check_ins(port, token, WARM_UP, 1)
                time.sleep(0.5)
                wire.reset()
                check_ins(port, token, CHECKINS_COUNTED, 1)
                sent = wire.reset()
                stop(proc)
            per_checkin = {
                "statements": len(sent.statements) / CHECKINS_COUNTED,
                "round_trips": sent.round_trips / CHECKINS_COUNTED,
                "new_connections": sent.connections,
            }
            one: list[str] = []  # the statements of one check-in (the last ones sent)
            for sql in sent.statements[-int(per_checkin["statements"] + 0.5) :]:
                one.append(sql[:110])

            proc, port = serve(tree, env)
            procs.append(proc)
            check_ins(port, token, WARM_UP, CLIENTS)
            time.sleep(1.0)
            server = Server(url)
            try:
                backends = server.backends()
                before = (ticks(backends), server_ticks(server.postmaster), ticks({proc.pid}))
                xacts = server.transactions()
                seconds = check_ins(port, token, CHECKINS, CLIENTS)
                after_backends = server.backends()
                after = (
                    ticks(backends | after_backends),
                    server_ticks(server.postmaster),
                    ticks({proc.pid}),
                )
                time.sleep(1.5)  # the backends report their transactions within a second
                xacts = server.transactions() - xacts
            finally:
                server.close()
            stop(proc)
            if after_backends - backends:
                print(f"note: {label}: connections opened during the measurement")
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    per_thousand = 1000 / CHECKINS / HERTZ
    return {
        "label": label,
        "per_checkin": per_checkin,
        "statements_of_one_checkin": one,
        "checkins": CHECKINS,
        "checkins_per_second": CHECKINS / seconds,
        "postgres_backend_cpu_s_per_1000": (after[0] - before[0]) * per_thousand,
        "postgres_server_cpu_s_per_1000": (after[1] - before[1]) * per_thousand,
        "worker_cpu_s_per_1000": (after[2] - before[2]) * per_thousand,
        "transactions_per_checkin": xacts / CHECKINS,
    }


def show(result: dict[str, Any]) -> str:
    per = result["per_checkin"]
    return (
        f"{result['label']}: {per['statements']:.1f} statements, "
        f"{per['round_trips']:.1f} round trips per check-in; PostgreSQL CPU per 1,000 "
        f"check-ins {result['postgres_backend_cpu_s_per_1000']:.2f} s in its backends, "
        f"{result['postgres_server_cpu_s_per_1000']:.2f} s all processes; worker "
        f"{result['worker_cpu_s_per_1000']:.2f} s; {result['checkins_per_second']:.0f} "
        f"check-ins/s; {result['transactions_per_checkin']:.2f} transactions per check-in"
    )


def main() -> None:
    server_url = postgres_url()
    if server_url is None or shutil.which("redis-server") is None:
        print("pgcost: skipped (set BENCH_DATABASE_URL and install redis-server)")
        return
    if urlsplit(server_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        print("pgcost: skipped (the PostgreSQL server must run here: its CPU is read)")
        return
    rounds: list[dict[str, Any]] = []
    with code_of(BEFORE) as old_tree:
        for index in range(ROUNDS):
            for label, tree in (("before", old_tree), ("after", ROOT)):
                result = measure(label, tree, server_url)
                print(f"round {index + 1} {show(result)}", flush=True)
                rounds.append({"round": index + 1, **result})
    best = {}
    for label in ("before", "after"):
        mine = [r for r in rounds if r["label"] == label]
        best[label] = min(mine, key=lambda r: r["postgres_backend_cpu_s_per_1000"])
    b, a = best["before"], best["after"]
    ratios = {
        "postgres_backend_cpu": a["postgres_backend_cpu_s_per_1000"]
        / b["postgres_backend_cpu_s_per_1000"],
        "postgres_server_cpu": a["postgres_server_cpu_s_per_1000"]
        / b["postgres_server_cpu_s_per_1000"],
        "worker_cpu": a["worker_cpu_s_per_1000"] / b["worker_cpu_s_per_1000"],
        "statements": a["per_checkin"]["statements"] / b["per_checkin"]["statements"],
        "round_trips": a["per_checkin"]["round_trips"] / b["per_checkin"]["round_trips"],
        "checkins_per_second": a["checkins_per_second"] / b["checkins_per_second"],
    }
    print(show(b))
    for sql in b["statements_of_one_checkin"]:
        print(f"  before: {sql}")
    print(show(a))
    for sql in a["statements_of_one_checkin"]:
        print(f"  after: {sql}")
    print(
        f"after/before: PostgreSQL CPU {ratios['postgres_backend_cpu']:.2f}× (backends), "
        f"{ratios['postgres_server_cpu']:.2f}× (all processes); statements "
        f"{ratios['statements']:.2f}×; round trips {ratios['round_trips']:.2f}×; worker CPU "
        f"{ratios['worker_cpu']:.2f}×; check-ins/s {ratios['checkins_per_second']:.2f}×"
    )
    summary = {
        "benchmark": "pgcost",
        "before_commit": BEFORE,
        "checkins": CHECKINS,
        "clients": CLIENTS,
        "before": b,
        "after": a,
        "ratios": ratios,
        "rounds": rounds,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pgcost.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
