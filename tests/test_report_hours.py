"""Figures a manager staffs by: a small known day played through the API under a
frozen clock, then its figures by local hour, its SMS by purpose and delivery status
and its cross-tabs asserted exactly in the summary API, the CSV and Excel exports and
the report screen, on SQLite and PostgreSQL, before and after the end-of-day rollup;
and the rounding of halves (12.25 shows 12.3)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.notify.models import OutgoingSms
from reception.queue.housekeeping import close_past_days
from reception.settings import Settings
from reception.stats.models import TicketDay, TicketDayHour
from reception.stats.numbers import half_up, histogram_percentiles, number_formatter
from reception.stats.rollup import roll_up_closed_days
from tests.factories import World
from tests.helpers import bearer, sign_in
from tests.test_stats import _xlsx_rows

MORNING = datetime(2024, 5, 12, 5, 30, tzinfo=UTC)  # a Sunday, 08:30 in Riyadh (UTC+3)
DAY = {"date_from": "2024-05-12", "date_to": "2024-05-12"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


def at(clock: FrozenClock, hour: int, minute: int, second: int = 0) -> None:
    """Moves the clock forward to hh:mm:ss Riyadh time on the day."""
    target = MORNING.replace(hour=hour - 3, minute=minute, second=second)
    clock.advance(seconds=(target - clock.now()).total_seconds())


def play_the_day(c: TestClient, world: World, clock: FrozenClock) -> None:
    men, women = world.counters["men"][0], world.counters["women"][0]

    def issue(hall: str, residency: str | None = None, phone: str | None = None) -> None:
        body: dict[str, Any] = {"branch": "riyadh", "hall": hall, "service": "letter"}
        if residency:
            body["residency"] = residency
        if phone:
            body["phone"] = phone
        r = c.post("/api/v1/tickets", json=body, headers=bearer(world, "kiosk"))
        assert r.status_code == 201, r.text

    def call_next(counter: int, operator: str) -> None:
        r = c.post(
            f"/api/v1/counters/{counter}/call-next",
            json={"close_current": "served"},
            headers=bearer(world, operator),
        )
        assert r.status_code == 200, r.text

    def letter(channel: str, hall: str | None) -> None:
        body = {
            "branch": "riyadh",
            "channel": channel,
            "sender_name": "محمد عبدالله الأحمد",
            "sender_id_number": "1000000008",
            "subject": "طلب",
            "sex": "male",
        }
        if hall:
            body["hall"] = hall
        r = c.post("/api/v1/letters", json=body, headers=bearer(world, "operator-men"))
        assert r.status_code == 201, r.text

    def enquiry(direction: str, topic: str, minutes: int | None = None) -> None:
        body: dict[str, Any] = {"direction": direction, "topic": topic, "note": "مواعيد العمل"}
        if minutes is not None:
            body["duration_minutes"] = minutes
        r = c.post(
            "/api/v1/enquiries",
            json=body,
            headers=bearer(world, "operator-men"),
        )
        assert r.status_code == 201, r.text

    issue("men", "citizen", "0501234561")  # M1 08:30
    at(clock, 8, 40)
    issue("men", "resident")  # M2
    at(clock, 8, 50)
    issue("women", None, "0501234562")  # W1
    at(clock, 9, 10)
    call_next(men, "operator-men")  # M1 waited 40:00
    at(clock, 9, 20)
    issue("men", "citizen", "0501234563")  # M3
    at(clock, 9, 25)
    call_next(women, "operator-women")  # W1 waited 35:00
    at(clock, 9, 30)
    call_next(men, "operator-men")  # M1 done, M2 waited 50:00
    at(clock, 9, 45)
    call_next(men, "operator-men")  # M2 done, M3 waited 25:00
    at(clock, 10, 0)
    issue("women", "citizen")  # W2
    at(clock, 10, 1)
    issue("women", "resident")  # W3
    at(clock, 10, 12)
    call_next(women, "operator-women")  # W1 done, W2 waited 12:00
    at(clock, 10, 13, 30)
    call_next(women, "operator-women")  # W2 done, W3 waited 12:30
    at(clock, 10, 20)
    issue("men")  # M4, never called
    at(clock, 10, 30)
    enquiry("in", "opening_hours", 5)
    at(clock, 10, 40)
    enquiry("out", "appointments")  # nobody timed it
    at(clock, 10, 50)
    letter("counter", "men")
    letter("phone", None)
    letter("mail", None)
    at(clock, 11, 5)
    enquiry("in", "opening_hours", 3)


def settle_the_sms(engine: Engine) -> dict[str, int]:
    """The provider's answers, fixed so the figures are known: every message of a
    purpose gets one status; returns how many messages each purpose has."""
    answers = {
        "ticket_issued": ("delivered", None),
        "ticket_called": ("failed", "twilio 400 code 21610"),  # unsubscribed there
        "ticket_next": ("sent", None),
        "ticket_feedback": ("undelivered", "provider error 30003"),
    }
    with session_scope(engine) as s:
        purposes = {p for (p,) in s.execute(select(OutgoingSms.purpose)).all()}
        assert purposes <= set(answers), purposes
        for purpose, (status, error) in answers.items():
            s.execute(
                update(OutgoingSms)
                .where(OutgoingSms.purpose == purpose)  # type: ignore[arg-type]
                # the outbox stamps rows with the wall clock, not the test's clock
                .values(status=status, last_error=error, created_at=MORNING + timedelta(hours=2))
            )
        s.add(
            OutgoingSms(
                idempotency_key="test:reminder",
                to="+966501234569",
                branch_id=1,
                body="x",
                language="ar",
                purpose="appointment_reminder_day",
                status="pending",
                created_at=MORNING + timedelta(hours=1),
                next_attempt_at=MORNING + timedelta(days=30),  # not due: stays queued
            )
        )
    with Session(engine) as s:
        counted: dict[str, int] = {}
        for (p,) in s.execute(select(OutgoingSms.purpose)).all():
            counted[p] = counted.get(p, 0) + 1
        return counted


def wait(count: int, mean: float | None, median: float | None, p90: float | None) -> dict:
    return {"count": count, "mean": mean, "median": median, "p90": p90}


NONE = wait(0, None, None, None)
ALL_HOURS = [
    {"hour": 8, "arrivals": 3, "called": 0, "wait_minutes": wait(3, 41.7, 40.0, 48.0),
     "phone_calls": 0},
    {"hour": 9, "arrivals": 1, "called": 4, "wait_minutes": wait(1, 25.0, 25.0, 25.0),
     "phone_calls": 0},
    {"hour": 10, "arrivals": 3, "called": 2, "wait_minutes": wait(2, 12.3, 12.3, 12.5),
     "phone_calls": 2},
    {"hour": 11, "arrivals": 0, "called": 0, "wait_minutes": NONE, "phone_calls": 1},
]  # fmt: skip
MEN_HOURS = [
    {"hour": 8, "arrivals": 2, "called": 0, "wait_minutes": wait(2, 45.0, 45.0, 49.0)},
    {"hour": 9, "arrivals": 1, "called": 3, "wait_minutes": wait(1, 25.0, 25.0, 25.0)},
    {"hour": 10, "arrivals": 1, "called": 0, "wait_minutes": NONE},
]
WOMEN_HOURS = [
    {"hour": 8, "arrivals": 1, "called": 0, "wait_minutes": wait(1, 35.0, 35.0, 35.0)},
    {"hour": 9, "arrivals": 0, "called": 1, "wait_minutes": NONE},
    # waits 12:00 and 12:30: mean and median 12.25 → 12.3, p90 12.45 → 12.5
    {"hour": 10, "arrivals": 2, "called": 2, "wait_minutes": wait(2, 12.3, 12.3, 12.5)},
]
BY_HOUR = {
    "peak_hour": 8,  # 8 and 10 both had three arrivals: the earlier one
    "hours": ALL_HOURS,
    "by_branch": [{"branch": "riyadh", "peak_hour": 8, "hours": ALL_HOURS}],
    "by_hall": [
        {"branch": "riyadh", "hall": "men", "section": "men", "peak_hour": 8, "hours": MEN_HOURS},
        {"branch": "riyadh", "hall": "women", "section": "women", "peak_hour": 10,
         "hours": WOMEN_HOURS},
    ],
}  # fmt: skip
CROSS_TABS = {
    "visitors_by_hall_residency": {
        "men": {"citizen": 2, "resident": 1, "unknown": 1},
        "women": {"citizen": 1, "resident": 1, "unknown": 1},
    },
    "visitors_with_mobile": {
        "count": 3,
        "share": 42.9,  # 3 of 7
        "by_hall": {"men": {"count": 2, "share": 50.0}, "women": {"count": 1, "share": 33.3}},
    },
    "letters_by_hall": {"men": 1, "women": 0, "none": 2},
    "letters_by_channel": {"counter": 1, "phone": 1, "mail": 1, "online": 0},
    "letters_by_hall_channel": {
        "men": {"counter": 1, "phone": 0, "mail": 0, "online": 0},
        "women": {"counter": 0, "phone": 0, "mail": 0, "online": 0},
        "none": {"counter": 0, "phone": 1, "mail": 1, "online": 0},
    },
    "calls_by_topic": {
        "opening_hours": {"incoming": 2, "outgoing": 0, "minutes": 8},
        "appointments": {"incoming": 0, "outgoing": 1, "minutes": None},
    },
    "calls_minutes": 8,
    "calls_timed_calls": 2,
}


def expected_sms(purposes: dict[str, int]) -> dict[str, Any]:
    issued, called = purposes["ticket_issued"], purposes["ticket_called"]
    nexts, feedback = purposes.get("ticket_next", 0), purposes.get("ticket_feedback", 0)
    assert (issued, called, feedback) == (3, 3, 2)  # M1, W1, M3 called; M1, W1 done

    def row(**counts: int) -> dict[str, int]:
        found = {"queued": 0, "sent": 0, "delivered": 0, "failed": 0, "opted_out": 0, **counts}
        return {"total": sum(found.values()), **found}

    by_purpose = {
        "ticket_issued": row(delivered=issued),
        "ticket_called": row(opted_out=called),
        "appointment_reminder_day": row(queued=1),
        "ticket_feedback": row(failed=feedback),
    }
    if nexts:
        by_purpose["ticket_next"] = row(sent=nexts)
    return {
        "by_delivery": {
            "queued": 1,
            "sent": nexts,
            "delivered": issued,
            "failed": feedback,
            "opted_out": called,
        },
        "by_purpose": dict(sorted(by_purpose.items(), key=lambda kv: (-kv[1]["total"], kv[0]))),
        "headline_sent": issued + nexts + feedback,
    }


def check_everything(c: TestClient, world: World, sms: dict[str, Any]) -> None:
    r = c.get("/api/v1/reports/summary", params=DAY, headers=bearer(world, "supervisor"))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["by_hour"] == BY_HOUR
    assert data["cross_tabs"] == CROSS_TABS
    breakdown = data["sms_breakdown"]
    assert breakdown["headline"].startswith("sent: messages accepted by the provider")
    assert breakdown["by_delivery"] == sms["by_delivery"]
    assert breakdown["by_purpose"] == sms["by_purpose"]
    assert data["sms"]["sent"] == sms["headline_sent"]

    r = c.get("/api/v1/reports/summary.csv", params=DAY, headers=bearer(world, "supervisor"))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    found = {(m, i): v for m, i, v in rows[1:]}
    assert found[("report", "sms_headline")] == breakdown["headline"]
    assert found[("by_hour.peak_hour", "")] == "8"
    assert found[("by_hour.arrivals", "08:00–09:00")] == "3"
    assert found[("by_hour.phone_calls", "10:00–11:00")] == "2"
    assert found[("by_hour.by_hall.peak_hour", "riyadh/women")] == "10"
    assert found[("by_hour.by_hall.wait_minutes.mean", "riyadh/women/10:00–11:00")] == "12.3"
    assert found[("by_hour.by_hall.wait_minutes.p90", "riyadh/women/10:00–11:00")] == "12.5"
    assert found[("by_hour.by_branch.called", "riyadh/09:00–10:00")] == "4"
    assert found[("cross_tabs.visitors_with_mobile", "share")] == "42.9"
    assert found[("cross_tabs.visitors_by_hall_residency.men", "unknown")] == "1"
    assert found[("cross_tabs.letters_by_channel", "mail")] == "1"
    assert found[("sms_breakdown.by_delivery", "opted_out")] == "3"
    assert found[("cross_tabs.calls_by_topic.opening_hours", "minutes")] == "8"
    assert found[("cross_tabs.calls_by_topic.appointments", "minutes")] == ""
    assert found[("cross_tabs", "calls_timed_calls")] == "2"
    assert found[("sms_breakdown.by_purpose.ticket_issued", "delivered")] == "3"

    r = c.get("/api/v1/reports/summary.xlsx", params=DAY, headers=bearer(world, "supervisor"))
    sheet = {(row[0], row[1]): row[2] for row in _xlsx_rows(r.content, 1)[1:] if len(row) == 3}
    assert float(sheet[("by_hour.by_hall.wait_minutes.median", "riyadh/women/10:00–11:00")]) == 12.3
    assert float(sheet[("by_hour.arrivals", "10:00–11:00")]) == 3
    assert float(sheet[("cross_tabs.visitors_with_mobile.by_hall.women", "share")]) == 33.3
    assert sheet[("report", "sms_headline")] == breakdown["headline"]

    sign_in(c, "supervisor")
    c.get("/lang", params={"to": "en", "next": "/staff/reports"})
    english = c.get("/staff/reports", params=DAY).text
    # hours are isolated left to right (U+2066 … U+2069) so they read right in Arabic
    assert "Busiest hour: \u206608:00–09:00\u2069, 3 visitors arrived." in english
    assert "Busiest hour: \u206610:00–11:00\u2069, 2 visitors arrived." in english  # women
    assert 'id="hours-desc"' in english
    assert "\u206610:00–11:00\u2069: 3 arrived, 2 called" in english
    women_hour_10 = (
        '<th scope="row"><bdi dir="ltr">10:00–11:00</bdi></th>\n'
        '        <td class="num">2</td>\n        <td class="num">2</td>\n'
        '        <td class="num">12.3</td>\n        <td class="num">12.3</td>\n'
        '        <td class="num">12.5</td>'
    )
    assert women_hour_10 in english
    assert "messages accepted by the provider" in english
    assert "Refused: the recipient opted out" in english and "Ticket taken" in english
    assert "42.9" in english and "33.3" in english and "By post" in english
    topics = english.split('id="t-call-topics"')[1].split("</section>")[0]
    assert ">Opening hours and locations</th>" in topics and ">Appointments</th>" in topics
    assert "opening_hours" not in topics  # people read names, never slugs
    c.get("/lang", params={"to": "ar", "next": "/staff/reports"})
    arabic = c.get("/staff/reports", params=DAY).text
    assert 'dir="rtl"' in arabic
    assert "ساعة الذروة: \u206608:00–09:00\u2069، وصل فيها 3 من المراجعين." in arabic
    assert "12.3" in arabic and "الرسائل النصية حسب الغرض وحالة التسليم" in arabic
    assert ">أوقات العمل والمواقع</th>" in arabic.split('id="t-call-topics"')[1]


def test_a_known_day_by_hour_sms_and_cross_tabs_before_and_after_the_rollup(
    settings: Settings, world: World, clock: FrozenClock, engine: Engine
) -> None:
    with TestClient(create_app(settings, clock)) as c:
        play_the_day(c, world, clock)
    sms = expected_sms(settle_the_sms(engine))
    with TestClient(create_app(settings, clock)) as c:
        check_everything(c, world, sms)

    clock.advance(days=1)
    with session_scope(engine) as s:
        close_past_days(s, clock)
    with session_scope(engine) as s:
        assert roll_up_closed_days(s, clock) == 1
    with Session(engine) as s:
        assert len(s.exec(select(TicketDay)).all()) == 1
        assert len(s.exec(select(TicketDayHour)).all()) == 6  # men 8–10, women 8–10
    with TestClient(create_app(settings, clock)) as c:
        check_everything(c, world, sms)


# --- rounding and percentiles -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(12.25, 12.3), (12.35, 12.4), (12.45, 12.5), (0.05, 0.1), (2.675, 2.7), (12.24, 12.2)],
)
def test_halves_are_rounded_up(value: float, shown: float) -> None:
    assert round(12.25, 1) == 12.2  # what Python's round would publish
    assert half_up(value) == shown


def test_screens_print_halves_rounded_up_in_both_languages() -> None:
    assert number_formatter("en")(12.25) == "12.3"
    assert number_formatter("ar")(12.25) == "12.3"
    assert number_formatter("en")(4.25) == "4.3"
    assert number_formatter("en")(1234.05) == "1,234.1"
    assert number_formatter("en")(None) == "—"


def test_percentiles_interpolate_between_the_nearest_ranks() -> None:
    from collections import Counter

    assert histogram_percentiles(Counter({720: 1, 750: 1})) == pytest.approx([12.25, 12.45])
    four = Counter({60: 1, 120: 1, 180: 1, 240: 1})  # 1, 2, 3 and 4 minutes
    assert histogram_percentiles(four) == pytest.approx([2.5, 3.7])
    assert histogram_percentiles(Counter()) == [None, None]
