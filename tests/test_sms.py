"""The SMS path through the real `twilio` client and a fake Twilio REST API on
127.0.0.1: sending, retries with backoff, permanent failures, time-outs, giving up,
recovery after a worker died, and the whole journey from the ticket API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock, utcnow
from reception.db import make_engine, session_scope
from reception.notify.backends import TwilioBackend, create_backend
from reception.notify.models import OutgoingSms, SmsStatus
from reception.notify.outbox import enqueue_sms
from reception.notify.worker import STALE_CLAIM, claim_due, send_due
from reception.settings import Settings
from tests.conftest import make_settings
from tests.factories import build_world
from tests.fake_twilio import FakeTwilio, Fault, error, problem, raw, serve_fake_twilio, stall
from tests.helpers import bearer, wait_until

FROM = "+15005550006"
TO = "+966501234567"
SID = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve_fake_twilio() as server:
        yield server
    assert server.errors == []


def twilio_settings(
    database_url: str, var_dir: Path, fake: FakeTwilio, **extra: object
) -> Settings:
    values: dict[str, object] = {
        "sms_backend": "twilio",
        "twilio_account_sid": fake.account_sid,
        "twilio_auth_token": fake.auth_token,
        "twilio_from_number": FROM,
        "twilio_api_base_url": fake.url,
    }
    values.update(extra)
    return make_settings(database_url, var_dir, **values)


@pytest.fixture
def sms_settings(database_url: str, tmp_path: Path, fake: FakeTwilio) -> Settings:
    return twilio_settings(database_url, tmp_path / "var", fake)


@pytest.fixture
def make_backend() -> Iterator[Callable[..., TwilioBackend]]:
    """Builds real Twilio backends and closes their connections afterwards."""
    made: list[TwilioBackend] = []

    def build(settings: Settings, **kwargs: float) -> TwilioBackend:
        backend = TwilioBackend(settings, **kwargs)
        made.append(backend)
        return backend

    yield build
    for backend in made:
        backend.close()


@pytest.fixture
def backend(sms_settings: Settings) -> Iterator[TwilioBackend]:
    """The backend the application would build from these settings."""
    chosen = create_backend(sms_settings)
    assert isinstance(chosen, TwilioBackend)
    yield chosen
    chosen.close()


def enqueue(engine: Engine, to: str = TO, language: str = "ar") -> int:
    with session_scope(engine) as session:
        sms = enqueue_sms(
            session,
            to=to,
            purpose="ticket_issued",
            language=language,
            key=uuid.uuid4().hex,
            number="M-007",
            service="خطاب" if language == "ar" else "Letter",
            hall="قاعة الرجال" if language == "ar" else "Men's hall",
            ahead=2,
            eta=4,
            link="http://testserver/t/abcdefghijklmnopqrstuvwxyz",
        )
        session.flush()
        assert sms.id is not None
        return sms.id


def row(engine: Engine, sms_id: int) -> OutgoingSms:
    with Session(engine) as session:
        found = session.get(OutgoingSms, sms_id)
        assert found is not None
        return found


def clock_after_enqueue() -> FrozenClock:
    """A frozen clock at which rows just written are due."""
    return FrozenClock(utcnow() + timedelta(seconds=1))


def until_due(engine: Engine, clock: FrozenClock, sms_id: int) -> None:
    """Move the clock to the moment the row's backoff ends (and not a second more)."""
    due = row(engine, sms_id).next_attempt_at
    assert due > clock.now(), "the retry should wait for its backoff"
    clock.advance(seconds=(due - clock.now()).total_seconds())


# --- one message -----------------------------------------------------------------


def test_real_client_sends_to_the_fake(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend
) -> None:
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()

    assert send_due(engine, clock, backend, max_attempts=5) == 1

    assert len(fake.requests) == 1 and len(fake.messages) == 1
    request = fake.requests[0]
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert request.auth == (fake.account_sid, fake.auth_token)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["User-Agent"].startswith("twilio-python/")
    stored = row(engine, sms_id)
    assert request.form == {
        "To": TO,
        "From": FROM,
        "Body": stored.body,
        "StatusCallback": "http://testserver/api/v1/sms/status",
    }
    assert "رقمك M-007" in request.form["Body"]  # Arabic survives the form encoding

    assert request.status == 201
    assert stored.status == SmsStatus.sent
    assert stored.provider_sid == fake.messages[0]["sid"]
    assert stored.provider_sid is not None and SID.match(stored.provider_sid)
    assert stored.attempts == 1 and stored.last_error is None
    assert stored.sent_at == clock.now()

    clock.advance(days=1)
    assert send_due(engine, clock, backend, max_attempts=5) == 0
    assert len(fake.requests) == 1


