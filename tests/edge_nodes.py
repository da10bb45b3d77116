"""Two real instances on loopback for the mobile-unit tests: a CENTRE (`reception
serve` on a PostgreSQL database holding the factories' world plus a mobile branch
"caravan" with two halls, counters, staff and a stop covering today) and a UNIT (its
own SQLite file, set up with `reception edge init --central …` as a subprocess, the
unit's token in RECEPTION_EDGE_TOKEN).

Each node can be stopped (for the centre: the link is cut, its port closed), started
again on the same port and database, and the unit killed with SIGKILL as a power cut
would. Every process started here is ended by its PID when the block ends."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from sqlalchemy.engine import Engine

from reception.auth.actions import create_token, create_user
from reception.db import make_engine, session_scope
from reception.queue.setup import add_branch, add_counter, add_hall, add_service, add_stop
from tests.browser import free_port
from tests.factories import PASSWORD, World, build_world
from tests.helpers import wait_until
from tests.servers import Server, reception_server

BRANCH = "caravan"
ZONE = ZoneInfo("Asia/Riyadh")
SECRET = "edge-e2e-test-secret-key-0123456789abcdef"
CLI_SECONDS = 120.0
SYNC_SECONDS = 90.0
"""How long a test waits for a unit's outbox to reach the centre once the link is back."""

UNIT_STAFF: list[tuple[str, str, tuple[str, ...]]] = [
    ("caravan-operator-men", "operator", ("men",)),
    ("caravan-operator-women", "operator", ("women",)),
    ("caravan-supervisor", "supervisor", ()),
    ("caravan-kiosk", "kiosk", ()),
    ("caravan-display-men", "display", ("men",)),
    ("caravan-display-women", "display", ("women",)),
]
"""Staff accounts of the mobile branch: pulled to the unit with their password hashes,
so they sign in there with `PASSWORD` while the link is down."""


def today() -> date:
    """The day in the branch's zone (the unit's reports and stops are by local day)."""
    return datetime.now(ZONE).date()


def build_centre_world(engine: Engine) -> World:
    """The factories' world (Riyadh, Jeddah, their accounts and tokens) and the mobile
    branch `caravan`: men's and women's halls with two counters each serving letters
    and enquiries, its staff, a stop covering today, and centre tokens of its own (used
    to show that the centre refuses to change the unit's rows)."""
    world = build_world(engine)
    with session_scope(engine) as s:
        add_branch(s, slug=BRANCH, name_ar="الوحدة المتنقلة", name_en="Mobile unit", kind="mobile")
        for slug, prefix, ar, en in (
            ("men", "M", "قاعة الرجال", "Men's hall"),
            ("women", "W", "قاعة النساء", "Women's hall"),
        ):
            add_hall(
                s,
                branch=BRANCH,
                slug=slug,
                section=slug,
                name_ar=ar,
                name_en=en,
                ticket_prefix=prefix,
            )
        for slug, ar, en in (("letter", "خطاب", "Letter"), ("enquiry", "استفسار", "Enquiry")):
            add_service(s, branch=BRANCH, slug=slug, name_ar=ar, name_en=en, expected_minutes=6)
        for hall in ("men", "women"):
            for number in (1, 2):
                add_counter(
                    s, branch=BRANCH, hall=hall, number=number, services=["letter", "enquiry"]
                )
        day = today()
        add_stop(
            s,
            branch=BRANCH,
            place_ar="قرية الهدا",
            place_en="Al Hada village",
            starts_on=day - timedelta(days=1),
            ends_on=day + timedelta(days=3),
        )
        for username, role, halls in UNIT_STAFF:
            create_user(
                s,
                username=username,
                password=PASSWORD,
                role=role,
                branch_slug=BRANCH,
                hall_slugs=halls,
            )
        for name, role, hall in (
            ("centre-caravan-operator-men", "operator", "men"),
            ("centre-caravan-supervisor", "supervisor", None),
            ("centre-caravan-kiosk", "kiosk", None),
        ):
            _, clear = create_token(s, name=name, role=role, branch_slug=BRANCH, hall_slug=hall)
            world.tokens[name] = clear
    return world


