"""Hall display latency: from an operator's call-next HTTP request to the moment each
connected display websocket has the resulting `ticket.called` message.

Configurations, measured in the same run with 1,000 and 2,000 sockets (`BENCH_CLIENTS`,
default "1000,2000"), a fresh server per case, the three interleaved per client count
and the whole set `BENCH_REPEAT` times (default 1; ratios are taken against the bare
case of the same repeat, and the spread over repeats is printed):
- `bare`: benchmarks/bare_ws.py on uvicorn, 1 worker: `POST /publish` sends the body to
  every socket, fire-and-forget like our call-next; the body is shaped like our
  `ticket.called` message and padded to about its size.
- `memory-1w`: `reception serve --workers 1`, BROADCAST_URL=memory://.
- `redis-2w`: `reception serve --workers 2`, BROADCAST_URL=redis://, on a redis-server
  started here on a free loopback port and stopped by PID at the end (two workers on
  these two cores, as in the target).

The sockets live in a separate process (`python -m benchmarks.display --client URL N`:
asyncio + `websockets`, 100 handshakes at a time) that reports ready once every socket
has its snapshot. Tickets are issued before the displays connect, so they see only calls.
Each round the parent takes t0 = CLOCK_MONOTONIC (system-wide on Linux), sends call-next
(or /publish); each socket stamps CLOCK_MONOTONIC when the bytes of the matching message
reach the client process (`data_received`, before frame parsing and task wake-up);
latency = stamp - t0. It still includes the HTTP request and the client's own work on the
sockets served before it, in every configuration alike; the client runs with its
garbage collector off, so its own pauses are not measured. 2 warm-up rounds, then
`BENCH_ROUNDS` rounds 0.4 s apart (default 50: with 15, the worst 1 % of the samples all
came from the one round a garbage collection fell in, so the p99 was that round's rather
than the tail's; `BENCH_CONFIGS`, e.g. "bare,memory-1w", runs only some configurations).
Each round waits up to 10 s for all sockets; late or lost deliveries are reported as
missing.

Memory: VmRSS from /proc/<pid>/status of the worker process (the largest worker with
several), read just before the displays connect (idle: tickets issued, and the RSS
steady for 3 s, up to 45 s) and 1 s after every socket got its snapshot; the bare
server's RSS with the same sockets is the baseline.

Prints p50/p99/max over all socket x round samples, deliveries, RSS and ours/bare
ratios; writes benchmarks/results/display.json."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import re
import resource
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode

from benchmarks.common import cli, free_port, start_redis, stop, wait_ready

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CLIENTS = [int(n) for n in os.environ.get("BENCH_CLIENTS", "1000,2000").split(",")]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "1"))
WARMUP, GAP, ROUND_TIMEOUT, CONNECT_CONCURRENCY = 2, 0.4, 10.0, 100
CONFIGS = {"bare": (0, ""), "memory-1w": (1, "memory://"), "redis-2w": (2, "redis://")}
SELECTED = os.environ.get("BENCH_CONFIGS", ",".join(CONFIGS)).split(",")
SERVED = {"close_current": "served"}
"""Each call-next says the visitor before was served (its ticket.finished goes out too)."""
BARE_PAD = 730  # brings the bare message to about the size of our ticket.called
CALLED = re.compile(r'^\{"type":"ticket\.called".*?"ticket":\{[^{}]*?"number":"([^"]+)"')
Case = dict[str, Any]


def raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Stamped(ClientConnection):
    """Stamps each data message with the time its bytes reached the process."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rx_ns = 0
        self.stamps: deque[int] = deque()

    def data_received(self, data: bytes) -> None:
        self.rx_ns = time.monotonic_ns()
        super().data_received(data)

    def process_event(self, event: Any) -> None:
        if isinstance(event, Frame) and event.opcode in (Opcode.TEXT, Opcode.BINARY):
            self.stamps.append(self.rx_ns)
        super().process_event(event)


