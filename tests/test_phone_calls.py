"""The phone-call log through the API and the desk's forms, on SQLite and PostgreSQL:
a call's topic from the administered list, its direction and length in minutes, the
letter or ticket it concerns (within the caller's hall and branch), clear errors, the
administration of topics, and the migration of calls logged before topics existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.letters.models import CallTopic, Enquiry
from reception.migrate import alembic_config, upgrade
from tests.factories import World
from tests.helpers import bearer, csrf, issue, sign_in
from tests.test_letters_api import register

BEFORE_TOPICS = "a3a87f817dc4"


def log(client: TestClient, world: World, token: str = "operator-men", **body: Any) -> Any:
    return client.post(
        "/api/v1/enquiries", json={"direction": "in", **body}, headers=bearer(world, token)
    )


def calls(engine: Engine) -> list[tuple[Enquiry, str]]:
    with Session(engine) as s:
        rows = s.exec(select(Enquiry, CallTopic.slug).join(CallTopic).order_by(Enquiry.id))
        return [(call, slug) for call, slug in rows]


def error(r: Any) -> str:
    return str(r.json()["error"]["code"])


def test_a_call_with_its_topic_length_letter_and_ticket(
    client: TestClient, world: World, engine: Engine
) -> None:
    letter = register(client, world)
    ticket = issue(client, world, hall="men")
    r = log(client, world, topic="letter_status", duration_minutes=7,
            letter=letter["reference"].lower(), note="سأل عن خطابه")  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["topic"] == "letter_status" and body["duration_minutes"] == 7
    assert body["letter"] == letter["reference"] and body["ticket_id"] is None
    r = log(client, world, direction="out", topic="appointments", ticket=ticket["number"])
    assert r.status_code == 201, r.text
    assert r.json()["ticket_id"] == ticket["id"] and r.json()["duration_minutes"] is None
    r = log(client, world, topic="other", ticket=ticket["id"], duration_minutes=240)
    assert r.status_code == 201, r.text

    (first, t1), (second, t2), (third, t3) = calls(engine)
    assert (t1, first.direction, first.duration_minutes) == ("letter_status", "in", 7)
    assert first.letter_id is not None and first.ticket_id is None and first.note == "سأل عن خطابه"
    assert (t2, second.direction, second.ticket_id) == ("appointments", "out", ticket["id"])
    assert (t3, third.ticket_id, third.duration_minutes) == ("other", ticket["id"], 240)
    men_hall = second.hall_id
    assert men_hall is not None and first.hall_id == men_hall  # the letter's and ticket's hall
    assert {c.branch_id for c, _ in calls(engine)} == {first.branch_id}


def test_the_report_counts_calls_by_topic_with_their_minutes(
    client: TestClient, world: World
) -> None:
    """A call of the log that names a letter is a call about letters; the calls logged
    on a letter's page have no topic and no length (the group `on_a_letter`)."""
    letter = register(client, world)
    ticket = issue(client, world, hall="men")
    for body in (
        {"topic": "letter_status", "duration_minutes": 7, "letter": letter["reference"]},
        {"topic": "appointments", "direction": "out", "ticket": ticket["number"]},
        {"topic": "appointments", "duration_minutes": 4},
    ):
        assert log(client, world, **body).status_code == 201
    r = client.post(
        f"/api/v1/letters/{letter['reference']}/calls",
        json={"direction": "out", "note": "أبلغناه بحالة الخطاب"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200, r.text
    today = datetime.now(UTC).date()  # the server's clock; the range covers either side
    r = client.get(
        "/api/v1/reports/summary",
        params={
            "date_from": str(today - timedelta(days=1)),
            "date_to": str(today + timedelta(days=1)),
        },
        headers=bearer(world, "supervisor"),
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["calls"] == {
        "incoming": 2,
        "outgoing": 2,
        "about_letters": {"incoming": 1, "outgoing": 1},
        "enquiries": {"incoming": 1, "outgoing": 1},
    }
    cross = report["cross_tabs"]
    assert cross["calls_by_topic"] == {
        "appointments": {"incoming": 1, "outgoing": 1, "minutes": 4},
        "letter_status": {"incoming": 1, "outgoing": 0, "minutes": 7},
        "on_a_letter": {"incoming": 0, "outgoing": 1, "minutes": None},
    }
    assert (cross["calls_minutes"], cross["calls_timed_calls"]) == (11, 2)
    assert report["labels"]["call_topics"]["appointments"] == {
        "ar": "المواعيد",
        "en": "Appointments",
    }


def test_clear_errors_for_a_call(client: TestClient, world: World, engine: Engine) -> None:
    letter = register(client, world)
    women_letter = register(client, world, hall="women", sex="female")
    women_ticket = issue(client, world, hall="women")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({}, 422, "invalid"),  # no topic
        ({"topic": "weather"}, 422, "unknown_topic"),
        ({"topic": "other", "duration_minutes": 0}, 422, "invalid"),
        ({"topic": "other", "duration_minutes": 241}, 422, "invalid"),
        ({"topic": "other", "duration_minutes": "ten"}, 422, "invalid"),
        ({"topic": "other", "letter": "L-1999-000001"}, 404, "unknown_letter"),
        ({"topic": "other", "letter": women_letter["reference"]}, 404, "unknown_letter"),
        ({"topic": "other", "ticket": "M-999"}, 404, "unknown_ticket"),
        ({"topic": "other", "ticket": women_ticket["number"]}, 404, "unknown_ticket"),
        ({"topic": "other", "ticket": women_ticket["id"]}, 404, "unknown_ticket"),
    ]
    for body, status, code in cases:
        r = log(client, world, **body)
        assert (r.status_code, error(r)) == (status, code), (body, r.text)
    english = client.post(
        "/api/v1/enquiries",
        json={"direction": "in", "topic": "weather"},
        headers={**bearer(world, "operator-men"), "Accept-Language": "en"},
    )
    assert english.json()["error"]["message"] == "Choose one of the call topics offered."
    # The women's desk may log a call about its own hall's letter and ticket.
    r = log(client, world, "operator-women", topic="other", letter=women_letter["reference"],
            ticket=women_ticket["number"])  # fmt: skip
    assert r.status_code == 201, r.text
    # A kiosk or a department officer logs no calls.
    assert log(client, world, "kiosk", topic="other").status_code == 403
    assert log(client, world, "officer", topic="other").status_code == 403
    assert [slug for _, slug in calls(engine)] == ["other"]
    assert letter["reference"]


def test_topics_are_kept_by_an_administrator(
    client: TestClient, world: World, engine: Engine
) -> None:
    admin, desk = bearer(world, "admin"), bearer(world, "operator-men")
    offered = client.get("/api/v1/call-topics", headers=desk).json()["topics"]
    assert [t["slug"] for t in offered][-1] == "other"  # the migration's, shown last
    assert {"letter_status", "appointments"} <= {t["slug"] for t in offered}
    r = client.post(
        "/api/v1/admin/call-topics",
        json={"slug": "passports", "name_ar": "الجوازات", "name_en": "Passports",
              "sort_order": -5},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/call-topics", headers=desk).json()["topics"][0]["slug"] == (
        "passports"
    )
    same = client.post(
        "/api/v1/admin/call-topics",
        json={"slug": "passports", "name_ar": "ج", "name_en": "P"},
        headers=admin,
    )
    assert (same.status_code, error(same)) == (409, "slug_taken")
    assert (
        client.post("/api/v1/admin/call-topics", json={"slug": "x"}, headers=desk).status_code
        == 403
    )
    assert client.get("/api/v1/admin/call-topics", headers=desk).status_code == 403

    r = client.patch(
        "/api/v1/admin/call-topics/passports",
        json={"name_en": "Passports and visas", "active": False},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["name_en"] == "Passports and visas", r.text
    assert "passports" not in {
        t["slug"] for t in client.get("/api/v1/call-topics", headers=desk).json()["topics"]
    }
    everything = client.get("/api/v1/admin/call-topics", headers=admin).json()["topics"]
    assert {"slug": "passports", "name_ar": "الجوازات", "name_en": "Passports and visas",
            "sort_order": -5, "active": False} in everything  # fmt: skip
    r = log(client, world, topic="passports")
    assert (r.status_code, error(r)) == (422, "unknown_topic")  # no longer offered
    r = client.patch("/api/v1/admin/call-topics/passports", json={"active": True}, headers=admin)
    assert r.status_code == 200
    assert log(client, world, topic="passports").status_code == 201

    used = client.delete("/api/v1/admin/call-topics/passports", headers=admin)
    assert (used.status_code, error(used)) == (409, "topic_in_use")
    unused = client.delete("/api/v1/admin/call-topics/documents", headers=admin)
    assert unused.status_code == 204
    gone = client.delete("/api/v1/admin/call-topics/documents", headers=admin)
    assert (gone.status_code, error(gone)) == (404, "unknown_topic")
    with Session(engine) as s:
        assert s.exec(select(CallTopic).where(CallTopic.slug == "documents")).first() is None


def test_the_desk_form_and_the_administration_page(
    client: TestClient, world: World, engine: Engine
) -> None:
    letter = register(client, world)
    ticket = issue(client, world, hall="men")
    sign_in(client, "operator-men")
    desk = client.get("/staff/letters")
    assert '<option value="letter_status">الاستعلام عن معاملة</option>' in desk.text
    assert "Status of a letter" not in desk.text
    assert 'name="duration_minutes" type="number" min="1" max="240"' in desk.text
    r = client.post(
        "/staff/enquiries",
        data={"csrf_token": csrf(desk.text), "direction": "out", "topic": "letter_status",
              "duration_minutes": "١٢", "letter": letter["reference"],
              "ticket": ticket["number"].lower()},
    )  # fmt: skip
    assert r.url.path == "/staff/letters" and "سُجّلت المكالمة" in r.text
    ((call, slug),) = calls(engine)
    assert (slug, call.direction, call.duration_minutes) == ("letter_status", "out", 12)
    assert call.letter_id is not None and call.ticket_id == ticket["id"]

    for minutes in ("0", "300", "2.5"):
        r = client.post(
            "/staff/enquiries",
            data={"csrf_token": csrf(desk.text), "direction": "in", "topic": "other",
                  "duration_minutes": minutes},
        )  # fmt: skip
        assert 'role="alert"' in r.text and "دقيقة" in r.text, minutes
    r = client.post("/staff/enquiries", data={"csrf_token": csrf(desk.text), "direction": "in"})
    assert 'role="alert"' in r.text
    assert len(calls(engine)) == 1

    client.get("/lang?to=en&next=/")
    english = client.get("/staff/letters")
    assert '<option value="letter_status">Status of a letter</option>' in english.text
    r = client.post(
        "/staff/enquiries",
        data={"csrf_token": csrf(english.text), "direction": "in", "topic": "other",
              "duration_minutes": "500"},
    )  # fmt: skip
    assert "The length of a call is a whole number of minutes from 1 to 240." in r.text

    # The administrator adds a topic and stops offering it, on the administration page.
    sign_in(client, "operator-men")
    assert client.post("/staff/admin/call-topics", data={"csrf_token": csrf(english.text)},
                       follow_redirects=False).status_code == 403  # fmt: skip
    sign_in(client, "admin")
    page = client.get("/staff/admin")
    assert "Topics of phone calls" in page.text
    r = client.post(
        "/staff/admin/call-topics",
        data={"csrf_token": csrf(page.text), "slug": "visas", "name_ar": "التأشيرات",
              "name_en": "Visas", "sort_order": "-3"},
    )  # fmt: skip
    assert "The call topic was added." in r.text
    assert ">Visas</td>" in r.text
    r = client.post(
        "/staff/admin/call-topics/set",
        data={"csrf_token": csrf(page.text), "topic": "visas", "active": "no"},
    )
    assert "The call topic was saved." in r.text and "Show in the call form" in r.text
    with Session(engine) as s:
        visas = s.exec(select(CallTopic).where(CallTopic.slug == "visas")).one()
    assert (visas.active, visas.sort_order, visas.name_ar) == (False, -3, "التأشيرات")


def test_calls_logged_before_topics_are_migrated(database_url: str) -> None:
    """Old calls get the topic "other"; a note that is only a number of minutes gives
    their length."""
    command.downgrade(alembic_config(database_url), BEFORE_TOPICS)
    engine = create_engine(database_url)
    notes = ["5", " ١٢ دقيقة", "7 min", "سأل عن المواعيد", "500", ""]
    try:
        with engine.begin() as conn:
            branch = conn.execute(text("SELECT id FROM branch WHERE slug = 'riyadh'")).scalar_one()
            for note in notes:
                conn.execute(
                    text(
                        "INSERT INTO enquiry (branch_id, direction, note, actor, at) "
                        "VALUES (:branch, 'in', :note, 'user:1', '2026-11-01 08:00:00')"
                    ),
                    {"branch": branch, "note": note},
                )
        upgrade(database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT calltopic.slug, enquiry.duration_minutes, enquiry.note FROM enquiry "
                    "JOIN calltopic ON calltopic.id = enquiry.topic_id ORDER BY enquiry.id"
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("other", 5, "5"),
        ("other", 12, " ١٢ دقيقة"),
        ("other", 7, "7 min"),
        ("other", None, "سأل عن المواعيد"),
        ("other", None, "500"),
        ("other", None, ""),
    ]