def seed_centre(url: str) -> World:
    engine = make_engine(url)
    try:
        return build_centre_world(engine)
    finally:
        engine.dispose()


def base_env(database_url: str, var: Path, public_base_url: str) -> dict[str, str]:
    """What both nodes share: no quiet hours or per-number limit (results must not
    depend on the hour the suite runs), no letter suggestions, warnings only."""
    return {
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var),
        "SECRET_KEY": SECRET,
        "BROADCAST_URL": "memory://",
        "SMS_BACKEND": "console",
        "SMS_QUIET_HOURS": "",
        "SMS_MAX_PER_HOUR": "0",
        "SMS_WORKER_INTERVAL_SECONDS": "0.2",
        "SUGGESTIONS_ENABLED": "false",
        "PUBLIC_BASE_URL": public_base_url,
        "LOG_LEVEL": "WARNING",
    }


def twilio_env(fake: Any) -> dict[str, str]:
    """Settings that send SMS through a fake Twilio (tests/fake_twilio.py)."""
    return {
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": fake.url,
    }


def run_cli(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`reception <args>` as an administrator types it, with `env` added."""
    result = subprocess.run(
        [sys.executable, "-m", "reception.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
    )
    if check:
        assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def printed_token(output: str) -> str:
    """The clear token a CLI printed: the last word of its last line."""
    lines = output.strip().splitlines()
    assert lines, "nothing printed"
    token = lines[-1].split()[-1]
    assert len(token) >= 20, f"no token printed:\n{output}"
    return token


@dataclass
class Node:
    """One `reception serve` that can be stopped, killed and started again on the
    same port, database and files."""

    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    server: Server | None = None
    _running: AbstractContextManager[Server] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        assert self.server is None, f"{self.name} is already running"
        self._running = reception_server(self.env, self.log, port=self.port)
        self.server = self._running.__enter__()
        return self.server

    def stop(self) -> None:
        """SIGTERM (its worker processes reaped); the port is closed afterwards."""
        if self._running is not None:
            running, self._running, self.server = self._running, None, None
            running.__exit__(None, None, None)

    def kill(self) -> None:
        """SIGKILL, as a power cut would, then the leftovers are reaped by PID."""
        assert self.server is not None, f"{self.name} is not running"
        self.server.kill()
        self.stop()

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *args, check=check)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def http(self, token: str | None = None, language: str = "en") -> httpx2.Client:
        headers = {"Accept-Language": language}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx2.Client(base_url=self.base, headers=headers, timeout=15)


@dataclass
class EdgePair:
    centre: Node
    unit: Node
    world: World  # the centre's accounts and tokens
    unit_token: str  # the unit's edge token (clear)
    unit_tokens: dict[str, str]  # tokens made at the unit for its own devices and staff
    centre_url: str  # the centre's database
    unit_db: Path
    engines: dict[str, Engine] = field(default_factory=dict)

    def centre_engine(self) -> Engine:
        """The test's own connection to the centre's database (disposed at the end)."""
        if "centre" not in self.engines:
            self.engines["centre"] = make_engine(self.centre_url)
        return self.engines["centre"]

    def unit_engine(self) -> Engine:
        if "unit" not in self.engines:
            self.engines["unit"] = make_engine(f"sqlite:///{self.unit_db}")
        return self.engines["unit"]

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        self.engines.clear()

    def edge_status(self) -> dict[str, Any]:
        """The unit's `GET /api/v1/edge/status` (as its supervisor)."""
        with self.unit.http(self.unit_tokens["supervisor"]) as http:
            r = http.get("/api/v1/edge/status")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def wait_synced(self, timeout: float = SYNC_SECONDS) -> dict[str, Any]:
        """Poll the unit's sync state until its outbox is empty (bounded)."""

        def synced() -> dict[str, Any] | None:
            state = self.edge_status()
            return state if pending_of(state) == 0 else None

        return wait_until(  # type: ignore[no-any-return]
            synced, f"the unit's outbox to empty (logs: {self.unit.log})", timeout
        )

    def sync_now(self, timeout: float = SYNC_SECONDS) -> dict[str, Any]:
        """`reception edge sync` at the unit (a push now, whatever the back-off says),
        again until the outbox is empty (bounded); the unit's sync state."""

        def synced() -> dict[str, Any] | None:
            self.unit.cli("edge", "sync", check=False)
            state = self.edge_status()
            return state if pending_of(state) == 0 else None

        return wait_until(  # type: ignore[no-any-return]
            synced, f"edge sync to empty the outbox (centre log: {self.centre.log})", timeout
        )


def pending_of(status: dict[str, Any]) -> int:
    """Records still in the unit's outbox, from its status document."""
    value = status.get("pending")
    if isinstance(value, dict):  # {"records": n, ...}
        value = value.get("records", value.get("total"))
    assert isinstance(value, int), status
    return value


UNIT_DEVICE_TOKENS: list[tuple[str, str, str | None]] = [
    ("kiosk", "kiosk", None),
    ("operator-men", "operator", "men"),
    ("operator-women", "operator", "women"),
    ("supervisor", "supervisor", None),
]
"""Tokens an administrator makes at the unit itself (`reception token create`) for the
unit's kiosk and staff apps: API tokens are never pulled from the centre."""


@contextmanager
def edge_pair(
    centre_url: str,
    tmp: Path,
    *,
    centre_env: dict[str, str] | None = None,
    unit_env: dict[str, str] | None = None,
    sms_via: str = "centre",
) -> Iterator[EdgePair]:
    """A started centre on `centre_url` (seeded here) and a started unit set up from it
    by `reception edge init`. Both are stopped by PID on exit."""
    world = seed_centre(centre_url)
    centre_port = free_port()
    centre_base = f"http://127.0.0.1:{centre_port}"
    centre = Node(
        "centre",
        {**base_env(centre_url, tmp / "centre-var", centre_base), **(centre_env or {})},
        tmp / "centre.log",
        port=centre_port,
    )
    unit_db = tmp / "unit" / "reception.sqlite3"
    unit_db.parent.mkdir(parents=True)
    unit_port = free_port()
    unit = Node(
        "unit",
        {
            **base_env(f"sqlite:///{unit_db}", tmp / "unit", f"http://127.0.0.1:{unit_port}"),
            "SECRET_KEY": SECRET + "-unit-" + uuid.uuid4().hex[:8],
            **(unit_env or {}),
        },
        tmp / "unit.log",
        port=unit_port,
    )
    try:
        centre.start()
        added = centre.cli("edge", "unit", "add", "--branch", BRANCH, "--name", "Caravan laptop")
        token = printed_token(added.stdout)
        unit.env["RECEPTION_EDGE_TOKEN"] = token
        unit.cli("migrate")
        unit.cli("edge", "init", "--central", centre.base, "--sms-via", sms_via)
        unit_tokens = {}
        for name, role, hall in UNIT_DEVICE_TOKENS:
            args = ["token", "create", "--role", role, "--name", f"unit {name}", "--branch", BRANCH]
            if hall:
                args += ["--hall", hall]
            unit_tokens[name] = printed_token(unit.cli(*args).stdout)
        unit.start()
        pair = EdgePair(centre, unit, world, token, unit_tokens, centre_url, unit_db)
        try:
            yield pair
        finally:
            pair.dispose()
    finally:
        for node in (unit, centre):
            with contextlib.suppress(Exception):
                node.stop()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Ask `condition` until it answers something true (bounded), and return it."""
    return wait_until(condition, what, timeout, interval=0.1)
