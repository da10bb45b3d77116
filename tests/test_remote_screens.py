"""The visitor's screens for joining the line from a phone, through their HTTP surface:
the join form and its SMS code step, the remote ticket's tracking page and its
actions, and the kiosk's check-in by the code on the phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch, Ticket
from reception.remote.models import RemotePolicy
from reception.settings import Settings
from tests.factories import World
from tests.helpers import csrf, sign_in

MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 10:00 in Riyadh, a Tuesday
PHONE = "0551234567"
NEAR = {"latitude": "24.6640", "longitude": "46.6860", "accuracy": "20"}
FAR = {"latitude": "24.7500", "longitude": "46.6860", "accuracy": "20"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


def set_policy(engine: Engine, **values: Any) -> None:
    with session_scope(engine) as s:
        branch = s.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        policy = s.get(RemotePolicy, branch.id) or RemotePolicy(branch_id=branch.id or 0)
        fields: dict[str, Any] = {
            "enabled": True,
            "halls": ["men", "women"],
            "services": ["letter", "enquiry"],
            "priorities": ["elderly"],
            "geo_checkin": True,
            "latitude": 24.6633,
            "longitude": 46.6862,
            "radius_m": 300,
            **values,
        }
        for name, value in fields.items():
            setattr(policy, name, value)
        s.add(policy)


@pytest.fixture
def c(settings: Settings, world: World, engine: Engine, clock: FrozenClock) -> Iterator[TestClient]:
    set_policy(engine)
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        client.get("/lang?to=en&next=/")
        yield client


def sms_code(engine: Engine, to: str = "+966551234567") -> str:
    with session_scope(engine) as s:
        body = s.exec(
            select(OutgoingSms.body)
            .where(OutgoingSms.to == to, OutgoingSms.purpose == "remote_code")
            .order_by(col(OutgoingSms.id).desc())
        ).first()
    assert body is not None, "no code SMS"
    plain = "".join(str(int(ch)) if ch.isdigit() else ch for ch in body)
    match = re.search(r"(?<!\d)\d{6}(?!\d)", plain)
    assert match
    return match.group(0)


def start(c: TestClient, **fields: str) -> Any:
    page = c.get("/join/riyadh")
    data = {"hall": "men", "service": "letter", "priority": "none", "phone": PHONE, **fields}
    return c.post(
        "/join/riyadh", data={**data, "csrf_token": csrf(page.text)}, follow_redirects=False
    )


def type_code(c: TestClient, code_page: str, code: str) -> Any:
    page = c.get(code_page)
    return c.post(
        code_page, data={"code": code, "csrf_token": csrf(page.text)}, follow_redirects=False
    )


def join(c: TestClient, engine: Engine, **fields: str) -> str:
    """Join through the screens; the tracking page's path."""
    r = start(c, **fields)
    assert r.status_code == 303, r.text
    r = type_code(c, r.headers["location"], sms_code(engine))
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def post_form(c: TestClient, page: str, action: str, **data: str) -> Any:
    token = csrf(c.get(page).text)
    return c.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


def remote_ticket(engine: Engine) -> Ticket:
    with session_scope(engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.remote == True)).one()  # noqa: E712
        s.expunge(ticket)
        return ticket


# --- the join form --------------------------------------------------------------------


def test_the_join_form_offers_only_what_the_branch_allows(c: TestClient) -> None:
    page = c.get("/join/riyadh")
    assert page.status_code == 200
    html = page.text
    assert "Riyadh" in html and "Men&#39;s hall" in html and "Women&#39;s hall" in html
    assert 'value="letter"' in html and 'value="enquiry"' in html
    assert 'value="complaint"' not in html  # not offered from a phone
    assert 'value="elderly"' in html
    phone = re.search(r"<input id=\"phone\"[^>]*>", html)
    assert phone and 'inputmode="numeric"' in phone.group(0)
    assert 'autocomplete="tel"' in phone.group(0) and 'type="tel"' in phone.group(0)


def test_the_form_follows_the_visitors_language(c: TestClient) -> None:
    c.get("/lang?to=ar&next=/")
    page = c.get("/join/riyadh")
    assert 'lang="ar"' in page.text and "انضم إلى الدور من جوالك" in page.text


def test_a_branch_without_remote_joins_says_so(c: TestClient, engine: Engine) -> None:
    set_policy(engine, enabled=False)
    page = c.get("/join/riyadh")
    assert page.status_code == 200
    assert "does not take joins from a phone" in page.text
    assert 'name="phone"' not in page.text
    token = csrf(c.get("/staff/login").text)  # the form is gone; a forged post is refused
    data = {"hall": "men", "service": "letter", "phone": PHONE, "csrf_token": token}
    r = c.post("/join/riyadh", data=data)
    assert r.status_code == 403 and "does not take joins from a phone" in r.text
    assert c.get("/join/jeddah").text.count('name="phone"') == 0
    assert c.get("/join/nowhere").status_code == 404


