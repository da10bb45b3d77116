"""Every HTML route, fuzzed: hostile path segments, query parameters and form fields
(digits of other scripts, control characters, bidi overrides, huge numbers, dates at
the ends of the calendar, empty and very long text), sent signed out, as each staff
role and as a paired kiosk and display, with a valid CSRF token. No answer is a 5xx,
on SQLite and on PostgreSQL.

The routes are read from the application itself, so a new screen is fuzzed without
being listed here; the field names are every name a screen reads from a form or a
query string, or a template posts."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route
from starlette.testclient import TestClient

from reception import PACKAGE_DIR
from reception.app import create_app
from reception.clock import FrozenClock
from tests.conftest import (
    SQLITE_AND_POSTGRES,
    make_settings,
    postgres_copy,
    postgres_database_url,
)
from tests.factories import PASSWORD, World
from tests.helpers import csrf

# 10:00 in Riyadh on a Tuesday: the branch is open.
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
EXAMPLES_PER_ROUTE = int(os.environ.get("SCREEN_FUZZ_EXAMPLES", "12"))
COOKIE = "reception_session"
STAFF = ("admin", "supervisor", "operator-men", "officer")
DEVICES = ("kiosk", "display-men")
WHO = ("nobody", *STAFF, *DEVICES)

HOSTILE = [
    "1²",
    "²",
    "٣",
    "١٢",
    "a\x00b",
    "\x00",
    "\u202eevil",
    "x\x1b[2J",
    "line\nbreak",
    "",
    " ",
    "9" * 30,
    str(2**63),
    "-1",
    "0",
    "1",
    "2",
    "9999-12-31",
    "0001-01-01",
    "2026-11-24",
    "2026-13",
    "9999-12",
    "9999-12-31T23:59",
    "0001-01-01T00:00:00+03:00",
    "riyadh",
    "men",
    "women",
    "letter",
    "M-001",
    "L-2026-000001",
    "ي" * 3000,
]
VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(HOSTILE),
    st.text(max_size=24),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def _field_names() -> list[str]:
    """Every name a screen reads (`form.get("x")`, `q.get("x")`) or a template posts."""
    names: set[str] = set()
    for path in PACKAGE_DIR.rglob("*.py"):
        names |= set(re.findall(r'\.get(?:list)?\("([a-z_]+)"', path.read_text()))
    for path in (PACKAGE_DIR / "templates").rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_]+)"', path.read_text()))
    # Session keys and headers are read with .get too; they are not fields.
    return sorted(names - {"csrf_token", "authorization", "headers", "host", "origin"})


FIELDS = _field_names()


def _screen_routes() -> list[tuple[str, str]]:
    app = create_app(make_settings("sqlite://", Path(tempfile.gettempdir()) / "screen-routes"))
    found = []
    for route in app.routes:
        if isinstance(route, Route) and not route.path.startswith("/api/"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path))
    return found


ROUTES = _screen_routes()


@dataclass
class Screens:
    client: TestClient
    cookies: dict[str, str]
    csrf: dict[str, str]


def _sign_in(client: TestClient, world: World, who: str) -> tuple[str, str]:
    client.cookies.clear()
    page = client.get("/staff/login")
    if who in STAFF:
        r = client.post(
            "/staff/login",
            data={"username": who, "password": PASSWORD, "csrf_token": csrf(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    elif who in DEVICES:
        page = client.get("/device")
        r = client.post(
            "/device",
            data={"token": world.tokens[who], "csrf_token": csrf(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
    page = client.get("/staff/login")  # any page: it puts a CSRF token in the session
    return client.cookies[COOKIE], csrf(page.text)


@pytest.fixture(scope="module", params=SQLITE_AND_POSTGRES)
def screens(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Screens]:
    folder = tmp_path_factory.mktemp("screen-fuzz")

    def serve(database_url: str, world: World) -> Iterator[Screens]:
        settings = make_settings(database_url, folder / "var")
        app = create_app(settings, FrozenClock(MORNING))
        with TestClient(app, raise_server_exceptions=False) as client:
            cookies, tokens = {}, {}
            for who in WHO:
                cookies[who], tokens[who] = _sign_in(client, world, who)
            yield Screens(client, cookies, tokens)

    if request.param == "sqlite":
        template, world = request.getfixturevalue("seeded_sqlite_template")
        shutil.copyfile(template, folder / "reception.sqlite3")
        yield from serve(f"sqlite:///{folder / 'reception.sqlite3'}", world)
        return
    template_name, world = request.getfixturevalue("seeded_postgres_template")
    with postgres_copy(template_name) as name:
        yield from serve(postgres_database_url(name), world)


def _path(template: str, data: st.DataObject) -> str:
    def segment(match: re.Match[str]) -> str:
        value = data.draw(VALUES, label=match.group(1))
        return quote(value, safe="") or "x"  # an empty segment is another route

    return re.sub(r"\{([a-z_]+)(?::[a-z]+)?\}", segment, template)


def _fields(data: st.DataObject) -> dict[str, Any]:
    names = data.draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True), label="fields")
    return {name: data.draw(VALUES, label=name) for name in names}


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_screen_never_answers_with_a_server_error(
    screens: Screens, method: str, template: str
) -> None:
    client = screens.client

    @given(data=st.data())
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    def run(data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(WHO), label="who")
        client.cookies.clear()
        client.cookies.set(COOKIE, screens.cookies[who])  # whatever the last request did
        url = _path(template, data)
        query = _fields(data)
        form = _fields(data) if method == "POST" else {}
        if form and data.draw(st.booleans(), label="with csrf"):
            form["csrf_token"] = screens.csrf[who]
        response = client.request(
            method, url, params=query, data=form or None, follow_redirects=False
        )
        assert response.status_code < 500, (who, method, url, query, form, response.text[:300])

    run()
