"""A mobile unit's messages (sent by the centre, or by the unit's own account), its
commands, its letter page and its outbox housekeeping; the centre is no unit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.cli import main as cli_main
from reception.clock import Clock
from reception.db import session_scope
from reception.edge.models import EdgeOutbox
from reception.edge.push import (
    push_all,
    push_once,
)
from reception.queue.models import Ticket
from tests.edge_unit_world import (  # noqa: F401 (the fixtures centre and unit)
    PDF,
    PUBLIC_URL,
    Centre,
    Unit,
    auth,
    centre_fixture,
    make_unit,
    outbox,
    register_letter,
    unit_client,
    unit_fixture,
)
from tests.factories import World
from tests.helpers import sign_in

# --- SMS ------------------------------------------------------------------------------


def test_a_unit_sending_through_the_centre_never_sends_itself(
    unit: Unit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", unit.url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    assert cli_main(["worker"]) == 2  # the SMS worker command refuses at such a unit
    with unit_client(unit, tmp_path) as client:
        backend = client.app.state.sms_backend  # type: ignore[attr-defined]
        r = client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter", "phone": "0501234567"},
            headers=auth(unit, "kiosk"),
        )
        assert r.status_code == 201
    assert backend.sent == []
    with Session(unit.engine) as s:
        assert s.execute(text("SELECT status FROM outgoingsms")).scalars().all() == ["pending"]
    # the centre gets the message waiting, and sends it
    centre = Centre()
    push_all(unit.engine, Clock(), "unit-secret", None, centre)
    assert sms_sent_to(centre) == ["pending"]
    # a unit with its own account hands a waiting message over as settled: the centre
    # keeps it for the reports and never sends it too
    with session_scope(unit.engine) as s:
        s.execute(text("UPDATE edge_node SET sms_via = 'unit'"))
        s.execute(text("UPDATE outgoingsms SET attempts = attempts"))
    centre = Centre()
    push_all(unit.engine, Clock(), "unit-secret", None, centre)
    assert sms_sent_to(centre) == ["sent"]


def sms_sent_to(centre: Centre) -> list[str]:
    return [
        r["row"]["status"] for b in centre.bodies for r in b["records"] if r["tbl"] == "outgoingsms"
    ]


def test_a_unit_with_its_own_sms_account_sends(
    centre: Engine, sqlite_template: Path, tmp_path: Path
) -> None:
    from tests.helpers import wait_until

    own = make_unit(centre, sqlite_template, tmp_path / "own.sqlite3", sms_via="unit")
    try:
        with unit_client(own, tmp_path) as client:
            backend = client.app.state.sms_backend  # type: ignore[attr-defined]
            r = client.post(
                "/api/v1/tickets",
                json={
                    "branch": "riyadh",
                    "hall": "men",
                    "service": "letter",
                    "phone": "0501234567",
                },
                headers=auth(own, "kiosk"),
            )
            assert r.status_code == 201
            wait_until(lambda: len(backend.sent) == 1)
            sent = backend.sent[0]["body"]
            assert f"{PUBLIC_URL}/t/u7x" in sent, sent
    finally:
        own.engine.dispose()


def test_the_centre_is_not_a_unit(client: TestClient, world: World) -> None:
    r = client.get(
        "/api/v1/edge/status", headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    assert r.status_code == 404
    issued = client.post(
        "/api/v1/tickets",
        json={"branch": "riyadh", "hall": "men", "service": "letter"},
        headers={"Authorization": f"Bearer {world.tokens['kiosk']}"},
    )
    assert issued.status_code == 201
    engine = client.app.state.ctx.engine  # type: ignore[attr-defined]
    with Session(engine) as s:
        assert s.exec(select(EdgeOutbox)).all() == []
        ticket = s.exec(select(Ticket)).first()
        assert ticket is not None


def test_sent_records_are_cleared_after_a_few_days_and_numbers_never_reused(
    unit: Unit, tmp_path: Path
) -> None:
    from datetime import timedelta

    from reception.clock import FrozenClock
    from reception.edge.push import KEEP_SENT, clear_sent

    with unit_client(unit, tmp_path) as client:
        r = client.post(
            "/api/v1/tickets",
            json={"branch": "riyadh", "hall": "men", "service": "letter"},
            headers=auth(unit, "kiosk"),
        )
        assert r.status_code == 201
    clock = FrozenClock(Clock().now())
    sent = push_all(unit.engine, clock, "unit-secret", None, Centre()).sent
    assert sent >= 2
    with Session(unit.engine) as s:
        last = max(e.seq or 0 for e in s.exec(select(EdgeOutbox)).all())
    clock.advance(seconds=(KEEP_SENT - timedelta(hours=1)).total_seconds())
    assert clear_sent(unit.engine, clock) == 0
    clock.advance(hours=2)
    assert clear_sent(unit.engine, clock) == sent
    with session_scope(unit.engine) as s:
        s.execute(text("UPDATE ticket SET status = status"))
    with Session(unit.engine) as s:
        assert [e.seq for e in s.exec(select(EdgeOutbox)).all()] == [last + 1]


def test_the_sync_and_status_commands(
    unit: Unit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", unit.url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("RECEPTION_EDGE_TOKEN", "unit-secret")
    with session_scope(unit.engine) as s:
        from reception import audit

        audit.record(s, "system", "test", "ticket", 1)
    assert cli_main(["edge", "sync"]) == 2  # nothing listens at the centre's address
    out = capsys.readouterr()
    assert "0 records sent" in out.out and "unreachable" in out.err
    assert cli_main(["edge", "status"]) == 0
    out = capsys.readouterr()
    waiting = len(outbox(unit.engine))
    assert f"waiting records : {waiting}" in out.out and "unreachable" in out.out
    assert "(times in Asia/Riyadh)" in out.out  # as the branch reads them


def test_the_letter_screen_at_a_unit_registers_but_leaves_triage_to_the_centre(
    unit: Unit, tmp_path: Path
) -> None:
    from tests.helpers import csrf

    with unit_client(unit, tmp_path) as client:
        reference = register_letter(client, unit)["reference"]
        with Session(unit.engine) as s:
            letter_id = s.execute(
                text("SELECT id FROM letter WHERE reference = :r"), {"r": reference}
            ).scalar_one()
        sign_in(client, "supervisor")
        page = client.get(f"/staff/letters/{letter_id}")
        assert page.status_code == 200
        assert 'id="classified-at-centre"' in page.text
        assert f'action="/staff/letters/{letter_id}/classify"' not in page.text
        tried = client.post(
            f"/staff/letters/{letter_id}/classify",
            data={"category": "request_civil", "csrf_token": csrf(page.text)},
        )
        assert tried.status_code == 403
        assert "تُصنَّف في المركز" in tried.text


def test_a_unit_without_a_token_says_so(unit: Unit, tmp_path: Path) -> None:
    with session_scope(unit.engine) as s:
        from reception import audit

        audit.record(s, "system", "test", "ticket", 1)
    assert push_once(unit.engine, Clock(), "", None, Centre()).error == "no_token"
    with unit_client(unit, tmp_path, default_language="en") as client:
        sign_in(client, "supervisor")
        page = client.get("/staff/sync")
        assert "set RECEPTION_EDGE_TOKEN and start the unit again" in page.text
