"""The API journey and its errors, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.audit import AuditEntry
from reception.notify.models import OutgoingSms
from reception.queue.models import Ticket
from tests.factories import World
from tests.helpers import bearer, issue, wait_until


def count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_ticket_then_call_next_then_nobody(client: TestClient, world: World) -> None:
    first = issue(client, world)
    second = issue(client, world, service="enquiry")
    assert first["number"] == "M-001" and second["number"] == "M-002"
    assert first["hall"] == "men" and first["service"] == "letter"
    assert first["status"] == "waiting" and first["position"] == 1
    assert second["position"] == 2  # the same counters serve letters and enquiries
    assert first["eta_minutes"] == 0
    assert first["tracking_url"].startswith("http://testserver/t/")
    assert len(first["tracking_url"].rsplit("/", 1)[1]) >= 22  # ≥128 bits

    third = issue(client, world)
    # M-001 (letter) and M-002 (enquiry) go first; four idle counters serve both: the
    # three are called at once
    assert third["position"] == 3 and third["eta_minutes"] == 0
    assert third["eta_low_minutes"] == 0 < third["eta_high_minutes"] <= 5  # "up to 3 min"

    counter = world.counters["men"][0]
    called = []
    served = {"close_current": "served"}
    for _ in range(3):
        r = client.post(
            f"/api/v1/counters/{counter}/call-next",
            json=served,
            headers=bearer(world, "operator-men"),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "called" and body["counter"] == 1
        called.append(body["number"])
    assert called == ["M-001", "M-002", "M-003"]
    r = client.post(
        f"/api/v1/counters/{counter}/call-next", json=served, headers=bearer(world, "operator-men")
    )
    assert r.status_code == 204 and r.content == b""


def test_halls_have_their_own_series(client: TestClient, world: World) -> None:
    assert issue(client, world, hall="women")["number"] == "W-001"
    assert issue(client, world)["number"] == "M-001"
    assert issue(client, world, hall="women")["number"] == "W-002"


def test_priority_goes_first(client: TestClient, world: World) -> None:
    issue(client, world)
    elderly = issue(client, world, priority="elderly")
    assert elderly["position"] == 1
    r = client.post(
        f"/api/v1/counters/{world.counters['men'][0]}/call-next",
        headers=bearer(world, "operator-men"),
    )
    assert r.json()["number"] == elderly["number"]


def test_operator_of_men_cannot_call_in_women_hall(client: TestClient, world: World) -> None:
    issue(client, world, hall="women")
    r = client.post(
        f"/api/v1/counters/{world.counters['women'][0]}/call-next",
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "wrong_hall"
    ok = client.post(
        f"/api/v1/counters/{world.counters['women'][0]}/call-next",
        headers=bearer(world, "operator-women"),
    )
    assert ok.status_code == 200 and ok.json()["number"] == "W-001"


def test_kiosk_of_women_hall_issues_only_women_tickets(client: TestClient, world: World) -> None:
    r = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers=bearer(world, "kiosk-women"),
    )
    assert r.status_code == 403
    assert issue(client, world, token="kiosk-women", hall="women")["number"] == "W-001"


def test_bad_input_is_a_clear_4xx_and_writes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    url = "/api/v1/tickets"
    good = {"branch": "riyadh", "hall": "men", "service": "letter"}
    cases = [
        ({**good, "hall": "kitchen"}, bearer(world, "kiosk"), 422, "unknown_hall"),
        ({**good, "service": "nope"}, bearer(world, "kiosk"), 422, "unknown_service"),
        ({**good, "branch": "mars"}, bearer(world, "kiosk"), 422, "unknown_branch"),
        ({**good, "priority": "vip"}, bearer(world, "kiosk"), 422, "unknown_priority"),
        ({**good, "phone": "12"}, bearer(world, "kiosk"), 422, "bad_phone"),
        ({**good, "residency": "tourist"}, bearer(world, "kiosk"), 422, "invalid"),
        ({**good, "extra": 1}, bearer(world, "kiosk"), 422, "invalid"),
        ({"hall": "men"}, bearer(world, "kiosk"), 422, "invalid"),
        (good, {}, 401, "login_required"),
        (good, {"Authorization": "Bearer rcp_not-a-token"}, 401, "bad_token"),
        (good, bearer(world, "display-men"), 403, "wrong_role"),
        (good, bearer(world, "officer"), 403, "wrong_role"),
        ({**good, "branch": "riyadh"}, bearer(world, "kiosk-jeddah"), 403, "wrong_hall"),
    ]
    for body, headers, status, code in cases:
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert error["code"] == code, (body, error)
        assert error["message"] and "Traceback" not in error["message"]
    r = client.post(
        url,
        content=b"{not json",
        headers={**bearer(world, "kiosk"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "malformed_json"
    r = client.post(
        url,
        content=b"branch=riyadh",
        headers={**bearer(world, "kiosk"), "Content-Type": "text/plain"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_content_type"
    r = client.post("/api/v1/counters/abc/call-next", headers=bearer(world, "operator-men"))
    assert r.status_code == 404
    r = client.post("/api/v1/counters/99999/call-next", headers=bearer(world, "operator-men"))
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_counter"
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert count(engine, Ticket) == 0
    assert count(engine, OutgoingSms) == 0


def test_errors_follow_accept_language(client: TestClient, world: World) -> None:
    body = {"branch": "riyadh", "hall": "kitchen", "service": "letter"}
    ar = client.post("/api/v1/tickets", json=body, headers=bearer(world, "kiosk"))
    en = client.post(
        "/api/v1/tickets", json=body, headers={**bearer(world, "kiosk"), "Accept-Language": "en-GB"}
    )
    assert ar.json()["error"]["message"] == "لا توجد قاعة باسم kitchen في هذا الفرع."
    assert en.json()["error"]["message"] == "There is no hall kitchen in this branch."


def test_idempotency_key_gives_the_same_ticket(
    client: TestClient, world: World, engine: Engine
) -> None:
    body = {"branch": "riyadh", "hall": "men", "service": "letter"}
    headers = {**bearer(world, "kiosk"), "Idempotency-Key": "tap-42"}
    first = client.post("/api/v1/tickets", json=body, headers=headers)
    again = client.post("/api/v1/tickets", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = client.post(
        "/api/v1/tickets",
        json=body,
        headers={**bearer(world, "kiosk"), "Idempotency-Key": "tap-43"},
    )
    assert other.json()["number"] == "M-002"
    assert count(engine, Ticket) == 2


def test_call_on_closed_counter_is_409(client: TestClient, world: World, engine: Engine) -> None:
    from reception.queue.models import Counter

    counter_id = world.counters["men"][1]
    with Session(engine) as s:
        counter = s.get(Counter, counter_id)
        assert counter is not None
        counter.status = "closed"
        s.add(counter)
        s.commit()
    r = client.post(
        f"/api/v1/counters/{counter_id}/call-next", headers=bearer(world, "operator-men")
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "counter_not_open"


def test_every_action_leaves_an_audit_entry(
    client: TestClient, world: World, engine: Engine
) -> None:
    issue(client, world)
    client.post(
        f"/api/v1/counters/{world.counters['men'][0]}/call-next",
        headers=bearer(world, "operator-men"),
    )
    with Session(engine) as s:
        actions = [a.action for a in s.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["ticket.issue", "ticket.call"]


def test_branches_listing(client: TestClient, world: World) -> None:
    r = client.get("/api/v1/branches", headers=bearer(world, "display-men"))
    assert r.status_code == 200
    branches = {b["slug"]: b for b in r.json()["branches"]}
    riyadh = branches["riyadh"]
    halls = {h["slug"]: h for h in riyadh["halls"]}
    assert set(halls) == {"men", "women"}
    assert [c["number"] for c in halls["men"]["counters"]] == [1, 2, 3, 4]
    assert halls["men"]["counters"][3]["services"] == ["letter", "enquiry", "complaint"]
    assert {s["slug"] for s in riyadh["services"]} == {"letter", "enquiry", "complaint"}
    assert client.get("/api/v1/branches").status_code == 401


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    assert "post" in paths["/api/v1/tickets"]
    assert "post" in paths["/api/v1/counters/{counter}/call-next"]
    assert "get" in paths["/api/v1/branches"]
    schema = doc["components"]["schemas"]["TicketCreate"]
    assert set(schema["required"]) == {"branch", "hall", "service"}
    for path in paths.values():
        for op in path.values():
            for ref in _refs(op):
                assert ref.split("/")[-1] in doc["components"]["schemas"], ref


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        for value in node.values():
            found += _refs(value)
        return found
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def test_ticket_with_phone_sends_one_sms(client: TestClient, world: World, engine: Engine) -> None:
    ticket = issue(client, world, phone="0501234567", language="en")
    backend = client.app.state.sms_backend  # type: ignore[attr-defined]
    wait_until(lambda: backend.sent, "the SMS to be sent")
    assert len(backend.sent) == 1
    sms = backend.sent[0]
    assert sms["to"] == "+966501234567"
    assert ticket["number"] in sms["body"] and ticket["tracking_url"] in sms["body"]

    # The backend has the message before the worker records the result: wait for that too.
    def recorded() -> OutgoingSms | None:
        with Session(engine) as s:
            row = s.exec(select(OutgoingSms)).one()
        return row if row.status != "sending" else None

    row = wait_until(recorded, "the worker to record the result")
    assert row.status == "sent" and row.attempts == 1


def test_operator_actions_over_the_api(client: TestClient, world: World) -> None:
    first = issue(client, world)
    second = issue(client, world)
    op = bearer(world, "operator-men")
    one, four = world.counters["men"][0], world.counters["men"][3]
    r = client.post(f"/api/v1/counters/{one}/call/{second['id']}", headers=op)
    assert r.status_code == 200 and r.json()["number"] == second["number"]
    for action, status in [("recall", "called"), ("start", "serving")]:
        r = client.post(f"/api/v1/counters/{one}/current/{action}", headers=op)
        assert r.status_code == 200 and r.json()["status"] == status, r.text
    r = client.post(f"/api/v1/counters/{one}/current/no-show", headers=op)
    assert r.status_code == 409 and r.json()["error"]["code"] == "illegal_transition"
    r = client.post(
        f"/api/v1/counters/{one}/current/transfer",
        json={"service": "complaint", "counter": four},
        headers=op,
    )
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    assert r.json()["service"] == "complaint" and r.json()["counter"] is None
    r = client.post(f"/api/v1/counters/{one}/current/finish", headers=op)
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_current_ticket"
    r = client.post(f"/api/v1/counters/{one}/call-next", headers=op)
    assert r.json()["number"] == first["number"]  # counter 1 may not take the transfer
    r = client.post(f"/api/v1/counters/{four}/call-next", headers=op)
    assert r.json()["number"] == second["number"]
    r = client.post(f"/api/v1/counters/{one}/current/return", headers=op)
    assert r.status_code == 200 and r.json()["status"] == "waiting"
    r = client.post(f"/api/v1/counters/{one}/status", json={"action": "pause"}, headers=op)
    assert r.status_code == 200 and r.json()["status"] == "paused"
    r = client.post(f"/api/v1/counters/{one}/call-next", headers=op)
    assert r.status_code == 409 and r.json()["error"]["code"] == "counter_not_open"
    r = client.post(f"/api/v1/counters/{one}/status", json={"action": "nap"}, headers=op)
    assert r.status_code == 422
    r = client.post(f"/api/v1/counters/{one}/current/dance", headers=op)
    assert r.status_code == 404
    women = world.counters["women"][0]
    r = client.post(f"/api/v1/counters/{women}/status", json={"action": "pause"}, headers=op)
    assert r.status_code == 403


def test_finish_records_how_the_visit_ended(
    client: TestClient, world: World, engine: Engine
) -> None:
    first = issue(client, world)
    second = issue(client, world)
    op = bearer(world, "operator-men")
    counter = world.counters["men"][0]
    client.post(f"/api/v1/counters/{counter}/call-next", headers=op)
    r = client.post(
        f"/api/v1/counters/{counter}/current/finish", json={"outcome": "magic"}, headers=op
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/counters/{counter}/current/finish",
        json={"outcome": "letter_received"},
        headers=op,
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    client.post(f"/api/v1/counters/{counter}/call-next", headers=op)
    served = {"close_current": "served"}  # finishes the second
    client.post(f"/api/v1/counters/{counter}/call-next", json=served, headers=op)
    with Session(engine) as s:
        outcomes = {t.id: t.outcome for t in s.exec(select(Ticket))}
    assert outcomes == {first["id"]: "letter_received", second["id"]: "served"}


def test_appointment_only_services_are_not_for_walk_ins(
    client: TestClient, world: World, engine: Engine
) -> None:
    from reception.queue.models import Service

    with Session(engine) as s:
        for service in s.exec(select(Service).where(Service.slug == "complaint")):
            service.mode = "appointment"
            s.add(service)
        s.commit()
    r = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "complaint"},
        headers=bearer(world, "kiosk"),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "by_appointment_only"
    listing = client.get("/api/v1/branches", headers=bearer(world, "kiosk")).json()
    modes = {s["slug"]: s["mode"] for s in listing["branches"][0]["services"]}
    assert modes["complaint"] == "appointment" and modes["letter"] == "both"


def test_every_api_route_is_in_the_openapi_document(client: TestClient) -> None:
    from starlette.routing import Route

    documented = {
        (method.upper(), path)
        for path, operations in client.get("/api/v1/openapi.json").json()["paths"].items()
        for method in operations
    }
    missing = [
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith("/api/v1/")
        for method in (route.methods or set()) - {"HEAD"}
        if route.path != "/api/v1/openapi.json" and (method, route.path) not in documented
    ]
    assert missing == []


def test_a_called_visitor_gets_one_sms_per_counter(
    client: TestClient, world: World, engine: Engine
) -> None:
    ticket = issue(client, world, phone="0501234567", language="en")
    op = bearer(world, "operator-men")
    first, second = world.counters["men"][0], world.counters["men"][1]
    assert client.post(f"/api/v1/counters/{first}/call-next", headers=op).status_code == 200
    assert client.post(f"/api/v1/counters/{first}/current/recall", headers=op).status_code == 200
    r = client.post(f"/api/v1/counters/{first}/current/return", headers=op)
    assert r.status_code == 200
    r = client.post(f"/api/v1/counters/{second}/call/{ticket['id']}", headers=op)
    assert r.status_code == 200, r.text
    with Session(engine) as s:
        called = [
            m.body
            for m in s.exec(select(OutgoingSms).order_by(OutgoingSms.id))
            if m.purpose == "ticket_called"
        ]
    assert len(called) == 2  # counter 1 once (the recall sent nothing), then counter 2
    assert "counter 1" in called[0] and "counter 2" in called[1]
    assert all(ticket["tracking_url"] in body for body in called)


def test_the_next_visitor_is_told_once_and_a_second_call_texts_nothing_new(
    client: TestClient, world: World, engine: Engine
) -> None:
    first = issue(client, world, phone="0501234567")
    second = issue(client, world, phone="0551234567")
    op = bearer(world, "operator-men")
    counter = world.counters["men"][0]
    assert client.post(f"/api/v1/counters/{counter}/call-next", headers=op).status_code == 200
    # The first visitor goes back to the queue and is called at the same counter again.
    assert client.post(f"/api/v1/counters/{counter}/current/return", headers=op).status_code == 200
    r = client.post(f"/api/v1/counters/{counter}/call/{first['id']}", headers=op)
    assert r.status_code == 200, r.text
    served = {"close_current": "served"}
    r = client.post(f"/api/v1/counters/{counter}/call-next", json=served, headers=op)
    assert r.status_code == 200, r.text
    with Session(engine) as s:
        sent = sorted((m.purpose, m.to) for m in s.exec(select(OutgoingSms)))
    assert sent == [
        ("ticket_called", "+966501234567"),
        ("ticket_called", "+966551234567"),
        ("ticket_feedback", "+966501234567"),  # the first visit ended: how was it?
        ("ticket_issued", "+966501234567"),
        ("ticket_issued", "+966551234567"),
        ("ticket_next", "+966551234567"),
    ]
    assert second["number"] == "M-002"
