"""A mobile unit: set up from the centre, every record it makes noted for the centre by
the database itself, sent in order and only marked sent on the centre's answer, and its
sync state shown to its supervisor."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.cli import main as cli_main
from reception.clock import Clock
from reception.db import make_engine, session_scope
from reception.edge import capture
from reception.edge.models import EdgeNode, EdgeOutbox
from reception.edge.push import (
    MAX_WAIT_SECONDS,
    UNAUTHORIZED,
    UNREACHABLE,
    backoff_seconds,
    http_transport,
    push_all,
    push_once,
)
from reception.edge.setup_unit import SetupRefused, apply_config
from reception.queue.housekeeping import close_past_days
from reception.queue.models import Branch
from tests.edge_unit_world import (  # noqa: F401 (the fixtures centre and unit)
    PDF,
    PUBLIC_URL,
    UNIT_ID,
    Centre,
    Unit,
    auth,
    centre_fixture,
    config_document,
    make_unit,
    node_of,
    outbox,
    register_letter,
    serving_config,
    unit_client,
    unit_fixture,
)
from tests.factories import World
from tests.helpers import sign_in

# --- set-up ------------------------------------------------------------------------


def test_init_from_the_centre_sets_up_the_unit_and_refreshes_it_later(
    centre: Engine, sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "unit.sqlite3"
    shutil.copyfile(sqlite_template, path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("RECEPTION_EDGE_TOKEN", raising=False)
    document = config_document(centre, branch_id=1)
    with serving_config(document, "unit-secret") as central:
        # a wrong token is refused with a clear message and a non-zero exit
        assert cli_main(["edge", "init", "--central", central, "--token", "wrong"]) == 2
        assert cli_main(["edge", "init", "--central", central, "--token", "unit-secret"]) == 0
        engine = make_engine(f"sqlite:///{path}")
        try:
            node = node_of(engine)
            assert (node.unit_id, node.branch_id, node.token_tag) == (UNIT_ID, 1, "u7x")
            assert (node.public_url, node.sms_via) == (PUBLIC_URL, "centre")
            assert capture.installed(engine) == set(capture.trigger_names())
            with Session(engine) as s:
                assert [b.slug for b in s.exec(select(Branch)).all()] == ["riyadh"]
                users = s.execute(text("SELECT username, branch_id FROM staffuser")).all()
                assert users and all(branch == 1 for _, branch in users)
                assert not s.execute(text("SELECT * FROM staffsession")).all()
            # a record made at the unit, then a refresh with a new stop at the centre
            with session_scope(engine) as s:
                s.execute(text("INSERT INTO lettersequence (year, last_number) VALUES (2030, 4)"))
            document["tables"]["branchstop"] = [
                {
                    "id": 41,
                    "branch_id": 1,
                    "place_ar": "القرية",
                    "place_en": "The village",
                    "starts_on": "2030-01-01",
                    "ends_on": "2030-01-07",
                }
            ]
            monkeypatch.setenv("RECEPTION_EDGE_TOKEN", "unit-secret")
            assert cli_main(["edge", "init", "--central", central, "--sms-via", "unit"]) == 0
            with Session(engine) as s:
                assert s.execute(text("SELECT place_en FROM branchstop WHERE id = 41")).scalar()
                assert s.execute(text("SELECT last_number FROM lettersequence")).scalar() == 4
            assert node_of(engine).sms_via == "unit"
        finally:
            engine.dispose()
    # the token is never kept in the database
    assert b"unit-secret" not in path.read_bytes()


def test_init_refuses_a_database_holding_another_branch(
    centre: Engine, seeded_sqlite_template: tuple[Path, World], tmp_path: Path
) -> None:
    template, _ = seeded_sqlite_template
    path = tmp_path / "other.sqlite3"
    shutil.copyfile(template, path)  # Riyadh and Jeddah, like the demo data
    engine = make_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(SetupRefused, match="another branch.*empty SQLite file"):
            apply_config(engine, Clock(), config_document(centre, 1), "http://centre", None)
        with Session(engine) as s:
            assert s.get(EdgeNode, 1) is None
        assert not capture.installed(engine)
    finally:
        engine.dispose()


# --- capture -----------------------------------------------------------------------


def test_every_record_made_at_the_unit_is_noted_for_the_centre(unit: Unit, tmp_path: Path) -> None:
    with unit_client(unit, tmp_path) as client:
        issued = client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter", "phone": "0501234567"},
            headers=auth(unit, "kiosk"),
        )
        assert issued.status_code == 201, issued.text
        ticket = issued.json()
        # links made at a unit point at the centre and carry the unit's tag
        assert ticket["tracking_url"].startswith(f"{PUBLIC_URL}/t/u7x")
        counter = unit.counters[0]
        op = auth(unit, "operator-men")
        called = client.post(f"/api/v1/counters/{counter}/call-next", json={}, headers=op)
        assert called.status_code == 200, called.text
        r = client.post(f"/api/v1/counters/{counter}/current/finish", headers=op)
        assert r.status_code in (200, 204), r.text
        rated = client.post(
            "/api/v1/ratings",
            json={"ticket": ticket["id"], "score": 5},
            headers=auth(unit, "kiosk"),
        )
        assert rated.status_code == 201, rated.text
        letter = register_letter(client, unit)
        assert letter["reference"].startswith(f"U{UNIT_ID}-")
        reference = letter["reference"]
        r = client.post(
            f"/api/v1/letters/{reference}/attachments",
            files={"file": ("scan.pdf", PDF, "application/pdf")},
            headers=op,
        )
        assert r.status_code == 201, r.text
        r = client.post(
            "/api/v1/enquiries",
            json={"direction": "in", "topic": "other", "note": "استفسار عن موعد"},
            headers=op,
        )
        assert r.status_code == 201, r.text
        # a registered letter is classified at the centre, not here
        refused = client.post(
            f"/api/v1/letters/{reference}/classify", json={"category": "request_civil"}, headers=op
        )
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "letter_at_centre"
        assert "المركز" in refused.json()["error"]["message"]  # in the default language
        # the waiting counts kept by triggers still add up with the capture triggers beside
        display = client.get("/api/v1/branches", headers=auth(unit, "kiosk"))
        assert display.status_code == 200
    noted = outbox(unit.engine)
    tables = {tbl for tbl, _ in noted}
    assert tables >= {
        "ticket", "letter", "letterstep", "attachment", "enquiry", "rating", "auditentry",
        "outgoingsms",
    }  # fmt: skip
    ticket_changes = [row for tbl, row in noted if tbl == "ticket"]
    assert ticket_changes.count(ticket["id"]) >= 3  # issued, called, finished
    with Session(unit.engine) as s:
        waiting = s.execute(text("SELECT COALESCE(SUM(waiting), 0) FROM waitingcount")).scalar()
        assert waiting == 0
        sms = s.execute(text("SELECT body FROM outgoingsms")).scalars().all()
    assert any(f"{PUBLIC_URL}/" in body for body in sms), sms


def test_a_bulk_update_and_a_core_insert_are_noted(unit: Unit, tmp_path: Path) -> None:
    with unit_client(unit, tmp_path) as client:
        issued = client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=auth(unit, "kiosk"),
        )
        assert issued.status_code == 201
    with session_scope(unit.engine) as s:
        s.execute(text("DELETE FROM edge_outbox"))
    with session_scope(unit.engine) as s:  # the day's end: one UPDATE of every open ticket
        s.execute(text("UPDATE ticket SET status = 'expired'"))
    assert outbox(unit.engine) == [("ticket", issued.json()["id"])]
    with session_scope(unit.engine) as s:
        from reception import audit

        audit.record(s, "system", "test", "ticket", issued.json()["id"])
    assert outbox(unit.engine)[-1][0] == "auditentry"
    # a change rolled back is not noted
    with pytest.raises(RuntimeError), session_scope(unit.engine) as s:
        s.execute(text("UPDATE ticket SET status = 'waiting'"))
        raise RuntimeError
    assert len(outbox(unit.engine)) == 2
    # closing past days goes through the same triggers
    with session_scope(unit.engine, Clock()) as s:
        close_past_days(s, Clock(), actor="test")


# --- push ----------------------------------------------------------------------------


def test_push_sends_in_order_once_with_files_and_marks_sent_on_the_answer(
    unit: Unit, tmp_path: Path
) -> None:
    with unit_client(unit, tmp_path) as client:
        settings = client.app.state.ctx.settings  # type: ignore[attr-defined]
        for _ in range(3):
            r = client.post(
                "/api/v1/tickets",
                json={"branch": "riyadh", "hall": "men", "service": "letter"},
                headers=auth(unit, "kiosk"),
            )
            assert r.status_code == 201
        reference = register_letter(client, unit)["reference"]
        r = client.post(
            f"/api/v1/letters/{reference}/attachments",
            files={"file": ("scan.pdf", PDF, "application/pdf")},
            headers=auth(unit, "operator-men"),
        )
        assert r.status_code == 201
    noted = len(outbox(unit.engine))
    centre = Centre()
    result = push_all(unit.engine, Clock(), "unit-secret", settings.attachments_dir, centre)
    assert not result.error and result.sent == noted and result.pending_after == 0
    records = [rec for body in centre.bodies for rec in body["records"]]
    seqs = [rec["seq"] for rec in records]
    assert seqs == sorted(seqs)
    keys = [(rec["tbl"], rec["id"]) for rec in records]
    assert len(keys) == len(set(keys))  # a row changed twice in one batch goes once
    attachment = next(rec for rec in records if rec["tbl"] == "attachment")
    assert base64.b64decode(attachment["file"]) == PDF
    ticket = next(rec for rec in records if rec["tbl"] == "ticket")
    assert ticket["row"]["tracking_token"].startswith("u7x")
    assert centre.bodies[-1]["pending_after"] == 0
    assert push_once(unit.engine, Clock(), "unit-secret", None, centre).sent == 0
    node = node_of(unit.engine)
    assert node.last_push_at is not None and node.failures == 0 and node.last_error == ""


def test_centre_down_keeps_the_records_and_backs_off(unit: Unit, tmp_path: Path) -> None:
    with unit_client(unit, tmp_path) as client:
        r = client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=auth(unit, "kiosk"),
        )
        assert r.status_code == 201
    waiting = len(outbox(unit.engine))
    for failures in (1, 2):
        # nothing listens on the unit's central address: a real connection refused
        result = push_once(unit.engine, Clock(), "unit-secret", None, http_transport)
        assert result.error == UNREACHABLE
        node = node_of(unit.engine)
        assert node.failures == failures and node.last_error.startswith(UNREACHABLE)
        assert node.next_try_at is not None and node.last_attempt_at is not None
        assert node.next_try_at >= node.last_attempt_at
    with Session(unit.engine) as s:
        unsent = s.exec(select(EdgeOutbox).where(col(EdgeOutbox.sent_at).is_(None))).all()
    assert len(unsent) == waiting
    # the link comes back: everything goes, the failures are forgotten
    centre = Centre()
    assert push_all(unit.engine, Clock(), "unit-secret", None, centre).sent == waiting
    assert node_of(unit.engine).failures == 0


def test_a_revoked_token_shows_on_the_sync_state(unit: Unit, tmp_path: Path) -> None:
    centre = Centre()
    centre.status = 401
    with unit_client(unit, tmp_path) as client:
        r = client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=auth(unit, "kiosk"),
        )
        assert r.status_code == 201
        assert push_once(unit.engine, Clock(), "unit-secret", None, centre).error == UNAUTHORIZED
        state = client.get("/api/v1/edge/status", headers=auth(unit, "supervisor"))
        assert state.status_code == 200, state.text
        body = state.json()
        assert body["link"] == "refused" and body["pending"] >= 2 and body["failures"] == 1
        assert body["last_error"] == UNAUTHORIZED and body["next_try_at"]
        sign_in(client, "supervisor")
        page = client.get("/staff/sync")
        assert page.status_code == 200
        assert "RECEPTION_EDGE_TOKEN" in page.text and 'href="/staff/sync"' in page.text
        assert client.get("/api/v1/edge/status", headers=auth(unit, "kiosk")).status_code == 403


def test_backoff_doubles_up_to_five_minutes_with_some_jitter() -> None:
    assert backoff_seconds(0) == 0
    assert [backoff_seconds(n, jitter=0) for n in (1, 2, 3, 8)] == [2, 4, 8, 256]
    assert backoff_seconds(9, jitter=0) == MAX_WAIT_SECONDS == backoff_seconds(50, jitter=0)
    assert backoff_seconds(3, jitter=1) == pytest.approx(8 * 1.2)
    assert 300 <= backoff_seconds(20) <= 360
