"""Test fixtures: real SQLite files, a real PostgreSQL, real Redis, real Chromium.

A missing PostgreSQL, Redis or Chromium skips the tests that need it, with the
reason, except when CI=true (or REQUIRE_BACKENDS=1): then it fails.

Every test reaching one of those carries its marker (`postgres`, `redis`, `browser`),
so `pytest -m "not postgres"` runs none of them. Two checks keep the markers true: at
collection, a test whose fixtures hand out a backend must carry its marker; and the
one door to each backend (`uses_backend`) fails a running test that lacks it."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.db import make_engine
from reception.migrate import upgrade
from reception.settings import Settings
from tests.factories import World, build_world

REQUIRE_BACKENDS = os.environ.get("CI") == "true" or os.environ.get("REQUIRE_BACKENDS") == "1"


BACKEND_FIXTURES = {
    "postgres": {"postgres_template", "postgres_url", "seeded_postgres_template"},
    "redis": {"redis_url"},
    "browser": {"browser"},
}
"""The shared fixtures that hand out each backend; a test using one carries the marker."""

_running: pytest.Item | None = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    global _running
    _running = item
    try:
        yield
    finally:
        _running = None


def uses_backend(marker: str, node: pytest.Item | None = None) -> None:
    """The door to PostgreSQL, Redis or Chromium: the test going through it (the one
    running now, unless `node` is given) must carry the backend's marker."""
    item = node if node is not None else _running
    if item is not None and item.get_closest_marker(marker) is None:
        pytest.fail(
            f"{item.nodeid} uses {marker} but is not marked @pytest.mark.{marker}",
            pytrace=False,
        )


def unmarked_backend_users(items: list[pytest.Item]) -> list[str]:
    """Tests whose fixtures (or a "postgres" fixture parameter) reach a backend while
    the test lacks that backend's marker."""
    problems = []
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        params = dict(getattr(getattr(item, "callspec", None), "params", {}))
        for mark in item.iter_markers("parametrize"):  # the test's own arguments
            names = mark.args[0]
            for name in names.split(",") if isinstance(names, str) else names:
                params.pop(name.strip(), None)
        on_postgres = "postgres" in params.values()  # a fixture's SQLITE_AND_POSTGRES
        for marker, fixtures in BACKEND_FIXTURES.items():
            reaches = bool(used & fixtures) or (marker == "postgres" and on_postgres)
            if reaches and item.get_closest_marker(marker) is None:
                problems.append(f"{item.nodeid}: needs @pytest.mark.{marker}")
    return problems


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Runs before `-m` deselects anything, so every collected test is checked."""
    problems = unmarked_backend_users(items)
    if problems:
        raise pytest.UsageError("backend markers missing:\n" + "\n".join(problems))


def missing(reason: str) -> None:
    """Skip the test, or fail it where every backend is required."""
    if REQUIRE_BACKENDS:
        pytest.fail(f"required backend missing: {reason}", pytrace=False)
    pytest.skip(reason)


# --- databases ---------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


def _postgres_admin_url() -> str | None:
    uses_backend("postgres")
    return os.environ.get("TEST_DATABASE_URL") or None


@contextmanager
def postgres_copy(template: str | None, prefix: str = "reception_t_") -> Iterator[str]:
    """A new database (a copy of `template`, or empty) on the TEST_DATABASE_URL server,
    dropped afterwards. Yields its name."""
    url = _postgres_admin_url()
    assert url is not None
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    source = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{source}'))
        yield name
    finally:
        try:
            _drop_database(admin, name)
        finally:
            admin.dispose()


def _drop_database(admin: Engine, name: str) -> None:
    """DROP … WITH (FORCE) ends our own leftover connections, but a role without
    superuser rights may not end an autovacuum worker that happens to be busy in the
    database: that one finishes within moments, so try again for a while."""
    import time

    from sqlalchemy.exc import DBAPIError

    for attempt in range(50):
        # Without FORCE, PostgreSQL stops an autovacuum worker itself; with FORCE it
        # also ends our own connections. One of the two succeeds.
        for force in (" WITH (FORCE)", ""):
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
                return
            except DBAPIError:
                if attempt == 49 and not force:
                    raise
        time.sleep(0.2)


def require_postgres() -> str:
    """The TEST_DATABASE_URL server, answering; otherwise the test is skipped (or, in
    CI, fails) with the reason."""
    url = _postgres_admin_url()
    if url is None:
        missing("PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://user:pw@host/db")
    assert url is not None
    admin = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        missing(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {type(exc).__name__}")
    finally:
        admin.dispose()
    return url


def postgres_database_url(name: str) -> str:
    url = _postgres_admin_url()
    assert url is not None
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated template database; each test copies it (CREATE DATABASE … TEMPLATE)."""
    require_postgres()
    with postgres_copy(None, "reception_tmpl_") as name:
        upgrade(postgres_database_url(name))
        yield name


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    with postgres_copy(postgres_template) as name:
        yield postgres_database_url(name)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "reception.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class SeededDatabase:
    url: str
    world: World


