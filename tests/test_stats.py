"""Published statistics: exact figures of a small known dataset through the API, the
CSV and XLSX exports, the report pages, permissions and bad input; on a SQLite file
and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import itertools
import re
import secrets
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.appointments.models import Appointment
from reception.auth.models import StaffUser
from reception.clock import utcnow
from reception.db import session_scope
from reception.feedback.models import Rating
from reception.letters.models import (
    CallTopic,
    Category,
    Department,
    Enquiry,
    Letter,
    LetterStep,
)
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch, Counter, Hall, PriorityGroup, Service, Ticket
from reception.stats.periods import DateRange, offset_segments, parse_range, roll_up
from tests.factories import World
from tests.helpers import bearer, sign_in

DAY = date(2024, 3, 10)  # a Sunday; Riyadh is UTC+3 all year
NEXT = date(2024, 3, 11)
RANGE = {"date_from": "2024-03-10", "date_to": "2024-03-11"}


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@dataclass
class Ids:
    """Row ids of the seeded world, looked up by name."""

    branch: dict[str, int] = field(default_factory=dict)
    hall: dict[tuple[str, str], int] = field(default_factory=dict)
    service: dict[tuple[str, str], int] = field(default_factory=dict)
    counter: dict[tuple[str, str, int], int] = field(default_factory=dict)
    user: dict[str, int] = field(default_factory=dict)
    category: dict[str, int] = field(default_factory=dict)
    department: dict[str, int] = field(default_factory=dict)
    elderly: int = 0


def look_up(s: Session) -> Ids:
    ids = Ids()
    branches = {b.id: b.slug for b in s.exec(select(Branch))}
    ids.branch = {slug: i or 0 for i, slug in branches.items()}
    halls = {}
    for h in s.exec(select(Hall)):
        ids.hall[(branches[h.branch_id], h.slug)] = h.id or 0
        halls[h.id] = (branches[h.branch_id], h.slug)
    for sv in s.exec(select(Service)):
        ids.service[(branches[sv.branch_id], sv.slug)] = sv.id or 0
    for c in s.exec(select(Counter)):
        ids.counter[(*halls[c.hall_id], c.number)] = c.id or 0
    ids.user = {u.username: u.id or 0 for u in s.exec(select(StaffUser))}
    ids.category = {c.slug: c.id or 0 for c in s.exec(select(Category))}
    ids.department = {d.slug: d.id or 0 for d in s.exec(select(Department))}
    elderly = s.exec(select(PriorityGroup).where(PriorityGroup.slug == "elderly")).one()
    ids.elderly = elderly.id or 0
    return ids


_numbers = itertools.count(1)


def add_ticket(
    s: Session,
    ids: Ids,
    *,
    branch: str = "riyadh",
    hall: str,
    service: str,
    status: str,
    day: date = DAY,
    residency: str | None = None,
    elderly: bool = False,
    times: tuple[int | None, ...] = (),
    served_by: tuple[int, str] | None = None,
) -> Ticket:
    """`times` are minutes after 06:00 UTC of `day`: issued, called, serving, finished
    (as many as the ticket got; None where it skipped one)."""
    moments: list[datetime | None] = [
        None if m is None else utc(day, 6) + timedelta(minutes=m) for m in times
    ]
    moments += [None] * (4 - len(moments))
    issued, called, serving, finished = moments
    seq = next(_numbers)
    counter = operator = None
    if served_by is not None:
        number, username = served_by
        counter = ids.counter[(branch, hall, number)]
        operator = ids.user[username]
    ticket = Ticket(
        branch_id=ids.branch[branch],
        hall_id=ids.hall[(branch, hall)],
        service_id=ids.service[(branch, service)],
        business_date=day,
        prefix="T",
        seq=seq,
        number=f"T-{seq:03d}",
        status=status,
        priority_id=ids.elderly if elderly else None,
        priority_weight=3 if elderly else 0,
        residency=residency,
        tracking_token=secrets.token_urlsafe(24),
        counter_id=counter,
        called_by_id=operator,
        issued_at=issued or utc(day, 6),
        called_at=called,
        serving_at=serving,
        finished_at=finished,
    )
    s.add(ticket)
    s.flush()
    return ticket


def add_letter(
    s: Session,
    ids: Ids,
    *,
    created: datetime,
    status: str,
    category: str | None = None,
    department: str | None = None,
    branch: str = "riyadh",
    since: datetime | None = None,
    residency: str = "citizen",
    sex: str = "male",
) -> Letter:
    n = next(_numbers)
    letter = Letter(
        reference=f"L-2024-{n:06d}",
        tracking_token=secrets.token_urlsafe(24),
        branch_id=ids.branch[branch],
        sender_name="Test Sender",
        sender_id_number="1000000008",
        residency=residency,
        sex=sex,
        subject="Subject",
        category_id=ids.category[category] if category else None,
        department_id=ids.department[department] if department else None,
        status=status,
        received_by="user:1",
        created_at=created,
        status_since=since or created,
    )
    s.add(letter)
    s.flush()
    return letter


def seed(engine: Engine) -> Ids:
    """The dataset whose figures the tests assert (Riyadh unless said otherwise)."""
    with session_scope(engine) as s:
        ids = look_up(s)
        men, women = "operator-men", "operator-women"
        t1 = add_ticket(s, ids, hall="men", service="letter", status="done",
                        residency="citizen", times=(0, 10, 12, 20), served_by=(1, men))  # fmt: skip
        t2 = add_ticket(s, ids, hall="men", service="letter", status="done", residency="resident",
                        elderly=True, times=(5, 25, 25, 37), served_by=(1, men))  # fmt: skip
        add_ticket(s, ids, hall="men", service="enquiry", status="no_show",
                   residency="citizen", times=(10, 40), served_by=(2, men))  # fmt: skip
        t4 = add_ticket(s, ids, hall="women", service="letter", status="done",
                        times=(0, 5, 6, 10), served_by=(1, women))  # fmt: skip
        t5 = add_ticket(s, ids, hall="women", service="complaint", status="done",
                        residency="citizen", elderly=True, times=(30, 70, 70, 90),
                        served_by=(1, women))  # fmt: skip
        add_ticket(s, ids, hall="men", service="enquiry", status="expired",
                   residency="resident", times=(60,))  # fmt: skip
        add_ticket(s, ids, hall="men", service="letter", status="cancelled",
                   residency="citizen", times=(1,))  # fmt: skip
        t8 = add_ticket(s, ids, hall="men", service="enquiry", status="done", day=NEXT,
                        residency="citizen", times=(0, 15, 16, 26), served_by=(2, men))  # fmt: skip
        add_ticket(s, ids, hall="women", service="letter", status="done", day=NEXT,
                   residency="citizen", times=(0, 2, None, 12), served_by=(1, women))  # fmt: skip
        add_ticket(s, ids, hall="men", service="letter", status="done", day=date(2024, 3, 20),
                   residency="citizen", times=(0, 1, 2, 3), served_by=(1, men))  # fmt: skip
        add_ticket(s, ids, branch="jeddah", hall="men", service="letter", status="done",
                   residency="citizen", times=(0, 1, 2, 3))  # fmt: skip

        now = utcnow()
        l1 = add_letter(s, ids, created=utc(DAY, 7), status="closed",
                        category="request_civil", department="civil_affairs")  # fmt: skip
        l2 = add_letter(s, ids, created=utc(DAY, 10), status="in_progress",
                        category="complaint_traffic", department="traffic",
                        since=utc(NEXT, 8), residency="resident", sex="female")  # fmt: skip
        l3 = add_letter(s, ids, created=utc(NEXT, 6), status="routed",
                        category="complaint_traffic", department="traffic",
                        since=now - timedelta(hours=1))  # fmt: skip
        add_letter(s, ids, created=utc(NEXT, 5), status="received", residency="resident",
                   sex="female")  # fmt: skip
        # 00:30 in Riyadh on DAY is still 9 March in UTC: it counts on DAY
        add_letter(s, ids, created=utc(DAY, 0, 30) - timedelta(hours=3), status="answered",
                   category="appeal", department="rights")  # fmt: skip
        # 00:30 in Riyadh the day after NEXT is still NEXT in UTC: it does not count
        add_letter(s, ids, created=utc(NEXT, 21, 30), status="answered", category="appeal",
                   department="rights")  # fmt: skip
        l7 = add_letter(s, ids, created=utc(DAY, 7), status="received", branch="jeddah")

        for letter, kind, at in (
            (l1, "call_in", utc(DAY, 8)),
            (l2, "call_out", utc(NEXT, 9)),
            (l3, "call_in", utc(NEXT, 10)),
            (l7, "call_in", utc(DAY, 8)),  # Jeddah
            (l1, "call_out", utc(date(2024, 3, 25), 8)),  # outside the range
            (l1, "note", utc(DAY, 9)),  # not a call
        ):
            s.add(LetterStep(letter_id=letter.id or 0, actor="user:1", kind=kind, at=at))
        other = s.exec(select(CallTopic.id).where(CallTopic.slug == "other")).one()
        for branch, direction, at in (
            ("riyadh", "in", utc(DAY, 8)),
            ("riyadh", "in", utc(NEXT, 8)),
            ("riyadh", "out", utc(NEXT, 9)),
            ("jeddah", "in", utc(DAY, 8)),
        ):
            s.add(
                Enquiry(
                    branch_id=ids.branch[branch],
                    direction=direction,
                    note="n",
                    actor="x",
                    at=at,
                    topic_id=other,
                )
            )
        statuses = ["sent"] * 2 + ["delivered"] * 3 + ["failed", "undelivered"]
        for n, status in enumerate(statuses):  # the last one is a Jeddah visitor's
            branch = ids.branch["jeddah" if n == len(statuses) - 1 else "riyadh"]
            s.add(_sms(f"r{n}", status, utc(DAY, 8), branch))
        s.add(_sms("late", "delivered", utc(date(2024, 3, 25), 8), ids.branch["riyadh"]))

        for ticket, score in ((t1, 5), (t2, 4), (t4, 5), (t5, 2), (t8, 4)):
            s.add(
                Rating(
                    ticket_id=ticket.id or 0,
                    branch_id=ticket.branch_id,
                    hall_id=ticket.hall_id,
                    service_id=ticket.service_id,
                    counter_id=ticket.counter_id,
                    operator_id=ticket.called_by_id,
                    score=score,
                    at=(ticket.finished_at or utcnow()) + timedelta(minutes=1),
                )
            )
        for kind, status, day in (
            ("visit", "checked_in", DAY),
            ("visit", "checked_in", NEXT),
            ("visit", "no_show", DAY),
            ("visit", "cancelled", NEXT),
            ("meeting", "checked_in", NEXT),
            ("visit", "checked_in", date(2024, 3, 20)),  # outside the range
        ):
            s.add(
                Appointment(
                    code=secrets.token_hex(5),
                    kind=kind,
                    branch_id=ids.branch["riyadh"],
                    hall_id=ids.hall[("riyadh", "men")],
                    service_id=ids.service[("riyadh", "letter")],
                    starts_at=utc(day, 7),
                    status=status,
                )
            )
    return ids


def _sms(key: str, status: str, at: datetime, branch_id: int) -> OutgoingSms:
    return OutgoingSms(
        idempotency_key=f"test:{key}",
        branch_id=branch_id,
        to="+966500000000",
        body="x",
        language="ar",
        purpose="ticket_issued",
        status=status,
        created_at=at,
        next_attempt_at=at,
    )


def get(client: TestClient, world: World, path: str, token: str = "supervisor", **params: Any):
    return client.get(path, params=params, headers=bearer(world, token))


# --- the figures ----------------------------------------------------------------


def test_summary_of_a_branch_has_the_exact_figures(
    client: TestClient, world: World, engine: Engine
) -> None:
    ids = seed(engine)
    r = get(client, world, "/api/v1/reports/summary", **RANGE)
    assert r.status_code == 200, r.text
    data = r.json()
    assert [b["slug"] for b in data["branches"]] == ["riyadh"] and data["days"] == 2
    assert data["visitors"] == {
        "total": 8,
        "by_hall": {"men": 5, "women": 3},
        "by_residency": {"citizen": 5, "resident": 2, "unknown": 1},
        "by_service": {"letter": 4, "enquiry": 3, "complaint": 1},
        "by_priority": {"none": 6, "elderly": 2},
        "by_status": {"done": 6, "no_show": 1, "expired": 1},
    }
    assert data["no_shows"] == 1
    # waits 2, 5, 10, 15, 20, 30, 40; services 4, 8, 10, 12, 20 (one never started)
    assert data["wait_minutes"] == {"count": 7, "mean": 17.4, "median": 15.0, "p90": 34.0}
    assert data["service_minutes"] == {"count": 5, "mean": 10.8, "median": 10.0, "p90": 16.8}

    counters = {(c["hall"], c["counter"]): c for c in data["throughput"]["by_counter"]}
    work = ("served", "no_shows", "service_minutes_mean")
    assert {k: tuple(c[w] for w in work) for k, c in counters.items()} == {
        ("men", 1): (2, 0, 10.0),
        ("men", 2): (1, 1, 10.0),
        ("women", 1): (3, 0, 12.0),
    }
    assert counters[("men", 1)]["id"] == ids.counter[("riyadh", "men", 1)]
    operators = {o["username"]: o for o in data["throughput"]["by_operator"]}
    assert {k: tuple(o[w] for w in work) for k, o in operators.items()} == {
        "operator-men": (3, 1, 10.0),
        "operator-women": (3, 0, 12.0),
    }

    letters = data["letters"]
    assert letters["total"] == 5
    assert letters["by_category"] == {
        "complaint_traffic": 2, "request_civil": 1, "unclassified": 1, "appeal": 1,
    }  # fmt: skip
    assert letters["by_department"] == {
        "traffic": 2, "civil_affairs": 1, "unassigned": 1, "rights": 1,
    }  # fmt: skip
    assert letters["by_status"] == {
        "closed": 1, "in_progress": 1, "routed": 1, "received": 1, "answered": 1,
    }  # fmt: skip
    assert letters["by_residency"] == {"citizen": 3, "resident": 2}
    assert letters["by_sex"] == {"male": 3, "female": 2}
    assert letters["sla"] == {"open": 3, "on_time": 2, "late": 1}

    assert data["calls"] == {
        "incoming": 4,
        "outgoing": 2,
        "about_letters": {"incoming": 2, "outgoing": 1},
        "enquiries": {"incoming": 2, "outgoing": 1},
    }
    assert data["sms"] == {"total": 6, "sent": 5, "delivered": 3, "failed": 1, "pending": 0}

    ratings = data["ratings"]
    assert ratings["count"] == 5 and ratings["mean"] == 4.0
    assert ratings["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 2}
    assert ratings["by_service"] == {
        "letter": {"count": 3, "mean": 4.67},
        "complaint": {"count": 1, "mean": 2.0},
        "enquiry": {"count": 1, "mean": 4.0},
    }
    by_counter = {(c["hall"], c["counter"]): (c["count"], c["mean"]) for c in ratings["by_counter"]}
    assert by_counter == {("men", 1): (2, 4.5), ("men", 2): (1, 4.0), ("women", 1): (2, 3.5)}
    by_operator = {o["username"]: (o["count"], o["mean"]) for o in ratings["by_operator"]}
    assert by_operator == {"operator-men": (3, 4.33), "operator-women": (2, 3.5)}

    assert data["appointments"] == {
        "booked": 4, "kept": 3, "no_show": 1, "cancelled": 1, "by_kind": {"visit": 3, "meeting": 1},
    }  # fmt: skip
    assert data["labels"]["services"]["letter"] == {"ar": "خطاب", "en": "Letter"}


def test_the_national_rollup_adds_every_branch_and_counts_sms(
    client: TestClient, world: World, engine: Engine
) -> None:
    seed(engine)
    data = get(client, world, "/api/v1/reports/summary", token="admin", **RANGE).json()
    assert [b["slug"] for b in data["branches"]] == ["riyadh", "jeddah"]
    assert data["every_branch"] is True
    assert data["visitors"]["total"] == 9 and data["visitors"]["by_hall"] == {"men": 6, "women": 3}
    assert data["letters"]["total"] == 6
    assert data["calls"]["incoming"] == 6 and data["calls"]["outgoing"] == 2
    assert data["sms"] == {"total": 7, "sent": 6, "delivered": 3, "failed": 2, "pending": 0}
    one = get(client, world, "/api/v1/reports/summary", token="admin", branch="riyadh", **RANGE)
    assert one.json()["visitors"]["total"] == 8 and one.json()["sms"]["total"] == 6
    both = client.get(
        "/api/v1/reports/summary",
        params=[*RANGE.items(), ("branch", "riyadh"), ("branch", "jeddah")],
        headers=bearer(world, "admin"),
    )
    assert both.json()["visitors"]["total"] == 9 and both.json()["sms"]["total"] == 7


def test_series_per_day_week_month_and_year(
    client: TestClient, world: World, engine: Engine
) -> None:
    seed(engine)
    day = get(client, world, "/api/v1/reports/series", period="day", **RANGE).json()
    assert day["points"] == [
        {"period": "2024-03-10", "visitors": 6, "letters": 3},
        {"period": "2024-03-11", "visitors": 2, "letters": 2},
    ]
    week = get(client, world, "/api/v1/reports/series", period="week", **RANGE).json()
    assert week["points"] == [{"period": "2024-03-10", "visitors": 8, "letters": 5}]
    month = get(
        client, world, "/api/v1/reports/series", period="month",
        date_from="2024-02-01", date_to="2024-03-31",
    ).json()  # fmt: skip
    assert month["points"] == [
        {"period": "2024-02", "visitors": 0, "letters": 0},
        {"period": "2024-03", "visitors": 9, "letters": 6},
    ]
    year = get(
        client, world, "/api/v1/reports/series", token="admin", period="year",
        date_from="2023-01-01", date_to="2024-12-31",
    ).json()  # fmt: skip
    assert year["points"] == [
        {"period": "2023", "visitors": 0, "letters": 0},
        {"period": "2024", "visitors": 10, "letters": 7},
    ]


def test_an_empty_range_is_zeros_not_an_error(client: TestClient, world: World) -> None:
    r = get(client, world, "/api/v1/reports/summary", date_from="2020-01-01", date_to="2020-01-31")
    assert r.status_code == 200
    data = r.json()
    assert data["visitors"]["total"] == 0 and data["letters"]["total"] == 0
    assert data["wait_minutes"] == {"count": 0, "mean": None, "median": None, "p90": None}
    assert data["ratings"]["mean"] is None


# --- who may read, and bad input ---------------------------------------------------


def test_only_supervisors_and_admins_of_the_branch_read_reports(
    client: TestClient, world: World
) -> None:
    for token in ("operator-men", "kiosk", "display-men", "officer"):
        r = get(client, world, "/api/v1/reports/summary", token=token, **RANGE)
        assert r.status_code == 403, token
        assert r.json()["error"]["code"] == "wrong_role"
    r = get(client, world, "/api/v1/reports/summary", branch="jeddah", **RANGE)
    assert r.status_code == 403 and r.json()["error"]["code"] == "other_branch"
    r = get(client, world, "/api/v1/reports/summary.csv", branch="jeddah", **RANGE)
    assert r.status_code == 403
    assert client.get("/api/v1/reports/summary", params=RANGE).status_code == 401
    ok = get(client, world, "/api/v1/reports/summary", branch="riyadh", **RANGE)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"date_from": "2024-13-01", "date_to": "2024-12-31"}, "bad_date"),
        ({"date_from": "10/03/2024", "date_to": "2024-03-11"}, "bad_date"),
        ({"date_from": "2024-03-11", "date_to": "2024-03-10"}, "reversed_range"),
        ({"date_from": "2019-01-01", "date_to": "2024-01-01"}, "range_too_long"),
        ({"date_from": "2024-03-10"}, "date_required"),
        ({**RANGE, "branch": "mars"}, "unknown_branch"),
    ],
)
def test_bad_input_is_a_clear_422(
    client: TestClient, world: World, params: dict[str, str], code: str
) -> None:
    for path in ("/api/v1/reports/summary", "/api/v1/reports/series"):
        r = get(client, world, path, token="admin", **params)
        assert r.status_code == 422, (path, r.text)
        body = r.json()["error"]
        assert body["code"] == code and body["message"]


def test_five_years_is_the_longest_range_and_periods_are_checked(
    client: TestClient, world: World
) -> None:
    r = get(client, world, "/api/v1/reports/summary", date_from="2019-01-01", date_to="2023-12-31")
    assert r.status_code == 200
    r = get(client, world, "/api/v1/reports/series", period="hour", **RANGE)
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_period"
    arabic = client.get(
        "/api/v1/reports/summary",
        params={"date_from": "2024-03-11", "date_to": "2024-03-10"},
        headers={**bearer(world, "supervisor"), "Accept-Language": "en"},
    )
    assert "start date comes after the end date" in arabic.json()["error"]["message"]


# --- exports ------------------------------------------------------------------------


def test_csv_export_has_every_figure(client: TestClient, world: World, engine: Engine) -> None:
    seed(engine)
    r = get(client, world, "/api/v1/reports/summary.csv", **RANGE)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["metric", "item", "value"]
    found = {(m, i): v for m, i, v in rows[1:]}
    assert found[("visitors", "total")] == "8"
    assert found[("visitors.by_hall", "men")] == "5"
    assert found[("visitors.by_residency", "unknown")] == "1"
    assert found[("wait_minutes", "median")] == "15.0"
    assert found[("service_minutes", "p90")] == "16.8"
    assert found[("letters.sla", "late")] == "1"
    assert found[("ratings.distribution", "5")] == "2"
    assert found[("throughput.by_counter.served", "riyadh/women/1")] == "3"
    assert found[("throughput.by_operator.no_shows", "operator-men")] == "1"
    assert found[("appointments", "kept")] == "3"
    assert found[("sms", "sent")] == "5" and found[("sms", "failed")] == "1"
    assert found[("report", "branches")] == "riyadh"


def _xlsx_rows(content: bytes, sheet: int) -> list[list[str]]:
    """The cells of one sheet, shared strings resolved (no spreadsheet library needed)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        shared_root = ET.fromstring(book.read("xl/sharedStrings.xml"))
        shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in shared_root]
        root = ET.fromstring(book.read(f"xl/worksheets/sheet{sheet}.xml"))
    rows = []
    for row in root.iter(f"{{{ns['m']}}}row"):
        cells = []
        for cell in row.findall("m:c", ns):
            value = cell.find("m:v", ns)
            text = value.text if value is not None and value.text is not None else ""
            cells.append(shared[int(text)] if cell.get("t") == "s" else text)
        rows.append(cells)
    return rows


