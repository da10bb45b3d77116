"""A branch's rules for joining the line from a phone, as an administrator sets them:
on the administration screen and over the API, checked (readable refusals, never a
500), audited, and for administrators only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.audit import AuditEntry
from reception.cli import main as reception_command
from tests.factories import World
from tests.helpers import bearer, page_csrf, sign_in

URL = "/api/v1/admin/branches/riyadh/remote-policy"
GOOD: dict[str, Any] = {
    "enabled": True,
    "hours": {"sun": [["08:00", "12:00"]], "mon": [["08:00", "12:00"]]},
    "halls": ["men", "women"],
    "services": ["letter"],
    "priorities": ["elderly"],
    "cap_per_hall": 12,
    "passes_allowed": 2,
    "passes_allowed_on_way": 6,
    "notify_at_place": 4,
    "geo_checkin": True,
    "latitude": 24.7136,
    "longitude": 46.6753,
    "radius_m": 250,
}


def test_the_api_shows_and_sets_the_rules(client: TestClient, world: World, engine: Any) -> None:
    admin = bearer(world, "admin")
    r = client.get(URL, headers=admin)
    assert r.status_code == 200
    assert r.json()["enabled"] is False and r.json()["cap_per_hall"] == 20  # the defaults, off

    r = client.put(URL, json=GOOD, headers=admin)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["enabled"] and saved["halls"] == ["men", "women"]
    assert saved["cap_per_hall"] == 12 and saved["passes_allowed_on_way"] == 6
    assert saved["code_minutes"] == 10  # not given: kept
    assert saved["latitude"] == 24.7136 and saved["radius_m"] == 250
    assert client.get(URL, headers=admin).json() == saved

    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "branch.remote_policy")).one()
    assert entry.actor.startswith("token:")

    r = client.put(URL, json={"enabled": False}, headers=admin)
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert r.json()["halls"] == [] and r.json()["cap_per_hall"] == 12


def test_refusals_say_what_is_wrong(client: TestClient, world: World) -> None:
    admin = bearer(world, "admin")
    cases = [
        ({"halls": ["nowhere"]}, "unknown_hall"),
        ({"services": ["passport"]}, "unknown_service"),
        ({"priorities": ["vip"]}, "unknown_priority"),
        ({"halls": [], "services": []}, "remote_nothing_offered"),
        ({"passes_allowed": 9, "passes_allowed_on_way": 3}, "bad_passes_allowed_on_way"),
        ({"latitude": None, "longitude": None}, "bad_coordinates"),
        ({"latitude": 24.7, "longitude": None, "geo_checkin": False}, "bad_coordinates"),
        ({"hours": {"sun": [["12:00", "08:00"]]}}, "bad_time"),
        ({"hours": {"sun": [["8:0am", "12:00"]]}}, "bad_time"),
    ]
    for change, code in cases:
        r = client.put(URL, json={**GOOD, **change}, headers=admin)
        assert r.status_code == 422, (change, r.text)
        assert r.json()["error"]["code"] == code, (change, r.json())
        assert r.json()["error"]["message"]
    for change in ({"cap_per_hall": 0}, {"latitude": 91}, {"radius_m": 5}, {"surprise": 1}):
        r = client.put(URL, json={**GOOD, **change}, headers=admin)
        assert r.status_code == 422, (change, r.text)
    r = client.put(URL, json={"enabled": "yes"}, headers=admin)
    assert r.status_code == 422
    r = client.put("/api/v1/admin/branches/nowhere/remote-policy", json=GOOD, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_branch"
    assert client.get(URL, headers=admin).json()["enabled"] is False  # nothing was saved


def test_only_administrators_see_or_change_the_rules(client: TestClient, world: World) -> None:
    for name in ("kiosk", "operator-men", "supervisor", "display-men", "officer"):
        assert client.get(URL, headers=bearer(world, name)).status_code == 403, name
        assert client.put(URL, json=GOOD, headers=bearer(world, name)).status_code == 403, name
    assert client.get(URL).status_code == 401
    assert client.put(URL, json=GOOD).status_code == 401

    sign_in(client, "supervisor")
    token = page_csrf(client)
    r = client.post(
        "/staff/admin/remote-policy",
        data={"csrf_token": token, "branch": "riyadh", "enabled": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert client.get(URL, headers=bearer(world, "admin")).json()["enabled"] is False


def test_the_administration_screen_sets_the_rules(client: TestClient, world: World) -> None:
    sign_in(client, "admin")
    page = client.get("/staff/admin?branch=riyadh")
    assert page.status_code == 200 and 'id="sec-remote"' in page.text
    base = {"csrf_token": page_csrf(client, "/staff/admin"), "branch": "riyadh"}
    form = {
        **base,
        "enabled": "yes",
        "remote_hall": ["women"],
        "remote_service": ["letter", "enquiry"],
        "weekday": ["sun", "mon"],
        "start": "٠٩:٠٠",
        "end": "13:30",
        "cap_per_hall": "١٥",
        "passes_allowed": "3",
        "passes_allowed_on_way": "8",
        "geo_checkin": "yes",
        "latitude": "24٫7136",
        "longitude": "46.6753",
        "radius_m": "400",
    }
    r = client.post("/staff/admin/remote-policy", data=form)
    assert r.status_code == 200
    saved = client.get(URL, headers=bearer(world, "admin")).json()
    assert saved["enabled"] and saved["halls"] == ["women"]
    assert saved["services"] == ["letter", "enquiry"]
    assert saved["hours"] == {"sun": [["09:00", "13:30"]], "mon": [["09:00", "13:30"]]}
    assert saved["cap_per_hall"] == 15 and saved["latitude"] == 24.7136
    assert saved["radius_m"] == 400
    assert 'value="15"' in r.text and 'value="24.7136"' in r.text

    refused = client.post(
        "/staff/admin/remote-policy", data={**form, "cap_per_hall": "9000", "end": "10:00"}
    )
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text and 'value="9000"' in refused.text  # kept as typed
    refused = client.post("/staff/admin/remote-policy", data={**form, "latitude": "north"})
    assert refused.status_code == 422
    refused = client.post("/staff/admin/remote-policy", data={**form, "remote_hall": []})
    assert refused.status_code == 422
    assert client.get(URL, headers=bearer(world, "admin")).json() == saved

    r = client.post("/staff/admin/remote-policy", data={**base, "remote_hall": ["men"]})
    assert r.status_code == 200
    off = client.get(URL, headers=bearer(world, "admin")).json()
    assert off["enabled"] is False and off["hours"] == {} and off["cap_per_hall"] == 15


def test_the_command_line_shows_and_sets_the_rules(
    client: TestClient,
    world: World,
    database_url: str,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "cli"))
    assert reception_command(["remote-policy", "show", "--branch", "riyadh"]) == 0
    assert json.loads(capsys.readouterr().out)["enabled"] is False
    command = ["remote-policy", "set", "--branch", "riyadh", "--enabled", "yes"]
    command += ["--hall", "men", "--service", "letter", "--cap", "7", "--days", "sun-mon"]
    command += ["--from", "09:00", "--to", "11:00"]
    assert reception_command(command) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["enabled"] and shown["halls"] == ["men"] and shown["cap_per_hall"] == 7
    assert shown["hours"] == {"sun": [["09:00", "11:00"]], "mon": [["09:00", "11:00"]]}
    assert client.get(URL, headers=bearer(world, "admin")).json() == shown
    assert reception_command(["remote-policy", "set", "--branch", "riyadh", "--cap", "0"]) == 2
    assert "from 1 to 500" in capsys.readouterr().err
    assert reception_command(["remote-policy", "set", "--branch", "riyadh", "--passes", "4"]) == 0
    kept = json.loads(capsys.readouterr().out)
    assert kept["passes_allowed"] == 4 and kept["cap_per_hall"] == 7 and kept["halls"] == ["men"]
