"""The kiosk at every kiosk size, in Arabic and English, step by step: each step's
question and buttons on the first screen, big enough to touch, nothing overlapping or
running off the side, accessible with no axe violation at all. The phone step is
ready to type; the ticket page follows the ticket live; a missed appointment leads to
an ordinary ticket; the visitor's phone page fits a phone; the printed ticket is as
long as what it holds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import (
    ARTIFACTS,
    axe_all_violations,
    running_server,
    sqlite_server,
)
from tests.devices import CITIZEN_PHONES, KIOSKS, Size
from tests.factories import PASSWORD, World
from tests.layout_js import DISPLAY_PROBLEMS, install
from tests.servers import api

pytestmark = pytest.mark.browser

SERVED = {"close_current": "served"}
SHOTS = ARTIFACTS / "kiosk"

STEPS: dict[str, tuple[str, str]] = {
    # step: (page, the selector of its question and of its buttons)
    "hall": ("/kiosk", ".kiosk-question, .choice, .appointment-button"),
    "service": ("/kiosk?hall=men", ".kiosk-question, .choice, .kiosk-nav .button"),
    "priority": ("/kiosk?hall=men&service=letter", ".kiosk-question, .choice, .kiosk-nav .button"),
    "phone": (
        "/kiosk?hall=men&service=letter&priority=none",
        ".kiosk-question, #phone, .phone-actions .button, .keypad button, .residency-option",
    ),
    "phone-refused": ("", "[role=alert], .kiosk-question, #phone, .phone-actions .button"),
    "appointment": ("/kiosk/appointment", ".kiosk-question, #code, .phone-actions .button"),
    "ticket": ("", "#ticket-number, .ticket-status, .ticket-qr, [data-print], [data-home]"),
    "offer": ("", ".offer-message, .offer-button, .kiosk-nav .button"),
}

TOUCH_TARGETS = """() => [...document.querySelectorAll(
    "main a[href], main button, main input:not([type=hidden]):not([type=radio]), "
    + "main label.residency-option, header a[href], header button")]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== "hidden")
  .map(el => [el.textContent.trim().slice(0, 30) || el.id, el.getBoundingClientRect().height])
  .filter(([, height]) => height < 96)"""

OUTSIDE_FIRST_SCREEN = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => el.getClientRects().length)
  .map(el => [el.textContent.trim().slice(0, 30) || el.id, el.getBoundingClientRect()])
  .filter(([, r]) => r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth)
  .map(([name]) => name)"""

FOREIGN_WORDS = """(language) => {
  /* Latin words in an Arabic page, Arabic in an English one, outside what keeps its
     own direction on purpose (ticket numbers, codes, the other language's switch). */
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest("script, [lang]:not(html), bdi, [dir=ltr]"))
      continue;
    const text = node.textContent.replace(/\\bQR\\b/g, "");
    if (language === "ar" ? /[A-Za-z]/.test(text) : /[\\u0600-\\u06FF]/.test(text))
      found.push(node.textContent.trim().slice(0, 40));
    if (/[\\u0660-\\u0669\\u06F0-\\u06F9]/.test(text)) found.push("Eastern digits: " + text);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    """A server whose men's hall has a few visitors waiting."""
    template, world = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("kiosk"))
    with running_server(env) as base:
        for service in ("letter", "letter", "enquiry"):
            wanted = {"branch": "riyadh", "hall": "men", "service": service}
            issued = api(base, world.tokens["kiosk"], "/api/v1/tickets", wanted)
            assert issued.status_code == 201, issued.text
        yield base, world


@pytest.fixture(scope="module")
def missed_code(live: tuple[str, World]) -> str:
    """The code of an appointment that was cancelled: it can no longer check in."""
    base, world = live
    starts_at = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    booked = api(
        base,
        world.tokens["supervisor"],
        "/api/v1/appointments",
        {"branch": "riyadh", "hall": "men", "service": "letter", "starts_at": starts_at},
    )
    assert booked.status_code == 201, booked.text
    cancelled = api(
        base, world.tokens["supervisor"], f"/api/v1/appointments/{booked.json()['id']}/cancel"
    )
    assert cancelled.status_code == 200, cancelled.text
    return str(booked.json()["code"])


