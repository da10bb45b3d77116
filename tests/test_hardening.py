"""Hostile and careless input gets a clear 4xx, never a 500; sessions and keys
behave as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reception.app import create_app
from reception.settings import Settings, stored_secret
from tests.conftest import make_settings
from tests.factories import PASSWORD, World
from tests.helpers import bearer, csrf, sign_in


def test_an_empty_or_short_secret_key_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("")
    with pytest.raises(ValueError, match="no usable secret key"):
        stored_secret(key_file)
    key_file.unlink()
    assert len(stored_secret(key_file)) >= 32
    assert stored_secret(key_file) == key_file.read_text().strip()
    with pytest.raises(ValueError, match="SECRET_KEY"):
        Settings(secret_key="short", _env_file=None)  # type: ignore[call-arg]


def test_huge_and_odd_ids_are_404(client: TestClient, world: World) -> None:
    op = bearer(world, "operator-men")
    for path in (
        "/api/v1/counters/99999999999999999999/call-next",
        "/api/v1/counters/-1/call-next",
        "/api/v1/counters/1/call/99999999999999999999",
    ):
        r = client.post(path, headers=op)
        assert r.status_code == 404, (path, r.text)
        assert r.json()["error"]["code"] in ("unknown_counter", "unknown_ticket")
    sign_in(client, "operator-men")
    assert client.get("/staff/counters/99999999999999999999").status_code == 404
    assert client.get("/staff/counters/abc").status_code == 404
    client.post("/staff/logout", data={"csrf_token": "x"})
    client.cookies.clear()
    sign_in(client, "kiosk")
    assert client.get("/kiosk/tickets/99999999999999999999").status_code == 404


def test_bodies_that_are_not_plain_json_are_refused(client: TestClient, world: World) -> None:
    headers = {**bearer(world, "kiosk"), "Content-Type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000
    r = client.post("/api/v1/tickets", content=deep, headers=headers)
    assert r.status_code in (413, 422) and "error" in r.json()
    r = client.post(
        "/api/v1/tickets",
        content=b'{"branch": "riyadh", "hall": "men", "service": "letter"}',
        headers={**bearer(world, "kiosk"), "Content-Type": "text/plain; x=json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_content_type"
    r = client.post(
        "/api/v1/tickets",
        content=b'{"branch": "' + b"x" * 2_000_000 + b'"}',
        headers=headers,
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert r.json()["error"]["message"] == "حجم الطلب أكبر من المسموح به."  # Arabic first
    r = client.post(
        "/api/v1/tickets",
        content=b'{"branch": "' + b"x" * 2_000_000 + b'"}',
        headers={**headers, "Accept-Language": "en"},
    )
    assert r.status_code == 413 and r.json()["error"]["message"] == "The request body is too large."


def test_the_api_takes_bearer_tokens_only(client: TestClient, world: World) -> None:
    sign_in(client, "operator-men")
    r = client.post(
        f"/api/v1/counters/{world.counters['men'][0]}/call-next",
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 401


def test_an_idempotency_key_belongs_to_one_ticket(client: TestClient, world: World) -> None:
    headers = {**bearer(world, "kiosk"), "Idempotency-Key": "k-1"}
    body = {"branch": "riyadh", "hall": "men", "service": "letter"}
    assert client.post("/api/v1/tickets", json=body, headers=headers).status_code == 201
    r = client.post("/api/v1/tickets", json={**body, "hall": "women"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused"


def test_branch_listing_shows_only_the_tokens_branch(client: TestClient, world: World) -> None:
    slugs = [
        b["slug"]
        for b in client.get("/api/v1/branches", headers=bearer(world, "kiosk-jeddah")).json()[
            "branches"
        ]
    ]
    assert slugs == ["jeddah"]
    slugs = [
        b["slug"]
        for b in client.get("/api/v1/branches", headers=bearer(world, "admin")).json()["branches"]
    ]
    assert slugs == ["riyadh", "jeddah"]


@pytest.fixture
def short_sessions(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    settings = make_settings(database_url, tmp_path / "var", session_max_age_seconds=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_staff_sessions_expire_but_devices_stay_signed_in(short_sessions: TestClient) -> None:
    sign_in(short_sessions, "operator-men")
    r = short_sessions.get("/staff", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    short_sessions.cookies.clear()
    sign_in(short_sessions, "kiosk")
    assert short_sessions.get("/kiosk", follow_redirects=False).status_code == 200


def test_sign_in_again_returns_to_the_page_with_its_query(client: TestClient) -> None:
    r = client.get("/display?hall=women", follow_redirects=False)
    assert r.headers["location"] == "/staff/login?next=%2Fdisplay%3Fhall%3Dwomen"
    r = client.post(
        "/kiosk/tickets",
        data={},
        headers={"Referer": "http://testserver/kiosk?hall=men"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/staff/login?next=%2Fkiosk%3Fhall%3Dmen"


def test_wrong_passwords_lock_the_username_for_a_while(client: TestClient) -> None:
    page = client.get("/staff/login")
    form = {
        "username": "operator-men",
        "password": "wrong-password!",
        "csrf_token": csrf(page.text),
    }
    for _ in range(5):
        assert client.post("/staff/login", data=form).status_code == 401
    r = client.post("/staff/login", data={**form, "password": PASSWORD})
    assert r.status_code == 429 and "محاولات خاطئة كثيرة" in r.text
    assert int(r.headers["retry-after"]) > 0
    other = client.post(
        "/staff/login",
        data={**form, "username": "operator-women", "password": PASSWORD},
        follow_redirects=False,
    )
    assert other.status_code == 303  # colleagues at the same address are not locked out
