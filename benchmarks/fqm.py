"""Side by side with FQM (Free Queue Manager, the open-source queue system at
github.com/mrf345/FQM): its ticket-creating API endpoint against our check-in, the same
load (wrk, 64 connections, benchmarks/post.lua), rounds interleaved in the same run.

- FQM: fetched at run time into the scratch space (`BENCH_SCRATCH`, default var/bench-fqm,
  which git ignores): cloned from the git directory `FQM_GIT_DIR` (default
  /work/.mirror/mrf345+FQM/repo) when it exists, else from its public repository; with
  neither reachable the benchmark says so and skips. A snapshot may lack large binary
  files (images); only the files present are checked out, and which are missing is
  printed. A virtualenv there gets its requirements from PyPI as its repository pins
  them (requirements/main.txt, plus the gevent pin of requirements/legacy.txt: its
  command-line server is gevent's WSGI server; PyQt5, the desktop window of that list,
  is left out). It runs as its own CLI runs it, ONE gevent process (`run.py --cli`) on
  SQLite with its defaults, and the setup does what its admin pages do before a ticket
  can be issued: an office, a task in it with the office's initial ticket, and an API
  token. One setting differs from its defaults: its kiosk's "registered tickets" mode is
  on, as its touch-screen settings page would set it, because in the default "printed"
  mode every ticket first goes to a USB ticket printer, which this machine does not
  have (each request would then fail). `POST /api/v1/tickets/ {"task_id": …}`.
- Ours: `reception serve` with the product's defaults, one worker, SQLite
  (SQLITE_SYNCHRONOUS=full), demo data, `POST /api/v1/tickets` with a kiosk token.

Targets: our requests/s ≥ 10× its, its p99 ≥ 10× ours. wrk's p99 covers answered
requests only: requests that time out (10 s) are counted apart and printed. Writes
benchmarks/results/fqm.json. FQM's code stays in the scratch space: nothing of it is
part of this repository."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.checkin import TICKET, base_env, parse_wrk, prepare, serve_ours
from benchmarks.common import RESULTS, ROOT, free_port, stop, wait_idle, wait_ready

DURATION = os.environ.get("BENCH_DURATION", "6s")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = 64
SCRATCH = Path(os.environ.get("BENCH_SCRATCH", str(ROOT / "var" / "bench-fqm")))
GIT_DIR = os.environ.get("FQM_GIT_DIR", "/work/.mirror/mrf345+FQM/repo")
PUBLIC_URL = "https://github.com/mrf345/FQM"

SETUP = """
from app.database import AuthTokens, Office, Serial, Task, Touch_store
from app.main import bundle_app
from app.middleware import db
from app.tasks import stop_tasks

app = bundle_app()
with app.app_context():
    office, task = Office(name="bench"), Task(name="letter")
    db.session.add_all([office, task])
    db.session.commit()
    task.offices.append(office)
    db.session.add(Serial(office_id=office.id, task_id=task.id, p=True))
    Touch_store.get().n = True
    token = AuthTokens(name="bench")
    db.session.add(token)
    db.session.commit()
    print("BENCH", task.id, token.token)
stop_tasks()
"""
"""What FQM's admin pages do before its API can issue a ticket (run in its venv)."""


class Unavailable(Exception):
    """FQM cannot be fetched, installed or started here: the reason, for the skip."""


def run(cmd: list[str], cwd: Path | None = None, timeout: float = 600, **kw: Any) -> str:
    try:
        out = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=True, **kw
        )
    except subprocess.CalledProcessError as exc:
        tail = "\n".join((exc.stderr or exc.stdout or "").strip().splitlines()[-5:])
        raise Unavailable(f"`{' '.join(cmd[:3])} …` failed: {tail}") from exc
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"`{' '.join(cmd[:3])} …` took over {timeout:.0f} s") from exc
    return out.stdout


