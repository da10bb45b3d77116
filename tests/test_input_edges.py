"""Numbers in other scripts, control characters, dates at the ends of the calendar and
integers of any size: each a clear 4xx, never a 500, the same on SQLite and
PostgreSQL."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from reception.inputs import EARLIEST_DAY, digits_only, latest_day, to_id, to_int
from tests.factories import World
from tests.helpers import bearer, csrf, sign_in

# --- the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "typed", "expected"),
    [
        ("12", False, 12),
        (" 12 ", False, 12),
        ("1²", False, None),
        ("²", False, None),
        ("٣", False, None),
        ("٣", True, 3),
        ("۱۲", True, 12),
        ("१२", True, None),  # Devanagari: int() would read it; nobody types it here
        ("-1", False, None),
        ("+1", False, None),
        ("1.0", False, None),
        ("", False, None),
        ("9" * 40, False, None),
        (True, False, None),
        (7, False, 7),
    ],
)
def test_only_ascii_digits_are_numbers(raw: object, typed: bool, expected: int | None) -> None:
    assert to_int(raw, typed=typed) == expected


def test_ids_are_bounded() -> None:
    assert to_id("0") is None
    assert to_id(str(2**31 - 1)) == 2**31 - 1
    assert to_id(str(2**31)) is None
    assert digits_only("٤٠٢ 133-77²") == "40213377"


# --- unicode digits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/staff/counters/1²/services",
        "/staff/halls/1²/display",
        "/staff/screens/1²/counters",
        "/staff/admin/tokens/1²/revoke",
        "/staff/counters/٣/services",
    ],
)
def test_unicode_digits_in_paths_are_404_without_signing_in(client: TestClient, path: str) -> None:
    r = client.post(path, data={"csrf_token": "x"}, follow_redirects=False)
    assert r.status_code in (303, 404), r.text


def test_unicode_digits_in_the_api_are_4xx(client: TestClient, world: World) -> None:
    desk = bearer(world, "operator-men")
    r = client.post("/api/v1/counters/1²/call-next", headers=desk)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_counter"
    r = client.get("/api/v1/letters?limit=²", headers=desk)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_limit"
    assert client.get("/api/v1/letters?limit=٣", headers=desk).status_code == 422
    assert client.get("/api/v1/letters?limit=3", headers=desk).status_code == 200
    r = client.get("/api/v1/letters/1²/meeting-requests", headers=desk)
    assert r.status_code == 404, r.text
    r = client.post(
        "/api/v1/ratings", json={"ticket": "²", "score": 4}, headers=bearer(world, "kiosk")
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_ticket_number"


def test_unicode_digits_in_forms_are_4xx(client: TestClient, world: World) -> None:
    sign_in(client, "supervisor")
    hall = client.get("/staff/supervise")
    token = csrf(hall.text)
    counter = world.counters["men"][0]
    r = client.post(
        f"/staff/counters/{counter}",
        data={"csrf_token": token, "action": "transfer", "to_counter": "1²", "service": "letter"},
    )
    assert r.status_code < 500
    r = client.post("/staff/halls/1/display", data={"csrf_token": token, "volume": "²"})
    assert r.status_code < 500


def test_rating_page_with_odd_counter(client: TestClient) -> None:
    assert client.get("/rate?counter=²", follow_redirects=False).status_code < 500


# --- control characters ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/t/", "/l/", "/a/", "/r/"])
def test_nul_in_a_tracking_link_is_refused_and_counts_as_a_guess(
    client: TestClient, prefix: str
) -> None:
    r = client.get(f"{prefix}abc%00def")
    assert r.status_code == 422, r.text
    assert "control character" in r.text or "غير مسموح" in r.text
    statuses = {client.get(f"{prefix}abc%00def{n}").status_code for n in range(40)}
    assert 429 in statuses
    assert client.get(f"{prefix}somethingelse").status_code == 429


def test_nul_in_a_login_is_422(client: TestClient) -> None:
    page = client.get("/staff/login")
    r = client.post(
        "/staff/login",
        data={"username": "adm\x00in", "password": "x", "csrf_token": csrf(page.text)},
    )
    assert r.status_code == 422


def test_nul_in_json_is_422_and_newlines_in_text_are_kept(client: TestClient, world: World) -> None:
    desk = bearer(world, "operator-men")
    letter = {
        "branch": "riyadh",
        "hall": "men",
        "sender_name": "x\u0000y",
        "sender_id_number": "1000000008",
        "sex": "male",
        "subject": "s",
        "body": "line one\nline two\tand a tab",
    }
    r = client.post("/api/v1/letters", json=letter, headers=desk)
    assert r.status_code == 422 and r.json()["error"]["code"] == "control_character"
    for bad in ("\x1b[2J", "\ud800", "x\x7f"):
        body = json.dumps({**letter, "sender_name": bad})  # ASCII, the surrogate escaped
        r = client.post(
            "/api/v1/letters",
            content=body,
            headers={**desk, "Content-Type": "application/json"},
        )
        assert r.status_code == 422, bad
    r = client.post("/api/v1/letters", json={**letter, "sender_name": "x y"}, headers=desk)
    assert r.status_code in (201, 422), r.text
    assert r.json().get("error", {}).get("code") != "control_character"
    r = client.get("/api/v1/letters", params={"q": "a\x00"}, headers=desk)
    assert r.status_code == 422


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/agenda?day=9999-12-31",
        "/api/v1/agenda?day=0001-01-01",
        "/api/v1/letters?from=0001-01-01",
        "/api/v1/letters?to=9999-12-31",
        "/api/v1/slots?branch=riyadh&hall=men&service=letter&date_from=9999-12-31",
        "/api/v1/appointments?branch=riyadh&day=0001-01-01",
        "/api/v1/reports/summary?date_from=0001-01-01&date_to=0001-01-02",
        "/api/v1/reports/summary?date_from=9999-12-30&date_to=9999-12-31",
    ],
)
def test_dates_outside_the_window_are_422(client: TestClient, world: World, url: str) -> None:
    r = client.get(url, headers=bearer(world, "admin"))
    assert r.status_code == 422, r.text


def test_bookings_in_year_9999_are_422(client: TestClient, world: World) -> None:
    admin = bearer(world, "admin")
    for starts_at in ("9999-12-31T23:59:00+03:00", "0001-01-01T00:00:00+03:00"):
        r = client.post(
            "/api/v1/appointments",
            json={"branch": "riyadh", "hall": "men", "service": "letter", "starts_at": starts_at},
            headers=admin,
        )
        assert r.status_code == 422, r.text
    r = client.put("/api/v1/admin/branches/riyadh/holidays/9999-12-31", headers=admin)
    assert r.status_code == 422
    r = client.post(
        "/api/v1/admin/branches/riyadh/stops",
        json={
            "place_ar": "أ",
            "place_en": "a",
            "starts_on": "9999-12-30",
            "ends_on": "9999-12-31",
        },
        headers=admin,
    )
    assert r.status_code == 422
    assert EARLIEST_DAY.year == 2000 and latest_day().year >= 2031


# --- integers in JSON -------------------------------------------------------------------------


def test_json_integers_are_strict_and_bounded(client: TestClient, world: World) -> None:
    desk = bearer(world, "operator-men")
    counter = world.counters["men"][0]
    client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk"),
    )
    assert client.post(f"/api/v1/counters/{counter}/call-next", headers=desk).status_code == 200
    for value in (9223372036854775808, True, "1", 0, -1, 1.5):
        r = client.post(
            f"/api/v1/counters/{counter}/current/transfer",
            json={"service": "letter", "counter": value},
            headers=desk,
        )
        assert r.status_code == 422, (value, r.text)
    r = client.put("/api/v1/halls/1/display", json={"volume": True}, headers=bearer(world, "admin"))
    assert r.status_code == 422


# --- 405 -----------------------------------------------------------------------------------------


def test_405_says_what_is_allowed(client: TestClient, world: World) -> None:
    r = client.delete("/api/v1/tickets", headers=bearer(world, "kiosk"))
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = client.delete("/r/sometoken")
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
