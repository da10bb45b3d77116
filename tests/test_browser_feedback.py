"""Rating a visit in Chromium: the exit tablet paired as a kiosk device and bound to a
counter, and the page behind the SMS link on a phone; axe-core in Arabic and English."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import screenshot
from tests.factories import World
from tests.servers import api
from tests.test_browser import assert_accessible, live, sign_in

__all__ = ["live"]  # the server fixture of test_browser, used here by name

pytestmark = pytest.mark.browser

TABLET = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def serve_one(base: str, world: World, counter: int, **ticket: Any) -> dict[str, Any]:
    """A men's-hall visitor issued a ticket, called to the counter and served."""
    body = {"branch": "riyadh", "hall": "men", "service": "letter", **ticket}
    issued = api(base, world.tokens["kiosk"], "/api/v1/tickets", body)
    assert issued.status_code == 201, issued.text
    operator = world.tokens["operator-men"]
    called = api(base, operator, f"/api/v1/counters/{counter}/call-next")
    assert called.status_code == 200 and called.json()["number"] == issued.json()["number"]
    finished = api(base, operator, f"/api/v1/counters/{counter}/current/finish")
    assert finished.status_code == 200, finished.text
    return dict(issued.json())


def tablet(chromium: Any, base: str, world: World, bypass_csp: bool) -> Any:
    """A tablet paired at /device with the branch's kiosk token."""
    context = chromium.new_context(viewport=TABLET, bypass_csp=bypass_csp, has_touch=True)
    page = context.new_page()
    page.goto(f"{base}/device")
    page.fill("#token", world.tokens["kiosk"])
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return page


def assert_big(page: Any, selector: str) -> None:
    """Touch targets of at least 64 × 64 CSS pixels."""
    boxes = [
        page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())
    ]
    assert boxes, selector
    small = [b for b in boxes if b is None or b["height"] < 64 or b["width"] < 64]
    assert small == [], (selector, small)


def test_rating_at_the_counter_tablet_and_by_sms_link(
    live: tuple[str, World], browser: Any
) -> None:
    base, world = live
    counter = world.counters["men"][0]
    served = serve_one(base, world, counter)

    # Under the real Content-Security-Policy: the tablet by the counter.
    page = tablet(browser, base, world, bypass_csp=False)
    page.goto(f"{base}/rate?counter={counter}")
    assert page.url == f"{base}/rate"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.get_by_role("heading", name="كيف كانت زيارتك؟").is_visible()
    assert page.locator(".rate-number").inner_text() == served["number"]
    assert_big(page, ".face")
    assert_big(page, ".chip")
    screenshot(page, "rate-tablet-ar")
    page.get_by_role("radio", name="ممتازة").tap()
    page.get_by_role("checkbox", name="تعامل الموظفين معي").tap()
    assert page.get_by_role("radio", name="ممتازة").is_checked()
    screenshot(page, "rate-tablet-chosen-ar")
    page.get_by_role("button", name="أرسل تقييمي").tap()
    page.wait_for_url(f"{base}/rate/thanks")
    assert page.get_by_role("heading", name="شكراً لك!").is_visible()
    screenshot(page, "rate-thanks-ar")
    page.wait_for_url(f"{base}/rate", timeout=15000)  # back to the start by itself
    page.locator("#number").wait_for()  # nothing left to rate at this counter
    assert_big(page, ".rate-keys button")
    screenshot(page, "rate-keypad-ar")
    # The next visitor of another counter types the number on the keypad.
    other = serve_one(base, world, world.counters["men"][1])
    digits = str(int(other["number"].split("-")[1]))
    for key in ["M", "9", "back", *digits]:
        page.locator(f'[data-keypad] button[data-key="{key}"]').tap()
    assert page.locator("#number").input_value() == "M" + digits
    page.get_by_role("button", name="متابعة").tap()
    page.get_by_role("radio", name="سيئة", exact=True).wait_for()
    assert page.locator(".rate-number").inner_text() == other["number"]
    page.context.close()
    operator = sign_in(browser, base, "operator-men")
    operator.goto(f"{base}/rate")
    assert operator.get_by_role("heading", name="عذرًا").is_visible()  # not a rating device
    operator.context.close()

    # The same screens checked with axe (which needs the policy lifted).
    page = tablet(browser, base, world, bypass_csp=True)
    page.goto(f"{base}/rate?number={other['number']}")
    assert_accessible(page)
    page.goto(f"{base}/rate?manual=1")
    assert_accessible(page)
    page.goto(f"{base}/lang?to=en&next=/rate")
    page.goto(f"{base}/rate?number={other['number']}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page)
    screenshot(page, "rate-tablet-en")
    page.goto(f"{base}/rate?manual=1")
    assert_accessible(page)
    screenshot(page, "rate-keypad-en")
    page.goto(f"{base}/rate/thanks")
    assert_accessible(page)
    screenshot(page, "rate-thanks-en")
    page.context.close()

    # On a phone, from the SMS: by keyboard alone, in English.
    texted = serve_one(base, world, counter, phone="0501234567", language="en")
    link = "/r/" + urlsplit(texted["tracking_url"]).path.rsplit("/", 1)[1]
    for language in ("ar", "en"):
        context = browser.new_context(viewport=PHONE, bypass_csp=True)
        phone = context.new_page()
        phone.goto(f"{base}/lang?to={language}&next={link}")
        assert phone.locator("html").get_attribute("lang") == language
        assert phone.locator(".rate-number").inner_text() == texted["number"]
        assert_accessible(phone)
        assert_big(phone, ".face")
        screenshot(phone, f"rate-link-{language}")
        context.close()
    context = browser.new_context(viewport=PHONE, bypass_csp=False)
    phone = context.new_page()
    phone.goto(f"{base}/lang?to=en&next={link}")
    phone.get_by_role("radio", name="Very bad").focus()
    for _ in range(3):
        phone.keyboard.press("ArrowDown")
    phone.keyboard.press("Space")
    assert phone.get_by_role("radio", name="Good").is_checked()
    phone.keyboard.press("Tab")
    assert phone.evaluate("() => document.activeElement.value") == "waiting"
    phone.keyboard.press("Space")
    phone.get_by_label("Anything else you would like to tell us? (optional)").fill(
        "Quick and kind."
    )
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    phone.get_by_role("heading", name="Thank you!").wait_for()
    screenshot(phone, "rate-link-thanks-en")
    phone.goto(f"{base}{link}")
    assert "already been rated" in phone.locator("main").inner_text()
    context.close()
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    phone = context.new_page()
    phone.goto(f"{base}/r/not-a-real-token")
    assert phone.get_by_role("heading", name="هذا الرابط لا يعمل").is_visible()
    assert_accessible(phone)
    screenshot(phone, "rate-link-missing-ar")
    context.close()
