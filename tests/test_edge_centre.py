"""The centre's side of a mobile unit's link, through HTTP on SQLite and PostgreSQL:
units and their tokens, the set-up a unit pulls, and the batches it pushes (stored
once, newer states applied, older ones and other branches' rows refused)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.audit import AuditEntry
from reception.db import make_engine, session_scope
from reception.edge.ingest import ingest
from reception.edge.models import EdgeRow, EdgeUnit
from reception.edge.protocol import EdgePushIn
from reception.edge.tables import BY_NAME
from reception.feedback.models import Rating
from reception.letters.models import Attachment, Enquiry, Letter, LetterStep
from reception.notify.models import OutgoingSms
from reception.queue.models import Hall, Ticket
from reception.settings import Settings
from tests.conftest import make_settings
from tests.edge_world import SCAN, Unit, add_unit, day_batch, letter, push, record, ticket
from tests.factories import World, build_world
from tests.helpers import bearer


def central(engine: Engine, unit: Unit, tbl: str, local_id: int) -> int:
    with Session(engine) as s:
        row = s.get(EdgeRow, (unit.id, tbl, local_id))
        assert row is not None, (tbl, local_id)
        return row.central_id


def count(engine: Engine, model: Any, **where: Any) -> int:
    with Session(engine) as s:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(s.exec(query).one())


def error(r: Any) -> str:
    return str(r.json()["error"]["code"])


def test_a_batch_is_stored_once_with_its_links(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    unit = add_unit(client, world, engine)
    audits_before = count(engine, AuditEntry)
    r = push(client, unit, day_batch(unit))
    assert r.status_code == 200, r.text
    assert r.json() == {"acked_seq": 8}

    ids = {tbl: central(engine, unit, tbl, 1) for tbl in BY_NAME}
    ticket_id, letter_id = ids["ticket"], ids["letter"]
    with Session(engine) as s:
        stored = s.get(Ticket, ticket_id)
        assert stored is not None and stored.number == "N-001"
        assert stored.branch_id == unit.branch_id
        kept = s.get(Letter, letter_id)
        assert kept is not None and kept.ticket_id == ticket_id
        assert kept.reference == f"U{unit.id}-2026-000001"
        step = s.get(LetterStep, ids["letterstep"])
        assert step is not None and step.letter_id == letter_id
        scan = s.get(Attachment, ids["attachment"])
        assert scan is not None and scan.letter_id == letter_id
        assert settings.attachments_dir is not None
        on_disk = (settings.attachments_dir / scan.stored_as).read_bytes()
        assert on_disk == SCAN and scan.sha256 == hashlib.sha256(SCAN).hexdigest()
        call = s.get(Enquiry, ids["enquiry"])
        assert call is not None and (call.letter_id, call.ticket_id) == (letter_id, ticket_id)
        rating = s.get(Rating, ids["rating"])
        assert rating is not None and rating.ticket_id == ticket_id
        assert rating.device_token_id is None  # the unit's own kiosk token is not here
        entry = s.get(AuditEntry, ids["auditentry"])
        assert entry is not None and entry.entity_id == str(ticket_id)
        sms = s.get(OutgoingSms, ids["outgoingsms"])
        assert sms is not None and sms.branch_id == unit.branch_id
        state = s.get(EdgeUnit, unit.id)
        assert state is not None and state.acked_seq == 8 and state.pending == 0
        assert state.last_push_at is not None and state.complete_through is not None

    again = push(client, unit, day_batch(unit))
    assert again.status_code == 200 and again.json() == {"acked_seq": 8}
    for model in (Ticket, Letter, Enquiry, Rating, OutgoingSms):
        assert count(engine, model, branch_id=unit.branch_id) == 1, model
    assert count(engine, LetterStep, letter_id=letter_id) == 1
    assert count(engine, Attachment, letter_id=letter_id) == 1
    assert count(engine, AuditEntry) == audits_before + 1  # the unit's entry, once
    assert count(engine, EdgeRow, unit_id=unit.id) == 8

    # a letter registered at the unit is handed over: the centre classifies it
    reference = f"U{unit.id}-2026-000001"
    opened = client.get(f"/api/v1/letters/{reference}", headers=bearer(world, "admin"))
    assert opened.status_code == 200, opened.text
    routed = client.post(
        f"/api/v1/letters/{reference}/classify",
        json={"category": "request_civil"},
        headers=bearer(world, "admin"),
    )
    assert routed.status_code == 200, routed.text

    listed = client.get("/api/v1/admin/edge-units", headers=bearer(world, "admin"))
    assert listed.status_code == 200
    (shown,) = listed.json()["items"]
    assert shown["acked_seq"] == 8 and shown["pending"] == 0 and shown["last_push_at"]
    assert "token" not in shown


def test_newer_states_replace_older_ones_never_the_other_way(
    client: TestClient, world: World, engine: Engine
) -> None:
    unit = add_unit(client, world, engine)
    assert push(client, unit, day_batch(unit)).status_code == 200
    done = ticket(unit, status="done", counter_id=unit.counter_id, called_by_id=unit.operator_id)
    changed_letter = letter(unit, subject="changed at the unit")
    r = push(client, unit, [record(9, done), record(10, changed_letter)], pending_after=3)
    assert r.status_code == 200 and r.json() == {"acked_seq": 10}
    ticket_id = central(engine, unit, "ticket", 1)
    letter_id = central(engine, unit, "letter", 1)
    with Session(engine) as s:
        stored = s.get(Ticket, ticket_id)
        assert stored is not None and stored.status == "done"
        assert stored.counter_id == unit.counter_id
        kept = s.get(Letter, letter_id)
        assert kept is not None and kept.subject == "طلب إصدار هوية"  # handed over: first kept
        state = s.get(EdgeUnit, unit.id)
        assert state is not None and state.pending == 3

    stale = push(client, unit, [record(7, ticket(unit, status="waiting"))])
    assert stale.status_code == 200 and stale.json() == {"acked_seq": 10}
    with Session(engine) as s:
        stored = s.get(Ticket, ticket_id)
        assert stored is not None and stored.status == "done"
        assert s.get(EdgeRow, (unit.id, "ticket", 1)).seq == 9  # type: ignore[union-attr]


def test_another_branchs_record_stores_nothing_of_the_batch(
    client: TestClient, world: World, engine: Engine
) -> None:
    unit = add_unit(client, world, engine)
    with Session(engine) as s:
        riyadh_hall = s.exec(select(Hall).where(Hall.branch_id != unit.branch_id)).first()
        assert riyadh_hall is not None
    mine = record(1, ticket(unit))
    theirs = record(2, ticket(unit, 2, hall_id=riyadh_hall.id))
    r = push(client, unit, [mine, theirs])
    assert r.status_code == 403, r.text
    assert error(r) == "forbidden" and r.json()["seq"] == 2
    other_branch = record(2, ticket(unit, 2, branch_id=riyadh_hall.branch_id))
    assert push(client, unit, [mine, other_branch]).status_code == 403
    assert count(engine, Ticket, branch_id=unit.branch_id) == 0
    assert count(engine, EdgeRow) == 0
    with Session(engine) as s:
        state = s.get(EdgeUnit, unit.id)
        assert state is not None and state.acked_seq == 0 and state.last_push_at is None


def test_malformed_bodies_are_clear_422s(client: TestClient, world: World, engine: Engine) -> None:
    unit = add_unit(client, world, engine)
    good = record(1, ticket(unit))

    def refused(body: Any, seq: int | None = None) -> None:
        r = client.post("/api/v1/edge/push", json=body, headers=unit.headers)
        assert r.status_code == 422, r.text
        assert error(r) in ("invalid", "malformed_json") and r.json()["error"]["message"]
        if seq is not None:
            assert r.json()["seq"] == seq, r.json()

    def batch(*records: dict[str, Any]) -> dict[str, Any]:
        return {"unit_clock": "2026-12-07T15:00:00+00:00", "pending_after": 0, "records": records}

    r = client.post("/api/v1/edge/push", content=b"{not json", headers=unit.headers)
    assert r.status_code == 422
    r = client.post(
        "/api/v1/edge/push",
        content=b"{not json",
        headers={**unit.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and error(r) == "malformed_json"
    refused({"records": []})
    refused({**batch(good), "unit_clock": "yesterday"})
    refused(batch({**good, "extra": 1}), seq=1)
    refused(batch({**good, "tbl": "staffuser"}), seq=1)
    refused(batch({**good, "row": {**good["row"], "colour": "red"}}), seq=1)
    refused(batch({**good, "row": {**good["row"], "seq": "one"}}), seq=1)
    refused(batch({**good, "row": {**good["row"], "number": "N" * 500}}), seq=1)
    refused(batch({**good, "row": {**good["row"], "issued_at": "2026-12-07T10:00:00"}}), seq=1)
    refused(batch({**good, "row": {**good["row"], "issued_at": 7}}), seq=1)
    refused(batch({**good, "row": {**good["row"], "branch_id": None}}), seq=1)
    refused(batch({**good, "row": {k: v for k, v in good["row"].items() if k != "prefix"}}), seq=1)
    refused(batch({**good, "id": 2}), seq=1)
    refused(batch(record(2, good_ticket := ticket(unit, 2)), good), seq=1)
    assert good_ticket.id == 2
    orphan = record(1, letter(unit, ticket_id=99))
    refused(batch(orphan), seq=1)
    batch_of_day = day_batch(unit)
    wrong_file = {**batch_of_day[3], "file": "bm90IHRoZSBzY2Fu"}
    refused(batch(*batch_of_day[:3], wrong_file), seq=4)
    refused(batch(*batch_of_day[:3], {**batch_of_day[3], "file": "***"}), seq=4)
    no_file = {k: v for k, v in batch_of_day[3].items() if k != "file"}
    refused(batch(*batch_of_day[:3], no_file), seq=4)
    assert count(engine, EdgeRow) == 0 and count(engine, Ticket, branch_id=unit.branch_id) == 0


def test_the_unit_token_reaches_its_two_endpoints_only_until_revoked(
    client: TestClient, world: World, engine: Engine
) -> None:
    unit = add_unit(client, world, engine)
    for method, path in (
        ("GET", "/api/v1/branches"),
        ("POST", "/api/v1/tickets"),
        ("GET", "/api/v1/admin/edge-units"),
        ("GET", "/api/v1/letters"),
        ("GET", "/staff"),
    ):
        r = client.request(method, path, headers=unit.headers, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    for name in ("admin", "kiosk", "operator-men"):
        assert client.get("/api/v1/edge/config", headers=bearer(world, name)).status_code == 403
        assert push(client, unit, []).status_code == 200
        r = client.post(
            "/api/v1/edge/push",
            json={"unit_clock": "2026-12-07T15:00:00+00:00", "pending_after": 0, "records": []},
            headers=bearer(world, name),
        )
        assert r.status_code == 403, name

    revoked = client.post(
        f"/api/v1/admin/edge-units/{unit.id}/revoke", headers=bearer(world, "admin")
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/api/v1/edge/config", headers=unit.headers).status_code == 401
    r = push(client, unit, day_batch(unit))
    assert r.status_code == 401 and error(r) == "bad_token"
    assert count(engine, EdgeRow) == 0
    missing = client.post("/api/v1/admin/edge-units/999/revoke", headers=bearer(world, "admin"))
    assert missing.status_code == 404 and error(missing) == "unknown_unit"


def test_a_unit_is_added_for_a_mobile_branch_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    admin = bearer(world, "admin")
    r = client.post(
        "/api/v1/admin/edge-units", json={"branch": "riyadh", "name": "x"}, headers=admin
    )
    assert r.status_code == 422 and error(r) == "not_mobile"
    r = client.post(
        "/api/v1/admin/edge-units", json={"branch": "nowhere", "name": "x"}, headers=admin
    )
    assert r.status_code == 404
    r = client.post(
        "/api/v1/admin/tokens",
        json={"name": "x", "role": "edge", "branch": "riyadh"},
        headers=admin,
    )
    assert r.status_code == 422  # an edge token comes with a unit only
    unit = add_unit(client, world, engine)
    assert unit.token and unit.token not in str(
        client.get("/api/v1/admin/edge-units", headers=admin).json()
    )


def test_the_config_holds_only_the_units_branch(
    client: TestClient, world: World, engine: Engine
) -> None:
    unit = add_unit(client, world, engine)
    r = client.get("/api/v1/edge/config", headers=unit.headers)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["unit"] == {"id": unit.id, "name": "Laptop 1", "branch_id": unit.branch_id}
    assert doc["token_tag"] == f"u{unit.id}x" and doc["public_url"]
    tables = doc["tables"]
    assert [b["id"] for b in tables["branch"]] == [unit.branch_id]
    assert {h["branch_id"] for h in tables["hall"]} == {unit.branch_id}
    assert {s["branch_id"] for s in tables["service"]} == {unit.branch_id}
    assert [c["id"] for c in tables["counter"]] == [unit.counter_id]
    assert {u["branch_id"] for u in tables["staffuser"]} == {unit.branch_id}
    assert [u["username"] for u in tables["staffuser"]] == ["north-op"]
    assert tables["staffuser"][0]["password_hash"]
    assert tables["prioritygroup"] and tables["category"] and tables["calltopic"]
    assert "apitoken" not in tables and "staffsession" not in tables
    text = r.text
    for elsewhere in ("riyadh", "jeddah", "الرياض", "operator-men"):
        assert elsewhere not in text, elsewhere
    with Session(engine) as s:
        state = s.get(EdgeUnit, unit.id)
        assert state is not None and state.config_pulled_at is not None


def test_two_units_keep_their_own_ids(client: TestClient, world: World, engine: Engine) -> None:
    first = add_unit(client, world, engine)
    second = add_unit(client, world, engine, slug="south")
    assert push(client, first, [record(1, ticket(first))]).status_code == 200
    r = push(client, second, [record(1, ticket(second))])
    assert r.status_code == 200, r.text
    assert central(engine, first, "ticket", 1) != central(engine, second, "ticket", 1)
    crossing = record(2, ticket(second, 2, hall_id=first.hall_id))
    assert push(client, second, [crossing]).status_code == 403
    with Session(engine) as s:
        numbers = s.exec(select(Ticket.number).where(col(Ticket.branch_id) == second.branch_id))
        assert list(numbers) == ["N-001"]


@pytest.mark.postgres
def test_two_pushes_of_one_unit_at_once_store_each_record_once(
    postgres_url: str, tmp_path: Path
) -> None:
    """A retry racing a slow answer: the second push waits for the first (the unit's
    row is locked) and then finds everything stored."""
    engine = make_engine(postgres_url)
    try:
        world = build_world(engine, with_second_branch=False)
        settings = make_settings(postgres_url, tmp_path / "var")
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            unit = add_unit(client, world, engine)
        body = EdgePushIn.model_validate(
            {"unit_clock": "2026-12-07T15:00:00+00:00", "pending_after": 0,
             "records": day_batch(unit)}
        )  # fmt: skip
        root = tmp_path / "files"
        start = threading.Barrier(2)
        answers: list[object] = []

        def one_push() -> None:
            start.wait()
            try:
                with session_scope(engine) as s:
                    answers.append(ingest(s, unit.id, body, root).value)
            except Exception as exc:  # noqa: BLE001 - the test reports it
                answers.append(exc)

        threads = [threading.Thread(target=one_push) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [8, 8]
        assert count(engine, EdgeRow, unit_id=unit.id) == 8
        assert count(engine, Ticket, branch_id=unit.branch_id) == 1
        assert count(engine, Attachment) == 1
    finally:
        engine.dispose()


def test_a_full_batch_costs_a_few_statements_per_record(
    client: TestClient, world: World, engine: Engine
) -> None:
    """200 tickets: each a few statements (its row, its id), not one per column; the
    same 200 again, as newer states, as few. A count, not a time."""
    unit = add_unit(client, world, engine)
    app_engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def counted(*args: Any) -> None:
        seen.append(str(args[2])[:40])

    first = [record(n, ticket(unit, n)) for n in range(1, 201)]
    newer = [record(200 + n, ticket(unit, n, status="done")) for n in range(1, 201)]
    event.listen(app_engine, "before_cursor_execute", counted)
    try:
        assert push(client, unit, first).json() == {"acked_seq": 200}
        inserted = len(seen)
        seen.clear()
        assert push(client, unit, newer).json() == {"acked_seq": 400}
        updated = len(seen)
    finally:
        event.remove(app_engine, "before_cursor_execute", counted)
    assert inserted <= 2 * 200 + 30, inserted
    assert updated <= 2 * 200 + 30, updated
    assert count(engine, Ticket, branch_id=unit.branch_id, status="done") == 200
