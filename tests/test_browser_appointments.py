"""Appointments in Chromium: an operator books a caller on the booking desk, the
kiosk checks the visitor in with the code from the slip, and the citizen's page
reads well in Arabic and English; every appointment screen is checked with axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from reception.appointments.setup import add_slot_template
from reception.db import make_engine, session_scope
from tests.browser import running_server, screenshot, sqlite_server
from tests.factories import World
from tests.test_browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    """The seeded database with appointment times all day long in both halls (every
    15 minutes, two seats), so the next slot is always within the check-in window."""
    template, world = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("live-appointments"))
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as s:
        for hall in ("men", "women"):
            add_slot_template(
                s,
                branch="riyadh",
                hall=hall,
                service="letter",
                weekdays="sun-sat",
                start="00:00",
                end="24:00",
                slot_minutes=15,
                capacity=2,
            )
    engine.dispose()
    with running_server(env) as base:
        yield base, world


def book_next_slot(page: Any, base: str, name: str, phone: str) -> tuple[str, str]:
    """On the booking desk: the first free time (today, or tomorrow just before
    midnight), the visitor's details, book. Returns the code and the tracking link."""
    page.goto(f"{base}/staff/appointments")
    if page.locator(".slot:not(.slot-full)").count() == 0:
        page.locator("a[rel=next]").click()
    page.locator(".slot:not(.slot-full)").first.click()
    page.fill("#name", name)
    page.fill("#phone", phone)
    page.select_option("#language", "en")
    page.locator(".appt-book button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.locator("#appointment-code").wait_for()
    code = page.locator("#appointment-code").inner_text().strip()
    link = page.locator(".slip-link a").get_attribute("href")
    assert link and "/a/" in link
    return code, base + urlsplit(link).path  # the public address is not this test server's


def test_operator_books_and_the_kiosk_checks_in(live: tuple[str, World], browser: Any) -> None:
    base, _ = live
    operator = sign_in(browser, base, "operator-men")
    operator.goto(f"{base}/staff/appointments")
    assert operator.locator("html").get_attribute("dir") == "rtl"
    first = operator.locator(".slot:not(.slot-full)").first
    if first.count():
        box = first.bounding_box()
        assert box and box["height"] >= 48 and box["width"] >= 120, "big targets"
    screenshot(operator, "appointments-operator-desk-ar")
    code, link = book_next_slot(operator, base, "خالد سعد العتيبي", "0551234567")
    assert re.fullmatch(r"\d{8}", code)
    assert (
        operator.locator("img.slip-qr")
        .get_attribute("src")
        .startswith("data:image/svg+xml;base64,")
    )
    assert operator.get_by_role("status").count() == 1  # "booked" flash
    assert operator.locator("[data-print]").is_visible(), "the script shows the Print button"
    screenshot(operator, "appointments-operator-slip-ar")
    operator.emulate_media(media="print")
    assert operator.locator(".topbar").is_hidden()
    assert operator.locator(".slip-actions").is_hidden()
    assert operator.locator("#appointment-code").is_visible()
    operator.emulate_media(media="screen")

    kiosk = sign_in(browser, base, "kiosk")
    kiosk.goto(f"{base}/kiosk/appointment")
    for digit in code:
        kiosk.locator(f'[data-keypad] button[data-key="{digit}"]').click()
    assert kiosk.locator("#code").input_value() == code
    kiosk.keyboard.press("Enter")
    kiosk.locator("#ticket-number").wait_for()
    assert kiosk.locator("#ticket-number").inner_text().startswith("M-")
    screenshot(kiosk, "appointments-kiosk-ticket-ar")

    citizen = browser.new_context(viewport={"width": 390, "height": 844})
    page = citizen.new_page()
    page.goto(link)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "خالد س. ا." in page.locator("main").inner_text()
    assert "العتيبي" not in page.locator("main").inner_text()
    assert page.locator("a[href$='/cancel']").count() == 0, "checked in: nothing to change"
    screenshot(page, "appointments-citizen-checked-in-ar")
    citizen.close()
    for p in (operator, kiosk):
        p.context.close()


def test_citizen_page_in_arabic_and_english(live: tuple[str, World], browser: Any) -> None:
    base, _ = live
    operator = sign_in(browser, base, "operator-men")
    code, link = book_next_slot(operator, base, "نورة علي", "0559876543")
    operator.context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert code in page.locator(".slip-code").inner_text()
    assert page.locator("img.slip-qr").is_visible()
    card = page.locator(".appt-citizen").bounding_box()
    assert card and card["x"] >= 0 and card["x"] + card["width"] <= 390, "no sideways scroll"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    screenshot(page, "appointments-citizen-ar")
    page.locator("a[href$='/reschedule']").click()
    page.locator(".time-button").first.wait_for()
    screenshot(page, "appointments-citizen-reschedule-ar")
    page.locator(".time-button").first.click()
    page.get_by_role("status").wait_for()
    assert page.url == link
    page.locator("a[href$='/cancel']").click()
    screenshot(page, "appointments-citizen-cancel-ar")
    page.locator(".lang-switch").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "Cancel your appointment?" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Yes, cancel my appointment").click()
    page.get_by_role("status").filter(has_text="Your appointment is cancelled.").wait_for()
    assert page.locator(".slip-code").count() == 0
    screenshot(page, "appointments-citizen-cancelled-en")
    context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_appointment_screens_are_accessible(
    live: tuple[str, World], browser: Any, language: str
) -> None:
    base, _ = live
    operator = sign_in(browser, base, "supervisor")
    if language == "en":
        operator.goto(f"{base}/lang?to=en&next=/")
    code, link = book_next_slot(operator, base, "Huda Saleh", "0501112233")
    slip = operator.url
    for name, path in (
        ("desk", "/staff/appointments"),
        ("slip", slip.removeprefix(base)),
        ("calendar-day", "/staff/calendar"),
        ("calendar-week", "/staff/calendar?view=week"),
        ("cancel", slip.removeprefix(base) + "/cancel"),
    ):
        operator.goto(base + path)
        assert operator.locator("html").get_attribute("lang") == language
        assert_accessible(operator)
        screenshot(operator, f"appointments-{name}-{language}")
    operator.context.close()

    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/lang?to={language}&next=/")
    for suffix in ("", "/reschedule", "/cancel"):
        page.goto(link + suffix)
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert_accessible(page)
    page.goto(f"{base}/a/not-a-real-token")
    assert_accessible(page)
    context.close()
