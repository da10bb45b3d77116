"""A counter's open ticket is closed on purpose: calling the next or a chosen visitor,
or closing the counter, while a ticket is still called or served there is refused
(409 `current_open`, with the ticket) unless the operator says how it ended
(`close_current`: served, no_show, return). Through the JSON API and the staff
console's forms, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.queue.models import Counter, Ticket
from reception.settings import Settings
from tests.factories import World
from tests.helpers import bearer, csrf, issue, sign_in

DAY = "2026-11-23"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # 10:00 in Riyadh


@pytest.fixture
def app_client(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as c:
        yield c


def row(engine: Engine, ticket_id: int) -> Ticket:
    with Session(engine) as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def counter_status(engine: Engine, counter_id: int) -> str:
    with Session(engine) as s:
        counter = s.get(Counter, counter_id)
        assert counter is not None
        return str(counter.status)


# --- the JSON API ----------------------------------------------------------------------


def test_call_next_with_a_ticket_open_is_refused_with_the_ticket(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    first, second = issue(app_client, world), issue(app_client, world)
    counter = world.counters["men"][0]
    url = f"/api/v1/counters/{counter}"
    assert (
        app_client.post(f"{url}/call-next", headers=bearer(world, "operator-men")).status_code
        == 200
    )

    r = app_client.post(
        f"{url}/call-next", headers={**bearer(world, "operator-men"), "Accept-Language": "en"}
    )
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"]["code"] == "current_open"
    assert "M-001 is still open" in body["error"]["message"]
    assert body["ticket"] == {
        "id": first["id"],
        "number": "M-001",
        "status": "called",
        "service": "letter",
        "counter": 1,
        "called_at": "2026-11-23T07:00:00+00:00",
    }
    r = app_client.post(f"{url}/call/{second['id']}", headers=bearer(world, "operator-men"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "current_open"
    assert r.json()["ticket"]["id"] == first["id"]
    assert "مفتوحة" in r.json()["error"]["message"]  # Arabic unless asked otherwise
    # Nothing moved: the first is still called, the second still waits.
    assert row(engine, first["id"]).status == "called"
    assert row(engine, second["id"]).status == "waiting"
    assert row(engine, first["id"]).outcome is None


@pytest.mark.parametrize(
    ("choice", "status", "outcome", "event"),
    [
        ("served", "done", "served", "ticket.finished"),
        ("no_show", "no_show", None, "ticket.finished"),
        ("return", "waiting", None, "ticket.returned"),
    ],
)
def test_each_choice_records_how_the_visit_ended(
    app_client: TestClient,
    world: World,
    engine: Engine,
    choice: str,
    status: str,
    outcome: str | None,
    event: str,
) -> None:
    first, second = issue(app_client, world), issue(app_client, world)
    counter = world.counters["men"][0]
    url = f"/api/v1/counters/{counter}"
    sign_in(app_client, "display-men")
    with app_client.websocket_connect("/display/ws?hall=men") as ws:
        seq = ws.receive_json()["seq"]
        assert (
            app_client.post(f"{url}/call-next", headers=bearer(world, "operator-men")).status_code
            == 200
        )
        assert ws.receive_json()["type"] == "ticket.called"
        r = app_client.post(
            f"{url}/call-next",
            json={"close_current": choice},
            headers=bearer(world, "operator-men"),
        )
        assert r.status_code == 200, r.text
        # A ticket sent back keeps its place but is not called again by the same press.
        assert r.json()["number"] == "M-002"
        closed, called = ws.receive_json(), ws.receive_json()
    assert (closed["type"], closed["seq"]) == (event, seq + 2)
    assert closed["ticket"]["number"] == "M-001" and closed["ticket"]["status"] == status
    assert (called["type"], called["seq"]) == ("ticket.called", seq + 3)
    ticket = row(engine, first["id"])
    assert (ticket.status, ticket.outcome) == (status, outcome)
    if choice == "return":
        assert ticket.counter_id is None and ticket.finished_at is None
        r = app_client.post(
            f"/api/v1/counters/{world.counters['men'][1]}/call-next",
            headers=bearer(world, "operator-men"),
        )
        assert r.json()["number"] == "M-001"  # first in line for the next counter
    else:
        assert ticket.finished_at is not None
    assert row(engine, second["id"]).status == "called"


def test_an_unknown_choice_is_a_clear_422(app_client: TestClient, world: World) -> None:
    issue(app_client, world)
    url = f"/api/v1/counters/{world.counters['men'][0]}"
    app_client.post(f"{url}/call-next", headers=bearer(world, "operator-men"))
    for path, body in (
        ("call-next", {"close_current": "vanished"}),
        ("status", {"action": "close", "close_current": "SERVED"}),
    ):
        r = app_client.post(
            f"{url}/{path}",
            json=body,
            headers={**bearer(world, "operator-men"), "Accept-Language": "en"},
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "bad_close_current"
        assert "served, no_show or return" in r.json()["error"]["message"]
    r = app_client.post(
        f"{url}/call-next", json={"close": "served"}, headers=bearer(world, "operator-men")
    )
    assert r.status_code == 422  # a misspelt field is not silently ignored


def test_a_visitor_being_served_cannot_be_a_no_show(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    first, second = issue(app_client, world), issue(app_client, world)
    url = f"/api/v1/counters/{world.counters['men'][0]}"
    app_client.post(f"{url}/call-next", headers=bearer(world, "operator-men"))
    app_client.post(f"{url}/current/start", headers=bearer(world, "operator-men"))
    for choice in ("no_show", "return"):
        r = app_client.post(
            f"{url}/call/{second['id']}",
            json={"close_current": choice},
            headers=bearer(world, "operator-men"),
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    assert row(engine, first["id"]).status == "serving"
    assert row(engine, second["id"]).status == "waiting"  # the whole press was undone
    r = app_client.post(
        f"{url}/call/{second['id']}",
        json={"close_current": "served"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200 and r.json()["number"] == "M-002"
    assert (row(engine, first["id"]).status, row(engine, first["id"]).outcome) == (
        "done",
        "served",
    )


def test_calling_a_chosen_ticket_closes_the_open_one_as_said(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    first, _, third = (issue(app_client, world) for _ in range(3))
    url = f"/api/v1/counters/{world.counters['men'][0]}"
    app_client.post(f"{url}/call-next", headers=bearer(world, "operator-men"))
    r = app_client.post(
        f"{url}/call/{third['id']}",
        json={"close_current": "no_show"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200 and r.json()["number"] == "M-003"
    assert row(engine, first["id"]).status == "no_show"
    assert row(engine, third["id"]).call_reason == "chosen"


def test_closing_a_counter_with_a_ticket_open(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    first = issue(app_client, world)
    counter = world.counters["men"][0]
    url = f"/api/v1/counters/{counter}"
    app_client.post(f"{url}/call-next", headers=bearer(world, "operator-men"))
    r = app_client.post(
        f"{url}/status", json={"action": "close"}, headers=bearer(world, "operator-men")
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "current_open"
    assert r.json()["ticket"]["number"] == "M-001"
    assert counter_status(engine, counter) == "open"
    r = app_client.post(
        f"{url}/status", json={"action": "pause"}, headers=bearer(world, "operator-men")
    )
    assert r.status_code == 200  # a pause keeps the visitor
    r = app_client.post(
        f"{url}/status",
        json={"action": "close", "close_current": "return"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert row(engine, first["id"]).status == "waiting"
    r = app_client.post(
        f"{url}/status", json={"action": "open"}, headers=bearer(world, "operator-men")
    )
    assert r.status_code == 200
    # With nothing open, no choice is needed (and one given is not used).
    r = app_client.post(
        f"{url}/call-next", json={"close_current": "no_show"}, headers=bearer(world, "operator-men")
    )
    assert r.json()["number"] == "M-001"
    r = app_client.post(
        f"{url}/status",
        json={"action": "close", "close_current": "served"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200
    assert (row(engine, first["id"]).status, row(engine, first["id"]).outcome) == (
        "done",
        "served",
    )


def test_a_visitor_who_never_came_counts_as_a_no_show_not_as_served(
    app_client: TestClient, world: World
) -> None:
    for _ in range(3):
        issue(app_client, world)
    counter = world.counters["men"][0]
    url = f"/api/v1/counters/{counter}"
    app_client.post(f"{url}/call-next", headers=bearer(world, "operator-men"))  # M-001 never comes
    app_client.post(
        f"{url}/call-next", json={"close_current": "no_show"}, headers=bearer(world, "operator-men")
    )
    app_client.post(
        f"{url}/current/start", headers=bearer(world, "operator-men")
    )  # M-002 is served
    app_client.post(
        f"{url}/call-next", json={"close_current": "served"}, headers=bearer(world, "operator-men")
    )
    app_client.post(
        f"{url}/status",
        json={"action": "close", "close_current": "no_show"},
        headers=bearer(world, "operator-men"),
    )
    r = app_client.get(
        "/api/v1/reports/summary",
        params={"date_from": DAY, "date_to": DAY},
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 200, r.text
    visitors = r.json()["visitors"]
    assert visitors["total"] == 3
    assert visitors["by_status"] == {"no_show": 2, "done": 1}
    assert r.json()["no_shows"] == 2
    [at_counter] = [c for c in r.json()["throughput"]["by_counter"] if c["counter"] == 1]
    assert (at_counter["served"], at_counter["no_shows"]) == (1, 2)


# --- the staff console ------------------------------------------------------------------

SERVED_NEXT, MISSED_NEXT, BACK_NEXT = (
    "تمت خدمته، ثم نداء التالي",
    "لم يحضر، ثم نداء التالي",
    "أُعيد إلى الطابور، ثم نداء التالي",
)


def console(c: TestClient, world: World, counter: int) -> str:
    page = c.get(f"/staff/counters/{counter}")
    assert page.status_code == 200
    return page.text


def test_the_console_offers_the_three_choices_before_calling(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    first, second, third = (issue(app_client, world) for _ in range(3))
    sign_in(app_client, "operator-men")
    counter = world.counters["men"][0]
    page = console(app_client, world, counter)
    assert 'accesskey="n">نداء التالي</button>' in page and SERVED_NEXT not in page
    page = app_client.post(
        f"/staff/counters/{counter}/call-next", data={"csrf_token": csrf(page)}
    ).text
    assert "M-001" in page
    for label in (SERVED_NEXT, MISSED_NEXT, BACK_NEXT):
        assert label in page, label
    assert 'accesskey="n">نداء التالي</button>' not in page
    assert "كيف انتهت زيارة" in page

    # Without a choice (a second tab, an old page) nothing moves: the question is asked.
    r = app_client.post(
        f"/staff/counters/{counter}/call-next",
        data={"csrf_token": csrf(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/staff/counters/{counter}/close-current?then=call-next"
    page = app_client.get(r.headers["location"]).text
    assert "ما زالت مفتوحة" in page and MISSED_NEXT in page
    assert row(engine, first["id"]).status == "called"

    page = app_client.post(
        f"/staff/counters/{counter}/call-next",
        data={"csrf_token": csrf(page), "close_current": "no_show"},
    ).text
    assert row(engine, first["id"]).status == "no_show"
    assert row(engine, second["id"]).status == "called"

    # Calling a chosen ticket out of turn asks the same question first.
    assert f'name="then" value="call-{third["id"]}"' in page
    page = app_client.get(
        f"/staff/counters/{counter}/close-current", params={"then": f"call-{third['id']}"}
    ).text
    for label in (
        "تمت خدمته، ثم نداء M-003",
        "لم يحضر، ثم نداء M-003",
        "أُعيد إلى الطابور، ثم نداء M-003",
    ):
        assert label in page, label
    page = app_client.post(
        f"/staff/counters/{counter}/call-{third['id']}",
        data={"csrf_token": csrf(page), "close_current": "return"},
    ).text
    assert row(engine, second["id"]).status == "waiting"
    assert row(engine, third["id"]).status == "called"

    # Once the visitor arrived, "did not come" and "back to the line" are not offered.
    page = app_client.post(f"/staff/counters/{counter}/start", data={"csrf_token": csrf(page)}).text
    assert SERVED_NEXT in page and MISSED_NEXT not in page and BACK_NEXT not in page
    page = app_client.post(
        f"/staff/counters/{counter}/call-next",
        data={"csrf_token": csrf(page), "close_current": "served"},
    ).text
    assert (row(engine, third["id"]).status, row(engine, third["id"]).outcome) == (
        "done",
        "served",
    )
    assert row(engine, second["id"]).status == "called"  # the one sent back, called now

    page = app_client.post(
        f"/staff/counters/{counter}/call-next",
        data={"csrf_token": csrf(page), "close_current": "gone"},
    ).text
    assert "قيمة close_current" in page  # a tampered form: a message, not a crash
    assert row(engine, second["id"]).status == "called"


def test_closing_a_busy_counter_from_the_console(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    first = issue(app_client, world)
    sign_in(app_client, "operator-men")
    counter = world.counters["men"][0]
    page = console(app_client, world, counter)
    page = app_client.post(
        f"/staff/counters/{counter}/call-next", data={"csrf_token": csrf(page)}
    ).text
    assert 'name="then" value="close"' in page
    r = app_client.post(
        f"/staff/counters/{counter}/close",
        data={"csrf_token": csrf(page)},
        follow_redirects=False,
    )
    assert r.headers["location"] == f"/staff/counters/{counter}/close-current?then=close"
    page = app_client.get(r.headers["location"]).text
    for label in (
        "تمت خدمته، ثم إغلاق الكاونتر",
        "لم يحضر، ثم إغلاق الكاونتر",
        "أُعيد إلى الطابور، ثم إغلاق الكاونتر",
    ):
        assert label in page, label
    assert counter_status(engine, counter) == "open"
    app_client.post(
        f"/staff/counters/{counter}/close",
        data={"csrf_token": csrf(page), "close_current": "no_show"},
    )
    assert counter_status(engine, counter) == "closed"
    assert row(engine, first["id"]).status == "no_show"
    # Nothing is open any more: the question page sends the operator back.
    r = app_client.get(
        f"/staff/counters/{counter}/close-current?then=close", follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/staff/counters/{counter}"
    r = app_client.get(f"/staff/counters/{counter}/close-current?then=dance")
    assert r.status_code == 404


def test_a_supervisor_closes_a_busy_counter_with_the_same_choice(
    app_client: TestClient, world: World, engine: Engine
) -> None:
    first = issue(app_client, world)
    counter = world.counters["men"][1]
    app_client.post(f"/api/v1/counters/{counter}/call-next", headers=bearer(world, "operator-men"))
    sign_in(app_client, "supervisor")
    page = app_client.get("/staff/supervise").text
    assert f'action="/staff/counters/{counter}/close-current"' in page
    page = app_client.get(
        f"/staff/counters/{counter}/close-current", params={"then": "close", "back": "supervise"}
    ).text
    assert 'name="back" value="supervise"' in page
    r = app_client.post(
        f"/staff/counters/{counter}/close",
        data={"csrf_token": csrf(page), "close_current": "served", "back": "supervise"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/staff/supervise"
    assert counter_status(engine, counter) == "closed"
    assert row(engine, first["id"]).outcome == "served"


def test_the_choices_in_english(app_client: TestClient, world: World) -> None:
    issue(app_client, world)
    sign_in(app_client, "operator-men")
    app_client.get("/lang?to=en&next=/staff")
    counter = world.counters["men"][0]
    page = console(app_client, world, counter)
    page = app_client.post(
        f"/staff/counters/{counter}/call-next", data={"csrf_token": csrf(page)}
    ).text
    assert 'How did the visit of <bdi dir="ltr">M-001</bdi> end?' in page
    for label in ("Served, call next", "Did not come, call next", "Back to the line, call next"):
        assert label in page, label
    r = app_client.post(f"/staff/counters/{counter}/call-next", data={"csrf_token": csrf(page)})
    assert "is still open at this counter" in r.text
