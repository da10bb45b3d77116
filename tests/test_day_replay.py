"""A whole seeded day (tests/dayplan.py) replayed through the JSON API under a moved
clock: the summary report, its CSV and its XLSX must publish, for every branch, each
branch and each hall, exactly the figures the generator's own ledger gives — before
and after the end-of-day close (`reception close-day`) and rollup; on SQLite and
PostgreSQL.

FIGURES lists every published figure with how the ledger computes it
(tests/dayfigures.py): the figures by hour (every branch, each branch, each hall, the
peak hours), the SMS by purpose and delivery status, the cross-tabs (hall × residency,
mobile numbers, letters by hall and channel, calls by topic with their minutes) and
the rest. A figure the report gains is one more line there (the test fails on a
report figure it does not check)."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.reminders import mark_no_shows, send_due_reminders
from reception.cli import main as reception_command
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.notify.models import OutgoingSms
from reception.queue.housekeeping import close_past_days
from reception.settings import DEFAULT_TIMEZONE
from reception.stats.models import TicketDay
from reception.stats.rollup import roll_up_closed_days
from tests.dayfigures import NOBODY as NOBODY
from tests.dayfigures import SMS_HEADLINE, DayView, durations, place, tally
from tests.dayledger import Ledger
from tests.dayplan import DayPlan
from tests.dayworld import DAY, MOBILE, Api, local, set_up
from tests.factories import World as Seeded
from tests.fake_twilio import FakeTwilio, serve_fake_twilio
from tests.helpers import wait_until
from tests.test_sms import twilio_settings
from tests.test_stats import _xlsx_rows

SEED = 20240512

Figure = tuple[str, Callable[[DayView], Any]]
FIGURES: list[Figure] = [
    ("days", lambda d: 1),
    ("every_branch", lambda d: d.every_branch),
    ("date_from", lambda d: DAY.isoformat()),
    ("date_to", lambda d: DAY.isoformat()),
    ("visitors.total", lambda d: len(d.visitors)),
    ("visitors.by_hall", lambda d: tally((v.hall for v in d.visitors), ("men", "women"))),
    (
        "visitors.by_residency",
        lambda d: tally(
            (v.residency or "unknown" for v in d.visitors), ("citizen", "resident", "unknown")
        ),
    ),
    ("visitors.by_service", lambda d: tally(v.service for v in d.visitors)),
    ("visitors.by_priority", lambda d: tally(v.priority or "none" for v in d.visitors)),
    ("visitors.by_status", lambda d: tally(v.status for v in d.visitors)),
    ("no_shows", lambda d: sum(1 for v in d.visitors if v.status == "no_show")),
    ("wait_minutes", lambda d: durations(d.waits())),
    ("service_minutes", lambda d: durations(d.service_times())),
    ("throughput.by_counter", lambda d: d.work(lambda v: place(v.counter))),
    ("throughput.by_operator", lambda d: d.work(lambda v: v.operator or NOBODY)),
    ("letters.total", lambda d: len(d.letters)),
    ("letters.by_category", lambda d: tally(x.category or "unclassified" for x in d.letters)),
    ("letters.by_department", lambda d: tally(x.department or "unassigned" for x in d.letters)),
    ("letters.by_status", lambda d: tally(x.status for x in d.letters)),
    ("letters.by_residency", lambda d: tally(x.residency for x in d.letters)),
    ("letters.by_sex", lambda d: tally(x.sex for x in d.letters)),
    ("letters.sla", lambda d: d.sla()),
    # The replayed day runs without the suggestion model (not marked `suggestions`): no
    # decision was made beside a suggestion. The figures with one are checked against
    # what operators did in tests/test_suggestion_acceptance.py.
    (
        "letters.first_suggestion",
        lambda d: {"decisions": 0, "accepted": 0, "rate": None, "by_category": {}},
    ),
    ("calls.incoming", lambda d: d.calls_of(None, "in")),
    ("calls.outgoing", lambda d: d.calls_of(None, "out")),
    ("calls.about_letters.incoming", lambda d: d.calls_of(True, "in")),
    ("calls.about_letters.outgoing", lambda d: d.calls_of(True, "out")),
    ("calls.enquiries.incoming", lambda d: d.calls_of(False, "in")),
    ("calls.enquiries.outgoing", lambda d: d.calls_of(False, "out")),
    ("sms.total", lambda d: len(d.sms)),
    # the provider took every message; those it then reported failed count as not sent
    ("sms.sent", lambda d: d.sms_reported("delivered", "undelivered", "silent")),
    ("sms.delivered", lambda d: d.sms_reported("delivered")),
    ("sms.failed", lambda d: d.sms_reported("undelivered", "opted_out")),
    ("sms.pending", lambda d: 0),
    ("ratings.count", lambda d: len(d.ratings)),
    ("ratings.mean", lambda d: d.ratings_mean()),
    (
        "ratings.distribution",
        lambda d: tally((str(r.score) for r in d.ratings), ("1", "2", "3", "4", "5")),
    ),
    ("ratings.by_service", lambda d: d.rating_groups(lambda r: r.service)),
    ("ratings.by_counter", lambda d: d.rating_groups(lambda r: place(r.counter))),
    ("ratings.by_operator", lambda d: d.rating_groups(lambda r: r.operator or NOBODY)),
    ("appointments.booked", lambda d: d.appointments_with("booked", "checked_in", "no_show")),
    ("appointments.kept", lambda d: d.appointments_with("checked_in")),
    ("appointments.no_show", lambda d: d.appointments_with("no_show")),
    ("appointments.cancelled", lambda d: d.appointments_with("cancelled")),
    (
        "appointments.by_kind",
        lambda d: tally(a.kind for a in d.appointments if a.status != "cancelled"),
    ),
    # The replayed day has no join from a phone; tests/test_remote_figures.py checks
    # these figures against a day that has them.
    ("remote.joined", lambda d: 0),
    ("remote.arrived", lambda d: 0),
    ("remote.cancelled", lambda d: 0),
    ("remote.never_arrived", lambda d: 0),
    ("remote.checkin_rate", lambda d: None),
    ("remote.wait_minutes", lambda d: durations([])),
    ("remote.join_to_call_minutes", lambda d: durations([])),
    ("by_hour.peak_hour", lambda d: d.by_hour()["peak_hour"]),
    ("by_hour.hours", lambda d: d.by_hour()["hours"]),
    ("by_hour.by_branch", lambda d: d.by_hour()["by_branch"]),
    ("by_hour.by_hall", lambda d: d.by_hour()["by_hall"]),
    ("sms_breakdown.headline", lambda d: SMS_HEADLINE),
    ("sms_breakdown.by_delivery", lambda d: d.sms_by_delivery()),
    ("sms_breakdown.by_purpose", lambda d: d.sms_by_purpose_and_delivery()),
    ("cross_tabs.visitors_by_hall_residency", lambda d: d.hall_by_residency()),
    ("cross_tabs.visitors_with_mobile", lambda d: d.with_mobile()),
    ("cross_tabs.letters_by_hall", lambda d: d.letters_by_hall()),
    ("cross_tabs.letters_by_channel", lambda d: d.letters_by_channel()),
    ("cross_tabs.letters_by_hall_channel", lambda d: d.letters_by_hall_and_channel()),
    ("cross_tabs.calls_by_topic", lambda d: d.calls_by_topic()),
    ("cross_tabs.calls_minutes", lambda d: d.call_minutes()),
    ("cross_tabs.calls_timed_calls", lambda d: d.timed_calls()),
    # No unit serves the mobile branch here (tests/test_edge_reports.py has units):
    # every day is complete, and the branch's day shows its stop.
    ("incomplete_days", lambda d: []),
    ("mobile", lambda d: mobile_days(d)),
]


def mobile_days(d: DayView) -> list[dict[str, Any]]:
    """The mobile branch of the report's scope, standing at Hail on the day."""
    if MOBILE not in d.branches:
        return []
    day = {
        "date": DAY.isoformat(),
        "stop": {"place_ar": "حائل", "place_en": "Hail"},
        "visitors": len(DayView(d.ledger, [MOBILE], d.now).visitors),
        "incomplete": False,
    }
    return [
        {
            "branch": MOBILE,
            "name_ar": "الوحدة المتنقلة",
            "name_en": "Mobile unit",
            "timezone": DEFAULT_TIMEZONE,
            "units": 0,
            "last_synced_at": None,
            "pending": 0,
            "incomplete_days": [],
            "days": [day],
        }
    ]


