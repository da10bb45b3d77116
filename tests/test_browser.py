"""The skeleton journey in Chromium: kiosk → operator → hall display, without reload;
and every screen checked with axe-core in Arabic and English."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import (
    ARTIFACTS,
    axe_violations,
    running_server,
    screenshot,
    sqlite_server,
)
from tests.factories import PASSWORD, World
from tests.servers import api

pytestmark = pytest.mark.browser

SERVED = {"close_current": "served"}
"""Calling the next visitor: one still at the counter was served."""


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    template, world = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("live"))
    with running_server(env) as base:
        os.environ["RECEPTION_LIVE_BASE"] = base
        os.environ["RECEPTION_LIVE_DB"] = str(db)
        yield base, world


def sign_in(browser: Any, base: str, username: str, viewport: dict[str, int] | None = None) -> Any:
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return page


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], violations


def test_kiosk_operator_display_journey(live: tuple[str, World], browser: Any) -> None:
    base, _ = live
    display = sign_in(browser, base, "display-men", {"width": 1920, "height": 1080})
    assert display.url.endswith("/display")
    assert display.locator("html").get_attribute("dir") == "rtl"
    display.evaluate("() => { window.__sameDocument = true; }")

    kiosk = sign_in(browser, base, "kiosk", {"width": 1280, "height": 1024})
    assert kiosk.url.endswith("/kiosk")
    assert kiosk.locator("html").get_attribute("lang") == "ar"
    kiosk.get_by_role("link", name="قاعة الرجال").click()
    kiosk.get_by_role("link", name="خطاب").click()
    kiosk.get_by_role("link", name="لا، لا شيء مما سبق").click()
    kiosk.get_by_role("button", name="بدون رسالة، اطبع تذكرتي فقط").click()
    number = kiosk.locator("#ticket-number")
    number.wait_for()
    assert number.inner_text() == "M-001"
    assert (
        kiosk.locator("img.ticket-qr")
        .get_attribute("src", timeout=2000)
        .startswith("data:image/svg+xml;base64,")
    )
    screenshot(kiosk, "kiosk-ticket-ar")

    operator = sign_in(browser, base, "operator-men")
    operator.get_by_role("link", name="العمل على الكاونتر 1").click()
    operator.get_by_role("button", name="نداء التالي").click()
    assert operator.locator(".current-number").inner_text() == "M-001"
    screenshot(operator, "staff-counter-ar")

    display.locator("[data-latest-number]").filter(has_text="M-001").wait_for(timeout=5000)
    assert display.locator("[data-latest-counter]").inner_text() == "1"
    assert display.evaluate("() => window.__sameDocument === true"), "the display reloaded"
    assert re.fullmatch(r"\d\d:\d\d", display.locator("[data-clock-time]").inner_text())
    assert "هـ" in display.locator("[data-clock-hijri]").inner_text()  # the Hijri year
    screenshot(display, "display-men-ar")
    for page in (display, kiosk, operator):
        page.context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
def test_screens_are_accessible(live: tuple[str, World], browser: Any, language: str) -> None:
    base, _ = live
    pages = {
        "kiosk": (
            "kiosk",
            [
                "/kiosk",
                "/kiosk?hall=women",
                "/kiosk?hall=women&service=letter",
                "/kiosk?hall=women&service=letter&priority=none",
                "/kiosk/appointment",
            ],
        ),
        "operator-men": (
            "staff",
            [
                "/staff",
                "/staff/counters/1",
                "/staff/letters",
                "/staff/letters/new",
                "/staff/account",
            ],
        ),
        "officer": ("inbox", ["/staff/inbox"]),
        "display-men": ("display", ["/display"]),
        "supervisor": ("supervise", ["/staff/supervise", "/staff/meetings", "/staff/agenda"]),
        "admin": ("admin", ["/staff/admin", "/staff/admin/sms"]),
    }
    for username, (name, paths) in pages.items():
        page = sign_in(browser, base, username)
        if language == "en":
            page.goto(f"{base}/lang?to=en&next=/")
        for index, path in enumerate(paths):
            page.goto(base + path)
            assert page.locator("html").get_attribute("lang") == language
            assert page.locator("html").get_attribute("dir") == (
                "rtl" if language == "ar" else "ltr"
            )
            assert_accessible(page)
            screenshot(page, f"{name}-{index}-{language}")
        page.context.close()
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/lang?to={language}&next=/staff/login")
    assert_accessible(page)
    screenshot(page, f"login-{language}")
    page.goto(f"{base}/t/not-a-real-token")
    assert_accessible(page)
    page.goto(f"{base}/device")
    assert_accessible(page)
    screenshot(page, f"device-{language}")
    context.close()


def test_a_revoked_screen_stops_and_asks_to_be_paired_again(
    live: tuple[str, World], browser: Any
) -> None:
    """Revoking the token closes the display's socket; the page does not reconnect
    forever but goes to the pairing page and says why."""
    base, world = live
    made = api(
        base,
        world.tokens["admin"],
        "/api/v1/admin/tokens",
        {"name": "women-lobby-tv", "role": "display", "branch": "riyadh", "hall": "women"},
    )
    assert made.status_code == 201, made.text
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/device")
    page.fill("#token", made.json()["token"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/display")
    page.locator("[data-latest-number]").wait_for()
    revoked = api(base, world.tokens["admin"], f"/api/v1/admin/tokens/{made.json()['id']}/revoke")
    assert revoked.status_code == 200
    page.wait_for_url(f"{base}/device", timeout=15000)
    assert "أعد إقرانها" in page.locator("[role=status]").inner_text()
    assert_accessible(page)
    context.close()


def test_print_layout_fits_80mm(live: tuple[str, World], browser: Any) -> None:
    base, _ = live
    kiosk = sign_in(browser, base, "kiosk")
    kiosk.goto(f"{base}/kiosk?hall=women&service=enquiry&priority=none")
    kiosk.get_by_role("button", name="بدون رسالة، اطبع تذكرتي فقط").click()
    kiosk.locator("#ticket-number").wait_for()
    kiosk.emulate_media(media="print")
    assert kiosk.locator(".topbar").is_hidden()
    assert kiosk.locator("[data-print]").is_hidden()
    pdf = kiosk.pdf(prefer_css_page_size=True, print_background=False)
    assert pdf[:4] == b"%PDF"
    (ARTIFACTS / "ticket-80mm.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one ticket, one page
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert box and abs(float(box.group(1)) - 80 / 25.4 * 72) < 2  # the @page is 80 mm wide
    kiosk.context.close()


def test_kiosk_by_keyboard_and_keypad(live: tuple[str, World], browser: Any) -> None:
    """A visitor without a mouse: Tab and Enter through every step; the on-screen
    keypad types the mobile number."""
    base, _ = live
    kiosk = sign_in(browser, base, "kiosk")
    kiosk.goto(f"{base}/kiosk")
    for name in ("قاعة النساء", "خطاب", "لا، لا شيء مما سبق"):
        kiosk.get_by_role("link", name=name).focus()
        kiosk.keyboard.press("Enter")
        kiosk.wait_for_load_state("load")
    for key in "0551234567":
        kiosk.locator(f'[data-keypad] button[data-key="{key}"]').click()
    kiosk.locator('[data-keypad] button[data-key="back"]').click()
    kiosk.locator('[data-keypad] button[data-key="7"]').click()
    assert kiosk.locator("#phone").input_value() == "0551234567"
    screenshot(kiosk, "kiosk-phone-ar")
    kiosk.get_by_role("button", name="أرسل لي رسالة واطبع تذكرتي").focus()
    kiosk.keyboard.press("Enter")
    kiosk.locator("#ticket-number").wait_for()
    assert kiosk.locator("#ticket-number").inner_text().startswith("W-")
    kiosk.context.close()


def test_kiosk_check_in_with_an_appointment_code(live: tuple[str, World], browser: Any) -> None:
    """Booked through the API; the visitor types the code with the on-screen keypad
    and the keyboard only, and gets a ticket."""
    base, world = live
    starts_at = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    booked = api(  # no slot templates for this service: a supervisor books a free time
        base,
        world.tokens["supervisor"],
        "/api/v1/appointments",
        {"branch": "riyadh", "hall": "men", "service": "enquiry", "starts_at": starts_at},
    )
    assert booked.status_code == 201, booked.text
    code = booked.json()["code"]
    kiosk = sign_in(browser, base, "kiosk")
    kiosk.goto(f"{base}/kiosk")
    kiosk.get_by_role("link", name="لديّ موعد").focus()
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_load_state("load")
    assert kiosk.locator("#code").evaluate("el => el === document.activeElement")
    kiosk.keyboard.type("1234")  # a wrong start, as a scanner or a finger might
    for _ in range(4):
        kiosk.locator('[data-keypad] button[data-key="back"]').click()
    for digit in code[:4]:
        kiosk.locator(f'[data-keypad] button[data-key="{digit}"]').click()
    kiosk.keyboard.type(code[4:])
    assert kiosk.locator("#code").input_value() == code
    screenshot(kiosk, "kiosk-appointment-ar")
    kiosk.keyboard.press("Enter")
    kiosk.locator("#ticket-number").wait_for()
    assert kiosk.locator("#ticket-number").inner_text().startswith("M-")

    kiosk.goto(f"{base}/kiosk/appointment")
    kiosk.fill("#code", "00000000")
    kiosk.keyboard.press("Enter")
    kiosk.get_by_role("alert").wait_for()
    assert "لا يوجد موعد بهذا الرمز" in kiosk.get_by_role("alert").inner_text()
    assert_accessible(kiosk)
    screenshot(kiosk, "kiosk-appointment-error-ar")
    kiosk.context.close()


def test_counter_page_follows_the_queue_without_reload(
    live: tuple[str, World], browser: Any
) -> None:
    import json
    import urllib.request

    base, world = live
    operator = sign_in(browser, base, "operator-women")
    counter = world.counters["women"][2]
    operator.goto(f"{base}/staff/counters/{counter}")
    operator.evaluate("() => { window.__sameDocument = true; }")
    request = urllib.request.Request(
        f"{base}/api/v1/tickets",
        data=json.dumps({"branch": "riyadh", "hall": "women", "service": "enquiry"}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {world.tokens['kiosk']}",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        number = json.loads(response.read())["number"]
    operator.get_by_role("button", name=f"نداء {number}").wait_for(timeout=10000)
    assert operator.evaluate("() => window.__sameDocument === true"), "the page reloaded"
    screenshot(operator, "staff-counter-live-ar")
    operator.context.close()


def test_kiosk_survives_a_network_blip_with_one_ticket(
    live: tuple[str, World], browser: Any
) -> None:
    """The first two ticket requests fail at the network; the kiosk says so, tries
    again by itself and the visitor gets exactly one ticket."""
    import sqlite3

    base, _ = live
    kiosk = sign_in(browser, base, "kiosk")
    kiosk.goto(f"{base}/kiosk?hall=men&service=complaint&priority=none")
    failures = {"left": 2}

    def flaky(route: Any) -> None:
        if route.request.method == "POST" and failures["left"] > 0:
            failures["left"] -= 1
            route.abort("internetdisconnected")
        else:
            route.continue_()

    kiosk.route("**/kiosk/tickets", flaky)
    kiosk.get_by_role("button", name="بدون رسالة، اطبع تذكرتي فقط").click()
    kiosk.locator("[data-offline]").wait_for(state="visible", timeout=5000)
    assert "ستحصل على تذكرة واحدة فقط" in kiosk.locator("[data-offline]").inner_text()
    kiosk.locator("#ticket-number").wait_for(timeout=15000)
    number = kiosk.locator("#ticket-number").inner_text()
    db = os.environ["RECEPTION_LIVE_DB"]
    with sqlite3.connect(db) as conn:
        count = conn.execute(
            "SELECT COUNT(*) FROM ticket t JOIN service s ON s.id = t.service_id "
            "WHERE s.slug = 'complaint' AND t.number = ?",
            (number,),
        ).fetchone()[0]
        total = conn.execute(
            "SELECT COUNT(*) FROM ticket t JOIN service s ON s.id = t.service_id "
            "WHERE s.slug = 'complaint'"
        ).fetchone()[0]
    assert count == 1 and total == 1
    kiosk.context.close()


def test_display_announces_calls_in_order_and_applies_settings_live(
    live: tuple[str, World], browser: Any
) -> None:
    """Two calls and a recall are spoken one after the other, each as chime, Arabic,
    English; a supervisor's notice and layout reach the open display without reload."""
    base, world = live
    kiosk, operator = world.tokens["kiosk"], world.tokens["operator-men"]
    counters = world.counters["men"]
    for _ in range(30):  # earlier tests may have left visitors waiting: serve them first
        if (
            api(base, operator, f"/api/v1/counters/{counters[1]}/call-next", SERVED).status_code
            == 204
        ):
            break
    display = sign_in(browser, base, "display-men", {"width": 1080, "height": 1920})
    display.click("body")  # a touch: browsers play sound only after one
    display.evaluate("() => { window.receptionAnnouncer.audio.defaultPlaybackRate = 4; }")
    display.evaluate("() => { window.__sameDocument = true; }")
    numbers = []
    for _ in range(2):
        issued = api(
            base, kiosk, "/api/v1/tickets", {"branch": "riyadh", "hall": "men", "service": "letter"}
        )
        assert issued.status_code == 201, issued.text
        numbers.append(issued.json()["number"])
    called = [
        api(base, operator, f"/api/v1/counters/{c}/call-next", SERVED).json() for c in counters[1:3]
    ]
    assert [c["number"] for c in called] == numbers
    assert api(base, operator, f"/api/v1/counters/{counters[1]}/current/recall").status_code == 200

    def clips(number: str, counter: int) -> list[str]:
        letters, value = number.split("-")
        out = [f"{base}/static/audio/chime.opus"]
        for language in ("ar", "en"):
            names = ["ticket", *[f"letter-{x}" for x in letters], f"n-{int(value)}"]
            names += ["counter", f"n-{counter}"]
            out += [f"{base}/static/audio/{language}/{name}.opus" for name in names]
        return out

    expected = clips(numbers[0], 2) + clips(numbers[1], 3) + clips(numbers[0], 2)
    display.wait_for_function(
        f"() => window.receptionAnnouncer.played.length >= {len(expected)} && "
        "!window.receptionAnnouncer.playing",
        timeout=60000,
    )
    played = display.evaluate(
        "() => window.receptionAnnouncer.played.map(u => new URL(u, location.href).href)"
    )
    assert played == expected
    for url in set(expected):
        assert display.request.get(url).status == 200, url

    supervisor = sign_in(browser, base, "supervisor")
    supervisor.goto(f"{base}/staff/supervise")
    form = supervisor.locator("form[action$='/display']").first
    form.locator("input[name=notice_ar]").fill("يُرجى تجهيز الهوية الوطنية قبل النداء")
    form.locator("input[name=notice_en]").fill("Please have your ID ready before your call")
    form.locator("select[name=layout]").select_option("portrait")
    form.get_by_role("button").click()
    supervisor.get_by_role("status").filter(has_text="حُدّثت الشاشات").wait_for()
    notice = display.locator("[data-notice]")
    notice.wait_for(state="visible", timeout=5000)
    assert "الهوية الوطنية" in notice.inner_text()
    assert "layout-portrait" in (display.locator("#display").get_attribute("class") or "")
    assert display.evaluate("() => window.__sameDocument === true"), "the display reloaded"
    screenshot(display, "display-portrait-ar")
    assert_accessible(display)
    for page in (display, supervisor):
        page.context.close()


