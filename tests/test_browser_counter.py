"""The counter page in Chromium at a staff desk's 1366×768, in Arabic and English: with
a visitor still open, "call next" becomes three labelled choices (served, did not
come, back to the line), big enough to touch, reached by keyboard, without serious
axe-core violations; choosing one records it and calls the next visitor."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.browser import screenshot
from tests.factories import World
from tests.servers import api
from tests.test_browser import SERVED, assert_accessible, live, sign_in

__all__ = ["live"]  # the server fixture of test_browser, used here by name

pytestmark = pytest.mark.browser

DESK = {"width": 1366, "height": 768}
LABELS = {
    "ar": (
        "تمت خدمته، ثم نداء التالي",
        "لم يحضر، ثم نداء التالي",
        "أُعيد إلى الطابور، ثم نداء التالي",
    ),
    "en": ("Served, call next", "Did not come, call next", "Back to the line, call next"),
}


def status_of(number: str) -> str:
    import os

    with sqlite3.connect(os.environ["RECEPTION_LIVE_DB"]) as conn:
        row = conn.execute(
            "SELECT t.status FROM ticket t JOIN hall h ON h.id = t.hall_id "
            "WHERE t.number = ? AND h.slug = 'women' ORDER BY t.id DESC LIMIT 1",
            (number,),
        ).fetchone()
    return str(row[0])


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_counter_offers_three_choices_while_a_visitor_is_open(
    live: tuple[str, World], browser: Any, language: str
) -> None:
    base, world = live
    operator = world.tokens["operator-women"]
    counter = world.counters["women"][1]
    for _ in range(30):  # serve whoever earlier tests left waiting for this counter
        if api(base, operator, f"/api/v1/counters/{counter}/call-next", SERVED).status_code == 204:
            break
    numbers = []
    for _ in range(2):
        issued = api(
            base,
            world.tokens["kiosk"],
            "/api/v1/tickets",
            {"branch": "riyadh", "hall": "women", "service": "letter"},
        )
        assert issued.status_code == 201, issued.text
        numbers.append(issued.json()["number"])
    called = api(base, operator, f"/api/v1/counters/{counter}/call-next")
    assert called.status_code == 200 and called.json()["number"] == numbers[0], called.text

    page = sign_in(browser, base, "operator-women", DESK)
    if language == "en":
        page.goto(f"{base}/lang?to=en&next=/")
    # The page re-renders its live region when the hall changes (tested elsewhere);
    # here it stays still, so the boxes and the focus measured are those of one render.
    page.route(
        f"{base}/staff/counters/{counter}",
        lambda route: (
            route.abort() if route.request.resource_type == "fetch" else route.continue_()
        ),
    )
    page.goto(f"{base}/staff/counters/{counter}")
    assert page.locator("html").get_attribute("lang") == language

    served, missed, back = (page.get_by_role("button", name=label) for label in LABELS[language])
    group = page.get_by_role("group").filter(has_text=numbers[0])  # it names the visitor
    for button in (served, missed, back):
        assert button.is_visible()
        box = button.bounding_box()
        assert box is not None and box["height"] >= 48 and box["width"] >= 48
        assert box["y"] + box["height"] <= DESK["height"], "a choice below the first screen"
    plain = "Call next" if language == "en" else "نداء التالي"
    assert page.get_by_role("button", name=plain, exact=True).count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    assert_accessible(page)
    screenshot(page, f"staff-counter-choices-{language}")

    # The access key N (call next) leads to the choices, D, M and B choose; from the
    # group (where N puts the focus: Playwright's keys do not fire access keys) Tab
    # reaches each choice and Enter takes it.
    assert group.get_attribute("accesskey") == "n"
    keys = [b.get_attribute("accesskey") for b in (served, missed, back)]
    assert keys == ["d", "m", "b"]
    group.focus()
    assert page.evaluate("() => document.activeElement.id") == "close-choices"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.value") == "served"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.value") == "no_show"
    page.keyboard.press("Enter")  # "did not come": the next visitor is called
    page.locator(".current-number").filter(has_text=numbers[1]).wait_for(timeout=10000)
    assert status_of(numbers[0]) == "no_show"
    assert status_of(numbers[1]) == "called"
    page.context.close()
    # Leave the counter free for whoever comes next.
    api(base, operator, f"/api/v1/counters/{counter}/current/return")