def test_outside_its_hours_the_page_gives_the_hours(c: TestClient, engine: Engine) -> None:
    set_policy(engine, hours={"tue": [["12:00", "14:00"]], "sun": [["08:00", "12:00"]]})
    page = c.get("/join/riyadh")
    assert "closed now" in page.text and 'name="phone"' not in page.text
    assert "Tuesday" in page.text and "12:00–14:00" in page.text


def test_a_wrong_number_is_refused_in_the_visitors_language(c: TestClient) -> None:
    r = start(c, phone="12")
    assert r.status_code == 422
    assert "This mobile number is not valid." in r.text
    assert 'value="12"' in r.text  # what they typed is kept
    c.get("/lang?to=ar&next=/")
    r = start(c, phone="12")
    assert r.status_code == 422 and "رقم الجوال" in r.text


def test_a_missing_choice_is_refused(c: TestClient) -> None:
    r = start(c, service="")
    assert r.status_code == 422 and "Please choose what you have come for." in r.text
    r = start(c, service="complaint")
    assert r.status_code == 403 and "cannot be joined from a phone" in r.text


def test_the_join_form_needs_its_csrf_token(c: TestClient, engine: Engine) -> None:
    r = c.post("/join/riyadh", data={"hall": "men", "service": "letter", "phone": PHONE})
    assert r.status_code == 403
    with session_scope(engine) as s:
        assert s.exec(select(OutgoingSms)).first() is None


# --- the code step --------------------------------------------------------------------


def test_the_code_step_then_the_tracking_page(c: TestClient, engine: Engine) -> None:
    r = start(c)
    assert r.status_code == 303
    code_page = r.headers["location"]
    assert code_page.startswith("/join/riyadh/code/") and "0551" not in code_page
    page = c.get(code_page)
    assert "…567" in page.text and "+966551234567" not in page.text
    field = re.search(r"<input id=\"code\"[^>]*>", page.text)
    assert field and 'inputmode="numeric"' in field.group(0)
    assert 'autocomplete="one-time-code"' in field.group(0)
    assert "10 minutes" in page.text and 'href="/join/riyadh"' in page.text
    wrong = "000000" if sms_code(engine) != "000000" else "111111"
    r = type_code(c, code_page, wrong)
    assert r.status_code == 422 and "Wrong code, 4 tries left." in r.text
    r = type_code(c, code_page, sms_code(engine))
    assert r.status_code == 303 and r.headers["location"].startswith("/t/")
    page = c.get(r.headers["location"])
    assert "not checked in yet" in page.text
    assert re.search(r"data-kiosk-code>\d{6}<", page.text)
    assert 'alt="QR code of your kiosk code"' in page.text


def test_too_many_wrong_codes_end_the_join(c: TestClient, engine: Engine) -> None:
    code_page = start(c).headers["location"]
    right = sms_code(engine)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        assert type_code(c, code_page, wrong).status_code == 422
    r = type_code(c, code_page, wrong)
    assert r.status_code == 422 and "please start again" in r.text
    assert 'name="code"' not in c.get(code_page).text  # the join is void
    assert right


def test_an_expired_code_asks_for_a_new_one(
    c: TestClient, engine: Engine, clock: FrozenClock
) -> None:
    code_page = start(c).headers["location"]
    code = sms_code(engine)
    page = c.get(code_page)
    clock.advance(minutes=11)
    r = c.post(code_page, data={"code": code, "csrf_token": csrf(page.text)})
    assert r.status_code == 409 and "has expired" in r.text
    assert "Send a new code" in r.text


def test_a_code_typed_without_csrf_is_refused(c: TestClient, engine: Engine) -> None:
    code_page = start(c).headers["location"]
    r = c.post(code_page, data={"code": sms_code(engine)})
    assert r.status_code == 403
    assert c.get("/join/riyadh/code/not-a-join").status_code == 404


# --- the tracking page of a remote ticket ----------------------------------------------


def test_on_my_way_late_and_cancel(c: TestClient, engine: Engine, clock: FrozenClock) -> None:
    track = join(c, engine)
    page = c.get(track)
    assert "I'm on my way" in page.text and "I'll be late" in page.text
    r = post_form(c, track, track + "/on-way", minutes="20")
    assert r.status_code == 303 and r.headers["location"] == track
    page = c.get(track)
    assert "the line knows you are on your way" in page.text
    assert 'You said at <bdi dir="ltr">10:00</bdi> that you are on your way.' in page.text
    assert "You need about 20 minutes." in page.text
    r = post_form(c, track, track + "/on-way", minutes="", other_minutes="500")
    assert "from 1 to 240" in c.get(track).text
    late = c.get(track + "/late")
    assert late.status_code == 200 and "only once" in late.text
    r = post_form(c, track + "/late", track + "/late", places="2")
    assert r.status_code == 303
    page = c.get(track)
    assert "You moved back 2 places." in page.text and "/late" not in page.text
    assert c.get(track + "/late", follow_redirects=False).status_code == 303
    r = post_form(c, track, track + "/late", places="1")
    assert "You already moved back once." in c.get(track).text
    assert c.get(track + "/cancel").status_code == 200
    r = post_form(c, track + "/cancel", track + "/cancel")
    assert r.status_code == 303
    page = c.get(track)
    assert "Your ticket is cancelled." in page.text
    assert remote_ticket(engine).status == "cancelled"
    assert "/cancel" not in page.text


