"""`reception serve` as deployed: several uvicorn workers sharing Redis and
PostgreSQL, and a server killed outright then started again on the same database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from reception.db import make_engine
from tests.factories import World, build_world
from tests.servers import (
    Server,
    api,
    established_peer_ports,
    has_connection_to,
    login_cookie,
    next_message,
    open_display,
    reception_server,
)

pytestmark = pytest.mark.timeout(120)

SECRET = "multiworker-test-secret-key-0123456789"
MIN_SOCKETS = 8
MAX_SOCKETS = 32


def seeded(url: str) -> World:
    engine = make_engine(url)
    try:
        return build_world(engine)
    finally:
        engine.dispose()


def server_env(database_url: str, broadcast_url: str, var: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "BROADCAST_URL": broadcast_url,
        "SECRET_KEY": SECRET,
        "SMS_BACKEND": "console",
        "VAR_DIR": str(var),
        "LOG_LEVEL": "WARNING",
    }


def issue_and_call(base: str, world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    issued = api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": "men", "service": "letter"},
    )
    assert issued.status_code == 201, issued.text
    counter = world.counters["men"][0]
    served = {"close_current": "served"}  # a visitor still at the counter was served
    called = api(
        base, world.tokens["operator-men"], f"/api/v1/counters/{counter}/call-next", served
    )
    assert called.status_code == 200, called.text
    return issued.json(), called.json()


def test_several_workers_with_memory_broadcast_refuse_to_start(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BROADCAST_URL": "memory://",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never.sqlite3'}",
        "SECRET_KEY": SECRET,
        "VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "reception.cli", "serve", "--workers", "2", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "BROADCAST_URL" in result.stderr
    assert "redis://" in result.stderr
    assert "Uvicorn running" not in result.stdout + result.stderr


def wait_for_workers(server: Server, backend_port: int, count: int) -> list[psutil.Process]:
    """The worker processes, once each holds its broadcast connection (its lifespan ran)."""
    deadline = time.monotonic() + 30
    while True:
        workers = server.workers()
        if len(workers) == count and all(has_connection_to(w, backend_port) for w in workers):
            return workers
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} workers not ready:\n{server.output()}")
        time.sleep(0.1)


def owner_of(
    sockets: list[ClientConnection], workers: list[psutil.Process], port: int
) -> dict[int, int]:
    """Which worker process accepted each display socket, from the kernel's TCP table."""
    accepted = {w.pid: established_peer_ports(w, port) for w in workers}
    owners: dict[int, int] = {}
    for index, ws in enumerate(sockets):
        local_port = ws.socket.getsockname()[1]
        holders = [pid for pid, ports in accepted.items() if local_port in ports]
        assert len(holders) == 1, (local_port, accepted)
        owners[index] = holders[0]
    return owners


@pytest.mark.postgres
@pytest.mark.stress
@pytest.mark.parametrize("backend", [pytest.param("redis", marks=pytest.mark.redis), "postgres"])
def test_a_call_reaches_displays_on_every_worker(
    postgres_url: str, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    world = seeded(postgres_url)
    if backend == "redis":
        broadcast_url = request.getfixturevalue("redis_url")
    else:  # LISTEN/NOTIFY on the very database the workers use
        broadcast_url = postgres_url.replace("postgresql+psycopg://", "postgres://")
    env = server_env(postgres_url, broadcast_url, tmp_path / "var")
    backend_port = int(broadcast_url.rsplit(":", 1)[1].split("/", 1)[0])
    with (
        reception_server(env, tmp_path / "server.log", workers=2) as server,
        ExitStack() as sockets_stack,
    ):
        workers = wait_for_workers(server, backend_port, 2)
        assert len({w.pid for w in workers}) == 2
        cookie = login_cookie(server.base, "display-men")

        # The kernel hands each new connection to whichever worker accepts first, so
        # keep opening displays (at least MIN_SOCKETS) until both workers hold some.
        sockets: list[ClientConnection] = []
        snapshots: list[dict[str, Any]] = []
        owners: dict[int, int] = {}
        while len(sockets) < MIN_SOCKETS or len(set(owners.values())) < 2:
            assert len(sockets) < MAX_SOCKETS, f"all displays on one worker: {owners}"
            ws = sockets_stack.enter_context(open_display(server.ws_base, cookie))
            sockets.append(ws)
            snapshot = next_message(ws)
            assert snapshot["type"] == "snapshot", snapshot
            assert snapshot["hall"] == "men"
            snapshots.append(snapshot)
            owners = owner_of(sockets, workers, server.port)
        assert set(owners.values()) == {w.pid for w in workers}

        issued, called = issue_and_call(server.base, world)
        assert issued["number"] == called["number"] == "M-001"

        for index, (ws, snapshot) in enumerate(zip(sockets, snapshots, strict=True)):
            where = f"display {index} on worker {owners[index]}"
            first = next_message(ws)
            second = next_message(ws)
            assert first["type"] == "ticket.issued", (where, first)
            assert first["seq"] == snapshot["seq"] + 1, (where, snapshot, first)
            assert first["ticket"]["number"] == "M-001", where
            assert second["type"] == "ticket.called", (where, second)
            assert second["seq"] == first["seq"] + 1, (where, first, second)
            assert second["ticket"]["number"] == "M-001", where
            assert second["ticket"]["counter"] == 1, where
            assert second["ticket"]["status"] == "called", where

        # A display reconnecting to either worker now starts from that state.
        late = sockets_stack.enter_context(open_display(server.ws_base, cookie))
        snapshot = next_message(late)
        assert snapshot["type"] == "snapshot"
        assert snapshot["seq"] == snapshots[0]["seq"] + 2
        assert [c["number"] for c in snapshot["calls"]] == ["M-001"]


@pytest.mark.stress
def test_display_recovers_after_the_server_is_killed(sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "reception.sqlite3"
    shutil.copyfile(sqlite_template, db)
    url = f"sqlite:///{db}"
    world = seeded(url)
    env = server_env(url, "memory://", tmp_path / "var")
    log = tmp_path / "server.log"

    with reception_server(env, log) as server:
        port = server.port
        cookie = login_cookie(server.base, "display-men")
        with open_display(server.ws_base, cookie) as ws:
            before = next_message(ws)
            assert before["type"] == "snapshot" and before["calls"] == []
            issue_and_call(server.base, world)
            assert next_message(ws)["type"] == "ticket.issued"
            called = next_message(ws)
            assert called["type"] == "ticket.called"
            assert called["seq"] == before["seq"] + 2

            server.kill()
            assert server.proc.returncode == -9
            # The display sees its connection drop instead of hanging.
            with pytest.raises(ConnectionClosed):
                while True:
                    next_message(ws, timeout=10)

    # Same database, same port, same signed session cookie: the display reconnects.
    with (
        reception_server(env, log, port=port) as again,
        open_display(again.ws_base, cookie) as ws,
    ):
        after = next_message(ws)
        assert after["type"] == "snapshot"
        assert after["seq"] == called["seq"]
        assert [c["number"] for c in after["calls"]] == ["M-001"]
        assert after["calls"][0]["status"] == "called"
        assert after["calls"][0]["counter"] == 1

        # And it is live again: the next call arrives as deltas (M-001 served first).
        issue_and_call(again.base, world)
        assert next_message(ws)["seq"] == after["seq"] + 1
        assert next_message(ws)["type"] == "ticket.finished"
        assert next_message(ws)["type"] == "ticket.called"
