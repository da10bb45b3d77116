"""The screens through their real HTTP and websocket surface: sign-in, CSRF, kiosk
forms, the operator console, the display protocol, the tracking page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from reception.auth.models import ApiToken
from reception.queue.models import Ticket
from tests.factories import PASSWORD, World
from tests.helpers import bearer, csrf, sign_in


def tickets(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(Ticket)).one())


def test_login_page_is_arabic_and_right_to_left(client: TestClient) -> None:
    r = client.get("/staff/login")
    assert r.status_code == 200
    assert '<html lang="ar" dir="rtl">' in r.text
    assert "دخول الموظفين" in r.text
    assert r.headers["content-language"] == "ar"


def test_language_switch_and_no_open_redirect(client: TestClient) -> None:
    r = client.get("/lang?to=en&next=/staff/login")
    assert r.status_code == 200 and '<html lang="en" dir="ltr">' in r.text
    assert "Staff sign in" in r.text
    r = client.get("/lang?to=ar&next=//evil.example/", follow_redirects=False)
    assert r.headers["location"] == "/"


def test_wrong_password_and_missing_csrf(client: TestClient) -> None:
    page = client.get("/staff/login")
    r = client.post(
        "/staff/login",
        data={"username": "admin", "password": "nope-nope-nope", "csrf_token": csrf(page.text)},
    )
    assert r.status_code == 401 and "اسم المستخدم أو كلمة المرور غير صحيحة" in r.text
    r = client.post("/staff/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403 and "انتهت صلاحية هذا النموذج" in r.text
    assert "Traceback" not in r.text


def test_staff_pages_need_login(client: TestClient) -> None:
    for path in ("/staff", "/kiosk", "/display", "/staff/counters/1"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/staff/login")


def test_security_headers(client: TestClient) -> None:
    r = client.get("/staff/login")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_kiosk_steps_issue_one_ticket_per_tap(
    client: TestClient, world: World, engine: Engine
) -> None:
    sign_in(client, "kiosk")
    start = client.get("/kiosk")
    assert "قاعة الرجال" in start.text and "قاعة النساء" in start.text
    assert 'href="/kiosk?hall=men"' in start.text
    services = client.get("/kiosk?hall=men")
    assert 'href="/kiosk?hall=men&amp;service=letter"' in services.text
    priority = client.get("/kiosk?hall=men&service=letter")
    assert "هل ينطبق عليك أحد ما يلي؟" in priority.text and "كبار السن" in priority.text
    phone_step = client.get("/kiosk?hall=men&service=letter&priority=elderly")
    assert "رسالة نصية عند اقتراب الدور؟" in phone_step.text
    token = csrf(phone_step.text)
    nonce = re.search(r'name="nonce" value="([^"]+)"', phone_step.text)
    assert nonce
    form = {
        "csrf_token": token,
        "hall": "men",
        "service": "letter",
        "priority": "elderly",
        "nonce": nonce.group(1),
        "phone": "",
        "skip_phone": "1",
    }
    first = client.post("/kiosk/tickets", data=form, follow_redirects=False)
    assert first.status_code == 303
    again = client.post("/kiosk/tickets", data=form, follow_redirects=False)  # a double tap
    assert again.headers["location"] == first.headers["location"]
    assert tickets(engine) == 1
    page = client.get(first.headers["location"])
    assert "M-001" in page.text and "data:image/svg+xml;base64," in page.text
    assert "لا أحد أمامك" in page.text  # the place in line, worded as everywhere
    with Session(engine) as s:
        issued = s.exec(select(Ticket)).one()
        assert issued.priority_weight == 3 and issued.phone is None

    bad = client.post(
        "/kiosk/tickets", data={**form, "skip_phone": "", "phone": "12345", "nonce": "n2"}
    )
    assert bad.status_code == 422 and "رقم الجوال غير صحيح" in bad.text
    assert 'value="12345"' in bad.text  # what was typed stays on screen
    good = client.post(
        "/kiosk/tickets",
        data={**form, "skip_phone": "", "phone": "0551234567", "nonce": "n3"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    with Session(engine) as s:
        phones = [t.phone for t in s.exec(select(Ticket).order_by(Ticket.id))]
    assert phones == [None, "+966551234567"]

    r = client.post("/kiosk/tickets", data={**form, "csrf_token": "forged", "nonce": "x"})
    assert r.status_code == 403
    r = client.post("/kiosk/tickets", data={**form, "service": "unknown", "nonce": "y"})
    assert r.status_code == 422 and "لا توجد خدمة باسم unknown هنا" in r.text
    r = client.post("/kiosk/tickets", data={**form, "hall": "kitchen", "nonce": "z"})
    assert r.status_code == 422
    r = client.get("/kiosk?hall=men&service=letter&priority=vip")
    assert r.status_code == 422
    assert tickets(engine) == 2


def test_operator_console_calls_next(client: TestClient, world: World) -> None:
    kiosk_headers = bearer(world, "kiosk")
    client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "enquiry"},
        headers=kiosk_headers,
    )
    sign_in(client, "operator-men")
    console = client.get("/staff")
    assert console.status_code == 200
    assert "قاعة الرجال" in console.text and "قاعة النساء" not in console.text
    counter = world.counters["men"][0]
    page = client.get(f"/staff/counters/{counter}")
    r = client.post(f"/staff/counters/{counter}/call-next", data={"csrf_token": csrf(page.text)})
    assert r.status_code == 200 and "M-001" in r.text and "تم النداء" in r.text
    r = client.post(f"/staff/counters/{counter}/start", data={"csrf_token": csrf(r.text)})
    assert "قيد الخدمة" in r.text
    r = client.post(
        f"/staff/counters/{counter}/call-next",
        data={"csrf_token": csrf(r.text), "close_current": "served"},
    )
    assert "لا أحد ينتظر هذا الكاونتر" in r.text
    r = client.post(f"/staff/counters/{counter}/finish", data={"csrf_token": csrf(r.text)})
    assert "لا توجد تذكرة منادى عليها" in r.text  # a clear message, not a crash
    women = world.counters["women"][0]
    assert client.get(f"/staff/counters/{women}").status_code == 403
    r = client.post(f"/staff/counters/{women}/call-next", data={"csrf_token": csrf(r.text)})
    assert r.status_code == 403
    r = client.post(f"/staff/counters/{counter}/call-next", data={})
    assert r.status_code == 403


def test_display_socket_snapshot_deltas_and_resync(client: TestClient, world: World) -> None:
    sign_in(client, "display-men")
    assert client.get("/display").status_code == 200
    assert client.get("/display?hall=women").status_code == 403
    kiosk = bearer(world, "kiosk")
    operator = bearer(world, "operator-men")
    with client.websocket_connect("/display/ws?hall=men") as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and snapshot["hall"] == "men"
        assert snapshot["calls"] == []
        seq = snapshot["seq"]
        client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=kiosk,
        )
        issued = ws.receive_json()
        assert issued["type"] == "ticket.issued" and issued["seq"] == seq + 1
        assert issued["waiting"]["letter"]["waiting"] == 1
        client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "women", "service": "letter"},
            headers=kiosk,
        )  # the women's hall: must not reach this socket
        client.post(f"/api/v1/counters/{world.counters['men'][2]}/call-next", headers=operator)
        called = ws.receive_json()
        assert called["type"] == "ticket.called" and called["seq"] == seq + 2
        assert called["ticket"]["number"] == "M-001" and called["ticket"]["counter"] == 3
        assert called["waiting"]["letter"]["waiting"] == 0
        ws.send_text("resync")
        fresh = ws.receive_json()
        assert fresh["type"] == "snapshot" and fresh["seq"] == seq + 2
        assert [c["number"] for c in fresh["calls"]] == ["M-001"]


def test_display_socket_refuses_other_hall_and_strangers(client: TestClient, world: World) -> None:
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect("/display/ws?hall=men") as ws,
    ):
        ws.receive_json()
    assert info.value.code == 4401
    sign_in(client, "display-men")
    with (
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect("/display/ws?hall=women") as ws,
    ):
        ws.receive_json()
    assert info.value.code == 4403
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            "/display/ws?hall=men", headers={"Origin": "http://evil.example"}
        ) as ws,
    ):
        ws.receive_json()


def test_tracking_page(client: TestClient, world: World) -> None:
    r = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "women", "service": "letter"},
        headers=bearer(world, "kiosk"),
    )
    path = r.json()["tracking_url"].replace("http://testserver", "")
    page = client.get(path)
    assert page.status_code == 200 and "W-001" in page.text and "لا أحد أمامك" in page.text
    bad = client.get("/t/not-a-real-token")
    assert bad.status_code == 404 and "لم نجد هذه التذكرة" in bad.text


def test_tracking_page_follows_its_hall_live(client: TestClient, world: World) -> None:
    kiosk = bearer(world, "kiosk")
    operator = bearer(world, "operator-women")
    issued = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "women", "service": "letter"},
        headers=kiosk,
    ).json()
    path = issued["tracking_url"].replace("http://testserver", "")
    counter = world.counters["women"][0]
    with client.websocket_connect(f"{path}/ws") as ws:
        assert ws.receive_json() == {"type": "changed"}
        client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=kiosk,
        )  # the other hall: nothing to say
        client.post(f"/api/v1/counters/{counter}/call-next", headers=operator)
        assert ws.receive_json() == {"type": "changed"}
    page = client.get(path)
    said = re.sub(r"<[^>]+>", "", page.text)  # the counter number is isolated in <bdi>
    assert "حان الدور: يرجى التوجه إلى الكاونتر 1." in said
    client.post(f"/api/v1/counters/{counter}/current/start", headers=operator)
    client.post(f"/api/v1/counters/{counter}/current/finish", headers=operator)
    with client.websocket_connect(f"{path}/ws") as ws, pytest.raises(WebSocketDisconnect) as end:
        ws.receive_json()
    assert end.value.code == 1000  # finished: nothing more will change
    with (
        client.websocket_connect("/t/not-a-real-token/ws") as ws,
        pytest.raises(WebSocketDisconnect) as unknown,
    ):
        ws.receive_json()
    assert unknown.value.code == 4404


def test_supervisor_sees_every_counter_and_reassigns_services(
    client: TestClient, world: World
) -> None:
    client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "women", "service": "letter"},
        headers=bearer(world, "kiosk"),
    )
    client.post(
        f"/api/v1/counters/{world.counters['women'][1]}/call-next",
        headers=bearer(world, "operator-women"),
    )
    sign_in(client, "supervisor")
    page = client.get("/staff/supervise")
    assert page.status_code == 200
    assert "قاعة الرجال" in page.text and "قاعة النساء" in page.text
    assert "W-001" in page.text and "أطول انتظار الآن" in page.text
    counter = world.counters["men"][0]
    r = client.post(
        f"/staff/counters/{counter}/services",
        data={"csrf_token": csrf(page.text), "service": ["complaint"]},
    )
    assert "حُفظت خدمات الكاونتر" in r.text
    r = client.post(f"/staff/counters/{counter}/services", data={"csrf_token": csrf(r.text)})
    assert "الكاونتر يقدم خدمة واحدة على الأقل" in r.text
    r = client.post(
        f"/staff/counters/{counter}/close", data={"csrf_token": csrf(r.text), "back": "supervise"}
    )
    assert r.url.path == "/staff/supervise" and "فتح الكاونتر" in r.text
    branches = client.get("/api/v1/branches", headers=bearer(world, "admin")).json()["branches"]
    men = next(h for h in branches[0]["halls"] if h["slug"] == "men")
    assert men["counters"][0]["services"] == ["complaint"]
    assert men["counters"][0]["status"] == "closed"


def test_operators_cannot_supervise(client: TestClient, world: World) -> None:
    sign_in(client, "operator-men")
    assert client.get("/staff/supervise").status_code == 403
    page = client.get("/staff")
    r = client.post(
        f"/staff/counters/{world.counters['men'][0]}/services",
        data={"csrf_token": csrf(page.text), "service": ["complaint"]},
    )
    assert r.status_code == 403


def test_kiosk_done_gives_the_next_visitor_arabic(client: TestClient, world: World) -> None:
    sign_in(client, "kiosk")
    client.get("/lang?to=en&next=/kiosk")
    assert '<html lang="en"' in client.get("/kiosk").text
    r = client.get("/kiosk?reset=1")
    assert '<html lang="ar" dir="rtl">' in r.text and r.url.path == "/kiosk"
    assert 'href="/"' not in r.text  # a visitor cannot leave the kiosk screen


def test_kiosk_says_when_the_branch_is_closed(
    client: TestClient, world: World, engine: Engine
) -> None:
    from reception.queue.models import Branch

    with Session(engine) as s:
        branch = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        branch.opening_hours = {"fri": [["08:00", "08:00"]]}  # an empty span: never open
        s.add(branch)
        s.commit()
    sign_in(client, "kiosk")
    page = client.get("/kiosk?hall=men")
    assert "نحن مغلقون الآن" in page.text
    assert "أوقات العمل" in page.text and "الجمعة" in page.text
    assert "/kiosk?hall=men&amp;service=" not in page.text


def pair(client: TestClient, token: str) -> object:
    page = client.get("/device")
    return client.post(
        "/device", data={"token": token, "csrf_token": csrf(page.text)}, follow_redirects=False
    )


def test_screens_pair_with_device_tokens_until_revoked(client: TestClient, world: World) -> None:
    r = pair(client, world.tokens["operator-men"])  # not a device token
    assert r.status_code == 401 and "not a valid kiosk or display token" not in r.text
    assert client.get("/kiosk", follow_redirects=False).status_code in (303, 401)
    r = pair(client, world.tokens["kiosk-women"])
    assert r.status_code == 303 and r.headers["location"] == "/kiosk"
    page = client.get("/kiosk")
    assert page.status_code == 200
    assert "kiosk-women" not in r.headers.get("location", "")
    # A kiosk bound to the women's hall issues women's tickets only.
    page = client.get("/kiosk?service=letter&priority=none")
    r = client.post(
        "/kiosk/tickets",
        data={"hall": "men", "service": "letter", "skip_phone": "1", "csrf_token": csrf(page.text)},
    )
    assert r.status_code == 403

    display = TestClient(client.app)
    r = pair(display, world.tokens["display-men"])
    assert r.status_code == 303 and r.headers["location"] == "/display"
    assert display.get("/display").status_code == 200
    assert display.get("/display?hall=women").status_code == 403
    with display.websocket_connect("/display/ws") as ws:
        assert ws.receive_json()["hall"] == "men"

    admin = bearer(world, "admin")
    listed = client.get("/api/v1/admin/tokens", headers=admin)
    token_id = next(t["id"] for t in listed.json()["tokens"] if t["name"] == "display-men")
    assert client.post(f"/api/v1/admin/tokens/{token_id}/revoke", headers=admin).status_code == 200
    assert display.get("/display", follow_redirects=False).status_code in (303, 401)
    with (
        pytest.raises(WebSocketDisconnect) as info,
        display.websocket_connect("/display/ws") as ws,
    ):
        ws.receive_json()
    assert info.value.code == 4401


def test_pairing_with_a_wrong_token_is_refused_in_arabic(client: TestClient) -> None:
    r = pair(client, "not-a-token")
    assert r.status_code == 401
    assert 'lang="ar"' in r.text and 'role="alert"' in r.text


def test_supervisor_changes_the_displays_live(client: TestClient, world: World) -> None:
    sign_in(client, "display-men")
    with client.websocket_connect("/display/ws?hall=men") as ws:
        snapshot = ws.receive_json()
        assert snapshot["display"] == {
            "notice_ar": "",
            "notice_en": "",
            "layout": "auto",
            "volume": 80,
        }
        supervisor = TestClient(client.app)
        sign_in(supervisor, "supervisor")
        page = supervisor.get("/staff/supervise")
        hall_id = int(re.search(r'action="/staff/halls/(\d+)/display"', page.text).group(1))
        r = supervisor.post(
            f"/staff/halls/{hall_id}/display",
            data={
                "csrf_token": csrf(page.text),
                "notice_ar": "  يُرجى   إحضار الهوية ",
                "notice_en": "Please bring your ID",
                "layout": "portrait",
                "volume": "40",
            },
        )
        assert "حُدّثت الشاشات" in r.text
        event = ws.receive_json()
        assert event["type"] == "display.config" and event["seq"] == snapshot["seq"] + 1
        assert event["display"] == {
            "notice_ar": "يُرجى إحضار الهوية",
            "notice_en": "Please bring your ID",
            "layout": "portrait",
            "volume": 40,
        }
    display_page = client.get("/display?hall=men")
    assert "يُرجى إحضار الهوية" in display_page.text and "layout-portrait" in display_page.text

    r = supervisor.post(
        f"/staff/halls/{hall_id}/display",
        data={"csrf_token": csrf(page.text), "layout": "sideways", "volume": "40"},
    )
    assert 'role="alert"' in r.text and "portrait" in r.text
    r = supervisor.post(
        f"/staff/halls/{hall_id}/display",
        data={"csrf_token": csrf(page.text), "layout": "auto", "volume": "loud"},
    )
    assert "من 0 (صامت) إلى 100" in r.text

    operator = bearer(world, "operator-men")
    admin = bearer(world, "admin")
    body = {"notice_ar": "", "notice_en": "", "layout": "landscape", "volume": 0}
    r = client.put(f"/api/v1/halls/{hall_id}/display", json=body, headers=operator)
    assert r.status_code == 403
    r = client.put(f"/api/v1/halls/{hall_id}/display", json=body, headers=admin)
    assert r.status_code == 200 and r.json()["layout"] == "landscape" and r.json()["volume"] == 0
    r = client.put(f"/api/v1/halls/{hall_id}/display", json={**body, "volume": 101}, headers=admin)
    assert r.status_code == 422
    r = client.put("/api/v1/halls/99999/display", json=body, headers=admin)
    assert r.status_code == 404


def test_supervisor_chooses_the_counters_a_screen_shows(client: TestClient, world: World) -> None:
    screen = TestClient(client.app)
    assert pair(screen, world.tokens["display-men"]).status_code == 303
    supervisor = TestClient(client.app)
    sign_in(supervisor, "supervisor")
    page = supervisor.get("/staff/supervise")
    match = re.search(r'action="/staff/screens/(\d+)/counters"', page.text)
    assert match and "display-men" in page.text
    token_id = int(match.group(1))
    with screen.websocket_connect("/display/ws") as ws:
        snapshot = ws.receive_json()
        assert snapshot["screen"] == {"id": token_id, "counters": []}
        r = supervisor.post(
            f"/staff/screens/{token_id}/counters",
            data={"csrf_token": csrf(page.text), "counters": "4، 2, 2"},
        )
        assert "حُدّثت الشاشات" in r.text and 'value="2,4"' in r.text
        event = ws.receive_json()
        assert event["type"] == "display.screen" and event["seq"] == snapshot["seq"] + 1
        assert event == {**event, "screen": token_id, "counters": [2, 4]}
        ws.send_text("resync")
        assert ws.receive_json()["screen"]["counters"] == [2, 4]
    for bad, message in (("1, x", "1, 2, 3"), ("9", "9")):
        r = supervisor.post(
            f"/staff/screens/{token_id}/counters",
            data={"csrf_token": csrf(page.text), "counters": bad},
        )
        assert 'role="alert"' in r.text and message in r.text
    operator = TestClient(client.app)
    sign_in(operator, "operator-men")
    r = operator.post(
        f"/staff/screens/{token_id}/counters",
        data={"csrf_token": csrf(operator.get("/staff").text), "counters": ""},
    )
    assert r.status_code == 403


def test_guessing_tracking_links_is_slowed_down(client: TestClient, world: World) -> None:
    for n in range(30):
        assert client.get(f"/t/guess-{n}").status_code == 404
    r = client.get("/l/guess-31")
    assert r.status_code == 429 and "روابط خاطئة" in r.text
    issued = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk"),
    ).json()
    path = issued["tracking_url"].replace("http://testserver", "")
    assert client.get(path).status_code == 429  # the whole address waits


def test_the_bearer_lookup_answers_as_the_session_lookup(engine: Engine, world: World) -> None:
    """The lookup every API request makes reads the driver directly; it must agree with
    the ORM lookup for every kind of token, a revoked one and an unknown one too."""
    from reception.auth.queries import principal_for_bearer, principal_for_token

    with Session(engine) as s:
        admin = principal_for_token(s, world.tokens["admin"])
    assert admin is not None
    for token in [*world.tokens.values(), "rcp_not-a-token"]:
        with Session(engine) as s:
            expected = principal_for_token(s, token)
        assert principal_for_bearer(engine, token) == expected
    with Session(engine) as s:
        row = s.exec(select(ApiToken).where(ApiToken.name == "display-men")).one()
        row.revoked_at = row.created_at
        s.add(row)
        s.commit()
    assert principal_for_bearer(engine, world.tokens["display-men"]) is None


def test_websockets_skip_the_middlewares_that_act_on_http_only(client: TestClient) -> None:
    """A display's socket lives for days; every layer it passes through keeps a frame."""
    from starlette.middleware.exceptions import ExceptionMiddleware
    from starlette.middleware.sessions import SessionMiddleware
    from starlette.routing import Router

    from reception.app import ReceptionApp

    app = client.app
    assert isinstance(app, ReceptionApp)
    layers, layer = [], app.build_socket_stack()
    while layer is not None:
        layers.append(type(layer))
        layer = getattr(layer, "app", None) if not isinstance(layer, Router) else None
    assert layers == [SessionMiddleware, ExceptionMiddleware, Router]
    assert app.HTTP_ONLY and all(t not in layers for t in app.HTTP_ONLY)


@pytest.mark.parametrize("name", ["RequestMetrics", "SecurityHeaders", "BodyLimit"])
def test_the_middlewares_websockets_skip_pass_a_websocket_through_untouched(name: str) -> None:
    """Websockets skip these layers (`ReceptionApp.HTTP_ONLY`): that is only right while
    each one hands a websocket straight on. One that starts acting on websockets must
    leave that list."""
    import asyncio

    from reception.app import ReceptionApp

    [cls] = [c for c in ReceptionApp.HTTP_ONLY if c.__name__ == name]
    seen: list[tuple[object, object, object]] = []

    async def inner(scope: object, receive: object, send: object) -> None:
        seen.append((scope, receive, send))

    async def receive() -> dict[str, str]:
        raise AssertionError("a pass-through layer reads nothing")

    async def send(_message: object) -> None:
        raise AssertionError("a pass-through layer sends nothing")

    kwargs = {"BodyLimit": {"max_bytes": 10}, "SecurityHeaders": {"hsts": True}}.get(name, {})
    layer = cls(inner, **kwargs)
    scope = {"type": "websocket", "path": "/display/ws", "headers": []}
    asyncio.run(layer(scope, receive, send))
    assert seen == [(scope, receive, send)]