def test_the_tracking_forms_need_their_csrf_token(c: TestClient, engine: Engine) -> None:
    track = join(c, engine)
    r = c.post(track + "/cancel", data={})
    assert r.status_code == 403
    assert remote_ticket(engine).status == "remote"


def test_im_here_checks_in_near_the_branch_only(c: TestClient, engine: Engine) -> None:
    track = join(c, engine)
    assert "I'm here" in c.get(track).text
    post_form(c, track, track + "/here", **FAR)
    assert "You are not at the branch yet." in c.get(track).text
    assert remote_ticket(engine).status == "remote"
    post_form(c, track, track + "/here", latitude="x", longitude="", accuracy="")
    assert "did not give a usable location" in c.get(track).text
    post_form(c, track, track + "/here", **NEAR)
    page = c.get(track)
    assert "You are checked in." in page.text and "not checked in yet" not in page.text
    assert remote_ticket(engine).status == "waiting"


def test_no_location_check_in_where_the_branch_does_not_allow_it(
    c: TestClient, engine: Engine
) -> None:
    set_policy(engine, geo_checkin=False)
    track = join(c, engine)
    assert "/here" not in c.get(track).text
    post_form(c, track, track + "/here", **NEAR)
    assert "check in at the kiosk" in c.get(track).text
    assert remote_ticket(engine).status == "remote"


def test_a_warning_when_visitors_pass_and_when_the_place_is_lost(
    c: TestClient, engine: Engine, world: World
) -> None:
    set_policy(engine, passes_allowed=1)
    track = join(c, engine)
    operator = TestClient(c.app, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {world.tokens['operator-men']}"}
    for _ in range(2):
        r = operator.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers={"Authorization": f"Bearer {world.tokens['kiosk']}"},
        )
        assert r.status_code == 201, r.text
    counter = world.counters["men"][0]
    r = operator.post(f"/api/v1/counters/{counter}/call-next", json={}, headers=headers)
    assert r.status_code in (200, 201), r.text
    assert "1 visitor was called while you were away." in c.get(track).text
    r = operator.post(
        f"/api/v1/counters/{counter}/call-next",
        json={"close_current": "served"},
        headers=headers,
    )
    assert r.status_code in (200, 201), r.text
    assert "your place was given up" in c.get(track).text


# --- arriving at the kiosk --------------------------------------------------------------


def test_the_kiosk_checks_a_remote_visitor_in_by_code(c: TestClient, engine: Engine) -> None:
    track = join(c, engine)
    code = re.search(r"data-kiosk-code>(\d{6})<", c.get(track).text)
    assert code
    kiosk = TestClient(c.app, raise_server_exceptions=False)
    sign_in(kiosk, "kiosk")
    kiosk.get("/lang?to=en&next=/")
    start_page = kiosk.get("/kiosk")
    assert 'href="/kiosk/remote"' in start_page.text and "I joined from my phone" in start_page.text
    r = post_form(kiosk, "/kiosk/remote", "/kiosk/remote", code=code.group(1))
    assert r.status_code == 303 and r.headers["location"].startswith("/kiosk/tickets/")
    ticket = kiosk.get(r.headers["location"])
    assert remote_ticket(engine).number in ticket.text and "ahead of you" in ticket.text
    assert remote_ticket(engine).status == "waiting"
    r = post_form(kiosk, "/kiosk/remote", "/kiosk/remote", code=code.group(1))
    assert r.status_code == 409 and "already checked in" in r.text


def test_wrong_kiosk_codes_count_as_guesses(
    c: TestClient, engine: Engine, settings: Settings
) -> None:
    kiosk = TestClient(c.app, raise_server_exceptions=False)
    sign_in(kiosk, "kiosk")
    kiosk.get("/lang?to=en&next=/")
    r = post_form(kiosk, "/kiosk/remote", "/kiosk/remote", code="12345")
    assert r.status_code == 422 and "six digits" in r.text  # not a guess: mistyped
    for n in range(settings.code_guesses_per_kiosk):
        r = post_form(kiosk, "/kiosk/remote", "/kiosk/remote", code=f"{900000 + n}")
        if r.status_code == 429:
            break
        assert r.status_code == 404 and "No ticket has this code today." in r.text
    else:
        r = post_form(kiosk, "/kiosk/remote", "/kiosk/remote", code="999999")
    assert r.status_code == 429 and "Too many wrong codes" in r.text
    assert int(r.headers["retry-after"]) > 0


def test_the_kiosk_without_remote_joins_offers_no_such_choice(
    c: TestClient, engine: Engine
) -> None:
    set_policy(engine, enabled=False)
    kiosk = TestClient(c.app, raise_server_exceptions=False)
    sign_in(kiosk, "kiosk")
    assert 'href="/kiosk/remote"' not in kiosk.get("/kiosk").text
