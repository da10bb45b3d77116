"""The live supervisor dashboard through its HTTP and websocket surface: exact figures
of a small known day in both halls, who may see which branch, the page without
JavaScript, and the socket's notice after a ticket is taken."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.settings import Settings
from tests.factories import World
from tests.helpers import bearer, issue, sign_in

START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)  # 09:00 in Riyadh, a Sunday
CITIZEN = "1000000008"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def app_client(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        yield c


def counter_post(
    client: TestClient, world: World, hall: str, index: int, path: str, body: Any = None
) -> dict[str, Any]:
    counter = world.counters[hall][index]
    r = client.post(
        f"/api/v1/counters/{counter}/{path}",
        json=body,
        headers=bearer(world, f"operator-{hall}"),
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def known_day(client: TestClient, world: World, clock: FrozenClock) -> None:
    """Men: three tickets, one served (wait 5, service 4), one not come (wait 10), one
    waiting since the start; a counter paused. Women: two tickets, one served (wait 10,
    service 6), one waiting since the start. One letter registered and routed."""
    issue(client, world, hall="men", service="letter")
    issue(client, world, hall="men", service="enquiry")
    issue(client, world, hall="men", service="letter")
    issue(client, world, hall="women", service="letter")
    issue(client, world, hall="women", service="complaint")
    clock.advance(minutes=5)
    assert counter_post(client, world, "men", 0, "call-next")["number"] == "M-001"
    counter_post(client, world, "men", 0, "current/start")
    clock.advance(minutes=4)
    counter_post(client, world, "men", 0, "current/finish")
    clock.advance(minutes=1)
    assert counter_post(client, world, "men", 0, "call-next")["number"] == "M-002"
    counter_post(client, world, "men", 0, "current/no-show")
    assert counter_post(client, world, "women", 0, "call-next")["number"] == "W-001"
    counter_post(client, world, "women", 0, "current/start")
    counter_post(client, world, "men", 1, "status", {"action": "pause"})
    clock.advance(minutes=2)
    letter = {
        "branch": "riyadh",
        "hall": "men",
        "sender_name": "محمد عبدالله الأحمد",
        "sender_id_number": CITIZEN,
        "sex": "male",
        "phone": "0501234567",
        "subject": "طلب إصدار هوية وطنية بدل فاقد",
        "body": "فقدت بطاقة الهوية الوطنية وأرجو إصدار بدل فاقد.",
    }
    r = client.post("/api/v1/letters", json=letter, headers=bearer(world, "operator-men"))
    assert r.status_code == 201, r.text
    reference = r.json()["reference"]
    r = client.post(
        f"/api/v1/letters/{reference}/classify",
        json={"category": "request_civil"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200 and r.json()["status"] == "routed", r.text
    clock.advance(minutes=4)
    counter_post(client, world, "women", 0, "current/finish")
    clock.advance(minutes=4)  # 20 minutes after the first tickets


def hall(data: dict[str, Any], slug: str) -> dict[str, Any]:
    found = [h for h in data["figures"]["halls"] if h["slug"] == slug]
    assert len(found) == 1
    return dict(found[0])


def service(hall_figures: dict[str, Any], slug: str) -> dict[str, Any]:
    return dict(next(s for s in hall_figures["services"] if s["slug"] == slug))


def test_figures_of_a_known_day(app_client: TestClient, world: World, clock: FrozenClock) -> None:
    known_day(app_client, world, clock)
    sign_in(app_client, "supervisor")
    r = app_client.get("/staff/dashboard/figures")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    data = r.json()
    assert data["figures"]["branch"]["slug"] == "riyadh"
    assert data["figures"]["date"] == "2024-03-10"
    assert data["figures"]["updated"] == "09:20:00"
    men, women = hall(data, "men"), hall(data, "women")
    assert {k: men[k] for k in men if k not in ("services", "remote")} == {
        "slug": "men",
        "section": "men",
        "name_ar": "قاعة الرجال",
        "name_en": "Men's hall",
        "waiting": 1,
        "longest_wait_minutes": 20,
        "over_max_wait": False,
        "open_counters": 3,
        "counters": 4,
        "served": 1,
        "no_shows": 1,
        "wait_minutes_mean": 7.5,
        "service_minutes_mean": 4.0,
    }
    assert service(men, "letter") == {
        "slug": "letter",
        "name_ar": "خطاب",
        "name_en": "Letter",
        "waiting": 1,
        "longest_wait_minutes": 20,
        "served": 1,
        "no_shows": 0,
    }
    assert service(men, "enquiry")["no_shows"] == 1 and service(men, "enquiry")["waiting"] == 0
    assert [s["slug"] for s in men["services"]] == ["letter", "enquiry", "complaint"]
    assert (women["waiting"], women["longest_wait_minutes"], women["open_counters"]) == (1, 20, 4)
    assert (women["served"], women["no_shows"]) == (1, 0)
    assert (women["wait_minutes_mean"], women["service_minutes_mean"]) == (10.0, 6.0)
    assert service(women, "complaint")["waiting"] == 1
    assert data["figures"]["letters"] == {"received": 1, "routed": 1, "open": 1, "late": 0}
    assert data["text"]["men.wait_minutes_mean"] == "7.5"
    assert data["text"]["women.complaint.waiting"] == "1"
    assert data["alert"] == {
        "men.longest": False,
        "women.longest": False,
        "letters.late": False,
        "empty": False,
    }

    # Two days later: a new working day, the routed letter is past its 48-hour target
    # and the two tickets still waiting are far past the branch's maximum wait.
    clock.advance(hours=49)
    sign_in(app_client, "supervisor")  # the staff session has ended meanwhile
    data = app_client.get("/staff/dashboard/figures").json()
    men = hall(data, "men")
    assert data["figures"]["date"] == "2024-03-12"
    assert (men["served"], men["no_shows"], men["wait_minutes_mean"]) == (0, 0, None)
    assert men["waiting"] == 1 and men["over_max_wait"] is True
    assert data["figures"]["letters"] == {"received": 0, "routed": 0, "open": 1, "late": 1}
    assert data["alert"]["letters.late"] is True and data["alert"]["men.longest"] is True
    assert data["text"]["men.wait_minutes_mean"] == "—"


def test_page_shows_the_figures_without_javascript(
    app_client: TestClient, world: World, clock: FrozenClock
) -> None:
    sign_in(app_client, "supervisor")
    empty = app_client.get("/staff/dashboard")
    assert empty.status_code == 200
    assert '<html lang="ar" dir="rtl">' in empty.text
    assert "data-empty>" in empty.text  # the empty state is shown
    known_day(app_client, world, clock)
    page = app_client.get("/staff/dashboard")
    assert page.status_code == 200
    assert 'href="/staff/dashboard"' in page.text  # in the navigation
    assert 'id="hall-women">قاعة النساء</h2>' in page.text
    assert 'data-fig="men.waiting">1<' in page.text
    assert 'data-fig="men.wait_minutes_mean">7.5<' in page.text
    assert 'data-fig="letters.routed">1<' in page.text
    assert 'data-fig="updated">09:20:00<' in page.text
    assert "data-empty hidden" in page.text
    assert "<script>" not in page.text and "js/dashboard.js" in page.text
    assert 'data-socket-url="/staff/dashboard/ws"' in page.text
    app_client.get("/lang?to=en&next=/")
    english = app_client.get("/staff/dashboard")
    assert '<html lang="en" dir="ltr">' in english.text
    assert 'id="hall-men">Men&#39;s hall</h2>' in english.text


def test_who_may_see_the_dashboard(app_client: TestClient, world: World) -> None:
    assert app_client.get("/staff/dashboard", follow_redirects=False).status_code == 303
    sign_in(app_client, "operator-men")
    r = app_client.get("/staff/dashboard")
    assert r.status_code == 403 and "Traceback" not in r.text
    assert 'href="/staff/dashboard"' not in r.text
    assert app_client.get("/staff/dashboard/figures").status_code == 403
    app_client.post("/staff/logout", data={"csrf_token": ""})
    app_client.cookies.clear()

    sign_in(app_client, "supervisor")
    assert app_client.get("/staff/dashboard/figures").json()["figures"]["branch"]["slug"] == (
        "riyadh"
    )
    assert app_client.get("/staff/dashboard?branch=jeddah").status_code == 403
    assert app_client.get("/staff/dashboard/figures?branch=jeddah").status_code == 403
    app_client.cookies.clear()

    sign_in(app_client, "admin")
    page = app_client.get("/staff/dashboard?branch=jeddah")
    assert page.status_code == 200 and 'id="d-branch"' in page.text
    jeddah = app_client.get("/staff/dashboard/figures?branch=jeddah").json()
    assert jeddah["figures"]["branch"]["slug"] == "jeddah"
    assert app_client.get("/staff/dashboard/figures").json()["figures"]["branch"]["slug"] == (
        "riyadh"
    )
    assert app_client.get("/staff/dashboard/figures?branch=nowhere").status_code == 422


def test_socket_says_changed_after_a_ticket(app_client: TestClient, world: World) -> None:
    sign_in(app_client, "supervisor")
    with app_client.websocket_connect("/staff/dashboard/ws") as ws:
        assert json.loads(ws.receive_text()) == {"type": "changed"}  # on connect
        issue(app_client, world, hall="women", service="letter")
        assert json.loads(ws.receive_text()) == {"type": "changed"}
    figures = app_client.get("/staff/dashboard/figures").json()
    assert hall(figures, "women")["waiting"] == 1


def test_socket_refuses_who_may_not_see(app_client: TestClient, world: World) -> None:
    with app_client.websocket_connect("/staff/dashboard/ws") as ws:
        message = ws.receive()
        assert message["type"] == "websocket.close" and message["code"] == 4401
    sign_in(app_client, "operator-men")
    with app_client.websocket_connect("/staff/dashboard/ws") as ws:
        message = ws.receive()
        assert message["type"] == "websocket.close" and message["code"] == 4403


def test_a_burst_of_changes_is_one_notice(app_client: TestClient, world: World) -> None:
    sign_in(app_client, "supervisor")
    with app_client.websocket_connect("/staff/dashboard/ws") as ws:
        assert json.loads(ws.receive_text())["type"] == "changed"
        for _ in range(3):
            issue(app_client, world, hall="men", service="letter")
        assert json.loads(ws.receive_text())["type"] == "changed"
    data = app_client.get("/staff/dashboard/figures").json()
    assert hall(data, "men")["waiting"] == 3
