"""Reports count joins from a phone as they happened: joins, check-ins, the check-in
rate, cancellations, tickets never come and both waits, in the JSON, the CSV and on
the reports screen, the same before and after the end-of-day close and rollup; and a
ticket that never checked in is no visitor in any other figure."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from reception.clock import FrozenClock
from reception.db import session_scope
from reception.queue.housekeeping import close_past_days
from reception.stats.rollup import roll_up_closed_days
from tests.dayfigures import durations, share
from tests.factories import World
from tests.helpers import bearer, issue, sign_in
from tests.remote_joins import arrive, cancel, join, open_remote_joining
from tests.test_dashboard import START, counter_post

DAY = START.date().isoformat()
MINUTE = 60


def serve_next(client: TestClient, world: World, day_clock: FrozenClock) -> str:
    number = str(counter_post(client, world, "men", 0, "call-next")["number"])
    counter_post(client, world, "men", 0, "current/start")
    day_clock.advance(minutes=2)
    counter_post(client, world, "men", 0, "current/finish")
    return number


def summary(client: TestClient, world: World, suffix: str = "") -> Any:
    r = client.get(
        f"/api/v1/reports/summary{suffix}",
        params={"date_from": DAY, "date_to": DAY},
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 200, r.text
    return r


def test_reports_count_joins_from_a_phone_as_they_happened(
    day_client: TestClient, world: World, day_clock: FrozenClock, engine: Engine
) -> None:
    open_remote_joining(day_client, world)
    issue(day_client, world, hall="men", service="letter")  # M-001 in the hall, 09:00
    came = join(engine, day_clock, "men", "letter", "0502222201")  # M-002
    cancelled = join(engine, day_clock, "men", "letter", "0502222202")  # M-003
    came_later = join(engine, day_clock, "men", "enquiry", "0502222203")  # M-004
    join(engine, day_clock, "women", "letter", "0502222204")  # W-001: never comes
    day_clock.advance(minutes=5)
    assert serve_next(day_client, world, day_clock) == "M-001"  # called 09:05, wait 5
    day_clock.advance(minutes=1)
    cancel(engine, day_clock, cancelled)  # 09:08
    day_clock.advance(minutes=2)
    arrive(engine, day_clock, came)  # 09:10
    day_clock.advance(minutes=4)
    assert serve_next(day_client, world, day_clock) == "M-002"  # called 09:14
    day_clock.advance(minutes=4)
    arrive(engine, day_clock, came_later)  # 09:20
    day_clock.advance(minutes=2)
    assert serve_next(day_client, world, day_clock) == "M-004"  # called 09:22
    day_clock.advance(minutes=6)  # 09:30

    waits_in_hall = [5 * MINUTE, 4 * MINUTE, 2 * MINUTE]  # from the ticket, or the check-in
    remote = {
        "joined": 4,
        "arrived": 2,
        "cancelled": 1,
        "never_arrived": 0,  # still away: the day is not over
        "checkin_rate": share(2, 4),
        "wait_minutes": durations([4 * MINUTE, 2 * MINUTE]),
        "join_to_call_minutes": durations([14 * MINUTE, 22 * MINUTE]),
    }

    def check(report: dict[str, Any]) -> None:
        assert report["remote"] == remote
        assert report["visitors"]["total"] == 3  # not the one away, not the one cancelled
        assert report["visitors"]["by_hall"] == {"men": 3, "women": 0}
        assert report["visitors"]["by_status"] == {"done": 3}
        assert report["wait_minutes"] == durations(waits_in_hall)
        assert report["cross_tabs"]["visitors_with_mobile"]["by_hall"]["women"]["count"] == 0
        arrivals = {h["hour"]: h["arrivals"] for h in report["by_hour"]["hours"]}
        assert arrivals == {9: 3}

    check(summary(day_client, world).json())
    rows = list(csv.reader(io.StringIO(summary(day_client, world, ".csv").text.lstrip("\ufeff"))))
    assert ["remote", "joined", "4"] in rows and ["remote", "checkin_rate", "50.0"] in rows
    assert ["remote.join_to_call_minutes", "median", "18.0"] in rows

    sign_in(day_client, "supervisor")
    page = day_client.get(f"/staff/reports?date_from={DAY}&date_to={DAY}")
    assert page.status_code == 200 and 'id="remote-joins"' in page.text
    assert 'data-remote="joined">4<' in page.text and 'data-remote="checkin_rate">50<' in page.text

    # The next morning: the end-of-day pass closes the ticket still away, and the day
    # is rolled up; the report reads the rollup and says the same, one never came.
    day_clock.at = START + timedelta(days=1, hours=2)
    with session_scope(engine, day_clock) as s:
        close_past_days(s, day_clock)
    with session_scope(engine, day_clock) as s:
        assert roll_up_closed_days(s, day_clock) == 1
    remote["never_arrived"] = 1
    check(summary(day_client, world).json())
