"""A worker keeps what a bearer token may do for a few seconds (a kiosk checks in
visitor after visitor), yet a revocation ends the token at once: through the API of
the same worker before its answer is sent, and on any worker through the access
notice. Here the time a token is kept is an hour, so only those end it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth import access
from reception.auth.models import ApiToken
from tests.conftest import make_settings
from tests.factories import World
from tests.helpers import bearer, wait_until

TICKET = {"branch": "riyadh", "hall": "men", "service": "letter"}


@pytest.fixture
def kept_client(
    database_url: str, world: World, redis_url: str, tmp_path: Path
) -> Iterator[TestClient]:
    """Tokens are kept only where notices from other processes arrive (a shared
    broadcast): with `memory://` the `reception` command's revocation would not."""
    settings = make_settings(
        database_url, tmp_path / "var", broadcast_url=redis_url, token_cache_seconds=3600.0
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        wait_until(lambda: client.app.state.ctx.bearers.live, "the access notices followed")  # type: ignore[attr-defined]
        yield client


def revoke_behind_the_workers_back(engine: Engine, token_id: int) -> None:
    """As a change no notice told of (the row changed straight in the database)."""
    with Session(engine) as session:
        session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(revoked_at=datetime.now(UTC))  # type: ignore[arg-type]
        )
        session.commit()


def token_id(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        return int(session.exec(select(ApiToken.id).where(ApiToken.name == name)).one() or 0)


@pytest.mark.redis
def test_a_token_is_kept_until_a_notice_names_it(
    kept_client: TestClient, world: World, engine: Engine
) -> None:
    client = kept_client
    kiosk = bearer(world, "kiosk")
    assert client.post("/api/v1/tickets", json=TICKET, headers=kiosk).status_code == 201
    revoke_behind_the_workers_back(engine, token_id(engine, "kiosk"))
    # Kept: the database is not asked again (no notice was sent)
    assert client.get("/api/v1/branches", headers=kiosk).status_code == 200
    # A check-in on PostgreSQL reads the token again in its first statement (no
    # statement more): a revoked token issues no ticket, kept or not.
    r = client.post("/api/v1/tickets", json=TICKET, headers=kiosk)
    on_postgres = engine.dialect.name == "postgresql"
    assert r.status_code == (401 if on_postgres else 201), r.text

    ended = access.ended(principals=[f"token:{token_id(engine, 'kiosk')}"], reason="test")
    broadcaster = client.app.state.ctx.broadcaster  # type: ignore[attr-defined]
    client.portal.call(broadcaster.publish_events, [ended])  # type: ignore[union-attr]
    wait_until(
        lambda: client.get("/api/v1/branches", headers=kiosk).status_code == 401,
        "the notice to end the kept token",
    )


@pytest.mark.redis
def test_a_revocation_through_the_api_ends_the_token_at_once(
    kept_client: TestClient, world: World, engine: Engine
) -> None:
    client = kept_client
    kiosk = bearer(world, "kiosk")
    assert client.post("/api/v1/tickets", json=TICKET, headers=kiosk).status_code == 201
    assert client.post("/api/v1/tickets", json=TICKET, headers=kiosk).status_code == 201
    kiosk_id = token_id(engine, "kiosk")
    r = client.post(f"/api/v1/admin/tokens/{kiosk_id}/revoke", headers=bearer(world, "admin"))
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/tickets", json=TICKET, headers=kiosk)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_token"
    # Another token is not affected
    assert client.get("/api/v1/branches", headers=bearer(world, "admin")).status_code == 200


@pytest.mark.redis
@pytest.mark.parametrize("kept", [0, 3600])
def test_nothing_is_kept_when_set_to_zero_or_without_a_shared_broadcast(
    database_url: str, world: World, engine: Engine, redis_url: str, tmp_path: Path, kept: int
) -> None:
    broadcast = redis_url if kept == 0 else "memory://"
    settings = make_settings(
        database_url, tmp_path / "var", broadcast_url=broadcast, token_cache_seconds=kept
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        kiosk = bearer(world, "kiosk")
        assert client.post("/api/v1/tickets", json=TICKET, headers=kiosk).status_code == 201
        revoke_behind_the_workers_back(engine, token_id(engine, "kiosk"))
        assert client.post("/api/v1/tickets", json=TICKET, headers=kiosk).status_code == 401
