"""Residency (citizen or resident) is carried for every visitor: booked with the
appointment, inherited or stated at check-in (API and kiosk screen), corrected by the
operator at the counter (API and staff console, audited), read from the ID number of
a letter handed in with a ticket — and so counted in the published statistics under
citizen or resident, not unknown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.audit import AuditEntry
from reception.clock import FrozenClock
from reception.settings import Settings
from tests.factories import World, open_appointments
from tests.helpers import bearer, csrf, sign_in

# 10:00 in Riyadh on a Tuesday; the world's branch has no opening hours (always open).
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
DAY = "2026-11-24"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def app_client(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        admin = bearer(world, "admin")
        open_appointments(c, admin, at_kiosk=False)
        yield c


def book(c: TestClient, world: World, minutes: int, **extra: Any) -> dict[str, Any]:
    r = c.post(
        "/api/v1/appointments",
        json={
            "branch": "riyadh",
            "hall": "men",
            "service": "letter",
            "starts_at": (MORNING + timedelta(minutes=minutes)).isoformat(),
            **extra,
        },
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def check_in(c: TestClient, world: World, code: str, **extra: Any) -> dict[str, Any]:
    body = {"code": code, **extra}
    r = c.post("/api/v1/appointments/check-in", json=body, headers=bearer(world, "kiosk"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def by_residency(c: TestClient, world: World) -> dict[str, int]:
    r = c.get(
        "/api/v1/reports/summary",
        params={"date_from": DAY, "date_to": DAY, "branch": "riyadh"},
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 200, r.text
    return dict(r.json()["visitors"]["by_residency"])


def call_next(c: TestClient, world: World, counter: int) -> dict[str, Any]:
    r = c.post(f"/api/v1/counters/{counter}/call-next", headers=bearer(world, "operator-men"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_booking_carries_residency_and_the_check_in_ticket_inherits_it(
    app_client: TestClient, world: World
) -> None:
    c = app_client
    assert by_residency(c, world) == {"citizen": 0, "resident": 0, "unknown": 0}
    citizen = book(c, world, 10, residency="citizen")
    resident = book(c, world, 15, residency="resident")
    silent = book(c, world, 20)
    assert (citizen["residency"], resident["residency"], silent["residency"]) == (
        "citizen",
        "resident",
        None,
    )
    refused = c.post(
        "/api/v1/appointments",
        json={
            "branch": "riyadh",
            "hall": "men",
            "service": "letter",
            "starts_at": (MORNING + timedelta(minutes=25)).isoformat(),
            "residency": "tourist",
        },
        headers=bearer(world, "operator-men"),
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid"

    check_in(c, world, citizen["code"])  # not stated again: inherits citizen
    check_in(c, world, resident["code"], residency="citizen")  # stated now: wins
    check_in(c, world, silent["code"])  # stated nowhere: unknown
    assert by_residency(c, world) == {"citizen": 2, "resident": 0, "unknown": 1}


def test_check_in_refuses_a_residency_that_is_not_one(app_client: TestClient, world: World) -> None:
    booked = book(app_client, world, 10)
    r = app_client.post(
        "/api/v1/appointments/check-in",
        json={"code": booked["code"], "residency": "visitor"},
        headers=bearer(world, "kiosk"),
    )
    assert r.status_code == 422 and r.json()["error"]["message"]


def test_kiosk_screen_asks_residency_at_check_in(app_client: TestClient, world: World) -> None:
    c = app_client
    stated = book(c, world, 10)
    inherited = book(c, world, 15, residency="resident")
    sign_in(c, "kiosk")
    page = c.get("/kiosk/appointment")
    assert page.status_code == 200
    assert 'name="residency" value="citizen"' in page.text
    assert 'name="residency" value="resident"' in page.text
    assert "مواطن" in page.text and "مقيم" in page.text
    for code, residency in ((stated["code"], "citizen"), (inherited["code"], "")):
        done = c.post(
            "/kiosk/appointment",
            data={"code": code, "residency": residency, "csrf_token": csrf(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    wrong = c.post(
        "/kiosk/appointment",
        data={"code": book(c, world, 20)["code"], "residency": "x", "csrf_token": csrf(page.text)},
    )
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    assert 'name="residency"' in wrong.text, "the question stays on the page"
    assert by_residency(c, world) == {"citizen": 1, "resident": 1, "unknown": 0}


def test_staff_booking_form_carries_residency(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    c = app_client
    sign_in(c, "operator-men")
    page = c.get("/staff/appointments", params={"hall": "men", "service": "letter", "day": DAY})
    assert page.status_code == 200 and 'name="residency"' in page.text
    starts_at = (MORNING + timedelta(minutes=30)).isoformat()
    assert starts_at in page.text
    r = c.post(
        "/staff/appointments",
        data={
            "csrf_token": csrf(page.text),
            "hall": "men",
            "service": "letter",
            "day": DAY,
            "starts_at": starts_at,
            "name": "سعد علي",
            "language": "ar",
            "residency": "resident",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    listed = c.get(
        "/api/v1/appointments",
        params={"branch": "riyadh", "day": DAY},
        headers=bearer(world, "supervisor"),
    )
    [row] = listed.json()["appointments"]
    assert row["residency"] == "resident"
    check_in(c, world, row["code"])
    assert by_residency(c, world)["resident"] == 1


def test_operator_corrects_residency_at_the_counter(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    c = app_client
    counter = world.counters["men"][0]
    url = f"/api/v1/counters/{counter}/current/residency"
    c.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter", "residency": "citizen"},
        headers=bearer(world, "kiosk"),
    )
    nobody = c.post(url, json={"residency": "resident"}, headers=bearer(world, "operator-men"))
    assert nobody.status_code == 409 and nobody.json()["error"]["code"] == "no_current_ticket"
    called = call_next(c, world, counter)

    women = c.post(url, json={"residency": "resident"}, headers=bearer(world, "operator-women"))
    assert women.status_code == 403 and women.json()["error"]["code"] == "wrong_hall"
    kiosk = c.post(url, json={"residency": "resident"}, headers=bearer(world, "kiosk"))
    assert kiosk.status_code == 403 and kiosk.json()["error"]["code"] == "wrong_role"
    bad = c.post(url, json={"residency": "tourist"}, headers=bearer(world, "operator-men"))
    assert bad.status_code == 422
    assert by_residency(c, world) == {"citizen": 1, "resident": 0, "unknown": 0}

    fixed = c.post(url, json={"residency": "resident"}, headers=bearer(world, "operator-men"))
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["residency"] == "resident" and fixed.json()["id"] == called["id"]
    assert by_residency(c, world) == {"citizen": 0, "resident": 1, "unknown": 0}
    with Session(engine) as s:
        [entry] = s.exec(select(AuditEntry).where(AuditEntry.action == "ticket.residency")).all()
    assert entry.entity_id == str(called["id"]) and entry.actor.startswith("token:")
    assert entry.data["was"] == "citizen" and entry.data["now"] == "resident"


def test_staff_console_corrects_residency(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    c = app_client
    men, women = world.counters["men"][0], world.counters["women"][0]
    c.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk"),
    )
    call_next(c, world, men)
    sign_in(c, "operator-men")
    page = c.get(f"/staff/counters/{men}")
    assert page.status_code == 200
    assert f'action="/staff/counters/{men}/residency"' in page.text
    r = c.post(
        f"/staff/counters/{men}/residency",
        data={"residency": "citizen", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = c.get(f"/staff/counters/{men}")
    assert 'value="citizen" selected' in after.text
    assert "تم تصحيح" in after.text
    assert by_residency(c, world) == {"citizen": 1, "resident": 0, "unknown": 0}
    other = c.post(
        f"/staff/counters/{women}/residency",
        data={"residency": "resident", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert other.status_code == 403, "an operator of the men's hall cannot act in the women's"
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.action == "ticket.residency")).all()
    assert [(e.data["was"], e.data["now"]) for e in entries] == [(None, "citizen")]


def test_a_letter_carries_residency_to_the_visitors_ticket(
    app_client: TestClient, world: World
) -> None:
    c = app_client
    ticket = c.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk"),
    ).json()
    assert by_residency(c, world)["unknown"] == 1
    letter = c.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "hall": "men",
            "ticket_number": ticket["number"],
            "sender_name": "جون سميث",
            "sender_id_number": "2000000006",
            "sex": "male",
            "subject": "طلب",
            "body": "نص الطلب",
        },
        headers=bearer(world, "operator-men"),
    )
    assert letter.status_code == 201, letter.text
    assert letter.json()["residency"] == "resident"
    assert by_residency(c, world) == {"citizen": 0, "resident": 1, "unknown": 0}
    summary = c.get(
        "/api/v1/reports/summary",
        params={"date_from": DAY, "date_to": DAY, "branch": "riyadh"},
        headers=bearer(world, "supervisor"),
    ).json()
    assert summary["letters"]["by_residency"] == {"resident": 1}

    told = c.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "hall": "men",
            "sender_name": "جون سميث",
            "sender_id_number": "1000000008",
            "sex": "male",
            "subject": "طلب",
            "residency": "citizen",
        },
        headers=bearer(world, "operator-men"),
    )
    assert told.status_code == 403 and told.json()["error"]["code"] == "field_not_allowed"


def test_staff_letter_form_says_where_residency_comes_from(
    app_client: TestClient, world: World
) -> None:
    sign_in(app_client, "operator-men")
    page = app_client.get("/staff/letters/new")
    assert page.status_code == 200 and 'aria-describedby="sender-id-hint"' in page.text
    assert 'id="sender-id-hint"' in page.text
