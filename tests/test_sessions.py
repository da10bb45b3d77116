"""Sessions kept on the server, and access that ends at once: signing out, a new
password, signing out everywhere, a disabled account and a revoked token end what they
should, and close the live sockets they held (one process here; several workers
through Redis in `test_revocation_workers.py`)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from reception.audit import AuditEntry
from reception.auth.models import StaffSession
from tests.factories import PASSWORD, World
from tests.helpers import bearer, csrf, page_csrf, sign_in

NEW_PASSWORD = "another-long-password"


def admin(world: World) -> dict[str, str]:
    return bearer(world, "admin")


def jar(client: TestClient) -> Any:
    """A copy of the client's cookies (another browser, or a thief's copy)."""
    return type(client.cookies)(client.cookies)


def use(client: TestClient, cookies: Any) -> None:
    client.cookies = type(cookies)(cookies)


def signed_in_as(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    client.cookies.clear()
    sign_in(client, username, password)
    return jar(client)


def opens(client: TestClient, path: str = "/staff") -> bool:
    r = client.get(path, follow_redirects=False)
    if r.status_code == 303:
        assert r.headers["location"].startswith("/staff/login"), r.headers["location"]
        return False
    assert r.status_code == 200, r.status_code
    return True


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return list(s.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))).all())


def cookie_content(cookies: Any) -> dict[str, Any]:
    value = next(c.value for c in cookies.jar if c.name == "reception_session")
    payload = value.split(".")[0]
    return dict(json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4))))


# --- HTTP sessions ---------------------------------------------------------------


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(
    client: TestClient, engine: Engine
) -> None:
    session = signed_in_as(client, "admin")
    copy = jar(client)
    assert opens(client, "/staff/admin")
    # The cookie names the session by a random secret; the table keeps only its hash.
    secret = cookie_content(session)["sid"]
    assert "user_id" not in cookie_content(session)
    with Session(engine) as s:
        hashes = s.exec(select(StaffSession.secret_hash)).all()
    assert len(hashes) == 1 and secret not in hashes[0] and len(hashes[0]) == 64

    r = client.post("/staff/logout", data={"csrf_token": page_csrf(client, "/staff/admin")})
    assert r.status_code == 200 and "/staff/login" in str(r.url)
    use(client, copy)
    assert not opens(client, "/staff/admin")
    with Session(engine) as s:
        assert s.exec(select(StaffSession)).all() == []
    assert "user.sign_out" in audit_actions(engine)


def test_a_new_password_signs_out_every_other_browser(client: TestClient, engine: Engine) -> None:
    other = signed_in_as(client, "supervisor")
    signed_in_as(client, "supervisor")
    token = page_csrf(client, "/staff/account")
    mine = jar(client)  # with its CSRF token
    wrong = client.post(
        "/staff/account/password",
        data={
            "current": "not-it-at-all",
            "password": NEW_PASSWORD,
            "repeat": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert "كلمة المرور الحالية غير صحيحة" in wrong.text
    use(client, other)
    assert opens(client)  # a wrong current password changed nothing

    use(client, mine)
    done = client.post(
        "/staff/account/password",
        data={
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "repeat": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert done.status_code == 200 and "/staff/account" in str(done.url)
    assert opens(client)  # this browser stays signed in
    use(client, other)
    assert not opens(client)
    entries = audit_actions(engine)
    assert entries.count("user.password") == 1
    signed_in_as(client, "supervisor", NEW_PASSWORD)
    assert opens(client)


def test_signing_out_everywhere_ends_every_session_of_the_account(
    client: TestClient, engine: Engine
) -> None:
    first = signed_in_as(client, "supervisor")
    second = signed_in_as(client, "supervisor")
    elsewhere = signed_in_as(client, "operator-men")
    use(client, second)
    r = client.post(
        "/staff/account/sign-out-everywhere",
        data={"csrf_token": page_csrf(client, "/staff/account")},
    )
    assert r.status_code == 200 and "/staff/login" in str(r.url)
    for cookies in (first, second):
        use(client, cookies)
        assert not opens(client)
    use(client, elsewhere)
    assert opens(client)  # another account is untouched
    assert audit_actions(engine).count("user.sign_out_everywhere") == 1


def test_an_administrator_signs_an_account_out_everywhere(
    client: TestClient, world: World, engine: Engine
) -> None:
    operator = signed_in_as(client, "operator-men")
    other = signed_in_as(client, "operator-women")
    signed_in_as(client, "admin")
    r = client.post(
        "/staff/admin/users/sign-out",
        data={"username": "operator-men", "csrf_token": page_csrf(client, "/staff/admin")},
    )
    assert r.status_code == 200
    use(client, operator)
    assert not opens(client)
    use(client, other)
    assert opens(client)

    again = signed_in_as(client, "operator-men")
    r = client.post("/api/v1/admin/users/operator-men/sign-out", headers=admin(world))
    assert r.status_code == 200 and r.json()["sessions_ended"] == 1
    use(client, again)
    assert not opens(client)
    assert (
        client.post("/api/v1/admin/users/nobody/sign-out", headers=admin(world)).status_code == 404
    )
    with Session(engine) as s:
        entries = s.exec(
            select(AuditEntry).where(AuditEntry.action == "user.sign_out_everywhere")
        ).all()
    assert [e.actor.split(":")[0] for e in entries] == ["user", "token"]


def test_a_disabled_account_is_signed_out_and_enabling_it_does_not_revive_the_session(
    client: TestClient, world: World
) -> None:
    operator = signed_in_as(client, "operator-men")
    r = client.patch(
        "/api/v1/admin/users/operator-men", json={"active": False}, headers=admin(world)
    )
    assert r.status_code == 200 and r.json()["active"] is False
    use(client, operator)
    assert not opens(client)
    r = client.patch(
        "/api/v1/admin/users/operator-men", json={"active": True}, headers=admin(world)
    )
    assert r.status_code == 200
    use(client, operator)
    assert not opens(client)


def test_an_administrator_setting_a_password_ends_every_session(
    client: TestClient, world: World
) -> None:
    operator = signed_in_as(client, "operator-men")
    r = client.patch(
        "/api/v1/admin/users/operator-men", json={"password": NEW_PASSWORD}, headers=admin(world)
    )
    assert r.status_code == 200
    use(client, operator)
    assert not opens(client)
    signed_in_as(client, "operator-men", NEW_PASSWORD)
    short = client.patch(
        "/api/v1/admin/users/operator-men", json={"password": "short"}, headers=admin(world)
    )
    assert short.status_code == 422


def test_a_cookie_from_before_server_sessions_is_refused(client: TestClient) -> None:
    """Sessions signed only by the key (user id in the cookie) no longer sign anyone in."""
    from itsdangerous import TimestampSigner

    secret = client.app.state.ctx.settings.secret_key  # type: ignore[attr-defined]
    data = base64.b64encode(json.dumps({"user_id": 1, "signed_in_at": 2**31}).encode())
    client.cookies.set("reception_session", TimestampSigner(secret).sign(data).decode())
    assert not opens(client, "/staff/admin")


# --- live sockets --------------------------------------------------------------------


def test_revoking_a_token_closes_its_display_socket_and_it_gets_no_later_call(
    client: TestClient, world: World
) -> None:
    made = client.post(
        "/api/v1/admin/tokens",
        json={"name": "women-lobby", "role": "display", "branch": "riyadh", "hall": "women"},
        headers=admin(world),
    )
    assert made.status_code == 201
    token = made.json()
    screen = {"Authorization": f"Bearer {token['token']}"}
    other = bearer(world, "display-men")
    with (
        client.websocket_connect("/display/ws", headers=screen) as ws,
        client.websocket_connect("/display/ws", headers=other) as untouched,
    ):
        assert ws.receive_json()["hall"] == "women"
        assert untouched.receive_json()["hall"] == "men"
        r = client.post(f"/api/v1/admin/tokens/{token['id']}/revoke", headers=admin(world))
        assert r.status_code == 200
        issue_and_call(client, world, "women")
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                message = ws.receive_json()
                assert not str(message.get("type", "")).startswith("ticket."), message
        assert closed.value.code == 4401
        issue_and_call(client, world, "men")
        assert untouched.receive_json()["type"] == "ticket.issued"


def test_a_paired_screen_whose_token_is_revoked_goes_to_the_pairing_page(
    client: TestClient, world: World
) -> None:
    page = client.get("/device")
    r = client.post(
        "/device",
        data={"token": world.tokens["display-men"], "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    paired = jar(client)
    with client.websocket_connect("/display/ws") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        tokens = client.get("/api/v1/admin/tokens", headers=admin(world)).json()["tokens"]
        token_id = next(t["id"] for t in tokens if t["name"] == "display-men")
        client.post(f"/api/v1/admin/tokens/{token_id}/revoke", headers=admin(world))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 4401
    use(client, paired)
    again = client.get("/display", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/device"
    assert "أعد إقرانها" in client.get("/device").text


def test_signing_out_closes_that_browsers_sockets_only(client: TestClient, world: World) -> None:
    first = signed_in_as(client, "supervisor")
    second = signed_in_as(client, "supervisor")
    use(client, first)
    with client.websocket_connect("/staff/dashboard/ws") as mine:
        use(client, second)
        with client.websocket_connect("/staff/dashboard/ws") as kept:
            assert mine.receive_json()["type"] == "changed"
            assert kept.receive_json()["type"] == "changed"
            use(client, first)
            client.post("/staff/logout", data={"csrf_token": page_csrf(client, "/staff/account")})
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    mine.receive_json()
            assert closed.value.code == 4401
            issue_and_call(client, world, "men")
            assert kept.receive_json()["type"] == "changed"


def test_disabling_an_account_closes_its_sockets(client: TestClient, world: World) -> None:
    signed_in_as(client, "display-men")
    with client.websocket_connect("/display/ws?hall=men") as ws:
        assert ws.receive_json()["type"] == "snapshot"
        r = client.patch(
            "/api/v1/admin/users/display-men", json={"active": False}, headers=admin(world)
        )
        assert r.status_code == 200
        issue_and_call(client, world, "men")
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                message = ws.receive_json()
                assert not str(message.get("type", "")).startswith("ticket."), message
        assert closed.value.code == 4401


def test_new_halls_close_the_display_which_loads_its_new_hall(
    client: TestClient, world: World, engine: Engine
) -> None:
    signed_in_as(client, "display-men")
    with client.websocket_connect("/display/ws?hall=men") as ws:
        assert ws.receive_json()["hall"] == "men"
        r = client.patch(
            "/api/v1/admin/users/display-men", json={"halls": ["women"]}, headers=admin(world)
        )
        assert r.status_code == 200, r.text
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 4409
    # The session goes on, with the new hall.
    assert client.get("/display", follow_redirects=False).status_code == 200
    with client.websocket_connect("/display/ws") as ws:
        assert ws.receive_json()["hall"] == "women"
    assert "user.access" in audit_actions(engine)
    bad = client.patch(
        "/api/v1/admin/users/display-men", json={"halls": ["men", "women"]}, headers=admin(world)
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "one_hall"


def test_a_new_role_from_the_administration_page_closes_the_dashboard(
    client: TestClient, world: World
) -> None:
    supervisor = signed_in_as(client, "supervisor")
    with client.websocket_connect("/staff/dashboard/ws") as ws:
        assert ws.receive_json()["type"] == "changed"
        signed_in_as(client, "admin")
        r = client.post(
            "/staff/admin/users/access",
            data={
                "username": "supervisor",
                "role": "operator",
                "hall": "men",
                "csrf_token": page_csrf(client, "/staff/admin"),
            },
        )
        assert r.status_code == 200
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 4409
    use(client, supervisor)
    assert client.get("/staff/dashboard", follow_redirects=False).status_code == 403


def issue_and_call(client: TestClient, world: World, hall: str) -> None:
    kiosk = bearer(world, "kiosk")
    r = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": hall, "service": "letter"},
        headers=kiosk,
    )
    assert r.status_code == 201, r.text
    operator = {"Authorization": f"Bearer {world.tokens[f'operator-{hall}']}"}
    counter = world.counters[hall][0]
    r = client.post(
        f"/api/v1/counters/{counter}/call-next", json={"close_current": "served"}, headers=operator
    )
    assert r.status_code == 200, r.text


@pytest.fixture
def rechecking(database_url: str, tmp_path: Any, world: World) -> Any:
    """A server that checks its sockets against the database every 0.2 s."""
    from reception.app import create_app
    from tests.conftest import make_settings

    settings = make_settings(database_url, tmp_path / "var", access_recheck_seconds=0.2)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_a_change_made_outside_the_server_still_closes_the_socket(
    rechecking: TestClient, world: World, engine: Engine
) -> None:
    """`reception token revoke` with BROADCAST_URL=memory:// cannot reach the server's
    process: its own check of the database finds the revoked token, and leaves the
    sockets whose access did not change alone."""
    from reception.auth.actions import revoke_token
    from reception.auth.models import ApiToken
    from reception.db import session_scope

    client = rechecking
    signed_in_as(client, "display-men")
    screen = bearer(world, "display-men")
    with (
        client.websocket_connect("/display/ws", headers=screen) as by_token,
        client.websocket_connect("/display/ws?hall=men") as by_account,
    ):
        assert by_token.receive_json()["type"] == "snapshot"
        assert by_account.receive_json()["type"] == "snapshot"
        with session_scope(engine) as s:
            token = s.exec(select(ApiToken).where(ApiToken.name == "display-men")).one()
            assert token.id is not None
            revoke_token(s, token_id=token.id, actor="cli")
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                by_token.receive_json()
        assert closed.value.code == 4401
        issue_and_call(client, world, "men")
        assert by_account.receive_json()["type"] == "ticket.issued"
        assert by_account.receive_json()["type"] == "ticket.called"
