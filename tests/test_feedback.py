"""Visit ratings through their HTTP surface: the JSON API of a rating device, the exit
tablet at /rate, and the page behind the SMS sent when a visit ends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth.models import ApiToken, StaffUser
from reception.clock import FrozenClock
from reception.feedback.models import Rating
from reception.notify.models import OutgoingSms, SmsOptOut
from reception.queue.models import Ticket
from reception.settings import Settings
from tests.factories import World
from tests.helpers import bearer, csrf, issue, sign_in

# 10:00 in Riyadh on a Tuesday.
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def c(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


def serve(c: TestClient, world: World, counter: int, operator: str = "operator-men") -> str:
    """Call the next visitor to the counter and finish the visit; the number served."""
    called = c.post(f"/api/v1/counters/{counter}/call-next", headers=bearer(world, operator))
    assert called.status_code == 200, called.text
    finished = c.post(f"/api/v1/counters/{counter}/current/finish", headers=bearer(world, operator))
    assert finished.status_code == 200, finished.text
    return str(called.json()["number"])


def rate(c: TestClient, world: World, token: str = "kiosk", **body: Any) -> Any:
    return c.post("/api/v1/ratings", json=body, headers=bearer(world, token))


def ratings(engine: Engine) -> list[Rating]:
    with Session(engine) as s:
        return list(s.exec(select(Rating).order_by(Rating.id)))  # type: ignore[arg-type]


def link_of(ticket: dict[str, Any]) -> str:
    return "/r/" + str(ticket["tracking_url"]).rsplit("/", 1)[1]


def pair(client: TestClient, token: str) -> None:
    page = client.get("/device")
    r = client.post(
        "/device", data={"token": token, "csrf_token": csrf(page.text)}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def test_a_served_visit_is_rated_once(c: TestClient, world: World, engine: Engine) -> None:
    ticket = issue(c, world)
    serve(c, world, world.counters["men"][0])
    r = rate(c, world, ticket="m1", score=5, reasons=["staff", "waiting", "staff"], comment=" ")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["ticket"] == ticket["number"] == "M-001"
    assert body["score"] == 5 and body["reasons"] == ["waiting", "staff"]
    assert body["comment"] == "" and body["source"] == "device"
    for language, message in (("en", "already been rated"), ("ar", "سبق تقييم هذه الزيارة")):
        again = c.post(
            "/api/v1/ratings",
            json={"ticket": ticket["id"], "score": 1},
            headers={**bearer(world, "kiosk"), "Accept-Language": language},
        )
        assert again.status_code == 409
        error = again.json()["error"]
        assert error["code"] == "already_rated" and message in error["message"]
    assert [r.score for r in ratings(engine)] == [5]


def test_only_a_finished_visit_can_be_rated(c: TestClient, world: World, engine: Engine) -> None:
    waiting = issue(c, world)
    r = rate(c, world, ticket=waiting["number"], score=4)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_finished"
    counter = world.counters["men"][0]
    c.post(f"/api/v1/counters/{counter}/call-next", headers=bearer(world, "operator-men"))
    r = rate(c, world, ticket=waiting["id"], score=4)  # called, not yet served
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_finished"
    c.post(f"/api/v1/counters/{counter}/current/no-show", headers=bearer(world, "operator-men"))
    r = rate(c, world, ticket=waiting["id"], score=4)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_finished"
    r = rate(c, world, ticket="M-999", score=4)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket_number"
    r = rate(c, world, ticket=2_000_000, score=4)
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_ticket"
    assert ratings(engine) == []


def test_only_a_kiosk_of_the_tickets_branch_and_hall_rates(
    c: TestClient, world: World, engine: Engine
) -> None:
    ticket = issue(c, world)
    serve(c, world, world.counters["men"][0])
    by_id = {"ticket": ticket["id"], "score": 3}
    by_number = {"ticket": ticket["number"], "score": 3}
    cases = [
        ("kiosk-jeddah", by_id, 403, "wrong_hall"),
        ("kiosk-jeddah", by_number, 404, "unknown_ticket_number"),
        ("kiosk-women", by_id, 403, "wrong_hall"),
        ("kiosk-women", by_number, 404, "unknown_ticket_number"),
        ("operator-men", by_id, 403, "wrong_role"),
        ("display-men", by_id, 403, "wrong_role"),
        ("admin", by_id, 403, "wrong_role"),
    ]
    for token, body, status, code in cases:
        r = rate(c, world, token, **body)
        assert r.status_code == status, (token, body, r.text)
        assert r.json()["error"]["code"] == code, (token, body)
    r = c.post("/api/v1/ratings", json=by_id)
    assert r.status_code == 401
    assert ratings(engine) == []
    assert rate(c, world, **by_id).status_code == 201


def test_bad_input_is_a_clear_422(c: TestClient, world: World, engine: Engine) -> None:
    ticket = issue(c, world)
    serve(c, world, world.counters["men"][0])
    good = {"ticket": ticket["number"], "score": 4}
    cases = [
        ({**good, "score": 0}, "bad_score"),
        ({**good, "score": 6}, "bad_score"),
        ({**good, "score": "very"}, "invalid"),
        ({**good, "reasons": ["bribe"]}, "bad_reason"),
        ({**good, "reasons": "staff"}, "invalid"),
        ({**good, "comment": "x" * 501}, "comment_too_long"),
        ({**good, "ticket": "12-M!"}, "bad_ticket_number"),
        ({**good, "extra": 1}, "invalid"),
        ({"ticket": ticket["number"]}, "invalid"),
    ]
    for body, code in cases:
        r = rate(c, world, **body)
        assert r.status_code == 422, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == code, (body, error)
        assert error["message"] and "Traceback" not in error["message"]
    assert ratings(engine) == []
    r = rate(c, world, **{**good, "comment": "ممتاز " * 80})  # 480 characters: fits
    assert r.status_code == 201


def test_the_rating_row_says_where_and_by_whom(c: TestClient, world: World, engine: Engine) -> None:
    ticket = issue(c, world, service="enquiry")
    counter = world.counters["men"][1]
    sign_in(c, "operator-men")
    page = c.get(f"/staff/counters/{counter}")
    r = c.post(f"/staff/counters/{counter}/call-next", data={"csrf_token": csrf(page.text)})
    assert ticket["number"] in r.text
    r = c.post(f"/staff/counters/{counter}/finish", data={"csrf_token": csrf(r.text)})
    assert r.status_code == 200
    assert rate(c, world, ticket=ticket["number"], score=4, reasons=["clarity"]).status_code == 201
    with Session(engine) as s:
        row = s.exec(select(Rating)).one()
        served = s.get(Ticket, ticket["id"])
        operator = s.exec(select(StaffUser).where(StaffUser.username == "operator-men")).one()
        kiosk = s.exec(select(ApiToken).where(ApiToken.name == "kiosk")).one()
    assert served is not None and served.status == "done"
    assert row.ticket_id == served.id and row.branch_id == served.branch_id
    assert row.hall_id == served.hall_id and row.service_id == served.service_id
    assert row.counter_id == counter and row.operator_id == operator.id
    assert row.device_token_id == kiosk.id and row.source == "device"
    assert row.score == 4 and row.reasons == ["clarity"] and row.at == MORNING


def test_a_finished_visit_texts_a_link_that_rates_it(
    c: TestClient, world: World, engine: Engine
) -> None:
    ticket = issue(c, world, phone="0501234567", language="en")
    quiet = issue(c, world, phone="0551234567")
    with Session(engine) as s:
        s.add(SmsOptOut(phone="+966551234567"))
        s.commit()
    counter = world.counters["men"][0]
    serve(c, world, counter)
    serve(c, world, counter)
    link = link_of(ticket)
    with Session(engine) as s:
        asks = list(s.exec(select(OutgoingSms).where(OutgoingSms.purpose == "ticket_feedback")))
    assert len(asks) == 1  # the number that sent STOP is not asked
    assert asks[0].to == "+966501234567" and asks[0].language == "en"
    assert f"http://testserver{link}" in asks[0].body and "M-001" in asks[0].body

    c.get("/lang?to=en&next=/")
    tracked = c.get(link.replace("/r/", "/t/", 1))  # the ticket's own page offers it too
    assert tracked.status_code == 200 and f'href="{link}"' in tracked.text
    page = c.get(link)
    assert page.status_code == 200 and "How was your visit?" in page.text
    assert "M-001" in page.text and "Counter 1" in page.text
    for label in ("Very bad", "Bad", "Okay", "Good", "Excellent", "Waiting time"):
        assert label in page.text
    r = c.post(link, data={"score": "5"})
    assert r.status_code == 403  # no CSRF token
    r = c.post(link, data={"csrf_token": csrf(page.text), "reason": "staff"})
    assert r.status_code == 422 and "Please choose one of the five faces." in r.text
    assert 'value="staff" checked' in r.text
    r = c.post(
        link,
        data={"csrf_token": csrf(r.text), "score": "4", "reason": ["staff", "result"]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"{link}/thanks"
    thanks = c.get(r.headers["location"])
    assert thanks.status_code == 200 and "Thank you!" in thanks.text
    assert "data-return-after" not in thanks.text  # a phone is not sent anywhere
    (row,) = ratings(engine)
    assert row.source == "sms" and row.score == 4 and row.reasons == ["staff", "result"]
    assert row.device_token_id is None and row.counter_id == counter

    again = c.get(link)
    assert "already been rated" in again.text and 'name="score"' not in again.text
    r = c.post(link, data={"csrf_token": csrf(page.text), "score": "1"})
    assert r.status_code == 409 and "already been rated" in r.text
    assert c.get(link_of(quiet) + "/thanks", follow_redirects=False).status_code == 303

    c.get("/lang?to=ar&next=/")
    missing = c.get("/r/not-a-real-token")
    assert missing.status_code == 404 and 'lang="ar"' in missing.text
    assert "هذا الرابط لا يعمل" in missing.text and "Traceback" not in missing.text


def test_ratings_close_24_hours_after_the_visit(
    c: TestClient, world: World, engine: Engine, clock: FrozenClock
) -> None:
    first = issue(c, world, phone="0501234567")
    second = issue(c, world)
    counter = world.counters["men"][0]
    serve(c, world, counter)
    clock.advance(minutes=30)
    serve(c, world, counter)
    clock.advance(hours=23, minutes=45)  # 24 h 15 min after the first, 23 h 45 min after the second
    page = c.get(link_of(first))
    assert page.status_code == 200 and 'name="score"' not in page.text
    assert "يمكن تقييم الزيارة خلال 24 ساعة من انتهائها" in page.text
    r = rate(c, world, ticket=first["id"], score=5)
    assert r.status_code == 409 and r.json()["error"]["code"] == "too_late_to_rate"
    assert rate(c, world, ticket=second["id"], score=5).status_code == 201
    assert [row.ticket_id for row in ratings(engine)] == [second["id"]]


def test_the_counter_tablet_offers_the_visit_just_ended(
    c: TestClient, world: World, engine: Engine, clock: FrozenClock
) -> None:
    counter = world.counters["men"][2]
    assert c.get("/rate", follow_redirects=False).headers["location"].startswith("/staff/login")
    pair(c, world.tokens["kiosk"])
    bound = c.get(f"/rate?counter={counter}", follow_redirects=False)
    assert bound.status_code == 303 and bound.headers["location"] == "/rate"
    waiting = c.get("/rate")
    assert 'name="number"' in waiting.text and 'data-return-after="15"' in waiting.text
    issue(c, world)
    served = serve(c, world, counter)
    page = c.get("/rate")
    assert served in page.text and 'name="score"' in page.text
    ticket_id = re.search(r'name="ticket" value="(\d+)"', page.text)
    assert ticket_id is not None
    manual = c.get("/rate?manual=1")  # "this is not my ticket"
    assert 'name="number"' in manual.text and 'name="score"' not in manual.text
    assert 'data-return-after="60"' in manual.text
    clock.advance(minutes=11)
    assert 'name="score"' not in c.get("/rate").text  # that visitor has gone
    # A typed number still finds it: the tablet by the exit, or another visitor.
    typed = c.get("/rate?number=m-1")
    assert 'name="score"' in typed.text and served in typed.text
    assert c.get(f"/rate?counter={world.counters['women'][0]}").status_code == 200
    women_kiosk = TestClient(c.app)
    pair(women_kiosk, world.tokens["kiosk-women"])
    assert women_kiosk.get(f"/rate?counter={counter}").status_code == 403
    assert women_kiosk.get("/rate?number=M-001").text.count('name="score"') == 0
    assert c.get("/rate?counter=abc").status_code == 404


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_tablet_flow_with_csrf(
    c: TestClient, world: World, engine: Engine, language: str
) -> None:
    text = {
        "ar": {
            "question": "كيف كانت زيارتك؟",
            "faces": ["سيئة جداً", "سيئة", "مقبولة", "جيدة", "ممتازة"],
            "chip": "مدة الانتظار",
            "send": "أرسل تقييمي",
            "choose": "يُرجى اختيار أحد الوجوه الخمسة.",
            "thanks": "شكراً لك!",
            "rated": "سبق تقييم هذه الزيارة",
            "unknown": "لم نجد التذكرة M-077 اليوم",
            "type": "اكتب الرقم المطبوع على تذكرتك",
        },
        "en": {
            "question": "How was your visit?",
            "faces": ["Very bad", "Bad", "Okay", "Good", "Excellent"],
            "chip": "Waiting time",
            "send": "Send my rating",
            "choose": "Please choose one of the five faces.",
            "thanks": "Thank you!",
            "rated": "already been rated",
            "unknown": "We could not find ticket M-077 today",
            "type": "Type the number printed on your ticket",
        },
    }[language]
    counter = world.counters["men"][0]
    issue(c, world)
    number = serve(c, world, counter)
    pair(c, world.tokens["kiosk"])
    c.get(f"/rate?counter={counter}")
    if language == "en":
        c.get("/lang?to=en&next=/rate")
    page = c.get("/rate")
    assert page.status_code == 200
    assert f'<html lang="{language}" dir="{"rtl" if language == "ar" else "ltr"}">' in page.text
    assert text["question"] in page.text and number in page.text
    for label in [*text["faces"], text["chip"], text["send"]]:
        assert label in page.text, label
    ticket = re.search(r'name="ticket" value="(\d+)"', page.text)
    assert ticket is not None
    form = {"ticket": ticket.group(1), "reason": ["waiting", "staff"], "comment": "  سريع  "}
    r = c.post("/rate", data={**form, "score": "2"})
    assert r.status_code == 403 and ratings(engine) == []  # no CSRF token
    r = c.post("/rate", data={**form, "csrf_token": csrf(page.text)})
    assert r.status_code == 422 and text["choose"] in r.text
    assert 'value="waiting" checked' in r.text and "سريع" in r.text  # nothing typed is lost
    r = c.post(
        "/rate",
        data={**form, "score": "2", "csrf_token": csrf(r.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/rate/thanks"
    thanks = c.get("/rate/thanks")
    assert text["thanks"] in thanks.text and 'data-return-to="/rate?reset=1"' in thanks.text
    (row,) = ratings(engine)
    assert (row.score, row.reasons, row.comment) == (2, ["waiting", "staff"], "سريع")

    again = c.get("/rate")
    assert 'name="number"' in again.text and text["type"] in again.text  # nothing left to rate
    typed = c.get(f"/rate?number={number}")
    assert text["rated"] in typed.text and 'name="score"' not in typed.text
    assert text["unknown"] in c.get("/rate?number=M77").text
    r = c.post(
        "/rate", data={"ticket": ticket.group(1), "score": "5", "csrf_token": csrf(page.text)}
    )
    assert r.status_code == 409 and text["rated"] in r.text
    reset = c.get("/rate?reset=1")
    assert reset.url.path == "/rate" and 'lang="ar"' in reset.text


def test_only_rating_devices_open_the_tablet(c: TestClient, world: World) -> None:
    sign_in(c, "operator-men")
    assert c.get("/rate").status_code == 403
    display = TestClient(c.app)
    page = display.get("/device")
    display.post(
        "/device",
        data={"token": world.tokens["display-men"], "csrf_token": csrf(page.text)},
    )
    assert display.get("/rate").status_code == 403


def test_the_api_documents_ratings(c: TestClient) -> None:
    doc = c.get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/api/v1/ratings"]["post"]
    assert {"201", "409", "422"} <= set(operation["responses"])
    schema = doc["components"]["schemas"]["RatingCreate"]
    assert schema["properties"]["score"]["maximum"] == 5
    assert "staff" in schema["properties"]["reasons"]["items"]["enum"]