def checkout() -> Path:
    """FQM's files in the scratch space (cloned once, then reused)."""
    tree = SCRATCH / "FQM"
    if (tree / ".git").is_dir() and (tree / "run.py").is_file():
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    source = GIT_DIR if Path(GIT_DIR).is_dir() else PUBLIC_URL
    try:
        quiet = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}  # fail, never ask for a login
        run(["git", "clone", "-q", "--no-checkout", source, str(tree)], timeout=300, env=quiet)
    except Unavailable as exc:
        raise Unavailable(
            f"FQM is not available: no git directory at FQM_GIT_DIR={GIT_DIR} and "
            f"cloning {PUBLIC_URL} failed ({exc})"
        ) from exc
    entries = [
        line.split("\t", 1) for line in run(["git", "ls-tree", "-r", "HEAD"], cwd=tree).splitlines()
    ]
    objects = "".join(meta.split()[2] + "\n" for meta, _ in entries)
    checked = run(["git", "cat-file", "--batch-check"], cwd=tree, input=objects).splitlines()
    present = [
        path
        for (_, path), got in zip(entries, checked, strict=True)
        if not got.endswith(" missing")
    ]
    missing = [
        path for (_, path), got in zip(entries, checked, strict=True) if got.endswith(" missing")
    ]
    if missing:
        print(f"fqm: the snapshot lacks {len(missing)} file(s), left out: {', '.join(missing)}")
    (SCRATCH / "paths.txt").write_text("\n".join(present) + "\n")
    run(["git", "checkout", "HEAD", f"--pathspec-from-file={SCRATCH / 'paths.txt'}"], cwd=tree)
    return tree


def requirements(tree: Path) -> list[str]:
    """Its pinned requirements: main.txt and the gevent pin of legacy.txt."""
    main = (tree / "requirements" / "main.txt").read_text().splitlines()
    legacy = (tree / "requirements" / "legacy.txt").read_text().splitlines()
    lines = [ln.strip() for ln in main if ln.strip() and not ln.strip().startswith("#")]
    return lines + [ln.strip() for ln in legacy if ln.strip().lower().startswith("gevent")]


def virtualenv(tree: Path) -> Path:
    """A venv in the scratch space with FQM's requirements (kept while they are the same)."""
    venv = SCRATCH / "venv"
    wanted = requirements(tree)
    stamp = hashlib.sha256("\n".join(wanted).encode()).hexdigest()
    marker = venv / ".installed"
    if marker.is_file() and marker.read_text() == stamp:
        return venv / "bin" / "python"
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", str(venv)])
    (SCRATCH / "requirements.txt").write_text("\n".join(wanted) + "\n")
    print(f"fqm: installing its {len(wanted)} pinned requirements …", file=sys.stderr)
    run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(SCRATCH / "requirements.txt")])
    marker.write_text(stamp)
    return venv / "bin" / "python"


