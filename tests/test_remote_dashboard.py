"""The staff see tickets joined from a phone apart: the supervisor's dashboard lists
those not arrived per hall (place held, on the way, passed, place lost) and counts
the check-ins, a hall-limited account sees only its hall's, the counter screen says
how many the line holds, and no existing figure counts a ticket that has not
arrived (its wait runs from its check-in)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from reception.clock import FrozenClock
from tests.factories import PASSWORD, World
from tests.helpers import bearer, issue, sign_in
from tests.remote_joins import arrive, join, on_my_way, open_remote_joining
from tests.test_dashboard import counter_post, hall


def serve_next(client: TestClient, world: World, day_clock: FrozenClock) -> str:
    """Counter 1 of the men's hall calls the next visitor and serves them 2 minutes."""
    number = str(counter_post(client, world, "men", 0, "call-next")["number"])
    counter_post(client, world, "men", 0, "current/start")
    day_clock.advance(minutes=2)
    counter_post(client, world, "men", 0, "current/finish")
    return number


def figures(client: TestClient) -> dict[str, Any]:
    r = client.get("/staff/dashboard/figures")
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_dashboard_shows_remote_tickets_apart(
    day_client: TestClient, world: World, day_clock: FrozenClock, engine: Engine
) -> None:
    open_remote_joining(day_client, world, passes_allowed=1, passes_allowed_on_way=5)
    issue(day_client, world, hall="men", service="letter")  # M-001, in the hall
    away = join(engine, day_clock, "men", "letter", "0501111101")  # M-002
    late = join(engine, day_clock, "men", "letter", "0501111102")  # M-003
    issue(day_client, world, hall="men", service="letter")  # M-004
    issue(day_client, world, hall="men", service="letter")  # M-005
    women = join(engine, day_clock, "women", "letter", "0501111103")  # W-001
    on_my_way(engine, day_clock, away, 30)
    assert (away.number, late.number, women.number) == ("M-002", "M-003", "W-001")

    sign_in(day_client, "operator-men")
    page = day_client.get(f"/staff/counters/{world.counters['men'][0]}")
    assert page.status_code == 200
    note = page.text.split("data-remote-away>")[1].split("</p>")[0]
    assert note.startswith("زائران انضما من الجوال")  # two (Arabic's dual), not arrived
    day_client.cookies.clear()

    sign_in(day_client, "supervisor")
    data = figures(day_client)
    men = hall(data, "men")
    assert men["waiting"] == 3  # the three in the hall; the two away are not waiting
    assert men["remote"]["away"] == 2 and men["remote"]["joined_today"] == 2
    assert [t["number"] for t in men["remote"]["tickets"]] == ["M-002", "M-003"]
    # the place each holds as its tracking page shows it: the visitors in the hall ahead
    assert [t["place"] for t in men["remote"]["tickets"]] == [2, 2]

    day_clock.advance(minutes=5)
    assert serve_next(day_client, world, day_clock) == "M-001"
    assert serve_next(day_client, world, day_clock) == "M-004"  # both away are passed once
    assert serve_next(day_client, world, day_clock) == "M-005"  # M-003 passed twice: place lost
    day_clock.advance(minutes=1)
    arrive(engine, day_clock, late)  # 09:12, at the end of the line
    day_clock.advance(minutes=3)
    assert serve_next(day_client, world, day_clock) == "M-003"  # called at 09:15
    day_clock.advance(minutes=3)  # 09:20

    data = figures(day_client)
    men = hall(data, "men")
    assert (men["served"], men["waiting"], men["no_shows"]) == (4, 0, 0)
    # waits 5, 7 and 9 minutes in the hall, and 3 from M-003's check-in (not 15 from its join)
    assert men["wait_minutes_mean"] == 6.0
    assert men["remote"] == {
        "away": 1,
        "arrived_today": 1,
        "joined_today": 2,
        "tickets": [
            {
                "number": "M-002",
                "service": {"slug": "letter", "name_ar": "خطاب", "name_en": "Letter"},
                "place": 1,
                "on_way": True,
                "on_way_minutes_left": 10,
                "passed": 3,
                "place_lost": False,
            }
        ],
    }
    assert data["text"]["men.remote.away"] == "1"
    assert "M-002" in data["html"]["men.remote"] and "M-003" not in data["html"]["men.remote"]
    assert hall(data, "women")["remote"]["away"] == 1
    assert "W-001" in data["html"]["women.remote"]
    page = day_client.get("/staff/dashboard")
    assert page.status_code == 200
    assert 'data-fragment="men.remote"' in page.text and "M-002" in page.text

    # An account limited to the women's hall sees that hall's remote tickets only.
    r = day_client.post(
        "/api/v1/admin/users",
        json={
            "username": "supervisor-women",
            "password": PASSWORD,
            "role": "supervisor",
            "branch": "riyadh",
            "halls": ["women"],
        },
        headers=bearer(world, "admin"),
    )
    assert r.status_code == 201, r.text
    day_client.cookies.clear()
    sign_in(day_client, "supervisor-women")
    data = figures(day_client)
    assert [h["slug"] for h in data["figures"]["halls"]] == ["women"]
    assert list(data["html"]) == ["women.remote"]
    assert "M-002" not in day_client.get("/staff/dashboard").text
