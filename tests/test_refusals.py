"""Smaller refusals: kiosks and displays read no letters, appointments or reports
(403, not an empty list); passwords of at least 12 characters; names shown isolated
from the text around them, and refused when they carry a direction override."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from reception.auth.passwords import MIN_PASSWORD_LENGTH
from tests.factories import World
from tests.helpers import bearer, csrf, sign_in

CITIZEN = "1000000008"
RLO = "\u202e"
LRI, PDI = "\u2066", "\u2069"


def register_letter(client: TestClient, world: World, name: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "hall": "men",
            "sender_name": name,
            "sender_id_number": CITIZEN,
            "sex": "male",
            "subject": "طلب",
        },
        headers=bearer(world, "operator-men"),
    )
    return r.status_code, r.json()


# --- devices read nothing ------------------------------------------------------------

DEVICE_READS = (
    "/api/v1/letters",
    "/api/v1/letters?q=x",
    "/api/v1/letters/{reference}",
    "/api/v1/letters/{reference}/suggestion",
    "/api/v1/letters/{reference}/meeting-requests",
    "/api/v1/meeting-requests",
    "/api/v1/appointments?branch=riyadh",
    "/api/v1/agenda",
    "/api/v1/reports/summary",
    "/api/v1/reports/series",
)


@pytest.mark.parametrize("device", ["kiosk", "display-men"])
def test_kiosks_and_displays_are_refused_on_letters_appointments_and_reports(
    client: TestClient, world: World, device: str
) -> None:
    status, letter = register_letter(client, world, "محمد")
    assert status == 201
    wrong = []
    for path in DEVICE_READS:
        r = client.get(path.format(reference=letter["reference"]), headers=bearer(world, device))
        if r.status_code != 403 or r.json()["error"]["code"] != "wrong_role":
            wrong.append(f"{path}: {r.status_code} {r.text[:80]}")
    assert not wrong, wrong
    # The people who work on letters still read them.
    r = client.get("/api/v1/letters", headers=bearer(world, "operator-men"))
    assert r.status_code == 200 and r.json()["letters"]


# --- passwords -------------------------------------------------------------------------


def test_passwords_need_twelve_characters(client: TestClient, world: World) -> None:
    assert MIN_PASSWORD_LENGTH == 12
    admin = bearer(world, "admin")
    user = {"role": "operator", "branch": "riyadh", "halls": ["men"]}
    r = client.post(
        "/api/v1/admin/users",
        json={**user, "username": "short-pw", "password": "eleven-char"},
        headers=admin,
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/admin/users",
        json={**user, "username": "twelve-pw", "password": "twelve-chars"},
        headers=admin,
    )
    assert r.status_code == 201, r.text

    sign_in(client, "admin")
    page = client.get("/staff/admin")
    assert 'minlength="12"' in page.text and "كلمة المرور (12 حرفًا أو أكثر)" in page.text
    r = client.post(
        "/staff/admin/users",
        data={
            "csrf_token": csrf(page.text),
            "username": "short-screen",
            "password": "eleven-char",
            "role": "operator",
            "user_branch": "riyadh",
            "hall": ["men"],
        },
    )
    assert "كلمة المرور تحتاج إلى 12 حرفًا على الأقل" in r.text


# --- names and direction ------------------------------------------------------------------


def test_names_are_shown_isolated_on_every_screen_that_shows_them(
    client: TestClient, world: World
) -> None:
    name = f"محمد {LRI}Smith 2{PDI}"  # an isolate is allowed: it changes nothing outside
    status, letter = register_letter(client, world, name)
    assert status == 201
    sign_in(client, "operator-men")
    isolated = re.compile(rf"<bdi[^>]*>{re.escape(name)}</bdi>")
    listing = client.get("/staff/letters")
    assert isolated.search(listing.text)
    page = client.get(f"/staff/letters/{letter['id']}")
    assert isolated.search(page.text)
    assert re.search(r'<span class="who">.*?<bdi[^>]*>[^<]+</bdi>', page.text)  # who is signed in
    tracking = client.get(letter["tracking_url"].replace("http://testserver", ""))
    assert re.search(r'<p class="muted"><bdi[^>]*>[^<]+</bdi>', tracking.text)  # the masked name


def test_a_name_with_a_direction_override_is_refused(client: TestClient, world: World) -> None:
    status, body = register_letter(client, world, f"محمد {RLO}gpj.exe")
    assert status == 422 and body["error"]["code"] == "direction_override"
    assert "تعكس اتجاه النص" in body["error"]["message"]
    r = client.post(
        "/api/v1/admin/users",
        json={
            "username": "rlo-user",
            "password": "long-enough-pw",
            "role": "operator",
            "branch": "riyadh",
            "halls": ["men"],
            "full_name": f"Ali{RLO}",
        },
        headers=bearer(world, "admin"),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "direction_override"
    sign_in(client, "operator-men")
    form = client.get("/staff/letters/new?ticket=&hall=men")
    r = client.post(
        "/staff/letters",
        data={
            "csrf_token": csrf(form.text),
            "channel": "counter",
            "hall": "men",
            "sender_name": f"{RLO}محمد",
            "sender_id_number": CITIZEN,
            "sex": "male",
            "language": "ar",
            "subject": "طلب",
            "body": "",
        },
    )
    assert r.status_code == 422 and "تعكس اتجاه النص" in r.text
