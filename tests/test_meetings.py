"""Meetings with the minister: a letter asks for one, the minister's office decides,
the citizen answers a proposed date from the letter's tracking page, the kiosk checks
the meeting in by its code; the day agenda as a page, as JSON and as iCalendar — on
SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.ics import escape_text, fold
from reception.appointments.models import Appointment
from reception.clock import FrozenClock
from reception.notify.models import OutgoingSms
from reception.settings import Settings
from tests.factories import World
from tests.helpers import bearer, csrf, sign_in

# 10:00 in Riyadh on a Tuesday; the world's branch has no opening hours (always open).
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
TOMORROW_1030 = "2026-11-25T10:30:00+03:00"
CITIZEN_ID = "1000000008"
PHONE = "0501234567"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(MORNING)


@pytest.fixture
def c(settings: Settings, world: World, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock), raise_server_exceptions=False) as client:
        yield client


def unfold(text: str) -> list[str]:
    """The content lines of a calendar, continuation lines joined back, as a calendar
    application reads them."""
    lines: list[str] = []
    for raw in text.split("\r\n"):
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def register(c: TestClient, world: World, **fields: Any) -> dict[str, Any]:
    body = {
        "branch": "riyadh",
        "hall": "men",
        "sender_name": "محمد عبدالله الأحمد",
        "sender_id_number": CITIZEN_ID,
        "sex": "male",
        "phone": PHONE,
        "subject": "تظلم من قرار إداري",
        "body": "أرجو عرض تظلمي على معالي الوزير.",
        **fields,
    }
    token = "operator-women" if body["hall"] == "women" else "operator-men"
    r = c.post("/api/v1/letters", json=body, headers=bearer(world, token))
    assert r.status_code == 201, r.text
    letter = r.json()
    letter["token"] = letter["tracking_url"].rsplit("/l/", 1)[1]
    return letter


def ask(c: TestClient, world: World, letter: Any, who: str = "operator-men", **body: Any):  # type: ignore[no-untyped-def]
    payload = {"mode": "in_person", "reason": "يطلب عرض تظلمه على معالي الوزير شخصياً", **body}
    return c.post(
        f"/api/v1/letters/{letter}/meeting-requests", json=payload, headers=bearer(world, who)
    )


def decide(c: TestClient, world: World, meeting_id: int, who: str = "supervisor", **body: Any):  # type: ignore[no-untyped-def]
    return c.post(
        f"/api/v1/meeting-requests/{meeting_id}/decision", json=body, headers=bearer(world, who)
    )


def sms(engine: Engine, purpose_prefix: str = "meeting_") -> list[OutgoingSms]:
    with Session(engine) as s:
        rows = s.exec(select(OutgoingSms).order_by(col(OutgoingSms.id))).all()
    return [m for m in rows if m.purpose.startswith(purpose_prefix)]


def test_request_propose_accept_and_check_in_at_the_kiosk(
    c: TestClient, world: World, clock: FrozenClock, engine: Engine
) -> None:
    letter = register(c, world)
    r = ask(c, world, letter["id"])
    assert r.status_code == 201, r.text
    meeting = r.json()
    assert meeting["status"] == "requested" and meeting["reference"] == letter["reference"]
    assert meeting["hall"]["slug"] == "men" and meeting["open"] is True
    again = ask(c, world, letter["reference"])  # by reference, as the other letter routes
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "meeting_already_requested"

    r = decide(c, world, meeting["id"], action="propose", starts_at=TOMORROW_1030)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "proposed" and r.json()["proposed_local"] == "2026-11-25 10:30"

    page = c.get(f"/l/{letter['token']}")
    assert page.status_code == 200
    assert "2026-11-25 10:30" in page.text
    assert f'action="/l/{letter["token"]}/meeting"' in page.text
    assert 'value="accept"' in page.text and 'value="decline"' in page.text
    forged = c.post(f"/l/{letter['token']}/meeting", data={"answer": "accept", "csrf_token": "x"})
    assert forged.status_code == 403
    done = c.post(
        f"/l/{letter['token']}/meeting",
        data={"answer": "accept", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/l/{letter['token']}"

    listed = c.get(
        f"/api/v1/letters/{letter['id']}/meeting-requests", headers=bearer(world, "operator-men")
    ).json()["meeting_requests"]
    assert [m["status"] for m in listed] == ["approved"]
    approved = listed[0]
    code = approved["appointment"]["code"]
    assert approved["starts_local"] == "2026-11-25 10:30" and len(code) == 8
    assert [h["action"] for h in approved["history"]] == ["request", "propose", "accept"]
    proposed = approved["history"][1]
    assert proposed["starts_local"] == "2026-11-25 10:30", "the branch's time, not UTC's 07:30"
    shown = c.get(f"/l/{letter['token']}").text
    assert code in shown and "2026-11-25 10:30" in shown and 'value="accept"' not in shown
    assert "قاعة الرجال" in shown  # the place, in the citizen's language

    clock.at = datetime(2026, 11, 25, 7, 25, tzinfo=UTC)  # 10:25 in Riyadh
    ticket = c.post(
        "/api/v1/appointments/check-in", json={"code": code}, headers=bearer(world, "kiosk")
    )
    assert ticket.status_code == 201, ticket.text
    assert ticket.json()["number"].startswith("M-")

    texts = sms(engine)
    assert [m.purpose for m in texts] == [
        "meeting_requested",
        "meeting_proposed",
        "meeting_approved",
    ]
    assert all(m.language == "ar" and m.to.endswith("501234567") for m in texts)
    assert all(f"/l/{letter['token']}" in m.body for m in texts)
    assert code in texts[-1].body and "10:30" in texts[-1].body
    assert not sms(engine, "appointment_"), "the meeting's own SMS, not a second one"


def test_the_citizen_can_ask_for_another_date(c: TestClient, world: World, engine: Engine) -> None:
    letter = register(c, world, language="en")
    meeting = ask(c, world, letter["id"]).json()
    decide(c, world, meeting["id"], action="propose", starts_at=TOMORROW_1030)
    c.get("/lang?to=en&next=/")
    page = c.get(f"/l/{letter['token']}")
    assert page.status_code == 200 and "2026-11-25 10:30" in page.text
    assert "Accept this date" in page.text and "Ask for another date" in page.text
    r = c.post(
        f"/l/{letter['token']}/meeting",
        data={"answer": "decline", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = c.get(f"/l/{letter['token']}").text
    assert "You asked for another date" in after and "Accept this date" not in after
    again = c.post(
        f"/l/{letter['token']}/meeting", data={"answer": "accept", "csrf_token": csrf(page.text)}
    )
    assert again.status_code == 200 and 'role="alert"' in again.text  # nothing to accept now
    texts = sms(engine)
    assert [m.purpose for m in texts] == [
        "meeting_requested",
        "meeting_proposed",
        "meeting_cancelled",
    ]
    assert all(m.language == "en" for m in texts)
    assert "minister" in texts[0].body and letter["reference"] in texts[0].body
    bad = c.post("/l/not-a-token/meeting", data={"answer": "accept", "csrf_token": csrf(page.text)})
    assert bad.status_code == 404
    # A new request can be made once the earlier one has ended.
    assert ask(c, world, letter["id"]).status_code == 201


def test_decline_needs_a_reason_refer_needs_a_name_and_illegal_steps_are_409(
    c: TestClient, world: World, engine: Engine
) -> None:
    first = ask(c, world, register(c, world)["id"]).json()
    r = decide(c, world, first["id"], action="decline", note="  ")
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    r = decide(c, world, first["id"], action="decline", note="يُنظر تظلمك لدى الإدارة المختصة")
    assert r.status_code == 200 and r.json()["status"] == "declined"
    assert r.json()["decision_note"] == "يُنظر تظلمك لدى الإدارة المختصة"
    for action in ("approve", "propose", "refer", "cancel", "reschedule"):
        r = decide(c, world, first["id"], action=action, starts_at=TOMORROW_1030, referred_to="x")
        assert r.status_code == 409, (action, r.text)
        assert r.json()["error"]["code"] == "illegal_meeting_transition"
        assert r.json()["error"]["message"]

    second = ask(c, world, register(c, world)["id"]).json()
    r = decide(c, world, second["id"], action="refer")
    assert r.status_code == 422 and r.json()["error"]["code"] == "referred_to_required"
    r = decide(c, world, second["id"], action="refer", referred_to="معالي نائب الوزير")
    assert r.status_code == 200 and r.json()["status"] == "referred"
    assert r.json()["referred_to"] == "معالي نائب الوزير"
    assert decide(c, world, second["id"], action="reschedule").status_code == 409

    third = ask(c, world, register(c, world)["id"]).json()
    assert decide(c, world, third["id"], action="approve").status_code == 422  # no time
    past = (MORNING - timedelta(hours=1)).isoformat()
    assert decide(c, world, third["id"], action="approve", starts_at=past).status_code == 422
    r = decide(c, world, third["id"], action="dance")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid"
    r = decide(c, world, 999999, action="cancel")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_meeting"
    assert c.post(
        "/api/v1/meeting-requests/abc/decision",
        json={"action": "cancel"},
        headers=bearer(world, "supervisor"),
    ).status_code in (404, 405)
    purposes = [m.purpose for m in sms(engine)]
    assert purposes.count("meeting_declined") == 1 and purposes.count("meeting_referred") == 1


def test_cancel_releases_the_appointment_and_reschedule_moves_it(
    c: TestClient, world: World, engine: Engine
) -> None:
    letter = register(c, world)
    meeting = ask(c, world, letter["id"]).json()
    r = decide(c, world, meeting["id"], action="approve", starts_at=TOMORROW_1030)
    assert r.status_code == 200, r.text
    first = r.json()["appointment"]
    assert r.json()["status"] == "approved" and first["status"] == "booked"
    assert ask(c, world, letter["id"]).status_code == 409, "one open request per letter"

    r = decide(c, world, meeting["id"], action="reschedule", starts_at="2026-11-26T09:00:00+03:00")
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["starts_local"] == "2026-11-26 09:00"
    assert moved["appointment"]["code"] != first["code"]
    agenda = c.get("/api/v1/agenda?day=2026-11-25", headers=bearer(world, "supervisor")).json()
    assert agenda["meetings"] == [], "the old time is free again"

    r = decide(c, world, meeting["id"], action="cancel", note="ظرف طارئ")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    with Session(engine) as s:
        rows = s.exec(select(Appointment).where(Appointment.kind == "meeting")).all()
    assert sorted(a.status for a in rows) == ["cancelled", "cancelled"]
    agenda = c.get("/api/v1/agenda?day=2026-11-26", headers=bearer(world, "supervisor")).json()
    assert agenda["meetings"] == []
    code = moved["appointment"]["code"]
    gone = c.post(
        "/api/v1/appointments/check-in", json={"code": code}, headers=bearer(world, "kiosk")
    )
    assert gone.status_code == 409
    assert ask(c, world, letter["id"]).status_code == 201, "a new request after the cancel"
    purposes = [m.purpose for m in sms(engine)]
    assert purposes == [
        "meeting_requested",
        "meeting_approved",
        "meeting_approved",
        "meeting_cancelled",
        "meeting_requested",
    ]


def test_who_may_ask_and_who_may_decide(c: TestClient, world: World) -> None:
    letter = register(c, world)
    for who, status in (
        ("kiosk", 403),
        ("display-men", 403),
        ("operator-women", 404),
        ("officer", 404),  # not routed to the officer's department yet
    ):
        r = ask(c, world, letter["id"], who=who)
        assert r.status_code == status, (who, r.text)
        assert r.json()["error"]["message"]
    r = c.post(
        f"/api/v1/letters/{letter['reference']}/classify",
        json={"category": "request_civil"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200 and r.json()["department"] == "civil_affairs"
    assert ask(c, world, letter["id"], who="officer-traffic").status_code == 404
    r = ask(c, world, letter["id"], who="officer", mode="remote")
    assert r.status_code == 201, "an officer of the department holding the letter may ask"
    meeting = r.json()
    assert meeting["mode"] == "remote"

    for who in ("operator-men", "officer", "kiosk", "display-men"):
        r = decide(c, world, meeting["id"], who=who, action="propose", starts_at=TOMORROW_1030)
        assert r.status_code == 403, (who, r.text)
        queue = c.get("/api/v1/meeting-requests", headers=bearer(world, who))
        assert queue.status_code == 403
    assert c.get("/api/v1/agenda", headers=bearer(world, "kiosk")).status_code == 403
    assert c.get("/api/v1/agenda.ics", headers=bearer(world, "display-men")).status_code == 403
    assert c.get("/api/v1/meeting-requests").status_code == 401

    r = decide(c, world, meeting["id"], action="approve", starts_at=TOMORROW_1030)
    assert r.status_code == 422 and r.json()["error"]["code"] == "video_link_required"
    r = decide(
        c, world, meeting["id"], action="approve", starts_at=TOMORROW_1030,
        video_link="http://meet.example.com/x",
    )  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_video_link"
    r = decide(
        c, world, meeting["id"], who="admin", action="approve", starts_at=TOMORROW_1030,
        video_link="https://meet.example.gov.sa/minister/42",
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["video_link"].startswith("https://")
    queue = c.get("/api/v1/meeting-requests?status=approved", headers=bearer(world, "supervisor"))
    assert [m["id"] for m in queue.json()["meeting_requests"]] == [meeting["id"]]
    bad = c.get("/api/v1/meeting-requests?status=maybe", headers=bearer(world, "supervisor"))
    assert bad.status_code == 422


def test_the_office_queue_lists_open_requests_first(c: TestClient, world: World) -> None:
    declined = ask(c, world, register(c, world)["id"]).json()
    decide(c, world, declined["id"], action="decline", note="لا يلزم")
    waiting = ask(c, world, register(c, world)["id"]).json()
    women = ask(c, world, register(c, world, hall="women", sex="female")["id"], "operator-women")
    assert women.status_code == 201 and women.json()["hall"]["slug"] == "women"
    rows = c.get("/api/v1/meeting-requests", headers=bearer(world, "supervisor")).json()
    ids = [m["id"] for m in rows["meeting_requests"]]
    assert ids == [waiting["id"], women.json()["id"], declined["id"]]


def test_a_letter_without_a_hall_meets_in_the_senders_section(c: TestClient, world: World) -> None:
    r = c.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "channel": "phone",
            "sender_name": "نورة سعد القحطاني",
            "sender_id_number": CITIZEN_ID,
            "sex": "female",
            "subject": "طلب مقابلة",
        },
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 201, r.text
    meeting = ask(c, world, r.json()["id"], who="supervisor")
    assert meeting.status_code == 201 and meeting.json()["hall"]["slug"] == "women"


def _events(text: str) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    for line in unfold(text):
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            events.append({})
        elif events and line != "END:VEVENT" and name not in events[-1]:
            events[-1][name] = value
    return events


def test_the_agenda_as_json_and_as_icalendar(c: TestClient, world: World) -> None:
    in_person = ask(c, world, register(c, world)["id"]).json()
    decide(c, world, in_person["id"], action="approve", starts_at=TOMORROW_1030)
    remote = ask(c, world, register(c, world)["id"], mode="remote").json()
    link = "https://meet.example.gov.sa/room/7?pin=1,2;3"
    r = decide(
        c, world, remote["id"], action="approve", starts_at="2026-11-25T12:00:00+03:00",
        video_link=link,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    visit = c.post(
        "/api/v1/appointments",
        json={
            "branch": "riyadh",
            "hall": "women",
            "service": "enquiry",
            "starts_at": "2026-11-25T09:00:00+03:00",
            "phone": "0559876543",
            "name": "سارة خالد العتيبي",
        },
        headers=bearer(world, "admin"),
    )
    assert visit.status_code == 201, visit.text

    agenda = c.get("/api/v1/agenda?day=2026-11-25", headers=bearer(world, "supervisor"))
    assert agenda.status_code == 200, agenda.text
    data = agenda.json()
    assert data["day"] == "2026-11-25" and data["branch"]["slug"] == "riyadh"
    assert [m["time"] for m in data["meetings"]] == ["10:30", "12:00"]
    assert [m["mode"] for m in data["meetings"]] == ["in_person", "remote"]
    assert data["meetings"][1]["video_link"] == link
    assert data["meetings"][0]["name"] == "محمد ع. ا."  # masked
    assert [a["time"] for a in data["appointments"]] == ["09:00"]
    assert data["appointments"][0]["hall"]["slug"] == "women"
    operator = c.get("/api/v1/agenda?day=2026-11-25", headers=bearer(world, "operator-men")).json()
    assert operator["appointments"] == [], "an operator sees the agenda of their own hall"
    assert c.get("/api/v1/agenda?day=25-11-2026", headers=bearer(world, "admin")).status_code == 422
    other = c.get("/api/v1/agenda?branch=jeddah", headers=bearer(world, "supervisor"))
    assert other.status_code == 403
    empty = c.get("/api/v1/agenda?day=2026-11-27&branch=riyadh", headers=bearer(world, "admin"))
    assert empty.json()["meetings"] == [] and empty.json()["appointments"] == []

    r = c.get("/api/v1/agenda.ics?day=2026-11-25", headers=bearer(world, "supervisor"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    assert "attachment" in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", ""), "every line ends with CRLF"
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    events = _events(text)
    assert len(events) == 3 == text.count("BEGIN:VEVENT") == text.count("END:VEVENT")
    stamps = {e["DTSTART"] for e in events}
    assert stamps == {"20261125T073000Z", "20261125T090000Z", "20261125T060000Z"}
    assert all(re.fullmatch(r"\d{8}T\d{6}Z", e["DTEND"]) for e in events)
    assert len({e["UID"] for e in events}) == 3
    assert all("DTSTAMP" in e and e["SUMMARY"] for e in events)
    remote_event = next(e for e in events if e["DTSTART"] == "20261125T090000Z")
    assert remote_event["URL"] == link
    assert escape_text(link) in remote_event["DESCRIPTION"]
    for secret in ("0559876543", "559876543", "0501234567", "501234567", CITIZEN_ID):
        assert secret not in text.replace("\r\n ", "")


def test_icalendar_folding_and_escaping() -> None:
    line = "SUMMARY:" + escape_text("لقاء معالي الوزير, بشأن خطاب; رقم\\ 1\nسطر ثان" * 3)
    folded = fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1 and all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert unfold(folded + "\r\n") == [line]
    assert "\\;" in line and "\\," in line and "\\n" in line and "\\\\" in line


def test_staff_screens_request_decide_and_print_the_agenda(
    c: TestClient, world: World, engine: Engine
) -> None:
    letter = register(c, world)
    sign_in(c, "operator-men")
    page = c.get(f"/staff/letters/{letter['id']}")
    assert page.status_code == 200
    assert f'action="/staff/letters/{letter["id"]}/meeting"' in page.text
    assert 'for="meeting-reason"' in page.text
    r = c.post(
        f"/staff/letters/{letter['id']}/meeting",
        data={"mode": "in_person", "reason": "", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert 'role="alert"' in c.get(f"/staff/letters/{letter['id']}").text  # reason required
    r = c.post(
        f"/staff/letters/{letter['id']}/meeting",
        data={"mode": "in_person", "reason": "تظلم يستحق العرض", "csrf_token": csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = c.get(f"/staff/letters/{letter['id']}").text
    assert "تظلم يستحق العرض" in after and 'for="meeting-reason"' not in after
    assert c.get("/staff/meetings").status_code == 403, "operators do not decide"
    assert c.get("/staff/agenda").status_code == 200, "operators read their hall's agenda"

    sign_in(c, "supervisor")
    queue = c.get("/staff/meetings")
    assert queue.status_code == 200 and letter["reference"] in queue.text
    meeting_id = int(re.search(r'id="meeting-(\d+)"', queue.text).group(1))  # type: ignore[union-attr]
    assert 'name="starts_at_day"' in queue.text and 'name="starts_at_time"' in queue.text
    r = c.post(
        f"/staff/meetings/{meeting_id}/decision",
        data={
            "action": "approve",
            "starts_at": "2026-11-25T10:30",
            "mode": "in_person",
            "video_link": "",
            "note": "",
            "csrf_token": csrf(queue.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    decided = c.get("/staff/meetings?status=approved")
    assert 'role="status"' in decided.text and "2026-11-25 10:30" in decided.text

    agenda = c.get("/staff/agenda?day=2026-11-25")
    assert agenda.status_code == 200
    html = agenda.text
    assert 'lang="ar"' in html and 'dir="rtl"' in html
    assert "محمد ع. ا." in html and "قاعة الرجال" in html and "10:30" in html
    assert "data-print" in html and "css/agenda.css" in html and "js/agenda.js" in html
    assert 'href="/staff/agenda.ics?day=2026-11-25"' in html
    assert "day=2026-11-24" in html and "day=2026-11-26" in html
    assert PHONE not in html and CITIZEN_ID not in html
    print_css = c.get("/static/css/agenda.css").text
    assert "@media print" in print_css and ".no-print" in print_css
    c.get("/lang?to=en&next=/")
    english = c.get("/staff/agenda?day=2026-11-25").text
    assert 'lang="en"' in english and "Men&#39;s hall" in english
    assert "Meetings with the minister" in english and "Print" in english
    empty = c.get("/staff/agenda?day=2026-11-30").text
    assert "Nothing is booked for this day." in empty
    bad_day = c.get("/staff/agenda?day=someday")
    assert bad_day.status_code == 422
    ics = c.get("/staff/agenda.ics?day=2026-11-25")
    assert ics.status_code == 200 and ics.text.count("BEGIN:VEVENT") == 1
    assert "Meeting with the minister" in ics.text.replace("\r\n ", "")

    c.post("/staff/logout", data={"csrf_token": csrf(english)})
    assert c.get("/staff/agenda.ics", follow_redirects=False).status_code == 303
    texts = sms(engine)
    assert [m.purpose for m in texts] == ["meeting_requested", "meeting_approved"]