async def client_main(url: str, count: int) -> None:
    """Child process: N sockets; answers `wait KEY T0 TIMEOUT` lines on stdin. Its own
    garbage collector is off: a full collection over N sockets' objects pauses this
    process for tens of milliseconds, which would be stamped onto whichever server's
    round it fell in (the run is bounded, so the memory it keeps is too)."""
    raise_nofile()
    gc.disable()
    token = os.environ.get("BENCH_WS_TOKEN", "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    arrivals: dict[str, list[int]] = {}
    sizes: dict[str, int] = {}
    waiters: dict[str, asyncio.Event] = {}
    stats = {"failed": 0, "closed": 0, "resyncs": 0}
    conns: list[Stamped] = []

    async def open_one() -> None:
        async with gate:
            try:
                ws: Any = await connect(
                    url,
                    additional_headers=headers,
                    compression=None,
                    ping_interval=None,
                    open_timeout=30,
                    close_timeout=2,
                    create_connection=Stamped,
                )
                await asyncio.wait_for(ws.recv(), 30)  # the snapshot
                ws.stamps.popleft()
                conns.append(ws)
            except Exception:
                stats["failed"] += 1

    async def read(ws: Stamped) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in ws:
                stamp = ws.stamps.popleft()
                if not isinstance(msg, str) or (match := CALLED.match(msg)) is None:
                    stats["resyncs"] += isinstance(msg, str) and msg.startswith('{"type":"snap')
                    continue
                got = arrivals.setdefault(match.group(1), [])
                got.append(stamp)
                sizes.setdefault(match.group(1), len(msg.encode()))
                if len(got) >= len(conns) and match.group(1) in waiters:
                    waiters[match.group(1)].set()
        stats["closed"] += 1

    started = time.monotonic()
    await asyncio.gather(*(open_one() for _ in range(count)))
    readers = [asyncio.create_task(read(ws)) for ws in conns]
    ready = {"ready": len(conns), "seconds": round(time.monotonic() - started, 2), **stats}
    print(json.dumps(ready), flush=True)
    while (line := (await asyncio.to_thread(sys.stdin.readline)).split()) and line[0] == "wait":
        key, t0, timeout = line[1], int(line[2]), float(line[3])
        event = waiters.setdefault(key, asyncio.Event())
        if len(arrivals.get(key, ())) >= len(conns):
            event.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)
        lat = [t - t0 for t in arrivals.get(key, ())]
        print(json.dumps({"lat_ns": lat, "bytes": sizes.get(key, 0), **stats}), flush=True)
    for task in readers:
        task.cancel()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(ws.close() for ws in conns)), 15)


def reply(proc: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    """The client's next JSON line (one per request, so nothing waits in the buffer)."""
    assert proc.stdout is not None
    if not select.select([proc.stdout], [], [], timeout)[0]:
        raise TimeoutError("display client did not answer in time")
    if not (line := proc.stdout.readline()):
        raise EOFError("display client exited")
    return dict(json.loads(line))


def vm_rss_mb(pid: int) -> float:
    """VmRSS of one process, from /proc/<pid>/status."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def worker_rss_mb(pid: int) -> float:
    """The worker's RSS: the server process itself with one worker (uvicorn serves
    in-process), else the largest of its worker children."""
    import psutil

    workers = []
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.Error):
            if "resource_tracker" not in " ".join(child.cmdline()):
                workers.append(child.pid)
    return max((vm_rss_mb(k) for k in workers), default=vm_rss_mb(pid))


def settled_rss_mb(pid: int, quiet: float = 3.0, limit: float = 45.0) -> float:
    """The worker's RSS once it stopped growing for `quiet` seconds: a worker loads
    some things in the background after start (the letter suggestion model), which
    is no display's doing."""
    deadline, last, since = time.monotonic() + limit, worker_rss_mb(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.5)
        if abs((now := worker_rss_mb(pid)) - last) > 0.5:
            last, since = now, time.monotonic()
    return last


def pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)  # nearest rank
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 2) if ordered else None


def start_server(config: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    workers, broadcast = CONFIGS[config]
    port, py = free_port(), [sys.executable, "-m"]
    if config == "bare":
        cmd = [*py, "uvicorn", "benchmarks.bare_ws:app", "--port", str(port), "--no-access-log"]
        cmd += ["--log-level", "warning", "--ws-per-message-deflate", "false"]
    else:
        cmd = [*py, "reception.cli", "serve", "--port", str(port), "--workers", str(workers)]
        env = {**env, "BROADCAST_URL": broadcast}
    # The server's own messages go to a file beside the database, shown when a case fails.
    server_log(env).parent.mkdir(parents=True, exist_ok=True)
    log = open(server_log(env), "ab")  # noqa: SIM115 - the server process keeps it
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": log}
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, preexec_fn=raise_nofile, **quiet)
    log.close()
    return server, f"127.0.0.1:{port}"


def server_log(env: dict[str, str]) -> Path:
    return Path(env["VAR_DIR"]) / "servers.log"


