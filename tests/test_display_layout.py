"""The hall display at every size of a hall screen, in Arabic and English, with a call,
people waiting and earlier calls: readable from across the hall, nothing overlapping,
nothing cut off or scrolling, accessible."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import AXE, running_server, sqlite_server
from tests.devices import HALL_DISPLAYS, Size
from tests.factories import PASSWORD, World
from tests.layout_js import DISPLAY_PROBLEMS, install
from tests.servers import api

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("RECEPTION_SHOTS", "/tmp/display-shots"))

LAYOUT_PROBLEMS = DISPLAY_PROBLEMS

NUMBER_HEIGHT = """() => {
  const number = document.querySelector("[data-latest-number]");
  const range = document.createRange();
  range.selectNodeContents(number);
  const [box] = lineBoxes(range, getComputedStyle(number));
  return (box.bottom - box.top) / innerHeight;
}"""

ROWS = """(selector) => [...document.querySelectorAll(selector + " [data-row]")]
  .filter(row => row.getClientRects().length).map(row =>
  Object.fromEntries([...row.querySelectorAll("[data-cell]")]
    .map(c => [c.dataset.cell, c.innerText.trim()])))"""

LABELS = """(selector) => [...document.querySelectorAll(selector + " [data-column]")]
  .filter(c => c.getClientRects().length).map(c => c.dataset.column)"""


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    """A server whose men's hall has one visitor called now, four called before and
    several waiting for each service."""
    template, world = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("display"))
    with running_server(env) as base:
        kiosk, operator = world.tokens["kiosk"], world.tokens["operator-men"]
        for service in ["letter"] * 5 + ["enquiry"] * 3 + ["complaint"] * 3:
            wanted = {"branch": "riyadh", "hall": "men", "service": service}
            issued = api(base, kiosk, "/api/v1/tickets", wanted)
            assert issued.status_code == 201, issued.text
        for counter in (1, 2, 3, 4, 2):
            called = api(
                base,
                operator,
                f"/api/v1/counters/{world.counters['men'][counter - 1]}/call-next",
                {"close_current": "served"},
            )
            assert called.status_code == 200, called.text
        yield base, world


def open_display(browser: Any, base: str, size: Size, language: str) -> Any:
    context = browser.new_context(viewport=size.viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#username", "display-men")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/display")
    page.goto(f"{base}/lang?to={language}&next=/display")
    page.locator("[data-history] [data-row]").first.wait_for()
    page.evaluate("() => document.fonts.ready")
    install(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return page


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", HALL_DISPLAYS, ids=lambda s: s.name)
def test_display_reads_from_across_the_hall(
    live: tuple[str, World], browser: Any, size: Size, language: str
) -> None:
    base, _ = live
    page = open_display(browser, base, size, language)
    assert page.locator("html").get_attribute("lang") == language
    page.screenshot(path=str(SHOTS / f"display-{size.name}-{language}.png"))

    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert problems == [], "\n".join(problems)
    assert page.evaluate(NUMBER_HEIGHT) >= 0.10
    assert page.locator("[data-latest-number]").inner_text() == "M-005"
    assert page.locator("[data-latest-counter]").inner_text() == "2"

    last_calls = page.evaluate(ROWS, "[data-history]")
    assert len(last_calls) == 4, last_calls
    assert all(row.get("ticket", "").startswith("M-") and row.get("counter") for row in last_calls)
    assert page.evaluate(LABELS, "[data-history]") == ["ticket", "counter"]
    waiting = page.evaluate(ROWS, "[data-waiting]")
    assert len(waiting) == 3 and all(row["waiting"].isdigit() for row in waiting), waiting
    assert any(row["eta"].startswith("≈ ") for row in waiting), waiting
    assert page.evaluate(LABELS, "[data-waiting]") == ["service", "waiting", "eta"]

    # Numbers keep their own direction inside either language's text.
    for cell in page.locator("[data-row] [data-cell=ticket], [data-row] [data-cell=counter]").all():
        assert cell.evaluate("c => !!c.closest('[dir=ltr]') || !!c.querySelector('bdi[dir=ltr]')")

    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]
    assert violations == []  # none at all, not only the serious and critical ones
    page.context.close()


@pytest.mark.parametrize("layout", ["landscape", "portrait"])
@pytest.mark.parametrize("size", HALL_DISPLAYS, ids=lambda s: s.name)
def test_a_chosen_layout_fits_any_hall_screen(
    live: tuple[str, World], browser: Any, size: Size, layout: str
) -> None:
    """A supervisor may force either layout on any screen (the `display.config` message
    sets this class): whatever it costs in size, nothing overlaps, scrolls or is cut."""
    base, _ = live
    for language in ("ar", "en"):
        page = open_display(browser, base, size, language)
        page.evaluate(
            """(layout) => {
              const root = document.getElementById("display");
              root.classList.remove("layout-auto", "layout-landscape", "layout-portrait");
              root.classList.add("layout-" + layout);
              dispatchEvent(new Event("resize"));
            }""",
            layout,
        )
        page.screenshot(path=str(SHOTS / f"display-{size.name}-{language}-{layout}.png"))
        problems = page.evaluate(LAYOUT_PROBLEMS)
        assert problems == [], "\n".join(problems)
        assert page.evaluate(ROWS, "[data-history]"), "no last call shown"
        page.context.close()
