"""The unit's kiosk and hall display in Chromium while the centre is unreachable (its
port closed): a visitor takes a ticket at the kiosk, an operator calls it, the display
shows it; every page passes axe-core (no serious or critical violation), in Arabic and
in English. The unit is a real `reception serve` set up by `reception edge init`."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import axe_violations, screenshot
from tests.devices import HALL_DISPLAYS, KIOSKS
from tests.edge_nodes import EdgePair, edge_pair, pending_of
from tests.factories import PASSWORD
from tests.test_edge_e2e import branch_counters

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.timeout(300)]

NO_SMS = {"ar": "بدون رسالة، اطبع تذكرتي فقط", "en": "No SMS, just print my ticket"}


@pytest.fixture(scope="module")
def offline_unit(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[EdgePair]:
    """A unit set up from its centre, then the centre stopped: its port refuses."""
    from tests.conftest import postgres_copy, postgres_database_url

    template = request.getfixturevalue("postgres_template")
    tmp = tmp_path_factory.mktemp("edge-browser")
    with postgres_copy(template) as name, edge_pair(postgres_database_url(name), tmp) as pair:
        pair.centre.stop()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", pair.centre.port)) != 0, "centre still up"
        yield pair


def signed_in(browser: Any, pair: EdgePair, username: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{pair.unit.base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return page


def in_language(page: Any, base: str, language: str, path: str) -> None:
    page.goto(f"{base}/lang?to={language}&next={path}")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")


def accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


@pytest.mark.parametrize("language", ["ar", "en"])
def test_unit_kiosk_and_display_work_with_the_centre_unreachable(
    offline_unit: EdgePair, browser: Any, language: str
) -> None:
    pair = offline_unit
    base = pair.unit.base
    _, counters = branch_counters(pair)

    display = signed_in(browser, pair, "caravan-display-men", HALL_DISPLAYS[0].viewport)
    in_language(display, base, language, "/display")
    display.locator("[data-latest-number]").wait_for()
    display.evaluate("() => { window.__sameDocument = true; }")
    accessible(display)

    kiosk = signed_in(browser, pair, "caravan-kiosk", KIOSKS[0].viewport)
    in_language(kiosk, base, language, "/kiosk")
    accessible(kiosk)
    for path in ("/kiosk?hall=men", "/kiosk?hall=men&service=letter"):
        kiosk.goto(base + path)
        accessible(kiosk)
    kiosk.goto(f"{base}/kiosk?hall=men&service=letter&priority=none")
    accessible(kiosk)
    kiosk.get_by_role("button", name=NO_SMS[language]).click()
    number = kiosk.locator("#ticket-number").inner_text(timeout=10000)
    assert number.startswith("M-"), number
    accessible(kiosk)
    screenshot(kiosk, f"edge-unit-kiosk-ticket-{language}")

    # The operator calls it (the unit's own operator token); the display shows it live.
    with pair.unit.http(pair.unit_tokens["operator-men"]) as http:
        called = http.post(
            f"/api/v1/counters/{counters['men'][0]}/call-next",
            json={"close_current": "served"},
        )
    assert called.status_code == 200 and called.json()["number"] == number, called.text
    display.locator("[data-latest-number]").filter(has_text=number).wait_for(timeout=10000)
    assert display.evaluate("() => window.__sameDocument === true"), "the display reloaded"
    accessible(display)
    screenshot(display, f"edge-unit-display-{language}")

    # Still offline: what was done waits in the unit's outbox.
    assert pending_of(pair.edge_status()) > 0
    for page in (display, kiosk):
        page.context.close()


def test_unit_sync_page_is_accessible_offline(offline_unit: EdgePair, browser: Any) -> None:
    """The unit's sync-state page says the centre is out of reach and what waits."""
    page = signed_in(browser, offline_unit, "caravan-supervisor", {"width": 1366, "height": 768})
    for language in ("ar", "en"):
        in_language(page, offline_unit.unit.base, language, "/staff/sync")
        assert page.url.endswith("/staff/sync"), page.url
        accessible(page)
        screenshot(page, f"edge-unit-sync-{language}")
    page.context.close()