def test_tracking_page_updates_without_reload(live: tuple[str, World], browser: Any) -> None:
    base, world = live
    issued = api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": "women", "service": "complaint"},
    )
    assert issued.status_code == 201, issued.text
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=False)
    page = context.new_page()
    page.goto(base + urlsplit(issued.json()["tracking_url"]).path)
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.evaluate("() => { window.__sameDocument = true; }")
    counter = world.counters["women"][3]  # the counter that serves complaints
    operator = world.tokens["operator-women"]
    for _ in range(30):  # whoever waits before this ticket is served first
        called = api(base, operator, f"/api/v1/counters/{counter}/call-next", SERVED)
        if called.status_code != 200 or called.json()["number"] == issued.json()["number"]:
            break
    page.get_by_text("يرجى التوجه إلى الكاونتر 4").wait_for(timeout=10000)
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
    screenshot(page, "track-called-ar")
    url = page.url
    context.close()  # it ran under the real Content-Security-Policy; axe needs it lifted
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(url)
    assert_accessible(page)
    context.close()


def test_display_of_some_counters_shows_only_their_calls(
    live: tuple[str, World], browser: Any
) -> None:
    base, world = live
    kiosk, operator = world.tokens["kiosk"], world.tokens["operator-women"]
    counters = world.counters["women"]
    for _ in range(30):  # serve whoever earlier tests left waiting
        if (
            api(base, operator, f"/api/v1/counters/{counters[0]}/call-next", SERVED).status_code
            == 204
        ):
            break
    display = sign_in(browser, base, "display-women")
    display.goto(f"{base}/display?counters=4")
    display.evaluate("() => { window.receptionAnnouncer.setVolume(0); }")
    numbers = []
    for _ in range(3):
        issued = api(
            base,
            kiosk,
            "/api/v1/tickets",
            {"branch": "riyadh", "hall": "women", "service": "letter"},
        )
        numbers.append(issued.json()["number"])
    for counter in (counters[3], counters[1], counters[3]):  # 4, then 2, then 4 again
        assert (
            api(base, operator, f"/api/v1/counters/{counter}/call-next", SERVED).status_code == 200
        )
    display.locator("[data-latest-number]").filter(has_text=numbers[2]).wait_for(timeout=5000)
    assert display.locator("[data-latest-counter]").inner_text() == "4"
    history = display.locator("[data-history]").inner_text()
    assert numbers[0] in history and numbers[1] not in history  # counter 2 is not shown
    display.context.close()


