"""The live supervisor dashboard in Chromium: it follows the halls without reloading
(under the real Content-Security-Policy), and it and the report page are accessible
in Arabic and English."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import ARTIFACTS, screenshot
from tests.factories import PASSWORD, World
from tests.servers import api
from tests.test_browser import assert_accessible, live, sign_in

__all__ = ["live"]  # the server fixture of test_browser, used here by name

pytestmark = pytest.mark.browser


def test_dashboard_follows_the_halls_without_reload(live: tuple[str, World], browser: Any) -> None:
    base, world = live
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=False)
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#username", "supervisor")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{base}/staff/dashboard")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("[data-live-dot].is-live").wait_for(timeout=10000)
    waiting = page.locator('[data-fig="women.waiting"]')
    before = int(waiting.inner_text())
    letter = page.locator('[data-fig="women.letter.waiting"]')
    letter_before = int(letter.inner_text())
    page.evaluate("() => { window.__sameDocument = true; }")
    issued = api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": "women", "service": "letter"},
    )
    assert issued.status_code == 201, issued.text
    page.wait_for_function(
        "([sel, n]) => document.querySelector(sel).textContent.trim() === String(n)",
        arg=['[data-fig="women.waiting"]', before + 1],
        timeout=10000,
    )
    assert int(letter.inner_text()) == letter_before + 1
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
    assert page.locator("[data-empty]").is_hidden()
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_dashboard_and_reports_are_accessible(
    live: tuple[str, World], browser: Any, language: str
) -> None:
    base, world = live
    api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": "men", "service": "enquiry"},
    )
    page = sign_in(browser, base, "supervisor")
    if language == "en":
        page.goto(f"{base}/lang?to=en&next=/")
    page.goto(f"{base}/staff/dashboard")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator('[data-fig="men.waiting"]').inner_text().strip() != ""
    screenshot(page, f"dashboard-{language}")
    assert_accessible(page)
    page.goto(f"{base}/staff/reports?preset=today")
    screenshot(page, f"reports-{language}")
    page.screenshot(path=str(ARTIFACTS / f"reports-top-{language}.png"))
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/staff/dashboard")
    screenshot(page, f"dashboard-phone-{language}")
    page.context.close()
