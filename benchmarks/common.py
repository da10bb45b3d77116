"""What the benchmarks share: loopback ports, servers started and stopped by PID, the
`reception` command, a fresh PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until `url` answers at all (any HTTP status), or fail if the server exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited while starting: {url}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {url}")


def process_stats() -> Iterator[tuple[int, list[str]]]:
    """Every process's id and the fields of /proc/<pid>/stat after its name (so
    `fields[1]` is the parent's id, `fields[11:15]` utime, stime, cutime, cstime)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            yield int(entry.name), (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue


def _cpu_ticks(pid: int) -> int:
    """CPU time (clock ticks) of a process and its children, from /proc."""
    return sum(
        int(fields[11]) + int(fields[12])  # utime + stime
        for own, fields in process_stats()
        if own == pid or int(fields[1]) == pid  # fields[1]: the parent's id
    )


def wait_idle(proc: subprocess.Popen[bytes], busy: float = 0.1, timeout: float = 90) -> None:
    """Until the server (and its workers) use less than `busy` of a core: what it does
    once after starting (loading and training the letter-category suggestions, say)
    is not part of what is measured."""
    hertz = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = _cpu_ticks(proc.pid)
        time.sleep(1.0)
        if (_cpu_ticks(proc.pid) - before) / hertz < busy:
            return
    print(f"note: server {proc.pid} still busy after {timeout:.0f} s; measuring anyway")


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """End a process this benchmark started (and only that one)."""
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def start_redis() -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return proc, port
        time.sleep(0.1)
    stop(proc)
    raise SystemExit("redis-server did not start")


def cli(env: dict[str, str], *args: str) -> str:
    """Run `reception …` and return the last line it printed."""
    cmd = [sys.executable, "-m", "reception.cli", *args]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=120)
    return (out.stdout.strip().splitlines() or [""])[-1]


def postgres_url() -> str | None:
    """The server to benchmark PostgreSQL on (a role that may create databases)."""
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or None


@contextlib.contextmanager
def fresh_postgres_database(server_url: str):  # type: ignore[no-untyped-def]
    """A new empty database on the server, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text

    name = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