def fqm_env(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URI")}
    return {**env, "PYTHONPATH": str(tree)}


def setup_data(python: Path, tree: Path) -> tuple[int, str]:
    """A fresh SQLite database (its default file) with an office, a task and a token."""
    (tree / "data.sqlite").unlink(missing_ok=True)
    out = run([str(python), "-c", SETUP], cwd=tree, env=fqm_env(tree), timeout=120)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise Unavailable(f"FQM's setup printed no token: {out[-300:]}")
    _, task_id, token = line.split()
    return int(task_id), token


def serve_fqm(python: Path, tree: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(python), "run.py", "--cli", "--quiet", "--ip", "127.0.0.1", "--port", str(port)],
        cwd=tree,
        env=fqm_env(tree),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/", proc)
    except SystemExit as exc:
        stop(proc)
        raise Unavailable(f"FQM did not start: {exc}") from exc
    wait_idle(proc)
    return proc, f"http://127.0.0.1:{port}/api/v1/tickets/"


def wrk(url: str, body: str, token: str) -> dict[str, float]:
    env = {**os.environ, "BENCH_BODY": body, "BENCH_TOKEN": token}
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--timeout", "10s", "--latency"]
    script = str(ROOT / "benchmarks" / "post.lua")
    out = subprocess.run(
        [*cmd, "-s", script, url], env=env, capture_output=True, text=True, check=True, timeout=180
    ).stdout
    return parse_wrk(out)


def probe_status(url: str, body: str, token: str) -> int | str:
    """One ticket through its API before the load: the HTTP status (or why none came)."""
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError as exc:
        return f"nothing ({exc})"


def shown(label: str, f: dict[str, float]) -> str:
    failed = (
        f" ({f['errors']:.0f} non-2xx, {f['timeouts']:.0f} timed out)"
        if (f["errors"] or f["timeouts"])
        else ""
    )
    return f"{label} {f['rps']:.1f} rps p99 {f['p99_ms']:.1f} ms{failed}"


def measure() -> dict[str, Any]:
    tree = checkout()
    python = virtualenv(tree)
    commit = run(["git", "rev-parse", "--short", "HEAD"], cwd=tree).strip()
    task_id, fqm_token = setup_data(python, tree)
    fqm_body = json.dumps({"task_id": task_id})
    work = Path(tempfile.mkdtemp(prefix="bench-fqm-ours-"))
    env = base_env(work)
    procs: list[subprocess.Popen[bytes]] = []
    rounds: list[dict[str, Any]] = []
    try:
        token = prepare(env)
        ours, ours_url = serve_ours(env)
        procs.append(ours)
        fqm, fqm_url = serve_fqm(python, tree)
        procs.append(fqm)
        probe = probe_status(fqm_url, fqm_body, fqm_token)
        if probe != 200:
            raise Unavailable(f"FQM's ticket endpoint answered {probe}, not 200")
        for index in range(ROUNDS):
            figures = {
                "fqm": wrk(fqm_url, fqm_body, fqm_token),
                "ours": wrk(ours_url, TICKET, token),
            }
            rounds.append({"round": index + 1, **figures})
            print(
                f"fqm round {index + 1}: "
                + " | ".join(shown(label, f) for label, f in figures.items()),
                flush=True,
            )
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    case: dict[str, Any] = {"fqm_commit": commit, "rounds": rounds}
    for label in ("fqm", "ours"):
        case[f"{label}_rps"] = max(r[label]["rps"] for r in rounds)
        case[f"{label}_p99_ms"] = min(r[label]["p99_ms"] for r in rounds)
        case[f"{label}_timeouts"] = sum(r[label]["timeouts"] for r in rounds)
    case["rps_ratio"] = case["ours_rps"] / case["fqm_rps"] if case["fqm_rps"] else None
    case["p99_ratio"] = case["fqm_p99_ms"] / case["ours_p99_ms"]
    case["targets"] = {"rps_ratio_at_least": 10.0, "p99_ratio_at_least": 10.0}
    rps_ratio = f"{case['rps_ratio']:.1f}×" if case["rps_ratio"] else "∞×"
    print(
        f"fqm: ours {case['ours_rps']:.0f} rps = {rps_ratio} FQM {case['fqm_rps']:.1f} rps "
        f"(target ≥ 10); FQM p99 {case['fqm_p99_ms']:.0f} ms = {case['p99_ratio']:.1f}× ours "
        f"{case['ours_p99_ms']:.1f} ms (target ≥ 10)"
        + (f"; FQM timed out {case['fqm_timeouts']:.0f} times" if case["fqm_timeouts"] else ""),
        flush=True,
    )
    return case


def main() -> None:
    # Stopped with SIGTERM, still stop the servers and remove what was made (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    print(
        f"fqm: FQM's POST /api/v1/tickets/ (one gevent process, SQLite, its defaults) against "
        f"our check-in (one worker, SQLite, defaults), {CONNECTIONS} connections, "
        f"{DURATION} per round",
        flush=True,
    )
    try:
        summary: dict[str, Any] = {"benchmark": "fqm", "duration": DURATION, **measure()}
    except Unavailable as exc:
        print(f"fqm: skipped: {exc}")
        summary = {"benchmark": "fqm", "skipped": str(exc)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fqm.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
