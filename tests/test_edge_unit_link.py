"""A unit and a real centre server on loopback: the unit is set up with
`reception edge init` from the running centre, its own server process sends what it
records in the background, keeps it while the centre is stopped and sends it once the
centre is back; a revoked token shows on the unit's sync state."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth.actions import create_token
from reception.cli import main as cli_main
from reception.db import make_engine, session_scope
from reception.edge.models import EdgeNode, EdgeOutbox
from reception.queue.models import Counter
from tests.browser import free_port
from tests.conftest import make_settings
from tests.edge_world import mobile_branch
from tests.factories import World
from tests.helpers import wait_until
from tests.servers import reception_server

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PUBLIC = "https://centre.example"


@pytest.fixture
def centre_db(seeded_sqlite_template: tuple[Path, World], tmp_path: Path) -> Iterator[str]:
    template, _ = seeded_sqlite_template
    path = tmp_path / "centre.sqlite3"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    mobile_branch(engine, "north")
    engine.dispose()
    yield f"sqlite:///{path}"


def centre_env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "BROADCAST_URL": "memory://",
        "SECRET_KEY": "edge-centre-test-secret-0123456789abcdef",
        "SMS_BACKEND": "console",
        "VAR_DIR": str(tmp_path / "centre-var"),
        "PUBLIC_BASE_URL": PUBLIC,
        "LOG_LEVEL": "WARNING",
    }


def pending(engine: Engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(EdgeOutbox).where(col(EdgeOutbox.sent_at).is_(None))).all())


def centre_count(url: str, sql: str) -> Any:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return s.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def test_a_unit_sends_to_a_real_centre_keeps_records_while_it_is_down_and_shows_a_revoked_token(
    centre_db: str,
    seeded_sqlite_template: tuple[Path, World],
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, world = seeded_sqlite_template
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    port = free_port()
    unit_path = tmp_path / "unit.sqlite3"
    shutil.copyfile(sqlite_template, unit_path)
    unit_url = f"sqlite:///{unit_path}"
    with reception_server(centre_env(centre_db, tmp_path), tmp_path / "c1.log", port=port) as c:
        added = httpx2.post(
            f"{c.base}/api/v1/admin/edge-units",
            json={"branch": "north", "name": "Laptop 1"},
            headers=admin,
            timeout=30,
        )
        assert added.status_code == 201, added.text
        unit_id, token = added.json()["id"], added.json()["token"]
        monkeypatch.setenv("DATABASE_URL", unit_url)
        monkeypatch.setenv("VAR_DIR", str(tmp_path / "unit-var"))
        monkeypatch.setenv("RECEPTION_EDGE_TOKEN", token)
        assert cli_main(["edge", "init", "--central", c.base]) == 0

        engine = make_engine(unit_url)
        with session_scope(engine) as s:  # the unit's own devices
            tokens = {
                name: create_token(s, name=name, role=role, branch_slug="north", hall_slug=hall)[1]
                for name, role, hall in (
                    ("kiosk", "kiosk", None),
                    ("operator", "operator", "men"),
                    ("supervisor", "supervisor", None),
                )
            }
        with Session(engine) as s:
            counter = s.exec(select(Counter.id)).first()
        headers = {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}
        settings = make_settings(
            unit_url,
            tmp_path / "unit-var",
            reception_edge_token=token,
            edge_push_interval_seconds=0.2,
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as unit:
            ticket = issue(unit, headers["kiosk"], phone="0501234567")
            assert ticket["tracking_url"].startswith(f"{PUBLIC}/t/u{unit_id}x")
            op = headers["operator"]
            assert unit.post(
                f"/api/v1/counters/{counter}/call-next", json={}, headers=op
            ).is_success
            assert unit.post(f"/api/v1/counters/{counter}/current/finish", headers=op).is_success
            rated = unit.post(
                "/api/v1/ratings",
                json={"ticket": ticket["id"], "score": 4},
                headers=headers["kiosk"],
            )
            assert rated.status_code == 201, rated.text
            letter = unit.post(
                "/api/v1/letters",
                json={
                    "branch": "north",
                    "hall": "men",
                    "sender_name": "سعد علي",
                    "sender_id_number": "1000000008",
                    "sex": "male",
                    "subject": "طلب",
                    "body": "نص الطلب",
                },
                headers=op,
            )
            assert letter.status_code == 201, letter.text
            reference = letter.json()["reference"]
            assert reference.startswith(f"U{unit_id}-")
            attached = unit.post(
                f"/api/v1/letters/{reference}/attachments",
                files={"file": ("scan.pdf", PDF, "application/pdf")},
                headers=op,
            )
            assert attached.status_code == 201, attached.text
            called = unit.post(
                "/api/v1/enquiries", json={"direction": "in", "topic": "other"}, headers=op
            )
            assert called.status_code == 201, called.text

            # the unit's own server sends it all in the background
            wait_until(lambda: pending(engine) == 0)
            assert centre_count(centre_db, "SELECT COUNT(*) FROM letter WHERE reference = "
                                f"'{reference}'") == 1  # fmt: skip
            for table in ("ticket", "rating", "attachment", "enquiry", "auditentry", "letterstep"):
                stored = centre_count(
                    centre_db, f"SELECT COUNT(*) FROM edge_row WHERE tbl = '{table}'"
                )
                assert stored >= 1, table
            status = unit.get("/api/v1/edge/status", headers=headers["supervisor"]).json()
            assert status["link"] == "ok" and status["pending"] == 0

            c.stop()  # the link is cut: the centre is gone
            issue(unit, headers["kiosk"])
            wait_until(lambda: node(engine).failures >= 1)
            status = unit.get("/api/v1/edge/status", headers=headers["supervisor"]).json()
            assert status["link"] == "down" and status["pending"] >= 2
            assert status["last_error"] == "unreachable" and status["next_try_at"]

            with reception_server(
                centre_env(centre_db, tmp_path), tmp_path / "c2.log", port=port
            ) as back:
                wait_until(lambda: pending(engine) == 0, timeout=30)
                assert node(engine).failures == 0
                assert centre_count(centre_db, "SELECT COUNT(*) FROM edge_row WHERE tbl = "
                                    "'ticket'") == 2  # fmt: skip
                revoked = httpx2.post(
                    f"{back.base}/api/v1/admin/edge-units/{unit_id}/revoke",
                    headers=admin,
                    timeout=30,
                )
                assert revoked.status_code == 200, revoked.text
                issue(unit, headers["kiosk"])
                wait_until(lambda: node(engine).failures >= 1, timeout=30)
                status = unit.get("/api/v1/edge/status", headers=headers["supervisor"]).json()
                assert status["link"] == "refused" and status["pending"] >= 1
        engine.dispose()
    assert token.encode() not in unit_path.read_bytes()


def issue(client: TestClient, headers: dict[str, str], **extra: str) -> dict[str, Any]:
    body = {"branch": "north", "hall": "men", "service": "letter", **extra}
    r = client.post("/api/v1/tickets", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def node(engine: Engine) -> EdgeNode:
    with Session(engine) as s:
        found = s.get(EdgeNode, 1)
        assert found is not None
        return found