def run_case(config: str, clients: int, env: dict[str, str], tokens: dict[str, str]) -> Case:
    import httpx2

    bare = config == "bare"
    server, host = start_server(config, env)
    client: subprocess.Popen[bytes] | None = None
    lat_ms: list[float] = []
    http_ms: list[float] = []
    errors, size = 0, 0
    try:
        wait_ready(f"http://{host}" + ("/bare" if bare else "/healthz"), server)
        with httpx2.Client(base_url=f"http://{host}", timeout=10) as http:
            op = {"Authorization": f"Bearer {tokens['operator']}"}
            if not bare:  # the tickets to call, issued before any display connects
                tree = http.get("/api/v1/branches", headers=op).raise_for_status().json()
                men = [h for b in tree["branches"] for h in b["halls"] if h["slug"] == "men"][0]
                counter = next(c["id"] for c in men["counters"] if c["number"] == 1)
                kiosk = {"Authorization": f"Bearer {tokens['kiosk']}"}
                body = {"branch": "riyadh", "hall": "men", "service": "letter"}
                for _ in range(WARMUP + ROUNDS):
                    http.post("/api/v1/tickets", json=body, headers=kiosk).raise_for_status()
            rss_idle = settled_rss_mb(server.pid)
            url = f"ws://{host}" + ("/ws" if bare else "/display/ws?hall=men")
            client = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.display", "--client", url, str(clients)],
                env={**env, "BENCH_WS_TOKEN": "" if bare else tokens["display"]},
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                preexec_fn=raise_nofile,
            )
            assert client.stdin is not None
            last = ready = reply(client, 180)
            time.sleep(1.0)
            rss = worker_rss_mb(server.pid)
            for index in range(WARMUP + ROUNDS):
                time.sleep(GAP)
                t0 = time.monotonic_ns()
                if bare:
                    key = f"B-{index:04d}"
                    text = f'{{"type":"ticket.called","ticket":{{"number":"{key}"}},"pad":"'
                    resp = http.post("/publish", content=text + "x" * BARE_PAD + '"}')
                    key = key if resp.status_code == 204 else ""
                else:
                    resp = http.post(
                        f"/api/v1/counters/{counter}/call-next", json=SERVED, headers=op
                    )
                    key = resp.json()["number"] if resp.status_code == 200 else ""
                answered_ms = (time.monotonic_ns() - t0) / 1e6
                if not key:
                    errors += index >= WARMUP
                    continue
                client.stdin.write(f"wait {key} {t0} {ROUND_TIMEOUT}\n".encode())
                client.stdin.flush()
                last = reply(client, ROUND_TIMEOUT + 20)
                if index >= WARMUP:
                    lat_ms += [ns / 1e6 for ns in last["lat_ns"]]
                    http_ms.append(answered_ms)
                    size = max(size, int(last["bytes"]))
            client.stdin.write(b"quit\n")
            client.stdin.flush()
            with contextlib.suppress(subprocess.TimeoutExpired):
                client.wait(timeout=30)
    finally:
        stop(client)
        stop(server)
    expected = clients * ROUNDS
    return {
        "config": config,
        "clients": clients,
        "connected": ready["ready"],
        "connect_failed": ready["failed"],
        "connect_seconds": ready["seconds"],
        "call_errors": errors,
        "deliveries_expected": expected,
        "deliveries_received": len(lat_ms),
        "missing": expected - len(lat_ms),
        "closed_during_run": last["closed"],
        "resync_snapshots": last["resyncs"],
        "p50_ms": pct(lat_ms, 0.50),
        "p99_ms": pct(lat_ms, 0.99),
        "max_ms": round(max(lat_ms), 2) if lat_ms else None,
        "http_p50_ms": pct(http_ms, 0.50),
        "message_bytes": size,
        "worker_rss_idle_mb": rss_idle,
        "worker_rss_mb": rss,
    }