def open_kiosk(browser: Any, base: str, size: Size, language: str, axe: bool = True) -> Any:
    """A kiosk signed in; under the real Content-Security-Policy unless axe must run."""
    context = browser.new_context(viewport=size.viewport, bypass_csp=axe, has_touch=True)
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#username", "kiosk")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/kiosk")
    page.goto(f"{base}/lang?to={language}&next=/kiosk")
    return page


def go_to_step(page: Any, base: str, step: str, code: str) -> None:
    if step == "ticket":
        page.goto(base + STEPS["phone"][0])
        page.locator("button[name=skip_phone]").click()
        page.locator("#ticket-number").wait_for()
    elif step == "phone-refused":  # a number that is not a mobile number
        page.goto(base + STEPS["phone"][0])
        page.fill("#phone", "12345")
        page.locator(".phone-actions .button").first.click()
        page.locator("[role=alert]").wait_for()
    elif step == "offer":
        page.goto(base + STEPS["appointment"][0])
        page.fill("#code", code)
        page.keyboard.press("Enter")
        page.locator(".offer-message").wait_for()
    else:
        page.goto(base + STEPS[step][0])
    page.evaluate("() => document.fonts.ready")


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", KIOSKS, ids=lambda s: s.name)
def test_every_kiosk_step_fits_the_kiosk(
    live: tuple[str, World], browser: Any, missed_code: str, size: Size, language: str
) -> None:
    base, _ = live
    page = open_kiosk(browser, base, size, language)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for step, (_, selector) in STEPS.items():
        go_to_step(page, base, step, missed_code)
        assert page.locator("html").get_attribute("lang") == language
        page.screenshot(path=str(SHOTS / f"{step}-{size.name}-{language}.png"))
        install(page)
        problems = page.evaluate(DISPLAY_PROBLEMS)
        assert problems == [], f"{step}: " + "\n".join(problems)
        assert page.locator(selector).count() >= 2, step
        assert page.evaluate(OUTSIDE_FIRST_SCREEN, selector) == [], step
        assert page.evaluate(TOUCH_TARGETS) == [], step
        assert page.evaluate(FOREIGN_WORDS, language) == [], step
        assert page.locator("h1").count() == 1, step
        assert axe_all_violations(page) == [], step  # none at all, whatever their impact
    page.context.close()


def test_phone_step_is_ready_to_type(live: tuple[str, World], browser: Any) -> None:
    """Focused on arrival, a numeric keypad, nothing remembered, and "send SMS and
    print" at most three Tab stops away."""
    base, _ = live
    page = open_kiosk(browser, base, KIOSKS[0], "ar")
    page.goto(base + STEPS["phone"][0])
    field = page.locator("#phone")
    assert field.evaluate("el => el === document.activeElement")
    assert field.get_attribute("inputmode") == "numeric"
    assert field.get_attribute("autocomplete") == "off"
    page.keyboard.type("0551234567")
    stops = 0
    for stops in range(1, 4):  # noqa: B007 - the count is the answer
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == (
            "أرسل لي رسالة واطبع تذكرتي"
        ):
            break
    else:
        pytest.fail("'send SMS and print' is more than three Tab stops from the field")
    assert stops <= 3
    page.keyboard.press("Enter")
    page.locator("#ticket-number").wait_for()
    page.context.close()


def call_until(base: str, token: str, counter: int, number: str) -> None:
    for _ in range(30):  # whoever waits before this ticket is served first
        called = api(base, token, f"/api/v1/counters/{counter}/call-next", SERVED)
        assert called.status_code == 200, called.text
        if called.json()["number"] == number:
            return
    pytest.fail(f"{number} was never called")


@pytest.mark.parametrize("language", ["ar", "en"])
def test_ticket_page_follows_the_ticket(
    live: tuple[str, World], browser: Any, language: str
) -> None:
    """Printed, then called, then served: the kiosk's ticket page says so each time
    without being reloaded, and never "you are next" once it is over."""
    base, world = live
    page = open_kiosk(browser, base, KIOSKS[0], language, axe=False)
    page.goto(f"{base}/kiosk?hall=women&service=complaint&priority=none")
    page.locator("button[name=skip_phone]").click()
    number = page.locator("#ticket-number")
    number.wait_for()
    assert page.locator("[data-status=waiting]").is_visible()
    page.evaluate("() => { window.__sameDocument = true; }")
    counter, operator = world.counters["women"][3], world.tokens["operator-women"]
    call_until(base, operator, counter, number.inner_text())
    called = page.locator("[data-status=called]")
    called.wait_for(timeout=10000)
    assert "4" in called.inner_text()
    served = api(base, operator, f"/api/v1/counters/{counter}/call-next", SERVED)
    assert served.status_code in (200, 204), served.text  # 204: no one else waits
    page.locator("[data-status=done]").wait_for(timeout=10000)
    assert page.locator("[data-status=waiting], [data-status=called]").count() == 0
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
    page.context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", CITIZEN_PHONES, ids=lambda s: s.name)