@pytest.fixture(scope="session")
def seeded_sqlite_template(sqlite_template: Path) -> tuple[Path, World]:
    """The migrated template plus the factories' world, built once per session
    (password hashing is deliberately slow; copying a file is not)."""
    path = sqlite_template.with_name("seeded.sqlite3")
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    world = build_world(engine)
    engine.dispose()
    return path, world


@pytest.fixture(scope="session")
def seeded_postgres_template(postgres_template: str) -> Iterator[tuple[str, World]]:
    with postgres_copy(postgres_template, "reception_seed_") as name:
        engine = make_engine(postgres_database_url(name))
        world = build_world(engine)
        engine.dispose()
        yield name, world


SQLITE_AND_POSTGRES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters of a fixture run once on SQLite and once on PostgreSQL."""


@pytest.fixture(params=SQLITE_AND_POSTGRES)
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SeededDatabase]:
    """A fresh copy of the seeded database, once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        template, world = request.getfixturevalue("seeded_sqlite_template")
        path = tmp_path / "reception.sqlite3"
        shutil.copyfile(template, path)
        yield SeededDatabase(f"sqlite:///{path}", world)
        return
    template_name, world = request.getfixturevalue("seeded_postgres_template")
    with postgres_copy(template_name) as name:
        yield SeededDatabase(postgres_database_url(name), world)


@pytest.fixture
def database_url(seeded: SeededDatabase) -> str:
    return seeded.url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def world(seeded: SeededDatabase) -> World:
    return seeded.world


# --- the application -----------------------------------------------------------


def make_settings(database_url: str, var_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "var_dir": var_dir,
        "broadcast_url": "memory://",
        "sms_backend": "memory",
        "secret_key": "test-secret-" + uuid.uuid4().hex,
        "public_base_url": "http://testserver",
        "sms_worker_interval_seconds": 0.05,
        "suggestion_check_seconds": 0.25,
        # Letter suggestions are off unless a test is marked `suggestions`: with them on,
        # every application a test starts would train a model of its own.
        "suggestions_enabled": False,
        # No quiet hours or per-number limit unless a test asks: results must not
        # depend on the time of day the suite runs.
        "sms_quiet_hours": "",
        "sms_max_per_hour": 0,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values).resolved()  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    wanted = request.node.get_closest_marker("suggestions") is not None
    return make_settings(database_url, tmp_path / "var", suggestions_enabled=wanted)


@pytest.fixture
def client(settings: Settings, world: World) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


DAY_START = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
"""09:00 in Riyadh on a Sunday: the start of the frozen day of `day_clock`."""


@pytest.fixture
def day_clock() -> FrozenClock:
    """A clock stopped at `DAY_START`, moved by the test."""
    return FrozenClock(DAY_START)


@pytest.fixture
def day_client(settings: Settings, world: World, day_clock: FrozenClock) -> Iterator[TestClient]:
    """The app on the frozen day's clock."""
    with TestClient(create_app(settings, day_clock), raise_server_exceptions=False) as c:
        yield c


# --- Redis ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, started for the session."""
    import socket
    import subprocess
    import time

    uses_backend("redis")
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        missing("Redis: redis-server is not installed")
    assert binary is not None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def line_engine(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, World]]:
    """One seeded SQLite copy for the module; each example rolls its rows back."""
    template, world = seeded_sqlite_template
    path = tmp_path_factory.mktemp("properties") / "line.sqlite3"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine, world
    engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, one per test module (tests/browser.py has its flags)."""
    from tests.browser import AXE, CHROMIUM, CHROMIUM_ARGS

    uses_backend("browser")
    if not Path(CHROMIUM).exists():
        missing("Chromium: /usr/bin/chromium is not installed")
    if not AXE.exists():
        missing("axe-core: run `npm ci` (scripts/test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
