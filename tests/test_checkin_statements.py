"""What one check-in costs PostgreSQL, counted on the wire: a relay between the
application and the server (`benchmarks.pgwire`) reads every message the driver
sends, so the statements the driver adds by itself (BEGIN, COMMIT, a ping when a
connection leaves the pool) count as much as ours. SQLAlchemy's own events on the
application's engine and pool are listed beside them. A count, not a time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import Pool
from starlette.testclient import TestClient

from benchmarks.pgwire import Sent, WireCounter
from reception.app import create_app
from tests.conftest import make_settings, postgres_copy, postgres_database_url
from tests.factories import World
from tests.helpers import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

MOST_STATEMENTS = 5
MOST_ROUND_TRIPS = 5

QUIET = {  # no background work of the worker while counting
    "sms_worker_interval_seconds": 3600.0,
    "housekeeping_interval_seconds": 3600.0,
    "suggestions_enabled": False,
    "suggestion_check_seconds": 3600.0,
    "access_recheck_seconds": 3600.0,
}


class Seen:
    """SQLAlchemy's view of the same traffic: statements and pool check-outs."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.statements: list[str] = []
        self.checkouts = 0

    def mine(self, engine: Engine) -> bool:
        return engine.url.port == self.port

    def on_execute(self, conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if self.mine(conn.engine):
            self.statements.append(" ".join(sql.split()))

    def on_checkout(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        info = record.driver_connection.info if record.driver_connection else None
        if info is not None and info.port == self.port:
            self.checkouts += 1

    def reset(self) -> tuple[list[str], int]:
        done = (self.statements, self.checkouts)
        self.statements, self.checkouts = [], 0
        return done


@pytest.fixture
def relayed(
    seeded_postgres_template: tuple[str, World],
) -> Iterator[tuple[str, World, WireCounter]]:
    template, world = seeded_postgres_template
    with postgres_copy(template) as name:
        url = make_url(postgres_database_url(name))
        with WireCounter(url.host or "127.0.0.1", url.port or 5432) as wire:
            yield wire.url(url.render_as_string(hide_password=False)), world, wire


def check_in(client: TestClient, world: World, n: int) -> dict[str, Any]:
    body = {"branch": "riyadh", "hall": "men", "service": "letter"}
    r = client.post("/api/v1/tickets", json=body, headers=bearer(world, "kiosk"))
    assert r.status_code == 201, r.text
    assert r.json()["number"] == f"M-{n:03d}"
    return dict(r.json())


def show(title: str, sent: Sent, seen: list[str], checkouts: int) -> None:
    print(
        f"\n{title}: {len(sent.statements)} statements, {sent.round_trips} round trips, "
        f"{checkouts} pool check-outs, {sent.connections} new connections"
    )
    for sql in sent.statements:
        print("  wire:", sql[:160])
    for sql in seen:
        print("  sqlalchemy:", sql[:160])


def test_one_check_in_costs_at_most_five_statements(
    relayed: tuple[str, World, WireCounter], redis_url: str, tmp_path: Path
) -> None:
    """As deployed with PostgreSQL: Redis carries the access notices, so the worker
    keeps the kiosk's token (`TOKEN_CACHE_SECONDS`)."""
    url, world, wire = relayed
    seen = Seen(wire.port)
    event.listen(Engine, "before_cursor_execute", seen.on_execute)
    event.listen(Pool, "checkout", seen.on_checkout)
    try:
        settings = make_settings(url, tmp_path / "var", broadcast_url=redis_url, **QUIET)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for n in range(1, 4):  # warm-up: connections opened, token known
                check_in(client, world, n)
            time.sleep(0.2)  # the lifespan's first rounds of background work are over
            counts = []
            for n in range(4, 7):
                wire.reset()
                seen.reset()
                issued = check_in(client, world, n)
                sent = wire.reset()
                statements, checkouts = seen.reset()
                show(f"check-in {issued['number']}", sent, statements, checkouts)
                counts.append((len(sent.statements), sent.round_trips, checkouts, sent.connections))
    finally:
        event.remove(Engine, "before_cursor_execute", seen.on_execute)
        event.remove(Pool, "checkout", seen.on_checkout)
    statements, round_trips, checkouts, connections = (max(c) for c in zip(*counts, strict=False))
    assert connections == 0
    assert checkouts <= 1, "one connection from the pool per check-in"
    assert statements <= MOST_STATEMENTS
    assert round_trips <= MOST_ROUND_TRIPS


def test_a_check_in_after_the_server_dropped_the_connections(
    relayed: tuple[str, World, WireCounter], redis_url: str, tmp_path: Path
) -> None:
    """No ping before use: a pooled connection the server ended (a restart, an idle
    time-out) fails on its first statement, and the check-in runs once more on a new
    connection, with the next number."""
    url, world, _wire = relayed
    settings = make_settings(url, tmp_path / "var", broadcast_url=redis_url, **QUIET)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        check_in(client, world, 1)
        check_in(client, world, 2)
        admin = create_engine(url)
        try:
            with admin.connect() as conn:
                ended = conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
        finally:
            admin.dispose()
        assert ended and all(ok for (ok,) in ended)
        check_in(client, world, 3)  # the token was kept: this is the write's own retry
        check_in(client, world, 4)