def test_tracking_page_fits_a_phone(
    live: tuple[str, World], browser: Any, size: Size, language: str
) -> None:
    base, world = live
    issued = api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": "men", "service": "enquiry"},
    )
    assert issued.status_code == 201, issued.text
    context = browser.new_context(viewport=size.viewport, bypass_csp=True, has_touch=True)
    page = context.new_page()
    path = urlsplit(issued.json()["tracking_url"]).path
    page.goto(f"{base}/lang?to={language}&next={path}")
    page.evaluate("() => document.fonts.ready")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"track-{size.name}-{language}.png"), full_page=True)
    assert page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    install(page)
    problems = [p for p in page.evaluate(DISPLAY_PROBLEMS) if "scrolls down" not in p]
    assert problems == [], "\n".join(problems)
    assert page.locator("h1").count() == 1
    assert issued.json()["number"] in page.locator("h1").inner_text()
    assert page.locator("[data-status=waiting]").is_visible()
    assert page.evaluate(FOREIGN_WORDS, language) == []
    assert axe_all_violations(page) == []
    context.close()


def test_place_in_line_is_worded_one_way(live: tuple[str, World], browser: Any) -> None:
    """The kiosk's ticket and the phone's page say where the visitor stands alike."""
    base, world = live
    issued = api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": "men", "service": "letter"},
    )
    assert issued.status_code == 201, issued.text
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(base + urlsplit(issued.json()["tracking_url"]).path)
    on_phone = page.locator("[data-status=waiting]").inner_text()
    assert re.fullmatch(r"أمامك \d+ (أشخاص|شخص|شخصًا)|أمامك (شخص واحد|شخصان)|لا أحد أمامك", on_phone)
    context.close()


def test_printed_ticket_is_as_long_as_its_content(live: tuple[str, World], browser: Any) -> None:
    base, _ = live
    for language in ("ar", "en"):
        page = open_kiosk(browser, base, KIOSKS[0], language, axe=False)
        page.goto(base + STEPS["phone"][0])
        page.locator("button[name=skip_phone]").click()
        page.locator("#ticket-number").wait_for()
        page.evaluate("() => document.fonts.ready")
        page.emulate_media(media="print")
        assert page.locator(".kiosk-bar").is_hidden()
        assert page.locator("[data-print]").is_hidden()
        ticket = page.locator("[data-paper]").bounding_box()
        assert ticket is not None
        centre = page.locator(".ticket-centre").inner_text()
        assert centre == ("الرياض" if language == "ar" else "Riyadh")  # the name, not "riyadh"
        date = page.locator(".ticket-date").inner_text()
        assert re.search(r"\d{4}", date) and re.search(
            r"[\u0600-\u06FF]{3}" if language == "ar" else r"[A-Z][a-z]+day", date
        ), date
        pdf = page.pdf(prefer_css_page_size=True, print_background=False)
        (ARTIFACTS / f"ticket-80mm-{language}.pdf").write_bytes(pdf)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one ticket, one page
        box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert box
        width_mm, height_mm = (float(v) / 72 * 25.4 for v in box.groups())
        assert abs(width_mm - 80) < 1
        content_mm = ticket["height"] / 96 * 25.4
        # The page is the ticket plus its margins (3 mm each end) and 2 mm to spare.
        assert content_mm + 6 <= height_mm <= content_mm + 10, (content_mm, height_mm)
        centred = page.locator("[data-paper]").evaluate(
            """el => {
              const s = getComputedStyle(el), box = el.getBoundingClientRect();
              const page = el.parentElement.getBoundingClientRect();
              return s.textAlign === "center"
                && Math.abs((box.left - page.left) - (page.right - box.right)) < 2;
            }"""
        )
        assert centred, "the ticket is not centred on the roll"
        page.context.close()