NOT_FIGURES = {"labels", "branches"}  # names for the screens; the branches are checked apart
EXPORT_ELSEWHERE = {"date_from", "date_to", "every_branch"}  # the exports' "report" rows
LISTS = {
    "throughput.by_counter",
    "throughput.by_operator",
    "ratings.by_counter",
    "ratings.by_operator",
}


# --- reading the reports ------------------------------------------------------------------


SCOPES = {  # name → (token, branch parameters, branches the figures cover)
    "every branch": ("admin", [], ("riyadh", "jeddah", MOBILE)),
    "riyadh": ("supervisor", [], ("riyadh",)),
    "mobile unit": ("supervisor-mobile", [], (MOBILE,)),
    "both by name": ("admin", ["riyadh", MOBILE], ("riyadh", MOBILE)),
}


def fetch(api: Api, token: str, branches: list[str], suffix: str = "") -> Any:
    params: dict[str, Any] = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}
    if branches:
        params["branch"] = branches
    r = api.client.get(
        f"/api/v1/reports/summary{suffix}",
        params=params,
        headers={"Authorization": f"Bearer {api.tokens[token]}"},
    )
    assert r.status_code == 200, r.text
    return r


def at_path(report: dict[str, Any], path: str) -> Any:
    value: Any = report
    for part in path.split("."):
        value = value[part]
    return value


