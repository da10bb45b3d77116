"""Joining the line from a phone through the JSON API, on SQLite and PostgreSQL: every
limit of a branch's remote policy and every abuse case answered with a clear 4xx,
SMS through the outbox to the fake Twilio, and the line keeping remote places."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.audit import AuditEntry
from reception.clock import FrozenClock
from reception.notify.backends import TwilioBackend
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch, Ticket, TicketStatus
from reception.remote.models import RemoteJoin, RemotePolicy, RemoteTicket
from tests.conftest import make_settings
from tests.factories import World
from tests.fake_twilio import FakeTwilio, serve_fake_twilio
from tests.helpers import bearer, issue, wait_until

MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 10:00 in Riyadh, a Tuesday
PHONE = "0501234567"
E164 = "+966501234567"
OTHER = "0551234567"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@dataclass
class Line:
    client: TestClient
    clock: FrozenClock
    engine: Engine
    world: World
    fake: FakeTwilio

    def start(self, phone: str = PHONE, **body: Any) -> Any:
        payload = {"hall": "men", "service": "letter", "phone": phone, "language": "en", **body}
        return self.client.post("/api/v1/branches/riyadh/remote-tickets", json=payload)

    def sms_code(self, phone: str = PHONE) -> str:
        """The code of the latest `remote_code` SMS, as the fake Twilio received it."""
        to = "+966" + phone[1:]
        body = wait_until(
            lambda: next(
                (
                    m["body"]
                    for m in reversed(self.fake.messages)
                    if m["to"] == to and "join the line" in m["body"]
                ),
                None,
            ),
            "the code SMS",
        )
        match = CODE.search(str(body))
        assert match, body
        return match.group(1)

    def confirm(self, join: str, code: str, **headers: str) -> Any:
        return self.client.post(
            f"/api/v1/remote-joins/{join}/confirm", json={"code": code}, headers=headers
        )

    def join(self, phone: str = PHONE, **body: Any) -> dict[str, Any]:
        started = self.start(phone, **body)
        assert started.status_code == 202, started.text
        done = self.confirm(started.json()["join"], self.sms_code_for(started, phone))
        assert done.status_code == 201, done.text
        return dict(done.json())

    def sms_code_for(self, started: Any, phone: str) -> str:
        with Session(self.engine) as s:
            row = s.exec(select(RemoteJoin).where(RemoteJoin.token == started.json()["join"])).one()
            sms = s.exec(
                select(OutgoingSms).where(OutgoingSms.idempotency_key == f"remote_code:{row.token}")
            ).one()
        match = CODE.search(sms.body)
        assert match
        return match.group(1)

    def arrive(self, code: str, token: str = "kiosk") -> Any:
        return self.client.post(
            "/api/v1/branches/riyadh/remote-tickets/arrivals",
            json={"code": code},
            headers=bearer(self.world, token),
        )

    def track(self, ticket: dict[str, Any], action: str, body: Any = None) -> Any:
        token = ticket["tracking_url"].rsplit("/", 1)[1]
        return self.client.post(f"/api/v1/tickets/track/{token}/{action}", json=body)

    def call(self, counter: int = 0, token: str = "operator-men") -> str | None:
        counter_id = self.world.counters["women" if "women" in token else "men"][counter]
        r = self.client.post(
            f"/api/v1/counters/{counter_id}/call-next",
            json={"close_current": "served"},
            headers=bearer(self.world, token),
        )
        assert r.status_code in (200, 204), r.text
        return str(r.json()["number"]) if r.status_code == 200 else None

    def status(self, number: str) -> str:
        with Session(self.engine) as s:
            return str(s.exec(select(Ticket.status).where(Ticket.number == number)).one())


def set_policy(engine: Engine, **fields: Any) -> None:
    values: dict[str, Any] = {
        "enabled": True,
        "halls": ["men", "women"],
        "services": ["letter", "enquiry"],
        "priorities": ["elderly"],
        **fields,
    }
    with Session(engine) as s:
        branch = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        policy = s.get(RemotePolicy, branch.id) or RemotePolicy(branch_id=branch.id or 0)
        for name, value in values.items():
            setattr(policy, name, value)
        s.add(policy)
        s.commit()


@pytest.fixture
def line(
    database_url: str, world: World, engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Line]:
    extra = getattr(request, "param", {})
    with serve_fake_twilio() as fake:
        settings = make_settings(
            database_url,
            tmp_path / "var",
            sms_backend="twilio",
            twilio_account_sid=fake.account_sid,
            twilio_auth_token=fake.auth_token,
            twilio_from_number="+15005550006",
            twilio_api_base_url=fake.url,
            **extra,
        )
        clock = FrozenClock(MORNING)
        app = create_app(settings, clock)
        set_policy(engine)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield Line(client, clock, engine, world, fake)
        finally:
            backend = getattr(app.state, "sms_backend", None)
            if isinstance(backend, TwilioBackend):
                backend.close()


def error_of(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body


# --- the code step ----------------------------------------------------------------------


def test_no_ticket_exists_before_the_code(line: Line, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    started = line.start()
    assert started.status_code == 202, started.text
    answer = started.json()
    assert answer["phone_ending"] == "567" and len(answer["join"]) >= 32
    with Session(line.engine) as s:
        assert s.exec(select(Ticket)).all() == []
    code = line.sms_code()  # through the outbox to the fake Twilio
    done = line.confirm(answer["join"], code)
    assert done.status_code == 201, done.text
    ticket = done.json()
    assert ticket["status"] == "remote" and ticket["position"] == 1
    assert re.fullmatch(r"\d{6}", ticket["code"]) and ticket["number"].startswith("M")
    joined = wait_until(
        lambda: [m for m in line.fake.messages if ticket["tracking_url"] in m["body"]],
        "the joined SMS",
    )
    assert ticket["code"] in joined[0]["body"] and joined[0]["to"] == E164
    error_of(line.confirm(answer["join"], code), 409, "join_confirmed")
    assert PHONE not in caplog.text and E164 not in caplog.text and "501234567" not in caplog.text


def test_wrong_codes_are_counted_and_void_the_join(line: Line) -> None:
    set_policy(line.engine, code_attempts=3)
    join = line.start().json()["join"]
    right = line.sms_code()
    wrong = "000000" if right != "000000" else "111111"
    tries = [error_of(line.confirm(join, wrong), 422, "wrong_code")["tries_left"] for _ in "abc"]
    assert tries == [2, 1, 0]
    error_of(line.confirm(join, right), 409, "join_failed")
    with Session(line.engine) as s:
        assert s.exec(select(Ticket)).all() == []
        assert s.exec(select(RemoteJoin)).one().attempts == 3
    arabic = line.confirm(join, wrong, **{"Accept-Language": "ar"})
    assert arabic.status_code == 409 and re.search(
        "[\u0600-\u06ff]", arabic.json()["error"]["message"]
    )


def test_a_malformed_or_unknown_join_is_refused(line: Line) -> None:
    join = line.start().json()["join"]
    error_of(line.confirm(join, "12ab"), 422, "bad_code")
    error_of(line.confirm("x" * 40, "123456"), 404, "unknown_join")
    r = line.client.post(f"/api/v1/remote-joins/{join}/confirm", json={"code": 123456})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"


def test_an_expired_code_is_refused(line: Line) -> None:
    join = line.start().json()["join"]
    code = line.sms_code()
    line.clock.advance(minutes=10)
    error_of(line.confirm(join, code), 409, "code_expired")


# --- the policy's limits -----------------------------------------------------------------


def test_one_live_remote_ticket_per_number(line: Line) -> None:
    first = line.join()
    error_of(line.start(), 409, "remote_ticket_exists")
    assert line.track(first, "cancel").json()["status"] == "cancelled"
    second = line.join()  # allowed again once the first is cancelled
    assert line.arrive(second["code"]).status_code == 200
    assert line.call() == second["number"]
    error_of(line.start(), 409, "remote_ticket_exists")  # called: still live
    assert line.call() is None  # served, the counter is free: the ticket is done
    assert line.status(second["number"]) == TicketStatus.done
    line.join()


def test_the_halls_remote_cap(line: Line) -> None:
    set_policy(line.engine, cap_per_hall=1)
    line.join()
    error_of(line.start(OTHER), 409, "remote_full")
    line.join(OTHER, hall="women")  # another hall, its own cap


def test_hours_off_and_what_is_not_offered(line: Line) -> None:
    set_policy(line.engine, hours={"tue": [["12:00", "14:00"]]})
    error_of(line.start(), 409, "remote_closed")
    set_policy(line.engine, hours={"tue": [["09:00", "11:00"]]})
    assert line.start().status_code == 202
    set_policy(line.engine, enabled=False)
    error_of(line.start(OTHER), 403, "remote_off")
    set_policy(line.engine, enabled=False, halls=["men"], services=["letter"], priorities=[])
    error_of(line.start(OTHER, hall="women"), 403, "remote_off")
    set_policy(line.engine, enabled=True, halls=["men"], services=["letter"], priorities=[])
    error_of(line.start(OTHER, hall="women"), 403, "remote_hall_not_offered")
    error_of(line.start(OTHER, service="enquiry"), 403, "remote_service_not_offered")
    error_of(line.start(OTHER, priority="elderly"), 403, "remote_priority_not_offered")
    error_of(line.start("12"), 422, "bad_phone")
    r = line.client.post(
        "/api/v1/branches/nowhere/remote-tickets",
        json={"hall": "men", "service": "letter", "phone": OTHER},
    )
    error_of(r, 422, "unknown_branch")
    r = line.client.post("/api/v1/branches/riyadh/remote-tickets", json={"hall": "men"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"


def test_a_closed_policy_before_the_code_makes_no_ticket(line: Line) -> None:
    join = line.start().json()["join"]
    code = line.sms_code()
    set_policy(line.engine, hours={"tue": [["12:00", "14:00"]]})
    error_of(line.confirm(join, code), 409, "remote_closed")


def test_throttled_per_number_and_per_address(line: Line) -> None:
    set_policy(line.engine, codes_per_number_hour=2, joins_per_address_hour=4)
    assert [line.start().status_code for _ in "ab"] == [202, 202]
    r = line.start()
    error_of(r, 429, "remote_throttled")
    assert 0 < int(r.headers["Retry-After"]) <= 3600
    numbers = ["0551234567", "0561234567", "0591234567"]
    assert [line.start(n).status_code for n in numbers[:2]] == [202, 202]
    r = line.start(numbers[2])
    error_of(r, 429, "remote_throttled")  # the address: four joins this hour
    assert int(r.headers["Retry-After"]) > 0
    line.clock.advance(minutes=61)
    assert line.start(numbers[2]).status_code == 202
    assert line.start().status_code == 202


# --- halls kept apart ----------------------------------------------------------------------


def test_another_halls_staff_and_another_branchs_kiosk_are_refused(line: Line) -> None:
    men = line.join()
    women = line.join(OTHER, hall="women")
    error_of(line.arrive(men["code"], "kiosk-women"), 403, "wrong_hall")
    error_of(line.arrive(men["code"], "kiosk-jeddah"), 403, "wrong_branch")
    error_of(line.arrive(men["code"], "operator-men"), 403, "wrong_role")
    error_of(line.arrive(men["code"], "display-men"), 403, "wrong_role")
    assert line.status(men["number"]) == TicketStatus.remote
    assert line.arrive(women["code"], "kiosk-women").status_code == 200
    assert line.arrive(men["code"], "kiosk").json()["status"] == "waiting"
    women_counter = line.world.counters["women"][0]
    r = line.client.post(
        f"/api/v1/counters/{women_counter}/call/{men['id']}",
        headers=bearer(line.world, "operator-women"),
    )
    assert r.status_code in (403, 404), r.text
    assert line.call(token="operator-women") == women["number"]
    assert line.call(token="operator-women") is None
    assert line.status(men["number"]) == TicketStatus.waiting
    assert line.call() == men["number"]


def test_kiosk_code_guesses_wait_like_appointment_codes(line: Line) -> None:
    ticket = line.join()
    wrong = "000000" if ticket["code"] != "000000" else "111111"
    limit = line.client.app.state.ctx.settings.code_guesses_per_code  # type: ignore[attr-defined]
    for _ in range(limit):
        error_of(line.arrive(wrong), 404, "unknown_remote_code")
    r = line.arrive(wrong)
    error_of(r, 429, "too_many_codes")
    assert int(r.headers["Retry-After"]) > 0
    assert line.arrive(ticket["code"]).status_code == 200  # another code, another key


@pytest.mark.parametrize("line", [{"link_guesses_per_address": 3}], indirect=True)
def test_tracking_tokens_are_guarded_against_guessing(line: Line) -> None:
    local = issue(line.client, line.world)
    error_of(line.track(local, "cancel"), 409, "not_remote")  # a real link: no guess
    fake = {"tracking_url": "http://testserver/t/" + "x" * 32}
    for _ in range(3):
        error_of(line.track(fake, "on-my-way", {"minutes": 5}), 404, "unknown_ticket")
    r = line.track(fake, "late", {"places": 1})
    error_of(r, 429, "too_many_guesses")
    assert int(r.headers["Retry-After"]) > 0
    error_of(line.confirm("y" * 32, "123456"), 429, "too_many_guesses")


# --- the line --------------------------------------------------------------------------------


def test_displays_and_counts_never_include_a_remote_ticket_not_arrived(line: Line) -> None:
    issue(line.client, line.world)
    remote = line.join()
    with line.client.websocket_connect(
        "/display/ws?hall=men", headers=bearer(line.world, "display-men")
    ) as ws:
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot"
        assert remote["number"] not in str(snapshot)
        assert snapshot["waiting"]["letter"]["waiting"] == 1
        assert _waiting(line) == 1
        assert line.arrive(remote["code"]).status_code == 200
        arrived = ws.receive_json()
    assert arrived["type"] == "ticket.arrived" and arrived["seq"] == snapshot["seq"] + 1
    assert arrived["waiting"]["letter"]["waiting"] == 2
    assert _waiting(line) == 2


def _waiting(line: Line) -> int:
    with Session(line.engine) as s:
        rows = s.connection().exec_driver_sql("SELECT SUM(waiting) FROM waitingcount").scalar()
    return int(rows or 0)


def test_call_next_skips_a_remote_ticket_and_keeps_its_place(line: Line) -> None:
    first = issue(line.client, line.world)["number"]
    remote = line.join()
    second = issue(line.client, line.world)["number"]
    third = issue(line.client, line.world)["number"]
    counter = line.world.counters["men"][1]
    r = line.client.post(
        f"/api/v1/counters/{counter}/call/{remote['id']}", headers=bearer(line.world, "supervisor")
    )
    error_of(r, 409, "not_arrived")
    assert line.call() == first
    assert line.call() == second  # the remote visitor is not here: skipped
    assert line.arrive(remote["code"]).json()["position"] == 1
    assert line.call() == remote["number"]  # before the third: its place was kept
    assert line.call() == third


def test_past_the_allowance_the_place_is_lost(line: Line) -> None:
    set_policy(line.engine, passes_allowed=2)
    remote = line.join()
    locals_ = [issue(line.client, line.world)["number"] for _ in range(4)]
    assert [line.call() for _ in range(3)] == locals_[:3]
    state = line.track(remote, "on-my-way", {"minutes": 5}).json()
    assert state["place_lost"] is True
    later = issue(line.client, line.world)["number"]
    assert line.arrive(remote["code"]).status_code == 200
    assert [line.call(), line.call(), line.call()] == [locals_[3], later, remote["number"]]
    with Session(line.engine) as s:
        assert s.get(RemoteTicket, remote["id"]).passed == 3  # type: ignore[union-attr]


def test_on_my_way_raises_the_allowance(line: Line) -> None:
    set_policy(line.engine, passes_allowed=1, passes_allowed_on_way=3)
    remote = line.join()
    locals_ = [issue(line.client, line.world)["number"] for _ in range(4)]
    state = line.track(remote, "on-my-way", {"minutes": 20}).json()
    assert state["on_way_minutes"] == 20
    assert [line.call() for _ in range(3)] == locals_[:3]
    assert line.track(remote, "on-my-way", {"minutes": 5}).json()["place_lost"] is False
    assert line.arrive(remote["code"]).status_code == 200
    assert line.call() == remote["number"]
    r = line.track(remote, "on-my-way", {"minutes": 0})
    assert r.status_code == 422


def test_the_near_front_sms_is_sent_once(line: Line) -> None:
    set_policy(line.engine, notify_at_place=2)
    locals_ = [issue(line.client, line.world)["number"] for _ in range(3)]
    remote = line.join()
    assert line.call() == locals_[0]
    assert _near(line) == []
    assert line.call() == locals_[1]  # now second in line
    assert len(_near(line)) == 1
    assert line.call() == locals_[2]
    assert len(_near(line)) == 1
    sent = wait_until(
        lambda: [m for m in line.fake.messages if "Your turn is near" in m["body"]], "near SMS"
    )
    assert len(sent) == 1 and remote["code"] in sent[0]["body"] and sent[0]["to"] == E164


def _near(line: Line) -> list[OutgoingSms]:
    with Session(line.engine) as s:
        return list(s.exec(select(OutgoingSms).where(OutgoingSms.purpose == "remote_near")))


def test_late_moves_back_exactly_n_places_once(line: Line) -> None:
    first = issue(line.client, line.world)["number"]
    remote = line.join()
    rest = [issue(line.client, line.world)["number"] for _ in range(3)]
    assert line.track(remote, "late", {"places": 2}).json()["position"] == 4
    error_of(line.track(remote, "late", {"places": 1}), 409, "late_once")
    assert line.track(remote, "late", {}).status_code == 422
    assert line.arrive(remote["code"]).status_code == 200
    called = [line.call() for _ in range(5)]
    assert called == [first, rest[0], rest[1], remote["number"], rest[2]]


def test_late_beyond_the_policy_is_refused(line: Line) -> None:
    set_policy(line.engine, late_max_places=3)
    remote = line.join()
    error_of(line.track(remote, "late", {"places": 4}), 422, "bad_places")


def test_cancel_frees_the_place_and_is_audited(line: Line) -> None:
    set_policy(line.engine, cap_per_hall=1)
    remote = line.join()
    cancelled = line.track(remote, "cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    error_of(line.track(remote, "cancel"), 409, "ticket_closed")
    error_of(line.arrive(remote["code"]), 409, "ticket_closed")
    line.join(OTHER)  # the hall's only remote place is free again
    with Session(line.engine) as s:
        actions = [
            e.action
            for e in s.exec(
                select(AuditEntry).where(
                    AuditEntry.entity == "ticket", AuditEntry.entity_id == str(remote["id"])
                )
            )
        ]
    assert "ticket.cancel" in actions


def test_check_in_by_location(line: Line) -> None:
    remote = line.join()
    here = {"latitude": 24.7136, "longitude": 46.6753, "accuracy": 20}
    error_of(line.track(remote, "arrive", here), 403, "location_checkin_off")
    set_policy(line.engine, geo_checkin=True, latitude=24.7136, longitude=46.6753, radius_m=200)
    far = {**here, "latitude": 24.75}
    error_of(line.track(remote, "arrive", far), 409, "too_far")
    error_of(line.track(remote, "arrive", {**here, "accuracy": 5000}), 409, "location_imprecise")
    assert line.track(remote, "arrive", here).json()["status"] == "waiting"
    error_of(line.track(remote, "arrive", here), 409, "already_arrived")
    error_of(line.track(remote, "arrive", {**here, "latitude": 91}), 422, "invalid")