def test_messaging_service_replaces_the_from_number(
    sqlite_url: str,
    tmp_path: Path,
    fake: FakeTwilio,
    make_backend: Callable[..., TwilioBackend],
) -> None:
    service_sid = "MG" + uuid.uuid4().hex
    settings = twilio_settings(
        sqlite_url,
        tmp_path / "var",
        fake,
        twilio_from_number="",
        twilio_messaging_service_sid=service_sid,
    )
    backend = make_backend(settings)
    engine = make_engine(sqlite_url)
    try:
        sms_id = enqueue(engine, language="en")
        assert send_due(engine, clock_after_enqueue(), backend, max_attempts=5) == 1
        form = fake.requests[0].form
        assert form["MessagingServiceSid"] == service_sid and "From" not in form
        assert fake.messages[0]["status"] == "accepted"
        assert row(engine, sms_id).provider_sid == fake.messages[0]["sid"]
    finally:
        engine.dispose()


def test_region_and_edge_from_the_environment_still_reach_the_base_url(
    engine: Engine,
    fake: FakeTwilio,
    sms_settings: Settings,
    make_backend: Callable[..., TwilioBackend],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    backend = make_backend(sms_settings)
    sms_id = enqueue(engine)

    assert send_due(engine, clock_after_enqueue(), backend, max_attempts=5) == 1

    assert len(fake.messages) == 1
    assert row(engine, sms_id).provider_sid == fake.messages[0]["sid"]


def test_wrong_credentials_are_not_retried(
    engine: Engine,
    fake: FakeTwilio,
    tmp_path: Path,
    database_url: str,
    make_backend: Callable[..., TwilioBackend],
) -> None:
    settings = twilio_settings(database_url, tmp_path / "var", fake, twilio_auth_token="wrong")
    backend = make_backend(settings)
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()

    assert send_due(engine, clock, backend, max_attempts=5) == 1

    assert [r.status for r in fake.requests] == [401]
    stored = row(engine, sms_id)
    assert stored.status == SmsStatus.failed
    assert stored.last_error == "twilio 401 code 20003"
    assert fake.messages == []


# --- transient failures ------------------------------------------------------------


def test_rate_limit_then_server_error_are_retried_and_sent_once(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.plan(error(429), error(500))
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()

    assert send_due(engine, clock, backend, max_attempts=5) == 1
    first = row(engine, sms_id)
    assert first.status == SmsStatus.pending and first.attempts == 1
    assert first.last_error == "twilio 429"
    assert send_due(engine, clock, backend, max_attempts=5) == 0  # waits for its backoff

    until_due(engine, clock, sms_id)
    assert send_due(engine, clock, backend, max_attempts=5) == 1
    second = row(engine, sms_id)
    assert second.status == SmsStatus.pending and second.attempts == 2
    assert second.last_error == "twilio 500"
    assert second.next_attempt_at - clock.now() >= timedelta(seconds=5)  # 2nd backoff: 5-10 s

    until_due(engine, clock, sms_id)
    assert send_due(engine, clock, backend, max_attempts=5) == 1

    sent = row(engine, sms_id)
    assert sent.status == SmsStatus.sent and sent.attempts == 3
    assert sent.last_error is None
    assert [r.status for r in fake.requests] == [429, 500, 201]
    assert len(fake.messages) == 1
    assert sent.provider_sid == fake.messages[0]["sid"]
    assert {r.form["Body"] for r in fake.requests} == {sent.body}

    clock.advance(days=1)
    assert send_due(engine, clock, backend, max_attempts=5) == 0
    assert len(fake.messages) == 1


def test_gateway_page_and_problem_details_5xx_are_transient(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.plan(
        raw(502, "<html><body>Bad Gateway</body></html>"),
        problem(503, 20503, "Service Unavailable"),
    )
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()

    send_due(engine, clock, backend, max_attempts=5)
    assert row(engine, sms_id).last_error == "twilio 502"
    until_due(engine, clock, sms_id)
    send_due(engine, clock, backend, max_attempts=5)
    assert row(engine, sms_id).last_error == "twilio 503"
    until_due(engine, clock, sms_id)
    send_due(engine, clock, backend, max_attempts=5)

    assert row(engine, sms_id).status == SmsStatus.sent
    assert [r.status for r in fake.requests] == [502, 503, 201]
    assert len(fake.messages) == 1


def test_time_out_is_transient(
    engine: Engine,
    fake: FakeTwilio,
    sms_settings: Settings,
    make_backend: Callable[..., TwilioBackend],
) -> None:
    backend = make_backend(sms_settings, timeout=0.3)
    fake.plan(stall(30))  # held until the fake stops; the client gives up first
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()

    assert send_due(engine, clock, backend, max_attempts=5) == 1

    timed_out = row(engine, sms_id)
    assert timed_out.status == SmsStatus.pending and timed_out.attempts == 1
    assert timed_out.last_error == "ReadTimeout"
    assert fake.messages == []

    until_due(engine, clock, sms_id)
    assert send_due(engine, clock, backend, max_attempts=5) == 1
    sent = row(engine, sms_id)
    assert sent.status == SmsStatus.sent and sent.attempts == 2
    assert [r.status for r in fake.requests] == [None, 201]
    assert len(fake.messages) == 1


def test_unreachable_provider_is_transient(
    engine: Engine,
    tmp_path: Path,
    database_url: str,
    make_backend: Callable[..., TwilioBackend],
) -> None:
    with serve_fake_twilio() as gone:
        settings = twilio_settings(database_url, tmp_path / "var", gone)
    # the fake has stopped: nothing listens on its port any more
    backend = make_backend(settings, timeout=5)
    sms_id = enqueue(engine)

    assert send_due(engine, clock_after_enqueue(), backend, max_attempts=5) == 1

    stored = row(engine, sms_id)
    assert stored.status == SmsStatus.pending and stored.attempts == 1
    assert stored.last_error == "ConnectionError"
    assert gone.requests == []


def test_gives_up_after_max_attempts(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend
) -> None:
    fake.plan(error(503), error(429), error(500), error(500))
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()

    send_due(engine, clock, backend, max_attempts=3)
    for _ in range(2):
        until_due(engine, clock, sms_id)
        assert send_due(engine, clock, backend, max_attempts=3) == 1

    stored = row(engine, sms_id)
    assert stored.status == SmsStatus.failed and stored.attempts == 3
    assert stored.last_error == "twilio 500"
    clock.advance(days=7)
    assert send_due(engine, clock, backend, max_attempts=3) == 0
    assert [r.status for r in fake.requests] == [503, 429, 500]
    assert fake.planned == 1 and fake.messages == []


# --- permanent failures --------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "planned"),
    [
        pytest.param(TO, error(400, 21211, "Invalid 'To' Phone Number"), id="classic-error"),
        pytest.param(TO, problem(400, 21211, "Invalid 'To' Phone Number"), id="problem-details"),
        pytest.param("+12", None, id="fake-rejects-number"),
    ],
)
def test_permanent_400_fails_without_retry(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend, to: str, planned: Fault | None
) -> None:
    if planned is not None:
        fake.plan(planned)
    sms_id = enqueue(engine, to=to)
    clock = clock_after_enqueue()

    assert send_due(engine, clock, backend, max_attempts=5) == 1

    stored = row(engine, sms_id)
    assert stored.status == SmsStatus.failed and stored.attempts == 1
    assert stored.last_error == "twilio 400 code 21211"
    assert stored.provider_sid is None and stored.sent_at is None
    clock.advance(days=7)
    assert send_due(engine, clock, backend, max_attempts=5) == 0
    assert [r.status for r in fake.requests] == [400]
    assert fake.messages == []


# --- a worker that died ----------------------------------------------------------------


def test_claim_of_a_dead_worker_is_sent_by_a_fresh_one(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend
) -> None:
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()

    claimed = claim_due(engine, clock)  # the worker dies right after claiming
    assert [c.id for c in claimed] == [sms_id]
    del claimed
    assert row(engine, sms_id).status == SmsStatus.sending

    assert send_due(engine, clock, backend, max_attempts=5) == 0  # still someone else's
    clock.advance(seconds=STALE_CLAIM.total_seconds() - 1)
    assert send_due(engine, clock, backend, max_attempts=5) == 0
    assert fake.requests == []

    clock.advance(seconds=1)
    assert send_due(engine, clock, backend, max_attempts=5) == 1

    stored = row(engine, sms_id)
    assert stored.status == SmsStatus.sent and stored.attempts == 2
    assert stored.provider_sid == fake.messages[0]["sid"]
    assert len(fake.messages) == 1


def test_a_message_that_keeps_killing_its_worker_is_given_up(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend
) -> None:
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()
    for _ in range(2):  # two workers die while sending it
        assert len(claim_due(engine, clock)) == 1
        clock.advance(seconds=STALE_CLAIM.total_seconds())
    assert send_due(engine, clock, backend, max_attempts=2) == 0
    stored = row(engine, sms_id)
    assert stored.status == SmsStatus.failed and "attempts used up" in (stored.last_error or "")
    assert fake.requests == []


def test_death_after_the_provider_accepted_sends_again(
    engine: Engine, fake: FakeTwilio, backend: TwilioBackend
) -> None:
    """At least once, not exactly once: a worker that dies between Twilio's answer
    and recording it leaves a claim that a fresh worker sends again."""
    sms_id = enqueue(engine)
    clock = clock_after_enqueue()
    (claimed,) = claim_due(engine, clock)
    backend.send(claimed.to, claimed.body, claimed.idempotency_key)  # then it dies

    clock.advance(seconds=STALE_CLAIM.total_seconds())
    assert send_due(engine, clock, backend, max_attempts=5) == 1

    stored = row(engine, sms_id)
    assert stored.status == SmsStatus.sent
    assert len(fake.messages) == 2
    assert stored.provider_sid == fake.messages[1]["sid"]


# --- the whole journey -----------------------------------------------------------------


def test_ticket_with_phone_reaches_twilio_once(
    sqlite_url: str, tmp_path: Path, fake: FakeTwilio
) -> None:
    engine = make_engine(sqlite_url)
    try:
        world = build_world(engine)
        settings = twilio_settings(sqlite_url, tmp_path / "var", fake)
        app = create_app(settings)
        try:
            with TestClient(app) as client:
                response = client.post(
                    "/api/v1/tickets",
                    json={
                        "branch": "riyadh",
                        "hall": "men",
                        "service": "letter",
                        "phone": "0501234567",
                        "language": "en",
                    },
                    headers=bearer(world, "kiosk"),
                )
                assert response.status_code == 201, response.text
                ticket = response.json()

                assert fake.wait_for(messages=1, timeout=10)

                def sent() -> OutgoingSms | None:
                    with Session(engine) as session:
                        row = session.exec(select(OutgoingSms)).one()
                    return row if row.status == SmsStatus.sent else None

                stored = wait_until(sent, "the SMS to be recorded as sent")
        finally:
            backend = getattr(app.state, "sms_backend", None)
            if isinstance(backend, TwilioBackend):
                backend.close()
    finally:
        engine.dispose()

    assert len(fake.requests) == 1 and len(fake.messages) == 1
    message = fake.messages[0]
    assert message["to"] == TO and message["from"] == FROM
    assert ticket["number"] in message["body"]
    assert ticket["tracking_url"] in message["body"]
    assert fake.requests[0].auth == (fake.account_sid, fake.auth_token)
    assert stored.status == SmsStatus.sent and stored.attempts == 1
    assert stored.provider_sid == message["sid"]


def test_delivery_reports_are_signed_and_only_move_forward(
    sqlite_url: str, tmp_path: Path, fake: FakeTwilio
) -> None:
    from twilio.request_validator import RequestValidator

    engine = make_engine(sqlite_url)
    try:
        world = build_world(engine)
        settings = twilio_settings(sqlite_url, tmp_path / "var", fake)
        validator = RequestValidator(fake.auth_token)
        url = "http://testserver/api/v1/sms/status"

        def report(client: TestClient, sid: str, status: str, signature: str | None = None) -> int:
            params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": fake.account_sid}
            signed = signature or validator.compute_signature(url, params)
            return client.post(
                "/api/v1/sms/status", data=params, headers={"X-Twilio-Signature": signed}
            ).status_code

        with TestClient(create_app(settings)) as client:
            client.post(
                "/api/v1/tickets",
                json={
                    "branch": "riyadh",
                    "hall": "men",
                    "service": "letter",
                    "phone": "0501234567",
                },
                headers=bearer(world, "kiosk"),
            )
            assert fake.wait_for(messages=1, timeout=10)
            sid = fake.messages[0]["sid"]

            def recorded() -> bool:
                with Session(engine) as session:
                    return session.exec(select(OutgoingSms)).one().provider_sid == sid

            wait_until(recorded, "the provider's message id to be stored")
            assert report(client, sid, "delivered", signature="forged") == 403
            assert report(client, sid, "delivered") == 204
            assert report(client, sid, "sent") == 204  # a late report
            assert report(client, "SM" + "0" * 32, "delivered") == 204  # not ours
            with Session(engine) as session:
                assert session.exec(select(OutgoingSms)).one().status == SmsStatus.delivered
            doc = client.get("/api/v1/openapi.json").json()
            assert "post" in doc["paths"]["/api/v1/sms/status"]
    finally:
        engine.dispose()


def test_citizens_text_back_status_and_stop_in_both_languages(
    sqlite_url: str, tmp_path: Path, fake: FakeTwilio
) -> None:
    from twilio.request_validator import RequestValidator

    engine = make_engine(sqlite_url)
    try:
        world = build_world(engine)
        settings = twilio_settings(sqlite_url, tmp_path / "var", fake)
        validator = RequestValidator(fake.auth_token)
        url = "http://testserver/api/v1/sms/inbound"

        def text(client: TestClient, body: str, signature: str | None = None) -> tuple[int, str]:
            sid = "SM" + uuid.uuid4().hex  # each message its own id, as the provider gives
            params = {"From": "+966501234567", "To": FROM, "Body": body, "MessageSid": sid}
            signed = signature or validator.compute_signature(url, params)
            r = client.post(
                "/api/v1/sms/inbound", data=params, headers={"X-Twilio-Signature": signed}
            )
            return r.status_code, r.text

        with TestClient(create_app(settings)) as client:
            op = bearer(world, "operator-men")
            letter = client.post(
                "/api/v1/letters",
                json={
                    "branch": "riyadh",
                    "hall": "men",
                    "sender_name": "محمد",
                    "sender_id_number": "1000000008",
                    "sex": "male",
                    "phone": "0501234567",
                    "subject": "طلب",
                },
                headers=op,
            ).json()
            ref = letter["reference"]
            assert text(client, f"STATUS {ref}", signature="forged")[0] == 403
            status, reply = text(client, f"status {ref}")
            assert status == 200 and reply.startswith("<?xml") and ref in reply
            assert "received" in reply and "/l/" in reply
            status, reply = text(client, f"حالة {ref.lower()}")
            assert "مستلَم" in reply
            assert "L-1999-000001" in text(client, "STATUS L-1999-000001")[1]
            status, reply = text(client, "إيقاف")
            assert status == 200 and "لن تصلك" in reply
            r = client.post(
                f"/api/v1/letters/{ref}/classify", json={"category": "appeal"}, headers=op
            )
            assert r.status_code == 200
            ticket = client.post(
                "/api/v1/tickets",
                json={
                    "branch": "riyadh",
                    "hall": "men",
                    "service": "letter",
                    "phone": "0501234567",
                },
                headers=bearer(world, "kiosk"),
            ).json()
            client.post(f"/api/v1/counters/{world.counters['men'][0]}/call-next", headers=op)
            with Session(engine) as session:
                purposes = sorted(m.purpose for m in session.exec(select(OutgoingSms)))
            # Before STOP: the letter's receipt; after: only the call to the counter.
            assert purposes == ["letter_received", "ticket_called"], purposes
            assert ticket["number"] == "M-001"
            assert "STATUS" in text(client, "anything else")[1]
            assert "إيقاف" in text(client, "مرحبا")[1]
            assert "on again" in text(client, "START")[1]
    finally:
        engine.dispose()


def test_a_captured_stop_replayed_later_changes_nothing(
    sqlite_url: str, tmp_path: Path, fake: FakeTwilio
) -> None:
    """A validly signed webhook carries no time: the same request sent again later
    would still check out. The message id already handled makes it a no-op."""
    from prometheus_client import REGISTRY
    from twilio.request_validator import RequestValidator

    from reception.audit import AuditEntry
    from reception.notify.models import SmsOptOut

    engine = make_engine(sqlite_url)
    try:
        build_world(engine)
        settings = twilio_settings(sqlite_url, tmp_path / "var", fake)
        validator = RequestValidator(fake.auth_token)
        url = "http://testserver/api/v1/sms/inbound"

        def signed(body: str, sid: str) -> tuple[dict[str, str], dict[str, str]]:
            params = {"From": "+966501234567", "To": FROM, "Body": body, "MessageSid": sid}
            return params, {"X-Twilio-Signature": validator.compute_signature(url, params)}

        def opted_out() -> bool:
            with Session(engine) as session:
                return session.get(SmsOptOut, "+966501234567") is not None

        def replays() -> float:
            return REGISTRY.get_sample_value("reception_sms_inbound_replays_total") or 0.0

        replays_before = replays()
        stop, stop_headers = signed("STOP", "SM" + "a" * 32)
        with TestClient(create_app(settings)) as client:
            r = client.post("/api/v1/sms/inbound", data=stop, headers=stop_headers)
            assert r.status_code == 200 and "<Message>" in r.text and opted_out()
            start, start_headers = signed("START", "SM" + "b" * 32)
            r = client.post("/api/v1/sms/inbound", data=start, headers=start_headers)
            assert r.status_code == 200 and not opted_out()
            # The captured STOP, sent again: accepted (200) but without effect or reply.
            r = client.post("/api/v1/sms/inbound", data=stop, headers=stop_headers)
            assert r.status_code == 200 and "<Message>" not in r.text
            assert not opted_out()
            with Session(engine) as session:
                actions = [e.action for e in session.exec(select(AuditEntry))]
            assert actions.count("sms.opt_out") == 1
            assert actions.count("sms.inbound_replayed") == 1
            assert replays() == replays_before + 1
    finally:
        engine.dispose()


def test_quiet_hours_and_the_per_number_limit(sqlite_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from reception.clock import FrozenClock
    from reception.notify.backends import MemoryBackend
    from reception.notify.policy import SendPolicy, parse_quiet_hours
    from reception.notify.worker import send_due

    engine = make_engine(sqlite_url)
    try:
        start, end = parse_quiet_hours("22:00-07:00")
        policy = SendPolicy(start, end, "Asia/Riyadh", max_per_hour=3)
        # Messages are queued at the real time: the frozen days lie after it.
        day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        day += timedelta(days=1)
        night = FrozenClock(day.replace(hour=20, minute=30))  # 23:30 in Riyadh
        backend = MemoryBackend()
        with session_scope(engine) as session:
            letter = enqueue_sms(
                session, to=TO, purpose="letter_routed", language="ar", key="1",
                reference="L-2026-000001", link="http://testserver/l/x",
            )  # fmt: skip
            assert letter is not None
            session.flush()
            letter_id = letter.id
        ticket_id = enqueue(engine)
        assert send_due(engine, night, backend, 8, policy) == 1  # the ticket only
        assert [m["body"] for m in backend.sent] and "M-007" in backend.sent[0]["body"]
        held = row(engine, letter_id)
        assert held.status == SmsStatus.pending and held.attempts == 0
        assert held.next_attempt_at == day + timedelta(days=1, hours=4)  # 07:00 in Riyadh
        assert row(engine, ticket_id).status == SmsStatus.sent

        morning = FrozenClock(day + timedelta(days=1, hours=4))
        for _ in range(4):
            enqueue(engine)
        assert send_due(engine, morning, backend, 8, policy) == 3  # the letter and two more
        assert send_due(engine, morning, backend, 8, policy) == 0  # 3 in the last hour
        later = FrozenClock(day + timedelta(days=1, hours=5, minutes=1))
        assert send_due(engine, later, backend, 8, policy) == 2
        assert len(backend.sent) == 1 + 3 + 2
    finally:
        engine.dispose()
