"""Joining the line from a phone, the whole way, in Chromium on a phone-sized page: the
join form, the code from the SMS, the tracking page with its kiosk code, the check-in
at a kiosk, the call, the end of the visit and the rating; axe-core in Arabic and
English on every page of the visitor's phone."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reception.db import make_engine, session_scope
from reception.queue.models import Branch
from reception.remote.models import RemotePolicy
from tests.browser import running_server, screenshot, sqlite_server
from tests.factories import World
from tests.servers import api
from tests.test_browser import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
KIOSK = {"width": 1080, "height": 1920}


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World, Path]]:
    """The seeded database with the branch taking joins from a phone in both halls."""
    template, world = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("live-remote"))
    engine = make_engine(f"sqlite:///{db}")
    with session_scope(engine) as s:
        branch = s.get(Branch, 1)
        assert branch is not None and branch.slug == "riyadh"
        s.add(
            RemotePolicy(
                branch_id=branch.id or 0,
                enabled=True,
                halls=["men", "women"],
                services=["letter", "enquiry"],
                geo_checkin=True,
                latitude=24.6633,
                longitude=46.6862,
            )
        )
    engine.dispose()
    with running_server(env) as base:
        yield base, world, db


def sent_code(db: Path) -> str:
    """The code of the last verification SMS, as the visitor reads it."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT body FROM outgoingsms WHERE purpose = 'remote_code' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row, "no code SMS was written"
    plain = "".join(str(int(ch)) if ch.isdigit() else ch for ch in row[0])
    match = re.search(r"(?<!\d)\d{6}(?!\d)", plain)
    assert match, row[0]
    return match.group(0)


def accessible_in_both_languages(page: Any, base: str, name: str) -> None:
    """axe-core finds nothing in Arabic and in English; the page is left in Arabic."""
    path = page.url.removeprefix(base)
    for language in ("en", "ar"):
        page.goto(f"{base}/lang?to={language}&next={path}")
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == language
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert_accessible(page)
        screenshot(page, f"remote-{name}-{language}")


def test_join_from_a_phone_arrive_be_called_and_rate(
    live: tuple[str, World, Path], browser: Any
) -> None:
    base, world, db = live
    context = browser.new_context(viewport=PHONE, bypass_csp=True, has_touch=True)
    phone = context.new_page()
    phone.goto(f"{base}/join/riyadh")
    assert phone.locator("html").get_attribute("dir") == "rtl"
    accessible_in_both_languages(phone, base, "join")

    phone.get_by_label("قاعة الرجال").check()
    phone.get_by_label("خطاب").check()
    assert phone.locator("#phone").get_attribute("autocomplete") == "tel"
    phone.fill("#phone", "0551234567")
    phone.locator(".join-send").click()
    phone.wait_for_url(re.compile(r"/join/riyadh/code/"))
    assert "0551234567" not in phone.url
    assert "567" in phone.locator("#code-sent").inner_text()
    accessible_in_both_languages(phone, base, "code")

    phone.fill("#code", "000000" if sent_code(db) != "000000" else "111111")
    phone.locator(".join-send").click()
    phone.locator("#code-error").wait_for()
    phone.fill("#code", sent_code(db))
    phone.locator(".join-send").click()
    phone.wait_for_url(re.compile(r"/t/"))
    tracking = phone.url
    phone.locator("[data-status=remote]").wait_for()
    kiosk_code = phone.locator("[data-kiosk-code]").inner_text().strip()
    assert re.fullmatch(r"\d{6}", kiosk_code)
    assert phone.locator(".remote-code-qr").is_visible()
    assert phone.locator("[data-here]").is_visible()  # location check-in offered
    accessible_in_both_languages(phone, base, "tracking")
    phone.goto(tracking)

    kiosk = sign_in(browser, base, "kiosk", KIOSK)
    kiosk.goto(f"{base}/kiosk")
    kiosk.locator(".remote-button").click()
    kiosk.wait_for_url(f"{base}/kiosk/remote")
    assert_accessible(kiosk)
    screenshot(kiosk, "remote-kiosk-code-ar")
    kiosk.locator("#code").focus()
    kiosk.keyboard.type(kiosk_code)  # as the scanner types it
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_url(re.compile(r"/kiosk/tickets/\d+"))
    number = kiosk.locator("#ticket-number").inner_text().strip()
    screenshot(kiosk, "remote-kiosk-ticket-ar")
    phone.locator("[data-status=waiting]").wait_for(timeout=15000)  # live, no reload by hand
    assert phone.locator("#ticket-heading .ticket-number").inner_text().strip() == number

    operator = world.tokens["operator-men"]
    counter = world.counters["men"][0]
    called = api(base, operator, f"/api/v1/counters/{counter}/call-next")
    assert called.status_code == 200 and called.json()["number"] == number, called.text
    phone.locator("[data-status=called]").wait_for(timeout=15000)
    screenshot(phone, "remote-called-ar")
    finished = api(base, operator, f"/api/v1/counters/{counter}/current/finish")
    assert finished.status_code == 200, finished.text
    rate = phone.locator(f"a[href$='/r/{tracking.rsplit('/', 1)[1]}']")
    rate.wait_for(timeout=15000)
    rate.click()
    phone.wait_for_url(re.compile(r"/r/"))
    phone.locator(".face-5").click()
    phone.locator(".rate-send").click()
    phone.wait_for_url(re.compile(r"/r/.+/thanks"))
    assert_accessible(phone)
    screenshot(phone, "remote-rated-ar")
    context.close()
    kiosk.context.close()


def join_by_phone(page: Any, base: str, db: Path, number: str) -> str:
    """Join the women's hall from `page` with `number`; the tracking page's address."""
    page.goto(f"{base}/join/riyadh")
    page.locator("input[name=hall][value=women]").check()
    page.locator("input[name=service][value=enquiry]").check()
    page.fill("#phone", number)
    page.locator(".join-send").click()
    page.wait_for_url(re.compile(r"/join/riyadh/code/"))
    page.fill("#code", sent_code(db))
    page.locator(".join-send").click()
    page.wait_for_url(re.compile(r"/t/"))
    return str(page.url)


def test_im_here_by_the_phones_location(live: tuple[str, World, Path], browser: Any) -> None:
    base, _, db = live
    far = browser.new_context(
        viewport=PHONE, geolocation={"latitude": 24.80, "longitude": 46.70, "accuracy": 15}
    )
    far.grant_permissions(["geolocation"])
    phone = far.new_page()
    join_by_phone(phone, base, db, "0551234501")
    phone.locator(".remote-here-button").click()
    phone.locator(".flash-error").wait_for()
    assert phone.locator("[data-status=remote]").count() == 1  # still away
    far.close()

    refused = browser.new_context(viewport=PHONE)  # no permission: the browser refuses
    phone = refused.new_page()
    join_by_phone(phone, base, db, "0551234502")
    phone.locator(".remote-here-button").click()
    phone.locator("[data-here-note]").filter(has_text=re.compile(".{10}")).wait_for()
    assert phone.locator("[data-no-location]").is_visible()  # use the kiosk
    refused.close()

    near = browser.new_context(
        viewport=PHONE, geolocation={"latitude": 24.6640, "longitude": 46.6860, "accuracy": 20}
    )
    near.grant_permissions(["geolocation"])
    phone = near.new_page()
    join_by_phone(phone, base, db, "0551234503")
    phone.locator(".remote-here-button").click()
    phone.locator("[data-status=waiting]").wait_for()
    assert phone.locator(".flash-info").count() == 1
    screenshot(phone, "remote-checked-in-by-location-ar")
    near.close()
