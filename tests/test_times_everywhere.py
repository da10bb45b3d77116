"""Every time a person sees, on the surfaces `test_local_times` does not walk: the
counter, the citizen's ticket and appointment pages, the staff appointment slip and
calendar, the SMS texts and the report exports, read under a frozen clock, show the
branch's wall-clock time (Asia/Riyadh, UTC+3) and never the UTC one."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.models import Appointment
from reception.clock import FrozenClock
from reception.notify.models import OutgoingSms
from reception.settings import Settings
from tests.factories import World, open_appointments
from tests.helpers import bearer, sign_in
from tests.test_local_times import in_both_languages
from tests.test_stats import _xlsx_rows

NOW = datetime(2026, 11, 24, 10, 1, tzinfo=UTC)  # 13:01 in Riyadh
VISIT = datetime(2026, 11, 24, 12, 35, tzinfo=UTC)  # 15:35 in Riyadh
LOCAL_NOW, UTC_NOW = "13:01", "10:01"
LOCAL_VISIT, UTC_VISIT = "15:35", "12:35"


@pytest.fixture
def c(settings: Settings, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(settings, FrozenClock(NOW)), raise_server_exceptions=False) as c:
        open_appointments(c, bearer(world, "admin"))
        yield c


def local_not_utc(text: str, local: str, utc: str) -> None:
    assert local in text, f"{local} not shown"
    assert utc not in text, f"the UTC time {utc} is shown"


def sms_bodies(engine: Engine, purpose: str) -> list[str]:
    with Session(engine) as s:
        return [m.body for m in s.exec(select(OutgoingSms).where(OutgoingSms.purpose == purpose))]


def staff(c: TestClient, username: str) -> TestClient:
    client = TestClient(c.app)
    sign_in(client, username)
    return client


def test_a_visit_s_times_are_the_branch_s(c: TestClient, world: World, engine: Engine) -> None:
    issued = c.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter", "phone": "0501234567"},
        headers=bearer(world, "kiosk"),
    )
    assert issued.status_code == 201, issued.text
    counter = world.counters["men"][0]
    called = c.post(f"/api/v1/counters/{counter}/call-next", headers=bearer(world, "operator-men"))
    assert called.status_code == 200, called.text

    operator = staff(c, "operator-men")
    for text in in_both_languages(operator, f"/staff/counters/{counter}"):  # called at 13:01
        local_not_utc(text, LOCAL_NOW, UTC_NOW)
    for text in in_both_languages(operator, "/staff"):
        assert UTC_NOW not in text
    token = issued.json()["tracking_url"].rsplit("/", 1)[-1]
    for text in in_both_languages(TestClient(c.app), f"/t/{token}"):
        assert UTC_NOW not in text
    for body in sms_bodies(engine, "ticket_issued") + sms_bodies(engine, "ticket_called"):
        assert UTC_NOW not in body, body


def test_an_appointment_s_times_are_the_branch_s(
    c: TestClient, world: World, engine: Engine
) -> None:
    r = c.post(
        "/api/v1/appointments",
        json={
            "branch": "riyadh",
            "hall": "men",
            "service": "letter",
            "starts_at": VISIT.isoformat(),
            "phone": "0501234567",
            "name": "سارة محمد",
        },
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 201, r.text
    with Session(engine) as s:
        booked = s.get(Appointment, r.json()["id"])
        assert booked is not None and booked.tracking_token
        token = booked.tracking_token

    citizen = TestClient(c.app)
    for path in (f"/a/{token}", f"/a/{token}/cancel"):
        for text in in_both_languages(citizen, path):
            local_not_utc(text, LOCAL_VISIT, UTC_VISIT)
    operator = staff(c, "operator-men")
    for text in in_both_languages(operator, f"/staff/appointments/{r.json()['id']}"):
        local_not_utc(text, LOCAL_VISIT, UTC_VISIT)
    # The calendar lists every slot of the day; the booking's own row says 15:35.
    for text in in_both_languages(operator, "/staff/calendar?hall=men&day=2026-11-24"):
        rows = [row for row in text.split("<tr") if "سارة" in row or "س." in row]
        assert rows and all(LOCAL_VISIT in row and UTC_VISIT not in row for row in rows), rows
    [body] = sms_bodies(engine, "appointment_booked")
    local_not_utc(body, LOCAL_VISIT, UTC_VISIT)


def test_the_report_exports_count_by_the_branch_s_hours(c: TestClient, world: World) -> None:
    """A visitor who came at 13:01 local time is counted in 13:00–14:00, not 10:00–11:00."""
    for _ in range(2):
        issued = c.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=bearer(world, "kiosk"),
        )
        assert issued.status_code == 201, issued.text
    supervisor = staff(c, "supervisor")
    day = {"date_from": "2026-11-24", "date_to": "2026-11-24"}
    r = supervisor.get("/staff/reports/summary.csv", params=day)
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    arrivals = {row[1]: row[2] for row in rows if len(row) >= 3 and row[0] == "by_hour.arrivals"}
    assert arrivals.get("13:00–14:00") == "2", arrivals
    assert arrivals.get("10:00–11:00") in (None, "0"), arrivals

    r = supervisor.get("/staff/reports/summary.xlsx", params=day)
    assert r.status_code == 200
    sheet = {(row[0], row[1]): row[2] for row in _xlsx_rows(r.content, 1)[1:] if len(row) == 3}
    assert sheet.get(("by_hour.arrivals", "13:00–14:00")) == "2", sheet
    assert sheet.get(("by_hour.arrivals", "10:00–11:00")) in (None, "0")
