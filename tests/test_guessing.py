"""Guessing, throttled so that it cannot be turned against the people it protects:
wrong passwords lock an account only from the address they came from; an address
trying many accounts waits; appointment codes are limited per kiosk and per code.
The counts live in the database, so two app instances (two workers, two hosts)
sharing it see the same count. Limits come from the settings; the tests lower them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.audit import AuditEntry
from reception.auth.guard import address_group
from reception.auth.models import GuessStrike
from reception.clock import FrozenClock
from reception.settings import Settings
from tests.conftest import make_settings
from tests.factories import PASSWORD, World
from tests.helpers import bearer, csrf, sign_in
from tests.test_appointments import MORNING, book

STRANGER = ("198.51.100.7", 40000)
OWNER = ("203.0.113.20", 40000)
TOO_MANY = "محاولات خاطئة كثيرة"
ASK_AT_THE_COUNTER = "يرجى التوجه إلى الشباك"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path / "var",
        login_failures_per_account_and_address=3,
        login_failures_per_address=5,
        code_guesses_per_kiosk=4,
        code_guesses_per_code=3,
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def app(settings: Settings, world: World, clock: FrozenClock) -> Iterator[Any]:
    application = create_app(settings, clock)
    with TestClient(application, raise_server_exceptions=False):  # runs the lifespan
        yield application


def from_address(app: Any, address: tuple[str, int]) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=address)


def try_password(client: TestClient, username: str, password: str) -> Any:
    token = csrf(client.get("/staff/login").text)
    return client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def audit(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))
            )
        )


def test_an_ipv6_subscriber_counts_as_one_address() -> None:
    assert address_group("2001:db8:1:2:aaaa::1") == address_group("2001:db8:1:2:bbbb::9")
    assert address_group("2001:db8:1:2::1") != address_group("2001:db8:1:3::1")
    assert address_group("::ffff:198.51.100.7") == address_group("198.51.100.7") == "198.51.100.7"
    assert address_group("testclient") == "testclient"


# --- signing in ----------------------------------------------------------------------


def test_a_stranger_cannot_lock_the_owner_out(app: Any, clock: FrozenClock) -> None:
    stranger = from_address(app, STRANGER)
    for _ in range(3):
        assert try_password(stranger, "supervisor", "not-the-password").status_code == 401
    locked = try_password(stranger, "supervisor", PASSWORD)
    assert locked.status_code == 429 and TOO_MANY in locked.text  # not even the right one
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    # The owner, at their own desk, signs in as usual.
    owner = from_address(app, OWNER)
    assert try_password(owner, "supervisor", PASSWORD).status_code == 303
    # The stranger's wait ends with the window.
    clock.advance(minutes=16)
    assert try_password(stranger, "supervisor", "not-the-password").status_code == 401


def test_an_address_trying_many_accounts_waits(app: Any) -> None:
    hammer = from_address(app, STRANGER)
    for username in ("admin", "supervisor", "operator-men", "operator-women", "officer"):
        assert try_password(hammer, username, "not-the-password").status_code == 401
    r = try_password(hammer, "kiosk", PASSWORD)  # an account it never tried
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert try_password(from_address(app, OWNER), "kiosk", PASSWORD).status_code == 303


def test_the_right_password_clears_the_count_from_that_address_only(app: Any) -> None:
    desk = from_address(app, OWNER)
    for _ in range(2):
        assert try_password(desk, "operator-men", "typo-typo-typo").status_code == 401
    assert try_password(desk, "operator-men", PASSWORD).status_code == 303
    for _ in range(2):  # a fresh allowance: two more typos do not lock
        assert try_password(desk, "operator-men", "typo-typo-typo").status_code == 401
    assert try_password(desk, "operator-men", PASSWORD).status_code == 303


def test_a_lockout_is_audited_without_password_or_address(app: Any, engine: Engine) -> None:
    stranger = from_address(app, STRANGER)
    for _ in range(3):
        try_password(stranger, "supervisor", "secret-guess-123")
    entries = audit(engine, "login.locked")
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.entity, entry.entity_id, entry.actor) == ("login", "supervisor", "system")
    assert entry.data["username"] == "supervisor"
    assert len(entry.data["address"]) == 12
    written = repr(entry.data)
    assert "secret-guess-123" not in written and STRANGER[0] not in written
    # What the database keeps to count is keyed hashes, not names or addresses.
    with Session(engine) as s:
        keys = [row.key for row in s.exec(select(GuessStrike))]
    assert keys and not any("supervisor" in k or STRANGER[0] in k for k in keys)
    # An address locked for trying many accounts is audited under its tag.
    for username in ("admin", "operator-men"):
        try_password(stranger, username, "secret-guess-123")
    by_address = [e for e in audit(engine, "login.locked") if e.entity == "address"]
    assert len(by_address) == 1 and by_address[0].entity_id == entry.data["address"]


def test_two_app_instances_sharing_the_database_share_the_count(
    settings: Settings, world: World, clock: FrozenClock
) -> None:
    """Two workers (here two applications in one process, each with its own state)
    see one count: the strikes are rows in the shared database."""
    first, second = create_app(settings, clock), create_app(settings, clock)
    with TestClient(first, client=STRANGER) as one, TestClient(second, client=STRANGER) as two:
        assert try_password(one, "supervisor", "nope-nope-nope").status_code == 401
        assert try_password(two, "supervisor", "nope-nope-nope").status_code == 401
        assert try_password(one, "supervisor", "nope-nope-nope").status_code == 401
        assert try_password(two, "supervisor", PASSWORD).status_code == 429
        assert try_password(one, "supervisor", PASSWORD).status_code == 429


def test_device_pairing_guesses_count_against_the_address(app: Any) -> None:
    screen = from_address(app, STRANGER)
    for n in range(5):
        page = screen.get("/device")
        r = screen.post("/device", data={"token": f"guess-{n}", "csrf_token": csrf(page.text)})
        assert r.status_code == 401
    page = screen.get("/device")
    r = screen.post("/device", data={"token": "one-more", "csrf_token": csrf(page.text)})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


# --- appointment codes ---------------------------------------------------------------


def check_in(client: TestClient, world: World, code: str, kiosk: str = "kiosk") -> Any:
    return client.post(
        "/api/v1/appointments/check-in",
        json={"code": code},
        headers={"Authorization": f"Bearer {world.tokens[kiosk]}", "Accept-Language": "ar"},
    )


@pytest.fixture
def booked(app: Any, world: World) -> dict[str, Any]:
    c = TestClient(app)
    r = c.post(
        "/api/v1/admin/branches/riyadh/slot-templates",
        json={
            "hall": "men",
            "service": "letter",
            "weekdays": "sun-sat",
            "start": "00:00",
            "end": "24:00",
            "slot_minutes": 5,
            "capacity": 3,
        },
        headers=bearer(world, "admin"),
    )
    assert r.status_code == 201, r.text
    return book(c, world, MORNING + timedelta(minutes=10))


def test_a_kiosk_guessing_codes_is_answered_429(
    app: Any, world: World, booked: dict[str, Any], engine: Engine, clock: FrozenClock
) -> None:
    c = TestClient(app, raise_server_exceptions=False)
    for n in range(4):
        r = check_in(c, world, f"1000000{n}")
        assert r.status_code == 404, r.text
    r = check_in(c, world, "10000009")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "too_many_codes"
    assert ASK_AT_THE_COUNTER in r.json()["error"]["message"]
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    # The kiosk waits even for a real code; the visitor is helped at the counter.
    assert check_in(c, world, booked["code"]).status_code == 429
    (entry,) = audit(engine, "checkin.locked")
    assert entry.entity == "kiosk" and booked["code"] not in repr(entry.data)
    clock.advance(minutes=16)
    assert check_in(c, world, booked["code"]).status_code == 201


def test_one_code_tried_at_several_kiosks_waits(
    app: Any, world: World, booked: dict[str, Any]
) -> None:
    c = TestClient(app, raise_server_exceptions=False)
    for kiosk in ("kiosk", "kiosk-women", "kiosk"):
        assert check_in(c, world, "55555555", kiosk).status_code == 404
    assert check_in(c, world, "55555555", "supervisor").status_code == 429
    assert check_in(c, world, booked["code"], "supervisor").status_code == 201  # others go on


def test_the_kiosk_screen_tells_the_visitor_to_ask_at_the_counter(
    app: Any, world: World, booked: dict[str, Any]
) -> None:
    c = TestClient(app, raise_server_exceptions=False)
    sign_in(c, "kiosk")
    page = c.get("/kiosk/appointment")
    for n in range(4):
        r = c.post(
            "/kiosk/appointment", data={"code": f"2000000{n}", "csrf_token": csrf(page.text)}
        )
        assert r.status_code == 404
    r = c.post("/kiosk/appointment", data={"code": booked["code"], "csrf_token": csrf(page.text)})
    assert r.status_code == 429 and 'role="alert"' in r.text
    assert ASK_AT_THE_COUNTER in r.text and int(r.headers["retry-after"]) > 0