def keyed(path: str, entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A list of places or people keyed as the exports label them."""
    found = {}
    for entry in entries:
        if "counter" in entry:
            label = place((entry["branch"], entry["hall"], entry["counter"]))
            skip = {"id", "branch", "hall", "counter"}
        else:
            label = entry["username"] or NOBODY
            skip = {"id", "username", "name"}
        found[label] = {k: v for k, v in entry.items() if k not in skip}
    return found


def expected_report(view: DayView) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for path, compute in FIGURES:
        *parents, last = path.split(".")
        node = report
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = compute(view)
    return report


def unchecked(report: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of the published report that no line of FIGURES checks."""
    checked = {p for p, _ in FIGURES}
    missing = []
    for key, value in report.items():
        path = f"{prefix}{key}"
        if path in checked or path in NOT_FIGURES:
            continue
        if isinstance(value, dict) and any(c.startswith(path + ".") for c in checked):
            missing += unchecked(value, path + ".")
        else:
            missing.append(path)
    return missing


def flat(report: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """The (metric, item) → value rows the CSV and XLSX exports are defined to hold;
    the hours as (by_hour[.by_branch|.by_hall].figure, [branch/[hall/]]HH:00–HH:00)."""
    rows: dict[tuple[str, str], Any] = {}

    def walk(prefix: str, value: dict[str, Any]) -> None:
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            if path in LISTS:
                for label, figures in item.items():
                    for name, figure in figures.items():
                        rows[(f"{path}.{name}", label)] = figure
            elif isinstance(item, dict):
                walk(path, item)
            elif prefix:
                rows[(prefix, key)] = item
            else:
                rows[(key, "")] = item

    def hours(metric: str, where: str, found: dict[str, Any]) -> None:
        rows[(f"{metric}.peak_hour", where.rstrip("/"))] = found["peak_hour"]
        for entry in found["hours"]:
            hour = entry["hour"]
            item = f"{where}{hour:02d}:00–{(hour + 1) % 24:02d}:00"
            for key, value in entry.items():
                if isinstance(value, dict):
                    for stat, figure in value.items():
                        rows[(f"{metric}.{key}.{stat}", item)] = figure
                elif key != "hour":
                    rows[(f"{metric}.{key}", item)] = value

    skipped = EXPORT_ELSEWHERE | {"by_hour", "incomplete_days", "mobile"}
    walk("", {k: v for k, v in report.items() if k not in skipped})
    for branch in report["mobile"]:  # the mobile branches' days, after the other figures
        rows[("mobile.last_synced_at", branch["branch"])] = branch["last_synced_at"]
        rows[("mobile.pending", branch["branch"])] = branch["pending"]
        for day in branch["days"]:
            item = f"{branch['branch']}/{day['date']}"
            rows[("mobile.stop_ar", item)] = day["stop"]["place_ar"]
            rows[("mobile.stop_en", item)] = day["stop"]["place_en"]
            rows[("mobile.visitors", item)] = day["visitors"]
            rows[("mobile.incomplete", item)] = day["incomplete"]
    by_hour = report["by_hour"]
    hours("by_hour", "", by_hour)
    for branch in by_hour["by_branch"]:
        hours("by_hour.by_branch", f"{branch['branch']}/", branch)
    for hall in by_hour["by_hall"]:
        hours("by_hour.by_hall", f"{hall['branch']}/{hall['hall']}/", hall)
    return rows


def compare(api: Api, ledger: Ledger, moment: str, now: Any) -> int:
    """Every figure of every scope, in the JSON, the CSV and the XLSX; returns how
    many were compared (a JSON figure, or a row of the CSV and of the XLSX)."""
    compared = 0
    for scope, (token, params, branches) in SCOPES.items():
        view = DayView(ledger, branches, now, every_branch=scope == "every branch")
        expected = expected_report(view)
        published = fetch(api, token, params).json()
        assert unchecked(published) == [], "add a line to FIGURES for each new figure"
        assert sorted(b["slug"] for b in published["branches"]) == sorted(branches)
        for path, _ in FIGURES:
            want, got = at_path(expected, path), at_path(published, path)
            if path in LISTS:
                got = keyed(path, got)
            assert got == want, f"{moment}, {scope}: {path} is {got}, the day says {want}"
            compared += 1
        rows = flat(expected)
        sheet = csv.reader(
            io.StringIO(fetch(api, token, params, ".csv").content.decode("utf-8-sig"))
        )
        header = {(m, i): v for m, i, v in list(sheet)[1:]}
        in_csv = {k: v for k, v in header.items() if k[0] != "report"}
        assert header[("report", "date_from")] == header[("report", "date_to")] == DAY.isoformat()
        assert header[("report", "sms_headline")] == SMS_HEADLINE
        assert sorted(header[("report", "branches")].split()) == sorted(branches)
        assert in_csv == {k: "" if v is None else str(v) for k, v in rows.items()}, (moment, scope)
        workbook = fetch(api, token, params, ".xlsx").content
        over_time = [[DAY.isoformat(), str(len(view.visitors)), str(len(view.letters))]]
        assert _xlsx_rows(workbook, 2)[1:] == over_time, (moment, scope)
        book = _xlsx_rows(workbook, 1)
        in_xlsx = {(r[0], r[1]): r[2] for r in book[1:] if r[0] != "report"}
        compared += 2 * len(rows)
        assert in_xlsx.keys() == rows.keys(), (moment, scope)
        for key, value in rows.items():
            cell = in_xlsx[key]
            if isinstance(value, bool) or value is None:
                assert cell == ("" if value is None else str(value).lower()), (moment, scope, key)
            elif isinstance(value, str):
                assert cell == value, (moment, scope, key)
            else:
                assert float(cell) == value, (moment, scope, key, cell, value)
    return compared


# --- the day ----------------------------------------------------------------------------


def wait_for_the_outbox(engine: Engine) -> None:
    """The SMS worker sends in the background: wait until the outbox is empty."""

    def empty() -> bool:
        with Session(engine) as s:
            left = s.exec(
                select(func.count())
                .select_from(OutgoingSms)
                .where(OutgoingSms.status.in_(("pending", "sending")))
            ).one()  # type: ignore[attr-defined]
        return left == 0

    wait_until(empty, "the outbox to empty", timeout=30)


def report_deliveries(api: Api, fake: FakeTwilio, ledger: Ledger) -> None:
    """Each handset's delivery report, signed as Twilio signs them."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(fake.auth_token)
    url = "http://testserver/api/v1/sms/status"
    assert len(fake.messages) == len(ledger.sms)
    for message in fake.messages:
        fate = ledger.handsets[message["to"]]
        if fate == "silent":
            continue
        status, code = {"delivered": ("delivered", None), "undelivered": ("undelivered", "30003"),
                        "opted_out": ("failed", "21610")}[fate]  # fmt: skip
        params = {"MessageSid": message["sid"], "MessageStatus": status,
                  "AccountSid": fake.account_sid}  # fmt: skip
        if code:
            params["ErrorCode"] = code
        signed = {"X-Twilio-Signature": validator.compute_signature(url, params)}
        r = api.client.post("/api/v1/sms/status", data=params, headers=signed)
        assert r.status_code == 204, r.text


def sms_by_purpose(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.exec(select(OutgoingSms.purpose, func.count()).group_by(OutgoingSms.purpose))
        return {purpose: n for purpose, n in rows}


@pytest.fixture
def day_clock() -> FrozenClock:
    return FrozenClock(local(7, 30))


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with serve_fake_twilio() as server:
        yield server
    assert server.errors == []


@pytest.fixture
def day_client(
    database_url: str, tmp_path: Path, world: Seeded, day_clock: FrozenClock, fake: FakeTwilio
) -> Iterator[TestClient]:
    # The server's own housekeeping pass runs at the plan's times (see housekeeping()).
    settings = twilio_settings(
        database_url, tmp_path / "var", fake, housekeeping_interval_seconds=86400
    )
    with TestClient(create_app(settings, day_clock), raise_server_exceptions=False) as c:
        yield c


def test_a_whole_day_is_reported_as_it_happened(
    day_client: TestClient,
    world: Seeded,
    day_clock: FrozenClock,
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeTwilio,
) -> None:
    started = time.perf_counter()
    api = Api(day_client, dict(world.tokens))
    plan_world = set_up(api, world)

    def housekeeping() -> None:
        """What the server does each minute, at the moment the plan says."""
        with session_scope(engine) as s:
            close_past_days(s, day_clock)
        with session_scope(engine) as s:
            roll_up_closed_days(s, day_clock)
        with session_scope(engine) as s:
            send_due_reminders(s, day_clock, "http://testserver")
            mark_no_shows(s, day_clock)

    plan = DayPlan(SEED, api, day_clock, plan_world, housekeeping)
    ledger = plan.run()
    replayed = time.perf_counter() - started
    visitors = ledger.tickets.values()
    assert len(ledger.tickets) >= 200, "a day of a few hundred visitors"
    statuses = {t.status for t in visitors}
    assert statuses >= {"done", "no_show", "waiting", "serving"}, statuses
    assert any(t.transfers for t in visitors) and any(t.returns for t in visitors)
    assert any(t.recalls for t in visitors) and any(t.by_appointment for t in visitors)
    assert {a.status for a in ledger.appointments.values()} >= {
        "checked_in",
        "no_show",
        "cancelled",
    }
    assert {x.channel for x in ledger.letters.values()} >= {"counter", "phone", "mail"}
    assert {x.status for x in ledger.letters.values()} >= {"received", "routed", "in_progress",
        "answered", "closed", "returned", "merged", "rejected"}  # fmt: skip
    assert all(
        ledger.happened[what] > 0
        for what in (
            "residency stated at check-in", "residency of the booking", "residency corrected",
            "residency asked", "residency from a letter", "call about a letter",
            "call about a ticket", "call about a topic",
        )
    ), ledger.happened  # fmt: skip
    assert any(c.topic is None for c in ledger.calls), "calls logged on a letter's page"
    assert any(a.residency is None and a.status == "checked_in"
               for a in ledger.appointments.values())  # fmt: skip
    fates = {ledger.handsets[m.to] for m in ledger.sms}
    assert fates == {"delivered", "undelivered", "opted_out", "silent"}, fates
    wait_for_the_outbox(engine)
    report_deliveries(api, fake, ledger)
    assert (
        sms_by_purpose(engine)
        == DayView(ledger, SCOPES["every branch"][2], day_clock.now()).sms_by_purpose()
    )

    day_clock.at = local(15, 0)
    compared = compare(api, ledger, "end of the day", day_clock.now())

    # The next morning: the close-day command expires what was left open, then the
    # housekeeping rolls the day up.
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "cli"))
    assert reception_command(["close-day"]) == 0
    day_clock.at = local(8, 45) + timedelta(days=1)
    ledger.close_day(day_clock.now())
    housekeeping()
    with Session(engine) as s:
        rolled = s.exec(select(TicketDay.branch_id, TicketDay.visitors)).all()
    per_branch = [len(DayView(ledger, [b], day_clock.now()).visitors) for b in ("riyadh", MOBILE)]
    assert sorted(n for _, n in rolled) == sorted(per_branch)
    late = DayView(ledger, SCOPES["every branch"][2], day_clock.now()).sla()["late"]
    assert late > 0, "letters past their stage's target by the next morning"
    compared += compare(api, ledger, "after the rollup", day_clock.now())
    print(
        f"\n{len(ledger.tickets)} visitors, {len(ledger.letters)} letters, "
        f"{len(ledger.sms)} SMS, {len(ledger.calls)} calls, {api.requests} requests "
        f"replayed in {replayed:.1f}s; "
        f"{compared} figures compared; {time.perf_counter() - started:.1f}s in all"
    )
