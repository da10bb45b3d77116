"""Security properties checked through the HTTP surface: headers, cookies, sessions,
login lockout, the audit trail, no personal data in logs, and body limits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.audit import AuditEntry
from reception.clock import FrozenClock
from reception.notify.models import OutgoingSms, SmsStatus
from reception.settings import Settings
from tests.conftest import make_settings
from tests.factories import PASSWORD, World
from tests.fake_twilio import FakeTwilio, error, serve_fake_twilio
from tests.helpers import bearer, csrf, issue, sign_in, wait_until

PHONE_LOCAL = "0551234567"
PHONE_INTL = "+966551234567"
LETTER_PHONE = "0501234567"
NATIONAL_ID = "1000000008"  # valid check digit
SENDER = "محمد عبدالله الأحمد"


def csp_directives(header: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def assert_strict_headers(headers: dict[str, str] | object) -> None:
    get = headers.get  # type: ignore[attr-defined]
    csp = csp_directives(get("content-security-policy", ""))
    assert csp["script-src"] == ["'self'"], csp
    assert "'unsafe-inline'" not in " ".join(csp.get("default-src", []))
    assert csp["frame-ancestors"] == ["'none'"]
    assert get("x-content-type-options") == "nosniff"
    assert get("referrer-policy") == "no-referrer"
    assert get("x-frame-options") == "DENY"


# --- headers and cookies ------------------------------------------------------------


def test_security_headers_on_staff_kiosk_citizen_and_api_answers(
    client: TestClient, world: World
) -> None:
    ticket = issue(client, world)
    citizen_path = "/" + ticket["tracking_url"].split("/", 3)[3]
    citizen = client.get(citizen_path)
    assert citizen.status_code == 200
    api = client.get("/api/v1/branches", headers=bearer(world, "kiosk"))
    assert api.status_code == 200
    sign_in(client, "operator-men")
    staff = client.get("/staff")
    assert staff.status_code == 200
    client.cookies.clear()
    sign_in(client, "kiosk")
    kiosk = client.get("/kiosk")
    assert kiosk.status_code == 200
    for answer in (staff, kiosk, citizen, api):
        assert_strict_headers(answer.headers)
        assert answer.headers["cache-control"] == "no-store", answer.url
        assert "strict-transport-security" not in answer.headers  # plain HTTP here
    static = client.get("/static/css/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    assert_strict_headers(static.headers)


@pytest.fixture
def tls_client(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    settings = make_settings(
        database_url,
        tmp_path / "var",
        public_base_url="https://reception.example.gov",
        secure_cookies=True,
    )
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


def test_behind_tls_hsts_is_sent_and_the_session_cookie_is_secure(tls_client: TestClient) -> None:
    r = tls_client.get("/staff/login")
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert int(r.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 31536000
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("reception_session=")
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_the_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    r = client.get("/staff/login")
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("reception_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "; secure" not in cookie  # SECURE_COOKIES is off in this configuration


# --- sessions and sign-in -----------------------------------------------------------


@pytest.fixture
def clocked(
    database_url: str, tmp_path: Path, world: World
) -> Iterator[tuple[TestClient, FrozenClock]]:
    clock = FrozenClock(datetime.now(UTC))
    settings = make_settings(database_url, tmp_path / "var", session_max_age_seconds=3600)
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        yield c, clock


def test_a_staff_session_ends_after_its_maximum_age(
    clocked: tuple[TestClient, FrozenClock],
) -> None:
    client, clock = clocked
    sign_in(client, "operator-men")
    assert client.get("/staff", follow_redirects=False).status_code == 200
    clock.advance(seconds=3599)
    assert client.get("/staff", follow_redirects=False).status_code == 200
    clock.advance(seconds=2)
    r = client.get("/staff", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/staff/login")
    # The session was cleared: moving the clock back does not revive it.
    clock.advance(seconds=-3000)
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_five_wrong_passwords_lock_the_username_even_for_the_right_one(
    client: TestClient,
) -> None:
    token = csrf(client.get("/staff/login").text)
    form = {"username": "supervisor", "password": "not-the-password", "csrf_token": token}
    for _ in range(5):
        r = client.post("/staff/login", data=form, follow_redirects=False)
        assert r.status_code == 401
    for password in ("not-the-password", PASSWORD):
        r = client.post("/staff/login", data={**form, "password": password}, follow_redirects=False)
        assert r.status_code == 429, r.status_code
        assert "محاولات خاطئة كثيرة" in r.text and int(r.headers["retry-after"]) > 0
    assert client.get("/staff", follow_redirects=False).status_code == 303  # not signed in


# --- the audit trail ----------------------------------------------------------------


def audit_actions(engine: Engine, after_id: int) -> list[str]:
    with Session(engine) as s:
        return list(
            s.exec(
                select(AuditEntry.action)
                .where(col(AuditEntry.id) > after_id)
                .order_by(col(AuditEntry.id))
            )
        )


def last_audit_id(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one())


def test_every_admin_action_leaves_an_audit_entry(
    client: TestClient, world: World, engine: Engine
) -> None:
    admin = bearer(world, "admin")
    calls: list[tuple[str, str, dict, str]] = [
        (
            "POST",
            "/api/v1/admin/branches",
            {"slug": "abha", "name_ar": "أبها", "name_en": "Abha"},
            "branch.add",
        ),
        ("PUT", "/api/v1/admin/priorities/elderly", {"weight": 4}, "priority.set"),
        (
            "POST",
            "/api/v1/admin/tokens",
            {"name": "abha kiosk", "role": "kiosk", "branch": "abha"},
            "token.create",
        ),
        (
            "POST",
            "/api/v1/admin/users",
            {
                "username": "abha-op",
                "password": "long-enough-pw",
                "role": "supervisor",
                "branch": "abha",
            },
            "user.create",
        ),
    ]
    for method, path, body, action in calls:
        before = last_audit_id(engine)
        r = client.request(method, path, json=body, headers=admin)
        assert r.status_code in (200, 201), (path, r.text)
        assert action in audit_actions(engine, before), (path, audit_actions(engine, before))
        if action == "token.create":
            token_id = r.json()["id"]
    before = last_audit_id(engine)
    r = client.post(f"/api/v1/admin/tokens/{token_id}/revoke", headers=admin)
    assert r.status_code == 200
    assert audit_actions(engine, before) == ["token.revoke"]
    with Session(engine) as s:
        revoke = s.exec(select(AuditEntry).where(col(AuditEntry.id) > before)).one()
    assert revoke.actor.startswith("token:") and revoke.entity_id == str(token_id)
    # A refused call changes nothing and records nothing.
    before = last_audit_id(engine)
    r = client.post(
        "/api/v1/admin/branches",
        json={"slug": "x", "name_ar": "x", "name_en": "x"},
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 403 and audit_actions(engine, before) == []


# --- no personal data in logs -------------------------------------------------------


@pytest.fixture(params=["console", "twilio"])
def journey(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, world: World
) -> Iterator[tuple[TestClient, FakeTwilio | None]]:
    """The app sending SMS through the console backend, or through the real Twilio
    client to the fake Twilio API."""
    if request.param == "console":
        settings = make_settings(database_url, tmp_path / "var", sms_backend="console")
        with TestClient(create_app(settings), raise_server_exceptions=False) as c:
            yield c, None
        return
    with serve_fake_twilio() as fake:
        settings = make_settings(
            database_url,
            tmp_path / "var",
            sms_backend="twilio",
            twilio_account_sid=fake.account_sid,
            twilio_auth_token=fake.auth_token,
            twilio_from_number="+15005550006",
            twilio_api_base_url=fake.url,
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as c:
            yield c, fake


def wait_until_done(engine: Engine, messages: int) -> None:
    done = (SmsStatus.sent, SmsStatus.failed)

    def finished() -> bool:
        with Session(engine) as s:
            count = s.exec(
                select(func.count())
                .select_from(OutgoingSms)
                .where(col(OutgoingSms.status).in_(done))
            ).one()
        return count >= messages

    wait_until(finished, f"{messages} SMS to finish")


def test_no_phone_number_id_or_name_reaches_the_logs(
    journey: tuple[TestClient, FakeTwilio | None],
    world: World,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # DEBUG everywhere, as LOG_LEVEL=DEBUG would configure it.
    caplog.set_level(logging.DEBUG)
    for name in ("reception", "uvicorn", "uvicorn.error", "uvicorn.access", "starlette"):
        caplog.set_level(logging.DEBUG, logger=name)
    client, fake = journey
    if fake is not None:
        # The provider refuses the first message, quoting the number (as Twilio does).
        fake.plan(error(400, 21211, f"The 'To' number {PHONE_INTL} is not a valid phone number."))
    issue(client, world, phone=PHONE_LOCAL)
    r = client.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "hall": "men",
            "sender_name": SENDER,
            "sender_id_number": NATIONAL_ID,
            "sex": "male",
            "phone": LETTER_PHONE,
            "subject": "طلب إصدار هوية وطنية بدل فاقد",
            "body": "فقدت بطاقة الهوية الوطنية وأرجو إصدار بدل فاقد.",
        },
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 201, r.text
    wait_until_done(engine, 2)
    if fake is not None:
        # A forged provider callback carrying the citizen's number and text.
        r = client.post(
            "/api/v1/sms/inbound",
            data={"From": PHONE_INTL, "Body": f"STATUS {NATIONAL_ID}"},
            headers={"X-Twilio-Signature": "forged"},
        )
        assert r.status_code == 403
    token = csrf(client.get("/staff/login").text)
    r = client.post(
        "/staff/login",
        data={"username": "operator-men", "password": "wrong-password", "csrf_token": token},
    )
    assert r.status_code == 401
    # A search by ID number and phone goes through the query string.
    r = client.get(
        f"/api/v1/letters?sender_id={NATIONAL_ID}&phone={LETTER_PHONE}",
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200

    forbidden = [
        PHONE_LOCAL,
        PHONE_INTL,
        PHONE_INTL[1:],
        "551234567",
        LETTER_PHONE,
        "+966501234567",
        "501234567",
        NATIONAL_ID,
        SENDER,
        SENDER.split()[0],
        "wrong-password",
    ]
    # The test client's own HTTP library logs each URL it requests: that is this test's
    # side of the wire, not the server's logs.
    client_side = ("httpx", "httpx2", "httpcore")
    records = [r for r in caplog.records if r.name.split(".")[0] not in client_side]
    if fake is not None:  # failures and refusals were logged, so the capture works
        assert any(r.name == "reception.sms" for r in records), [r.name for r in records]
    for record in records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        for secret in forbidden:
            assert secret not in text, (record.name, record.levelname, text[:300])
    printed = capsys.readouterr().out
    if fake is None:
        assert "[sms to +966" in printed  # the console backend did send
    for secret in forbidden[:-1]:
        assert secret not in printed, secret


# --- body limits and uploads --------------------------------------------------------


def test_a_large_json_body_is_refused_before_it_is_parsed(
    client: TestClient, world: World, settings: Settings
) -> None:
    headers = {**bearer(world, "kiosk"), "Content-Type": "application/json"}
    body = b'{"branch": "riyadh", "pad": "' + b"x" * (settings.max_body_bytes + 1) + b'"}'
    r = client.post("/api/v1/tickets", content=body, headers=headers)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it arrives
        yield b'{"pad": "'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    r = client.post("/api/v1/tickets", content=chunks(), headers=headers)
    assert r.status_code == 413


def test_uploads_over_the_limit_or_of_another_type_are_refused(
    client: TestClient, world: World, settings: Settings
) -> None:
    op = bearer(world, "operator-men")
    r = client.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "hall": "men",
            "sender_name": SENDER,
            "sender_id_number": NATIONAL_ID,
            "sex": "male",
            "subject": "طلب",
            "body": "نص الطلب",
        },
        headers=op,
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/letters/{r.json()['reference']}/attachments"
    huge = b"%PDF-" + b"0" * (settings.max_upload_bytes + 1)
    r = client.post(url, files={"file": ("scan.pdf", huge, "application/pdf")}, headers=op)
    assert r.status_code == 413
    for name, data, declared in (
        ("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf"),
        ("image.gif", b"GIF89a\x01\x00\x01\x00", "image/gif"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
    ):
        r = client.post(url, files={"file": (name, data, declared)}, headers=op)
        assert r.status_code in (415, 422), (name, r.status_code)
        assert r.json()["error"]["code"] == "bad_file_type", (name, r.text)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    r = client.post(url, files={"file": ("page.png", png, "image/png")}, headers=op)
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"


def test_pages_never_show_a_traceback(client: TestClient) -> None:
    r = client.get("/api/v1/tickets/" + "9" * 40)
    assert r.status_code in (404, 405)
    assert "Traceback" not in r.text and re.search(r"File \".*\.py\"", r.text) is None
