"""Mobile units at the centre in Chromium, on the staff desks' screens, in Arabic and
English: the administration screen of units (adding one shows its token, revoking asks
first), a mobile branch's report, whose day still arriving from the unit carries a
written flag (not colour only), and its dashboard saying when the unit last synced.
Nothing scrolls sideways; axe-core finds no serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from reception.clock import Clock
from reception.db import make_engine, session_scope
from reception.edge.models import EdgeUnit
from reception.edge.units import add_unit
from reception.queue import setup
from reception.settings import DEFAULT_TIMEZONE
from tests.browser import ARTIFACTS, axe_violations, running_server, screenshot, sqlite_server
from tests.devices import STAFF_DESKS
from tests.factories import World
from tests.test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def centre(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A centre with a mobile branch standing at a stop this week, and one unit that
    synced an hour ago but has not sent today's records yet."""
    template, _ = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("units"))
    engine = make_engine(f"sqlite:///{db}")
    today = Clock().local_date(DEFAULT_TIMEZONE)
    with session_scope(engine) as s:
        setup.add_branch(
            s, slug="north", name_ar="الوحدة الشمالية", name_en="North unit", kind="mobile"
        )
    with session_scope(engine) as s:
        setup.add_stop(
            s, branch="north", place_ar="الخرج", place_en="Al Kharj",
            starts_on=today - timedelta(days=2), ends_on=today + timedelta(days=2),
        )  # fmt: skip
        unit = add_unit(s, branch_slug="north", name="Laptop 1", actor="test").value.unit
    now = Clock().now()
    with session_scope(engine) as s:
        s.execute(
            update(EdgeUnit)
            .where(col(EdgeUnit.id) == unit.id)
            .values(
                created_at=now - timedelta(days=3),
                last_push_at=now - timedelta(hours=1),
                complete_through=now - timedelta(hours=1) - timedelta(days=1),
                pending=4,
            )
        )
    engine.dispose()
    with running_server(env) as base:
        yield base


def _no_sideways_scroll(page: Any) -> None:
    sideways = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0, f"{sideways}px of horizontal scroll"


@pytest.mark.parametrize("size", STAFF_DESKS, ids=lambda s: f"{s.width}x{s.height}")
@pytest.mark.parametrize("language", ["ar", "en"])
def test_units_screen_and_report_flag(centre: str, browser: Any, language: str, size: Any) -> None:
    page = sign_in(browser, centre, "admin", {"width": size.width, "height": size.height})
    if language == "en":
        page.goto(f"{centre}/lang?to=en&next=/")
    page.goto(f"{centre}/staff/admin/units?branch=north")
    assert page.locator("html").get_attribute("lang") == language
    row = page.locator("tr[data-unit]").first
    assert row.is_visible() and "Laptop 1" in row.inner_text()
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    screenshot(page, f"admin-units-{language}-{size.width}x{size.height}")

    page.fill("#unit-name", f"Laptop {language} {size.width}")
    page.locator("form[action='/staff/admin/units'] button[type=submit]").click()
    page.wait_for_load_state("load")
    token = page.locator("#new-token")
    assert token.is_visible() and len(token.inner_text()) > 20
    box = token.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= size.width
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    screenshot(page, f"admin-units-token-{language}-{size.width}x{size.height}")

    page.locator("tr[data-unit] button").last.click()
    page.wait_for_load_state("load")
    assert page.locator("input[name=confirm][value=yes]").count() == 1
    assert axe_violations(page) == []
    screenshot(page, f"admin-units-revoke-{language}-{size.width}x{size.height}")
    page.locator("button.danger").click()
    page.wait_for_load_state("load")
    assert page.locator("tr[data-unit] .tag-alert").count() >= 1  # written "revoked"

    page.goto(f"{centre}/staff/reports?preset=week&branch=north")
    flagged = page.locator("tr.is-incomplete [data-flag]").first
    assert flagged.is_visible()
    text = flagged.inner_text()
    assert ("ما زالت البيانات تصل" if language == "ar" else "Data still arriving") in text
    assert page.locator(".mobile-incomplete").is_visible()
    stop = page.locator("tr[data-day] [data-stop]").first.inner_text()
    assert stop == ("الخرج" if language == "ar" else "Al Kharj")
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    screenshot(page, f"reports-mobile-{language}-{size.width}x{size.height}")
    page.locator(".mobile-days").screenshot(
        path=str(ARTIFACTS / f"reports-mobile-days-{language}-{size.width}x{size.height}.png")
    )

    page.goto(f"{centre}/staff/dashboard?branch=north")
    note = page.locator("[data-unit-sync]")
    assert note.is_visible()
    words = ("سجلات تنتظر في الوحدة", "records waiting at the unit")
    assert words[language == "en"] in note.inner_text()
    _no_sideways_scroll(page)
    assert axe_violations(page) == []
    screenshot(page, f"dashboard-mobile-{language}-{size.width}x{size.height}")
    page.context.close()