def test_triage_desk_registers_and_routes_and_the_inbox_answers(
    live: tuple[str, World], browser: Any
) -> None:
    base, _ = live
    desk = sign_in(browser, base, "operator-men")
    desk.goto(f"{base}/staff/letters/new?hall=men")
    desk.fill("#sender_name", "سارة محمد العتيبي")
    desk.fill("#sender_id_number", "1000000008")
    desk.get_by_label("أنثى").check()
    desk.fill("#phone", "0551234567")
    desk.fill("#subject", "شكوى من مخالفة مرورية مكررة")
    desk.fill("#body", "سُجّلت عليّ مخالفة مرتين لنفس الواقعة.")
    desk.get_by_role("button", name="تسجيل", exact=True).click()
    desk.get_by_role("status").filter(has_text="سُجّل الخطاب").wait_for()
    reference = re.search(r"L-\d{4}-\d{6}", desk.locator("h1").inner_text()).group(0)
    desk.select_option("#category", "complaint_traffic")
    screenshot(desk, "letter-triage-ar")
    desk.get_by_role("button", name="صنّف وأحِل").click()
    desk.get_by_role("status").filter(has_text="أُحيل").wait_for()
    assert "الإدارة العامة للمرور" in desk.locator(".facts").inner_text()
    assert_accessible(desk)
    desk.context.close()

    inbox = sign_in(browser, base, "officer")  # civil affairs: not this letter
    assert inbox.url.endswith("/staff/inbox")
    assert reference not in inbox.locator("main").inner_text()
    inbox.context.close()

    traffic = sign_in(browser, base, "operator-men")  # make a civil-affairs letter too
    traffic.goto(f"{base}/staff/letters/new?hall=men")
    traffic.fill("#sender_name", "خالد سعد")
    traffic.fill("#sender_id_number", "1000000008")
    traffic.get_by_role("radio", name="ذكر").check()
    traffic.fill("#subject", "طلب بدل فاقد للهوية")
    traffic.get_by_role("button", name="تسجيل", exact=True).click()
    traffic.select_option("#category", "request_civil")
    traffic.get_by_role("button", name="صنّف وأحِل").click()
    civil = re.search(r"L-\d{4}-\d{6}", traffic.locator("h1").inner_text()).group(0)
    traffic.context.close()

    inbox = sign_in(browser, base, "officer")
    inbox.get_by_role("link", name=civil).click()
    inbox.get_by_role("button", name="قبول").click()
    inbox.get_by_role("status").filter(has_text="حُفظ").wait_for()
    inbox.fill("#note-answer", "صدر البدل ويُستلم من الفرع")
    inbox.get_by_role("button", name="الرد", exact=True).click()
    inbox.get_by_role("status").filter(has_text="حُفظ").wait_for()
    assert "تمت الإجابة" in inbox.locator("main").inner_text()
    screenshot(inbox, "letter-answered-ar")
    assert_accessible(inbox)
    inbox.goto(f"{base}/staff/inbox")
    screenshot(inbox, "letter-inbox-ar")
    assert_accessible(inbox)
    inbox.context.close()


