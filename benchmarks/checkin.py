"""Check-in throughput: `POST /api/v1/tickets` served the way the README serves it,
against a bare Starlette + SQLAlchemy Core insert on one SQLite writer, same uvicorn
settings, same load generator (wrk, 64 connections), rounds interleaved.

Prints requests/s and p99 of both and their ratios; writes benchmarks/results/checkin.json."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DURATION = os.environ.get("BENCH_DURATION", "8s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = 64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited while starting: {url}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {url}")


def parse_wrk(output: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    percentiles = {}
    for pct, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M):
        factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        percentiles[f"p{pct}_ms"] = float(value) * factor
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {"rps": rps, **percentiles, "errors": float(non2xx.group(1)) if non2xx else 0.0}


def run_wrk(url: str, body: str, token: str) -> dict[str, float]:
    env = {**os.environ, "BENCH_BODY": body, "BENCH_TOKEN": token}
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{DURATION}",
            "--latency",
            "-s",
            str(ROOT / "benchmarks" / "post.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return parse_wrk(out)


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-checkin-"))
    env = {
        **os.environ,
        "VAR_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'reception.sqlite3'}",
        "SMS_BACKEND": "console",
        "BROADCAST_URL": "memory://",
        "LOG_LEVEL": "WARNING",
        "BARE_DATABASE_URL": f"sqlite:///{work / 'bare.sqlite3'}",
    }
    cli = [sys.executable, "-m", "reception.cli"]
    subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "demo"], env=env, check=True, capture_output=True)
    token = (
        subprocess.run(
            [*cli, "token", "create", "--role", "kiosk", "--name", "bench", "--branch", "riyadh"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    app_port, bare_port = free_port(), free_port()
    app = subprocess.Popen(
        [*cli, "serve", "--port", str(app_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.bare_app:app",
            "--port",
            str(bare_port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--ws-per-message-deflate",
            "false",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{app_port}/healthz", app)
        wait_ready(f"http://127.0.0.1:{bare_port}/bare", bare)
        ticket = json.dumps({"branch": "riyadh", "hall": "men", "service": "letter"})
        rounds = []
        for index in range(ROUNDS):
            base = run_wrk(f"http://127.0.0.1:{bare_port}/bare", ticket, "")
            ours = run_wrk(f"http://127.0.0.1:{app_port}/api/v1/tickets", ticket, token)
            rounds.append({"round": index + 1, "bare": base, "checkin": ours})
            print(
                f"round {index + 1}: bare {base['rps']:.0f} rps p99 {base['p99_ms']:.1f} ms | "
                f"check-in {ours['rps']:.0f} rps p99 {ours['p99_ms']:.1f} ms"
            )
    finally:
        for proc in (app, bare):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)

    def best(key: str, metric: str) -> float:
        values = [r[key][metric] for r in rounds]
        return max(values) if metric == "rps" else min(values)

    summary = {
        "benchmark": "checkin",
        "connections": CONNECTIONS,
        "duration": DURATION,
        "rounds": rounds,
        "bare_rps": best("bare", "rps"),
        "checkin_rps": best("checkin", "rps"),
        "bare_p99_ms": best("bare", "p99_ms"),
        "checkin_p99_ms": best("checkin", "p99_ms"),
    }
    summary["rps_ratio"] = summary["checkin_rps"] / summary["bare_rps"]
    summary["p99_ratio"] = summary["checkin_p99_ms"] / summary["bare_p99_ms"]
    summary["targets"] = {"rps_ratio_at_least": 0.5, "p99_ratio_at_most": 2.0}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "checkin.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(
        f"check-in: {summary['checkin_rps']:.0f} rps = {summary['rps_ratio']:.2f}× bare "
        f"(target ≥ 0.50); p99 {summary['checkin_p99_ms']:.1f} ms = "
        f"{summary['p99_ratio']:.2f}× bare (target ≤ 2.00)"
    )


if __name__ == "__main__":
    main()
