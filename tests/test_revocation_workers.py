"""Access that ends on one worker ends on every worker: `reception serve --workers 2`
on PostgreSQL with Redis carrying the access notices. Display sockets held by both
workers close (4401, or 4409 for new access) when a token is revoked, an account is
disabled or given other halls, whichever worker took the request, and receive no call
made after it; a signed-out session cookie opens nothing on either worker.

Each worker's periodic check is set to an hour here, so only the notice itself can
close the sockets."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx2
import psutil
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.factories import PASSWORD, World
from tests.helpers import bearer, csrf, wait_until
from tests.servers import (
    Server,
    api,
    established_peer_ports,
    login_cookie,
    next_message,
    reception_server,
)
from tests.test_multiworker import (
    MAX_SOCKETS,
    owner_of,
    seeded,
    server_env,
    wait_for_workers,
)

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.stress,
]

SOCKETS = 4


def open_socket(server: Server, hall: str, headers: dict[str, str]) -> ClientConnection:
    return connect(
        f"{server.ws_base}/display/ws?hall={hall}",
        additional_headers=headers,
        open_timeout=10,
        close_timeout=5,
    )


def on_both_workers(
    stack: ExitStack,
    server: Server,
    workers: list[psutil.Process],
    opener: Callable[[], ClientConnection],
    hall: str,
) -> list[ClientConnection]:
    """Open displays (each gets its snapshot) until both workers hold some."""
    sockets: list[ClientConnection] = []
    owners: dict[int, int] = {}
    while len(sockets) < SOCKETS or len(set(owners.values())) < 2:
        assert len(sockets) < MAX_SOCKETS, f"all displays on one worker: {owners}"
        ws = stack.enter_context(opener())
        snapshot = next_message(ws)
        assert snapshot["type"] == "snapshot" and snapshot["hall"] == hall, snapshot
        sockets.append(ws)
        owners = owner_of(sockets, workers, server.port)
    return sockets


def closed_with(ws: ClientConnection) -> tuple[int | None, list[dict[str, Any]]]:
    """Read until the server closes the socket: its close code and what came before."""
    seen: list[dict[str, Any]] = []
    try:
        while True:
            seen.append(next_message(ws, timeout=15))
    except ConnectionClosed as closed:
        return (closed.rcvd.code if closed.rcvd else None), seen


def issue_and_call(base: str, world: World, hall: str) -> None:
    issued = api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": hall, "service": "letter"},
    )
    assert issued.status_code == 201, issued.text
    counter = world.counters[hall][0]
    operator = world.tokens[f"operator-{hall}"]
    path = f"/api/v1/counters/{counter}/call-next"
    called = api(base, operator, path, {"close_current": "served"})
    assert called.status_code == 200, called.text


def patch_user(base: str, world: World, username: str, body: dict[str, Any]) -> None:
    with httpx2.Client(base_url=base, timeout=10) as http:
        r = http.patch(
            f"/api/v1/admin/users/{username}",
            json=body,
            headers=bearer(world, "admin"),
        )
    assert r.status_code == 200, r.text


def assert_all_closed(
    sockets: list[ClientConnection], code: int, started: float, what: str
) -> float:
    """Every socket closed with `code` and no ticket message first; the slowest
    close seen, in seconds (reported, not asserted)."""
    slowest = 0.0
    for index, ws in enumerate(sockets):
        got, seen = closed_with(ws)
        slowest = max(slowest, time.monotonic() - started)
        assert got == code, (what, index, got, seen)
        tickets = [m for m in seen if str(m.get("type", "")).startswith("ticket.")]
        assert not tickets, (what, index, tickets)
    return slowest


def worker_of(
    connection: http.client.HTTPConnection, workers: list[psutil.Process], port: int
) -> int:
    assert connection.sock is not None
    local = connection.sock.getsockname()[1]

    def holders() -> list[int]:
        return [w.pid for w in workers if local in established_peer_ports(w, port)]

    # Connected is not yet accepted: on a busy machine the connection waits in the
    # listening socket's queue, held by no worker, until one accepts it.
    found = wait_until(holders, "a worker to accept the connection")
    assert len(found) == 1, found
    return int(found[0])


def test_ended_access_closes_sockets_and_sessions_on_every_worker(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    world = seeded(postgres_url)
    env = {
        **server_env(postgres_url, redis_url, tmp_path / "var"),
        "ACCESS_RECHECK_SECONDS": "3600",
    }
    backend_port = int(redis_url.rsplit(":", 1)[1].split("/", 1)[0])
    timings: dict[str, float] = {}
    with reception_server(env, tmp_path / "server.log", workers=2) as server:
        workers = wait_for_workers(server, backend_port, 2)

        # 1. A women's-hall display token, revoked.
        made = api(
            server.base,
            world.tokens["admin"],
            "/api/v1/admin/tokens",
            {"name": "women-lobby", "role": "display", "branch": "riyadh", "hall": "women"},
        )
        assert made.status_code == 201, made.text
        token = made.json()
        with ExitStack() as stack:
            screen = {"Authorization": f"Bearer {token['token']}"}
            revoked = on_both_workers(
                stack, server, workers, lambda: open_socket(server, "women", screen), "women"
            )
            other = bearer(world, "display-men")
            kept = on_both_workers(
                stack, server, workers, lambda: open_socket(server, "men", other), "men"
            )
            started = time.monotonic()
            r = api(
                server.base, world.tokens["admin"], f"/api/v1/admin/tokens/{token['id']}/revoke"
            )
            assert r.status_code == 200, r.text
            issue_and_call(server.base, world, "women")
            timings["token revoked"] = assert_all_closed(revoked, 4401, started, "revoked token")
            issue_and_call(server.base, world, "men")
            for ws in kept:  # another display's sockets go on
                assert next_message(ws)["type"] == "ticket.issued"
                assert next_message(ws)["type"] == "ticket.called"

        # 2. A display account, disabled.
        created = api(
            server.base,
            world.tokens["admin"],
            "/api/v1/admin/users",
            {
                "username": "women-screen",
                "password": PASSWORD,
                "role": "display",
                "branch": "riyadh",
                "halls": ["women"],
            },
        )
        assert created.status_code == 201, created.text
        cookie = {"Cookie": f"reception_session={login_cookie(server.base, 'women-screen')}"}
        with ExitStack() as stack:
            sockets = on_both_workers(
                stack, server, workers, lambda: open_socket(server, "women", cookie), "women"
            )
            started = time.monotonic()
            patch_user(server.base, world, "women-screen", {"active": False})
            issue_and_call(server.base, world, "women")
            timings["account disabled"] = assert_all_closed(sockets, 4401, started, "disabled")

        # 3. A display account moved to the women's hall: closed, then shows that hall.
        cookie = {"Cookie": f"reception_session={login_cookie(server.base, 'display-men')}"}
        with ExitStack() as stack:
            sockets = on_both_workers(
                stack, server, workers, lambda: open_socket(server, "men", cookie), "men"
            )
            started = time.monotonic()
            patch_user(server.base, world, "display-men", {"halls": ["women"]})
            issue_and_call(server.base, world, "men")
            timings["halls changed"] = assert_all_closed(sockets, 4409, started, "new halls")
            with open_socket(server, "women", cookie) as ws:
                assert next_message(ws)["hall"] == "women"

        # 4. A role changed: the same, for a supervisor's display of the men's hall.
        cookie = {"Cookie": f"reception_session={login_cookie(server.base, 'supervisor')}"}
        with ExitStack() as stack:
            sockets = on_both_workers(
                stack, server, workers, lambda: open_socket(server, "men", cookie), "men"
            )
            started = time.monotonic()
            patch_user(server.base, world, "supervisor", {"role": "operator", "halls": ["women"]})
            timings["role changed"] = assert_all_closed(sockets, 4409, started, "new role")

        # 5. Signing out on one worker: the copied cookie opens nothing on either.
        with httpx2.Client(base_url=server.base, timeout=10) as browser:
            page = browser.get("/staff/login")
            signed = browser.post(
                "/staff/login",
                data={"username": "admin", "password": PASSWORD, "csrf_token": csrf(page.text)},
            )
            assert signed.status_code == 303
            copy = browser.cookies.get("reception_session")
            assert browser.get("/staff/admin").status_code == 200
            account = browser.get("/staff/account")
            assert (
                browser.post("/staff/logout", data={"csrf_token": csrf(account.text)}).status_code
                == 303
            )
        answered_by: set[int] = set()
        for _ in range(MAX_SOCKETS):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.connect()
            try:
                answered_by.add(worker_of(connection, workers, server.port))
                connection.request(
                    "GET", "/staff/admin", headers={"Cookie": f"reception_session={copy}"}
                )
                response = connection.getresponse()
                response.read()
                assert response.status == 303, response.status
                assert (response.getheader("location") or "").startswith("/staff/login")
            finally:
                connection.close()
            if len(answered_by) == 2:
                break
        assert answered_by == {w.pid for w in workers}
    print(
        "\nslowest close after the change was committed:",
        {k: f"{v * 1000:.0f} ms" for k, v in timings.items()},
    )