def test_letter_timeline_for_the_citizen(live: tuple[str, World], browser: Any) -> None:
    """The SMS link of a letter: its steps in plain words in Arabic and English, what
    the department asks for, nothing personal beyond a masked name; a wrong link gets
    the friendly page."""
    base, world = live
    registered = api(
        base,
        world.tokens["operator-men"],
        "/api/v1/letters",
        {
            "branch": "riyadh",
            "hall": "men",
            "channel": "counter",
            "sender_name": "عبدالله فهد القحطاني",
            "sender_id_number": "1000000008",
            "sex": "male",
            "phone": "0551239876",
            "subject": "طلب بدل فاقد للهوية",
            "body": "فقدت الهوية الوطنية وأرجو إصدار بدل فاقد.",
        },
    )
    assert registered.status_code == 201, registered.text
    reference, link = registered.json()["reference"], registered.json()["tracking_url"]
    token = link.rsplit("/", 1)[-1]
    classify = api(
        base,
        world.tokens["operator-men"],
        f"/api/v1/letters/{reference}/classify",
        {"category": "request_civil"},
    )
    assert classify.status_code == 200, classify.text
    officer = world.tokens["officer"]
    assert api(base, officer, f"/api/v1/letters/{reference}/accept", {"note": ""}).is_success
    asked = api(
        base,
        officer,
        f"/api/v1/letters/{reference}/request-info",
        {"note": "صورة من بلاغ الفقدان"},
    )
    assert asked.status_code == 200, asked.text

    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/l/{token}")
    main = page.locator("main").inner_text()
    assert reference in main and "صورة من بلاغ الفقدان" in main
    assert "عبدالله فهد القحطاني" not in main and "1000000008" not in main
    assert page.locator("ol.timeline li").count() >= 4  # received, classified, routed, …
    assert_accessible(page)
    screenshot(page, "letter-timeline-ar")
    page.goto(f"{base}/lang?to=en&next=/l/{token}")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "We need more information from you" in page.locator("main").inner_text()
    assert_accessible(page)
    screenshot(page, "letter-timeline-en")
    missing_page = page.goto(f"{base}/l/not-a-real-token")
    assert missing_page is not None and missing_page.status == 404
    assert_accessible(page)
    context.close()