def print_table(cases: list[Case]) -> None:
    print(f"display: call-next -> ticket.called on every socket, {ROUNDS} rounds per case")
    print(
        f"{'#':>1} {'config':<10} {'clients':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'received/expected':>17} {'p50×bare':>8} {'p99×bare':>8} {'HTTP ms':>7} "
        f"{'conn s':>6} {'RSS idle':>8} {'RSS MB':>7} {'RSS×bare':>8}"
    )
    for c in cases:
        if "error" in c:
            print(f"{c['repeat']:>1} {c['config']:<10} {c['clients']:>7} FAILED: {c['error']}")
            continue
        ms = [f"{c[k]:.1f}" if c[k] is not None else "-" for k in ("p50_ms", "p99_ms", "max_ms")]
        ratio = [
            f"{c[k]:.2f}" if c[k] is not None else "-"
            for k in ("p50_ratio", "p99_ratio", "rss_ratio")
        ]
        got = f"{c['deliveries_received']}/{c['deliveries_expected']}"
        print(
            f"{c['repeat']:>1} {c['config']:<10} {c['clients']:>7} {ms[0]:>7} {ms[1]:>7} "
            f"{ms[2]:>7} {got:>17} {ratio[0]:>8} {ratio[1]:>8} {c['http_p50_ms'] or 0:>7.1f} "
            f"{c['connect_seconds']:>6.1f} {c['worker_rss_idle_mb']:>8.1f} "
            f"{c['worker_rss_mb']:>7.1f} {ratio[2]:>8}"
        )
    print("HTTP ms: median call-next (bare: /publish) answer time, included in the latencies.")
    print("RSS: VmRSS of the (largest) worker process, idle before connecting / connected.")
    if REPEAT > 1:
        print("spread over repeats (min-max of ours/bare):")
        for clients in CLIENTS:
            for config in [c for c in CONFIGS if c != "bare"]:
                got = [c for c in cases if c["config"] == config and c["clients"] == clients]
                for key in ("p50_ratio", "p99_ratio", "rss_ratio"):
                    vals = sorted(c[key] for c in got if c.get(key) is not None)
                    if vals:
                        print(f"  {config:<10} {clients:>5} {key:<10} {vals[0]:.2f}-{vals[-1]:.2f}")


def main() -> None:
    raise_nofile()
    work = Path(tempfile.mkdtemp(prefix="bench-display-"))
    env = {
        **os.environ,
        "VAR_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'reception.sqlite3'}",
        "SMS_BACKEND": "console",
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": "display-benchmark-secret-key-0123456789",
        "BROADCAST_URL": "memory://",
    }
    redis: subprocess.Popen[bytes] | None = None
    cases: list[Case] = []
    load_before = os.getloadavg()[0]
    try:
        cli(env, "migrate")
        cli(env, "demo")
        tokens: dict[str, str] = {}
        for role, hall in [("display", "men"), ("operator", "men"), ("kiosk", "")]:
            args = ["token", "create", "--role", role, "--name", f"bench-{role}"]
            args += ["--branch", "riyadh", *(["--hall", hall] if hall else [])]
            tokens[role] = cli(env, *args)
        redis, redis_port = start_redis()
        CONFIGS["redis-2w"] = (2, f"redis://127.0.0.1:{redis_port}/0")
        for repeat in range(REPEAT):
            for clients in CLIENTS:
                for config in SELECTED:
                    try:
                        case = {"repeat": repeat, **run_case(config, clients, env, tokens)}
                        cases.append(case)
                        print(f"  {config} x {clients}: connected in {case['connect_seconds']} s")
                    except (Exception, SystemExit) as exc:  # reported, not hidden
                        cases.append(
                            {"repeat": repeat, "config": config, "clients": clients}
                            | {"error": repr(exc)}
                        )
                        print(f"  {config} x {clients}: FAILED {exc!r}")
                        if server_log(env).exists():  # what the server said last
                            tail = server_log(env).read_text(errors="replace")[-3000:]
                            print("  server log, last lines:\n" + tail, flush=True)
    finally:
        stop(redis)
        shutil.rmtree(work, ignore_errors=True)
    bare = {
        (c["repeat"], c["clients"]): c for c in cases if c["config"] == "bare" and "error" not in c
    }
    for case in cases:
        ref = bare.get((case["repeat"], case["clients"]), {}) if case["config"] != "bare" else {}
        for key in ("p50", "p99"):
            ours, base = case.get(f"{key}_ms"), ref.get(f"{key}_ms")
            case[f"{key}_ratio"] = round(ours / base, 2) if ours and base else None
        ours, base = case.get("worker_rss_mb"), ref.get("worker_rss_mb")
        case["rss_ratio"] = round(ours / base, 2) if ours and base else None
    summary = {
        "benchmark": "display",
        "cores": os.cpu_count(),
        "loadavg_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rounds": ROUNDS,
        "repeats": REPEAT,
        "warmup_rounds": WARMUP,
        "gap_seconds": GAP,
        "cases": cases,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "display.json").write_text(json.dumps(summary, indent=2) + "\n")
    print_table(cases)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        asyncio.run(client_main(sys.argv[2], int(sys.argv[3])))
    else:
        main()