def test_xlsx_export_opens_and_holds_the_figures(
    client: TestClient, world: World, engine: Engine
) -> None:
    seed(engine)
    r = get(client, world, "/api/v1/reports/summary.xlsx", period="day", **RANGE)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    figures = _xlsx_rows(r.content, 1)
    found = {(row[0], row[1]): row[2] for row in figures[1:] if len(row) == 3}
    assert float(found[("visitors", "total")]) == 8
    assert float(found[("visitors.by_service", "letter")]) == 4
    assert float(found[("wait_minutes", "p90")]) == 34.0
    assert float(found[("letters", "total")]) == 5
    series = _xlsx_rows(r.content, 2)
    assert [[c for c in row] for row in series[1:]] == [
        ["2024-03-10", "6", "3"],
        ["2024-03-11", "2", "2"],
    ]


# --- the report pages -------------------------------------------------------------


def test_report_page_in_arabic_and_english_with_charts(
    client: TestClient, world: World, engine: Engine
) -> None:
    seed(engine)
    sign_in(client, "supervisor")
    page = client.get("/staff/reports", params=RANGE)
    assert page.status_code == 200
    html = page.text
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "الرياض" in html
    assert html.count("<svg") >= 9  # the series and eight bar charts
    assert html.count('role="img"') == html.count("<svg")
    assert '<title id="by-hall-title">' in html and '<desc id="by-hall-desc">' in html
    assert "الرجال: 5" in html  # the text alternative of visitors by hall
    assert "/staff/reports/summary.csv?" in html and "/staff/reports/summary.xlsx?" in html
    assert 'href="/staff/reports"' in html  # in the navigation
    # right to left: the men's bar (the longest) ends at the label column on the right
    bar = re.search(r'<rect class="chart-bar" x="([\d.]+)" y="8" width="([\d.]+)"', html)
    assert bar is not None
    assert float(bar.group(1)) + float(bar.group(2)) == pytest.approx(560 - 8 - 170)

    client.get("/lang", params={"to": "en", "next": "/staff/reports"})
    english = client.get("/staff/reports", params=RANGE).text
    assert 'dir="ltr"' in english and "Riyadh" in english
    assert "Men: 5" in english
    bar = re.search(r'<rect class="chart-bar" x="([\d.]+)" y="8"', english)
    assert bar is not None and float(bar.group(1)) == pytest.approx(8 + 170)
    for preset in ("today", "week", "month", "year"):
        assert client.get("/staff/reports", params={"preset": preset}).status_code == 200


