"""The reports screen's figures by hour in Chromium, on the staff desks' screens
(1366×768 and 1920×1080), in Arabic and English: the chart runs from the right in
Arabic and from the left in English, every hour has a table row, nothing scrolls
sideways, and axe-core finds no serious or critical violation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reception.db import make_engine
from tests.browser import ARTIFACTS, axe_violations, running_server, screenshot, sqlite_server
from tests.factories import World
from tests.test_browser import sign_in
from tests.test_stats import seed

pytestmark = pytest.mark.browser

RANGE = "date_from=2024-03-10&date_to=2024-03-11"


@pytest.fixture(scope="module")
def known_days(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server over the known dataset of tests/test_stats.py (visitors at 09:00 and
    10:00 Riyadh time, phone calls from 11:00 to 13:00)."""
    template, _ = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("reports"))
    engine = make_engine(f"sqlite:///{db}")
    seed(engine)
    engine.dispose()
    with running_server(env) as base:
        yield base


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
@pytest.mark.parametrize("language", ["ar", "en"])
def test_hours_chart_reads_in_both_directions_and_is_accessible(
    known_days: str, browser: Any, language: str, size: tuple[int, int]
) -> None:
    width, height = size
    page = sign_in(browser, known_days, "supervisor", {"width": width, "height": height})
    if language == "en":
        page.goto(f"{known_days}/lang?to=en&next=/")
    page.goto(f"{known_days}/staff/reports?{RANGE}")
    assert page.locator("html").get_attribute("lang") == language
    figure = page.locator('figure[aria-labelledby="hours-caption"]')
    chart = figure.locator("svg.chart-hours")
    assert chart.get_attribute("role") == "img"
    description = figure.locator("desc").text_content() or ""
    assert ("09:00–10:00" in description) and ("7" in description)
    assert figure.locator("tbody tr").count() == 5  # 09:00 to 13:00
    peak = figure.locator(".stat-peak").inner_text()
    figure.locator(".stat-peak").screenshot(path=str(ARTIFACTS / f"reports-peak-{language}.png"))
    assert "09:00–10:00" in peak
    labels = chart.locator("text.chart-label")
    first, last = (
        labels.filter(has_text="09").bounding_box(),
        labels.filter(has_text="13").bounding_box(),
    )
    assert first is not None and last is not None
    if language == "ar":
        assert first["x"] > last["x"], "the earliest hour stands at the right in Arabic"
    else:
        assert first["x"] < last["x"]
    box = chart.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    sideways = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0, f"{sideways}px of horizontal scroll"
    page.locator("details.stat-details summary").first.click()
    screenshot(page, f"reports-{language}-{width}x{height}")
    page.locator('section:has(> figure[aria-labelledby="hours-caption"])').screenshot(
        path=str(ARTIFACTS / f"reports-hours-{language}-{width}x{height}.png")
    )
    assert axe_violations(page) == []
    page.context.close()
