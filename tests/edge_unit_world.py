"""A mobile unit for the tests: the centre's database (the factories' world: Riyadh and
Jeddah), the configuration document of a unit serving Riyadh read from it, and a unit
database set up from that document, with the unit's own device tokens."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.auth.actions import create_token
from reception.clock import Clock
from reception.db import make_engine, session_scope
from reception.edge.models import EdgeNode, EdgeOutbox
from reception.edge.setup_unit import SETUP_TABLES, apply_config
from reception.edge.wire import row_to_wire
from reception.queue.models import Counter, Hall
from tests.conftest import make_settings
from tests.factories import World

UNIT_ID = 7
PUBLIC_URL = "https://centre.example"
CENTRAL_URL = "http://127.0.0.1:9"  # nothing listens there: the link is down


def _models() -> dict[str, type[SQLModel]]:
    import reception.models  # noqa: F401

    return {
        str(m.local_table.name): m.class_
        for m in SQLModel._sa_registry.mappers
        if m.local_table is not None
    }


def config_document(centre: Engine, branch_id: int, unit_id: int = UNIT_ID) -> dict[str, Any]:
    """What the centre hands a unit of `branch_id`: its branch's set-up and the global
    lists, with the centre's ids (the centre's own document is built the same way)."""
    models = _models()
    tables: dict[str, list[dict[str, Any]]] = {}
    with Session(centre) as session:
        halls = {h.id for h in session.exec(select(Hall).where(Hall.branch_id == branch_id)).all()}
        staff: set[int] = set()
        counters: set[int] = set()
        for name in SETUP_TABLES:
            model = models.get(name)
            if model is None:
                continue
            table = model.__table__  # type: ignore[attr-defined]
            rows: list[Any] = list(session.exec(select(model)).all())
            keep = []
            for row in rows:
                if name == "branch" and row.id != branch_id:
                    continue
                # rows of another branch never; global rows (no branch) except staff
                if (
                    "branch_id" in table.c
                    and row.branch_id != branch_id
                    and (row.branch_id is not None or name == "staffuser")
                ):
                    continue
                if name == "counter" and row.hall_id not in halls:
                    continue
                if name == "counterservice" and row.counter_id not in counters:
                    continue
                if name == "userhall" and row.user_id not in staff:
                    continue
                if name == "staffuser":
                    staff.add(row.id)
                if name == "counter":
                    counters.add(row.id)
                keep.append(row_to_wire(row))
            tables[name] = keep
    return {
        "unit": {"id": unit_id, "name": "Unit", "branch_id": branch_id},
        "token_tag": f"u{unit_id}x",
        "public_url": PUBLIC_URL,
        "tables": tables,
    }


@dataclass
class Unit:
    url: str
    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    counters: list[int] = field(default_factory=list)


def make_unit(
    centre: Engine,
    empty_template: Path,
    path: Path,
    branch_id: int = 1,
    sms_via: str | None = None,
) -> Unit:
    """A unit's database set up from the centre's document, with a kiosk, an operator
    and a supervisor token of its own."""
    shutil.copyfile(empty_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    apply_config(engine, Clock(), config_document(centre, branch_id), CENTRAL_URL, sms_via)
    unit = Unit(url, engine)
    with session_scope(engine) as s:
        for name, role, hall in (
            ("kiosk", "kiosk", None),
            ("operator-men", "operator", "men"),
            ("supervisor", "supervisor", None),
        ):
            _, clear = create_token(s, name=name, role=role, branch_slug="riyadh", hall_slug=hall)
            unit.tokens[name] = clear
    with Session(engine) as session:
        hall = session.exec(select(Hall).where(Hall.slug == "men")).one()
        counters = session.exec(select(Counter.id).where(Counter.hall_id == hall.id)).all()
        unit.counters = sorted(c for c in counters if c is not None)
    return unit


@contextmanager
def serving_config(document: dict[str, Any], token: str) -> Iterator[str]:
    """A loopback HTTP server answering the configuration request as the centre does
    (bearer `token`; any other: 401). Yields its base address."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            ok = self.headers.get("Authorization") == f"Bearer {token}"
            if self.path != "/api/v1/edge/config" or not ok:
                body = json.dumps({"error": "unauthorized", "message": "no"}).encode()
                self.send_response(401 if self.path == "/api/v1/edge/config" else 404)
            else:
                body = json.dumps(document).encode()
                self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def unit_client(unit: Unit, tmp_path: Path, **settings: Any) -> TestClient:
    """The unit's app; its background sender is off (the tests push by hand) unless
    `edge_push_interval_seconds` is given."""
    settings.setdefault("edge_push_interval_seconds", 0)
    config = make_settings(unit.url, tmp_path / "var", **settings)
    return TestClient(create_app(config), raise_server_exceptions=False)


def auth(unit: Unit, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {unit.tokens[name]}"}


def outbox(engine: Engine) -> list[tuple[str, int]]:
    with Session(engine) as s:
        rows = s.exec(select(EdgeOutbox).order_by(col(EdgeOutbox.seq))).all()
        return [(r.tbl, r.row_id) for r in rows]


def node_of(engine: Engine) -> EdgeNode:
    with Session(engine) as s:
        node = s.get(EdgeNode, 1)
        assert node is not None
        return node


def register_letter(client: TestClient, unit: Unit) -> dict[str, Any]:
    r = client.post(
        "/api/v1/letters",
        json={
            "branch": "riyadh",
            "hall": "men",
            "sender_name": "سعد علي",
            "sender_id_number": "1000000008",
            "sex": "male",
            "phone": "0501234567",
            "subject": "طلب",
            "body": "نص الطلب",
        },
        headers=auth(unit, "operator-men"),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


class Centre:
    """What reaches the centre's push endpoint: each body, in order; answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200

    def __call__(self, url: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
        assert url.endswith("/api/v1/edge/push") and token == "unit-secret"
        self.bodies.append(body)
        if self.status != 200:
            return self.status, {"error": {"code": "unauthorized", "message": "revoked"}}
        return 200, {"acked_seq": body["records"][-1]["seq"] if body["records"] else 0}


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(name="centre")
def centre_fixture(seeded_sqlite_template: tuple[Path, World], tmp_path: Path) -> Iterator[Engine]:
    """A centre's database (a copy of the seeded template) the unit is set up from."""
    template, _ = seeded_sqlite_template
    path = tmp_path / "centre.sqlite3"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(name="unit")
def unit_fixture(centre: Engine, sqlite_template: Path, tmp_path: Path) -> Iterator[Unit]:
    made = make_unit(centre, sqlite_template, tmp_path / "unit.sqlite3")
    yield made
    made.engine.dispose()