def test_monthly_report_prints_and_staff_downloads_work(
    client: TestClient, world: World, engine: Engine
) -> None:
    seed(engine)
    sign_in(client, "admin")
    page = client.get("/staff/reports/monthly", params={"month": "2024-03"})
    assert page.status_code == 200
    assert "css/stats.css" in page.text and "data-print" in page.text
    assert "<svg" in page.text and "2024-03-31" in page.text
    bad = client.get("/staff/reports/monthly", params={"month": "March"})
    assert bad.status_code == 422
    csv_file = client.get("/staff/reports/summary.csv", params=RANGE)
    assert csv_file.status_code == 200 and b"visitors,total,9" in csv_file.content
    xlsx = client.get("/staff/reports/summary.xlsx", params={**RANGE, "branch": "riyadh"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    wide = client.get("/staff/reports", params={"date_from": "2020-01-01", "date_to": "2024-06-30"})
    assert wide.status_code == 200


def test_operators_get_no_report_page_and_no_link(client: TestClient, world: World) -> None:
    sign_in(client, "operator-men")
    assert 'href="/staff/reports"' not in client.get("/staff").text
    r = client.get("/staff/reports")
    assert r.status_code == 403
    assert client.get("/staff/reports/summary.csv", params=RANGE).status_code == 403


# --- pure parts -----------------------------------------------------------------------


def test_offset_segments_split_at_daylight_saving() -> None:
    start = datetime(2024, 3, 30, 23, tzinfo=UTC)
    end = datetime(2024, 4, 1, 23, tzinfo=UTC)
    pieces = offset_segments("Europe/London", start, end)
    assert [(a, b, o.total_seconds()) for a, b, o in pieces] == [
        (start, datetime(2024, 3, 31, 1, tzinfo=UTC), 0.0),
        (datetime(2024, 3, 31, 1, tzinfo=UTC), end, 3600.0),
    ]
    assert len(offset_segments("Asia/Riyadh", start, end)) == 1


def test_periods_roll_up_with_every_bucket() -> None:
    span = DateRange(date(2024, 2, 27), date(2024, 3, 3))
    per_day = {date(2024, 2, 27): 2, date(2024, 3, 3): 5, date(2024, 4, 1): 9}
    assert roll_up(per_day, span, "week") == {"2024-02-25": 2, "2024-03-03": 5}
    assert roll_up(per_day, span, "month") == {"2024-02": 2, "2024-03": 5}
    assert parse_range("2020-01-01", "2024-12-31").days == 1827
