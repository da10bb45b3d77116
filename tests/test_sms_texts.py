"""SMS texts and sending rules an administrator sets: a saved text is what the citizen
receives (through the outbox, the worker and the real `twilio` client against the
fake Twilio API), a reset brings the shipped text back, a bad text is refused in the
administrator's language, only an administrator may change them, and the quiet-hour
exemptions are the data the administrator set."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.audit import AuditEntry
from reception.clock import FrozenClock
from reception.db import make_engine, session_scope
from reception.i18n import gettext
from reception.notify.backends import MemoryBackend, TwilioBackend
from reception.notify.models import OutgoingSms, SmsStatus
from reception.notify.outbox import enqueue_sms
from reception.notify.policy import SendPolicy, parse_quiet_hours
from reception.notify.worker import send_due
from tests.factories import World, build_world
from tests.fake_twilio import serve_fake_twilio
from tests.helpers import wait_until
from tests.test_sms import TO, twilio_settings
from tests.test_web import csrf, sign_in

PAGE = "/staff/admin/sms"
MY_TEXT = "Ticket %(number)s: %(ahead)s before you, about %(eta)s min. 100%% yours: %(link)s"


def post_text(client: TestClient, purpose: str, language: str, text: str, action: str) -> Any:
    token = csrf(client.get(PAGE).text)
    return client.post(
        f"{PAGE}/texts",
        data={
            "csrf_token": token,
            "purpose": purpose,
            "language": language,
            "text": text,
            "action": action,
        },
        follow_redirects=False,
    )


def take_ticket(client: TestClient, world: World) -> dict[str, Any]:
    response = client.post(
        "/api/v1/tickets",
        json={
            "branch": "riyadh",
            "hall": "men",
            "service": "letter",
            "phone": "0501234567",
            "language": "en",
        },
        headers={"Authorization": f"Bearer {world.tokens['kiosk']}"},
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def sent_rows(engine: Engine, count: int) -> list[OutgoingSms]:
    def sent() -> list[OutgoingSms]:
        with Session(engine) as session:
            rows = list(session.exec(select(OutgoingSms).order_by(OutgoingSms.id)).all())
        done = len(rows) >= count and all(r.status == SmsStatus.sent for r in rows)
        return rows if done else []

    return list(wait_until(sent, f"{count} messages sent", timeout=10))


def test_an_admins_text_is_what_the_citizen_receives_until_it_is_reset(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_url)
    try:
        world = build_world(engine)
        with serve_fake_twilio() as fake:
            app = create_app(twilio_settings(sqlite_url, tmp_path / "var", fake))
            try:
                with TestClient(app) as client:
                    sign_in(client, "admin")
                    saved = post_text(client, "ticket_issued", "en", MY_TEXT, "save")
                    assert saved.status_code == 303, saved.text
                    page = client.get(PAGE).text
                    assert "100% yours" in page  # the preview of the saved text

                    first = take_ticket(client, world)
                    assert fake.wait_for(messages=1, timeout=10)
                    sent_rows(engine, 1)

                    reset = post_text(client, "ticket_issued", "en", "", "reset")
                    assert reset.status_code == 303, reset.text
                    second = take_ticket(client, world)
                    assert fake.wait_for(messages=2, timeout=10)
                    rows = sent_rows(engine, 2)
            finally:
                backend = getattr(app.state, "sms_backend", None)
                if isinstance(backend, TwilioBackend):
                    backend.close()
        assert fake.errors == []
        mine, shipped = (m["body"] for m in fake.messages)
        assert mine.startswith(f"Ticket {first['number']}: ")
        assert mine.endswith(f"100% yours: {first['tracking_url']}")
        assert shipped.startswith(f"Your number is {second['number']}.")
        # The outbox keeps exactly what went out.
        assert [r.body for r in rows] == [mine, shipped]
        with Session(engine) as session:
            entries = session.exec(
                select(AuditEntry).where(AuditEntry.entity == "sms_text").order_by(AuditEntry.id)
            ).all()
        assert [(e.action, e.entity_id) for e in entries] == [
            ("sms_text.set", "ticket_issued:en"),
            ("sms_text.reset", "ticket_issued:en"),
        ]
        assert entries[0].actor.startswith("user:") and entries[0].data["text"] == MY_TEXT
    finally:
        engine.dispose()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_bad_placeholders_are_refused_in_the_admins_language(
    client: TestClient, language: str
) -> None:
    sign_in(client, "admin")
    client.get(f"/lang?to={language}&next=/")
    unknown = post_text(client, "letter_received", "ar", "خطابك %(nom)s %(link)s", "save")
    assert unknown.status_code == 422
    assert "%(nom)s" in unknown.text and "%(reference)s" in unknown.text
    message = gettext(language, "This message has no value {names}. It can use: {allowed}.")
    assert message.split("{names}")[0].strip() in unknown.text
    assert "خطابك %(nom)s" in unknown.text  # the typed text is kept for correcting

    missing = post_text(client, "letter_received", "en", "Letter %(reference)s", "preview")
    assert missing.status_code == 422 and "%(link)s" in missing.text
    needed = gettext(language, "The message needs {names} in its text.")
    assert needed.split("{names}")[0].strip() in missing.text

    percent = post_text(client, "letter_received", "en", "%(reference)s 50% %(link)s", "save")
    assert percent.status_code == 422
    hint = gettext(language, "Write a value as {example} and a percent sign as {percent}.")
    assert hint.split("{example}")[0].strip() in percent.text

    # The live preview answers the same refusal as JSON.
    token = csrf(client.get(PAGE).text)
    live = client.post(
        f"{PAGE}/preview",
        data={"csrf_token": token, "purpose": "letter_received", "language": "en", "text": "x"},
    )
    assert live.status_code == 422 and needed.split("{names}")[0].strip() in live.json()["message"]
    good = client.post(
        f"{PAGE}/preview",
        data={
            "csrf_token": token,
            "purpose": "letter_received",
            "language": "en",
            "text": "Got %(reference)s: %(link)s",
        },
    )
    answer = good.json()
    assert good.status_code == 200 and answer["body"].startswith("Got L-2026-004217: http")
    assert answer["segments"] == 1 and answer["characters"] == len(answer["body"])
    shown = post_text(client, "letter_received", "en", "Seen %(reference)s: %(link)s", "preview")
    assert shown.status_code == 200 and "Seen L-2026-004217: http" in shown.text
    # Nothing was saved by any of it.
    assert "Got L-2026-004217" not in client.get(PAGE).text


def test_only_an_admin_changes_texts_and_rules(client: TestClient, settings: Any) -> None:
    sign_in(client, "admin")
    token = csrf(client.get(PAGE).text)
    sign_in(client, "supervisor")
    for path, data in (
        ("texts", {"purpose": "ticket_called", "language": "ar", "text": "%(number)s"}),
        ("rules", {"purpose": "letter_routed", "quiet_exempt": "yes"}),
        ("preview", {"purpose": "ticket_called", "language": "ar", "text": "x"}),
    ):
        r = client.post(f"{PAGE}/{path}", data={"csrf_token": token, **data})
        assert r.status_code == 403, (path, r.status_code)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            assert (
                session.exec(select(AuditEntry).where(AuditEntry.entity == "sms_text")).all() == []
            )
    finally:
        engine.dispose()
    # An unknown message is a clear 404, not a crash.
    sign_in(client, "admin")
    assert post_text(client, "no_such", "ar", "x", "save").status_code == 404


@pytest.fixture
def idle_client(settings: Any, world: World) -> Any:
    """A server whose own SMS worker stays asleep: the test runs the passes itself, at
    the night it chooses, and no message may leave before it looks."""
    idle = settings.model_copy(update={"sms_worker_interval_seconds": 3600})
    with TestClient(create_app(idle), raise_server_exceptions=False) as test_client:
        yield test_client


def test_quiet_hour_exemptions_follow_the_administrators_choice(
    idle_client: TestClient, settings: Any
) -> None:
    client = idle_client
    engine = make_engine(settings.database_url)
    start, end = parse_quiet_hours("22:00-07:00")
    policy = SendPolicy(start, end, "Asia/Riyadh")
    night = FrozenClock(
        datetime.now(UTC).replace(hour=20, minute=30, second=0, microsecond=0) + timedelta(days=1)
    )  # 23:30 in Riyadh, after the messages were queued

    def queue(purpose: str, **values: Any) -> None:
        with session_scope(engine) as session:
            enqueue_sms(
                session, to=TO, purpose=purpose, language="ar", key=uuid.uuid4().hex, **values
            )

    def tonight() -> list[str]:
        backend = MemoryBackend()
        send_due(engine, night, backend, 8, policy)
        return [str(m["body"]) for m in backend.sent]

    def exempt(purpose: str, value: bool) -> None:
        token = csrf(client.get(PAGE).text)
        data = {"csrf_token": token, "purpose": purpose}
        if value:
            data["quiet_exempt"] = "yes"
        r = client.post(f"{PAGE}/rules", data=data, follow_redirects=False)
        assert r.status_code == 303, r.text

    try:
        sign_in(client, "admin")
        page = client.get(PAGE).text
        # the three ticket messages and the three of joining from a phone
        assert page.count('name="quiet_exempt" value="yes" checked') == 6
        queue("letter_routed", reference="L-2026-000001", link="http://testserver/l/x")
        assert tonight() == []  # held for the morning
        exempt("letter_routed", True)
        queue("letter_routed", reference="L-2026-000002", link="http://testserver/l/y")
        sent = tonight()  # the one held before waits for the morning it was given
        assert len(sent) == 1 and "L-2026-000002" in sent[0]
        exempt("ticket_next", False)
        queue("ticket_next", number="M-031", link="")
        assert tonight() == []
        with Session(engine) as session:
            held = session.exec(
                select(OutgoingSms).where(OutgoingSms.purpose == "ticket_next")
            ).one()
        assert held.status == SmsStatus.pending and held.attempts == 0
    finally:
        engine.dispose()


def test_the_api_sets_and_resets_a_text_that_the_outbox_uses(
    client: TestClient, world: World, settings: Any
) -> None:
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    url = "/api/v1/sms-templates/ticket_issued/en"
    r = client.put(url, json={"text": MY_TEXT}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["custom"] == MY_TEXT and r.json()["segments"] == 1
    listed = {
        row["purpose"]: row
        for row in client.get("/api/v1/sms-templates", headers=admin).json()["messages"]
    }
    assert listed["ticket_issued"]["texts"]["en"]["custom"] == MY_TEXT
    assert listed["ticket_issued"]["texts"]["ar"]["custom"] is None
    assert listed["ticket_called"]["quiet_exempt"] is True
    assert "link" in listed["letter_received"]["required"]

    ticket = take_ticket(client, world)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            body = session.exec(select(OutgoingSms.body)).one()
    finally:
        engine.dispose()
    assert body.startswith(f"Ticket {ticket['number']}: ") and "100% yours" in body

    for language, words in (("ar", "لا تحتوي هذه الرسالة"), ("en", "This message has no value")):
        bad = client.put(
            url,
            json={"text": "%(nom)s %(number)s %(link)s"},
            headers={**admin, "Accept-Language": language},
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["code"] == "sms_text_unknown_placeholder"
        assert words in bad.json()["error"]["message"]
    assert (
        client.put(
            "/api/v1/sms-templates/nothing/en", json={"text": "x"}, headers=admin
        ).status_code
        == 404
    )
    kiosk = {"Authorization": f"Bearer {world.tokens['kiosk']}"}
    assert client.put(url, json={"text": MY_TEXT}, headers=kiosk).status_code == 403
    assert client.delete(url, headers=kiosk).status_code == 403

    # The editor isolates each value inside Arabic text; the saved text does not keep that.
    arabic = "رقمك \u2066%(number)s\u2069 تابع: \u2066%(link)s\u2069"
    r = client.put("/api/v1/sms-templates/ticket_next/ar", json={"text": arabic}, headers=admin)
    assert r.status_code == 200 and r.json()["custom"] == "رقمك %(number)s تابع: %(link)s"

    gone = client.delete(url, headers=admin)
    assert gone.status_code == 200 and gone.json()["reset"] is True
    assert client.delete(url, headers=admin).json()["reset"] is False


def test_quiet_hours_are_read_in_the_branchs_zone() -> None:
    start, end = parse_quiet_hours("22:00-07:00")
    policy = SendPolicy(start, end, "Asia/Riyadh")
    evening = datetime(2026, 12, 6, 18, 30, tzinfo=UTC)  # 21:30 in Riyadh, 22:30 in Dubai
    assert policy.quiet_until(evening) is None
    assert policy.quiet_until(evening, "Asia/Dubai") == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    assert SendPolicy().quiet_until(evening, "Asia/Dubai") is None  # no quiet hours set
