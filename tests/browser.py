"""Helpers for the browser tests: a real server process and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sqlite_server(template: Path, var: Path) -> tuple[Path, dict[str, str]]:
    """A private copy of a seeded SQLite database in `var`, and the environment of a
    server on it (console SMS, in-process broadcast)."""
    db = var / "reception.sqlite3"
    shutil.copyfile(template, db)
    env = {
        "DATABASE_URL": f"sqlite:///{db}",
        "VAR_DIR": str(var),
        "SECRET_KEY": f"{var.name}-test-secret-0123456789abcdef",
        "SMS_BACKEND": "console",
        "BROADCAST_URL": "memory://",
    }
    return db, env


@contextmanager
def running_server(env: dict[str, str], workers: int = 1) -> Iterator[str]:
    """`reception serve` as users run it, on a free loopback port."""
    port = free_port()
    full_env = {**os.environ, **env}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reception.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"server did not start:\n{output}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def axe_all_violations(page: Any) -> list[dict[str, Any]]:
    """Every accessibility violation of the current page (axe-core), whatever its
    impact: minor and moderate included."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical accessibility violations of the current page (axe-core)."""
    return [v for v in axe_all_violations(page) if v["impact"] in ("serious", "critical")]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
