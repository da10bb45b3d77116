"""A real `reception serve` process for the multi-worker and restart tests, and the
small HTTP/websocket client steps a hall display goes through."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import psutil
from websockets.sync.client import ClientConnection, connect

from tests.browser import free_port
from tests.factories import PASSWORD
from tests.helpers import csrf

STOP_SECONDS = 15.0


@dataclass
class Server:
    """One started `reception serve`; `processes` are the parent and, with several
    workers, the worker processes it spawned (recorded so none outlives the test)."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    processes: dict[int, psutil.Process] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def workers(self) -> list[psutil.Process]:
        """The processes that serve requests: the children with `--workers` > 1, else
        the process itself. Multiprocessing helpers (no listening socket) are left out."""
        parent = psutil.Process(self.proc.pid)
        children = parent.children()
        for child in children:
            self.processes.setdefault(child.pid, child)
        if not children:
            return [parent]
        return [c for c in children if any(_is_listener(x, self.port) for x in _tcp(c))]

    def kill(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would do it."""
        self.workers()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=STOP_SECONDS)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                self.workers()
        end_processes(self.proc, self.processes)


def end_processes(proc: subprocess.Popen[bytes], processes: dict[int, psutil.Process]) -> None:
    """SIGTERM to a process a test started (SIGKILL if it does not end in time), then
    SIGKILL by PID to whatever is left of the `processes` it spawned."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_SECONDS)
    for pid, process in processes.items():
        if pid == proc.pid:
            continue
        try:
            if process.is_running():
                process.kill()
                process.wait(timeout=STOP_SECONDS)
        except psutil.NoSuchProcess:
            pass


def _tcp(process: psutil.Process) -> list[Any]:
    try:
        return list(process.net_connections(kind="tcp"))
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


def _is_listener(conn: Any, port: int) -> bool:
    return bool(conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port)


def established_peer_ports(process: psutil.Process, port: int) -> set[int]:
    """Client-side ports of the TCP connections this process accepted on `port`."""
    return {
        c.raddr.port
        for c in _tcp(process)
        if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port and c.raddr
    }


def has_connection_to(process: psutil.Process, port: int) -> bool:
    return any(
        c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port == port
        for c in _tcp(process)
    )


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def reception_server(
    env: dict[str, str],
    log: Path,
    *,
    workers: int = 1,
    port: int | None = None,
    cwd: Path | None = None,
    inherit_env: bool = True,
    start_seconds: float = 30.0,
) -> Iterator[Server]:
    """`python -m reception.cli serve` on a loopback port, stopped (and its worker
    processes reaped) on exit whatever happened inside. `env` is added to this
    process's environment, or used alone with `inherit_env=False`."""
    port = port or free_port()
    command = [sys.executable, "-m", "reception.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log.open("ab") as sink:
        proc = subprocess.Popen(
            command,
            env={**os.environ, **env} if inherit_env else env,
            cwd=cwd,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = Server(proc=proc, port=port, log=log)
    server.processes[proc.pid] = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + start_seconds
        while not _healthy(server.base):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{server.output()}")
            time.sleep(0.1)
        yield server
    finally:
        server.stop()


# --- what a display does -----------------------------------------------------------


def login_cookie(base: str, username: str, password: str = PASSWORD) -> str:
    """Sign in through the real form and return the `reception_session` cookie."""
    with httpx2.Client(base_url=base, timeout=10) as http:
        page = http.get("/staff/login")
        assert page.status_code == 200, page.text
        done = http.post(
            "/staff/login",
            data={"username": username, "password": password, "csrf_token": csrf(page.text)},
        )
        assert done.status_code == 303, done.text
        cookie = http.cookies.get("reception_session")
        assert cookie, "no session cookie after signing in"
        return str(cookie)


def open_display(ws_base: str, cookie: str, hall: str = "men") -> ClientConnection:
    return connect(
        f"{ws_base}/display/ws?hall={hall}",
        additional_headers={"Cookie": f"reception_session={cookie}"},
        open_timeout=10,
        close_timeout=5,
    )


def next_message(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    """The next message that is not a heartbeat."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no display message in time")
        raw = ws.recv(timeout=remaining)
        message = json.loads(raw)
        assert isinstance(message, dict)
        if message.get("type") != "heartbeat":
            return message


def api(base: str, token: str, path: str, body: dict[str, Any] | None = None) -> httpx2.Response:
    with httpx2.Client(base_url=base, timeout=10) as http:
        return http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
