"""The staff desks at every staff-desk size, in Arabic and English: nothing scrolls
sideways, no two texts overlap, axe-core finds nothing at all; the administration's
in-page navigation works by keyboard; people are shown by name; date fields read in the
page's language and submit what the routes read; the start banner lists every screen;
the favicon is served."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.engine import Engine
from starlette.routing import Route
from starlette.testclient import TestClient

from reception.app import create_app
from reception.appointments.setup import add_slot_template
from reception.clock import FrozenClock
from reception.db import session_scope
from reception.demo import STAFF_NAMES
from reception.i18n import gettext
from reception.settings import Settings
from tests.browser import ROOT, axe_all_violations, running_server, sqlite_server
from tests.devices import STAFF_DESKS, Size
from tests.factories import PASSWORD, World
from tests.helpers import csrf, sign_in
from tests.servers import api

# --- through HTTP ----------------------------------------------------------------------

# 10:00 in Riyadh on Tuesday 24 November 2026.
MORNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


@pytest.fixture
def frozen(settings: Settings, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(settings, FrozenClock(MORNING)), raise_server_exceptions=False) as c:
        yield c


def test_the_header_names_the_person_signed_in(client: TestClient) -> None:
    sign_in(client, "operator-men")
    page = client.get("/staff").text
    header = page[page.index('<header class="topbar">') : page.index("</header>")]
    assert f'<bdi lang="ar">{STAFF_NAMES["operator-men"]}</bdi>' in header
    assert "operator-men" not in page


def test_the_accounts_table_shows_names_and_halls(client: TestClient) -> None:
    sign_in(client, "admin")
    page = client.get("/staff/admin").text
    table = page[page.index('id="sec-accounts"') : page.index('id="sec-tokens"')]
    row = table[table.index(STAFF_NAMES["operator-women"]) :].split("</tr>")[0]
    assert "قاعة النساء" in row or "Women" in row, row


def test_weekdays_read_as_day_names_never_codes(client: TestClient) -> None:
    sign_in(client, "admin")
    page = client.get("/staff/admin").text
    sent = client.post(
        "/staff/admin/slot-templates",
        data={
            "csrf_token": csrf(page),
            "branch": "riyadh",
            "hall": "men",
            "service": "letter",
            "weekday": ["sun", "mon", "tue", "wed", "thu"],
            "start": "8:00",
            "end": "١٢:٠٠",
            "minutes": "15",
            "capacity": "1",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = client.get("/staff/admin").text
    assert "flash-error" not in page, page[page.find("flash-error") :][:300]
    slots = page[page.index('id="sec-slots"') : page.index('id="sec-letters"')]
    assert "الأحد – الخميس" in slots
    assert "08:00–12:00" in slots
    shown = re.sub(r"<[^>]+>", " ", slots)  # the text a person reads
    assert not re.search(r"\b(sun|mon|tue|wed|thu|fri|sat)\b", shown), shown
    assert "لـ<" not in page and ">لـ" not in page


def test_a_holiday_typed_in_arabic_digits_is_read_and_shown_in_words(
    client: TestClient,
) -> None:
    sign_in(client, "admin")
    page = client.get("/staff/admin").text
    field = re.search(r'<input id="hol-day"[^>]*>', page)
    assert field and 'type="text"' in field.group(0) and 'name="day"' in field.group(0)
    year = datetime.now(UTC).year + 1
    typed = f"{year}/1/5".translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    sent = client.post(
        "/staff/admin/holidays",
        data={"csrf_token": csrf(page), "branch": "riyadh", "day": typed},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    page = client.get("/staff/admin").text
    assert "flash-error" not in page
    assert f"5 يناير {year}" in page  # the day in words, in the page's language
    client.get("/lang?to=en&next=/")
    assert f"5 January {year}" in client.get("/staff/admin").text


def test_the_report_form_reads_and_shows_its_dates(client: TestClient) -> None:
    sign_in(client, "supervisor")
    page = client.get("/staff/reports?date_from=2026/11/1&date_to=٢٠٢٦-١١-٣٠")
    assert page.status_code == 200
    assert re.search(r'id="r-from" name="date_from" type="text"[^>]*value="2026-11-01"', page.text)
    assert re.search(r'id="r-to" name="date_to" type="text"[^>]*value="2026-11-30"', page.text)
    assert "1 نوفمبر 2026" in page.text and 'type="date"' not in page.text


def test_a_meeting_date_comes_from_a_date_and_a_time_field(client: TestClient) -> None:
    sign_in(client, "supervisor")
    page = client.get("/staff/meetings").text
    assert "datetime-local" not in page


def test_the_booking_desk_opens_on_a_service_with_free_times(
    frozen: TestClient, engine: Engine
) -> None:
    sign_in(frozen, "operator-men")
    empty = frozen.get("/staff/appointments").text
    told = "No service of this hall has a free time on this day. Please try the next day."
    assert gettext("ar", told) in empty
    with session_scope(engine) as s:
        add_slot_template(
            s,
            branch="riyadh",
            hall="men",
            service="complaint",
            weekdays="sun-sat",
            start="08:00",
            end="16:00",
            slot_minutes=30,
            capacity=2,
        )
    page = frozen.get("/staff/appointments").text
    chosen = re.search(r'<option value="([a-z_]+)" selected>', page)
    assert chosen and chosen.group(1) == "complaint", chosen
    assert 'name="starts_at"' in page


def test_the_favicon_is_served(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/staff/login").text


# Screens reached from another screen (a link or a button on it), so the banner need not
# list them: their path starts as the screen that leads to them.
REACHED_FROM_ANOTHER = {
    "/kiosk/tickets/{ticket_id}": "/kiosk",
    "/rate/thanks": "/rate",
    "/r/{token}/thanks": "/r/",
    "/a/{token}/cancel": "/a/",
    "/a/{token}/reschedule": "/a/",
    "/staff/login": "",
    "/staff/letters/{letter_id}": "/staff/letters",
    "/staff/letters/{letter_id}/attachments/{attachment_id}": "/staff/letters",
    "/staff/appointments/{appointment_id}": "/staff/appointments",
    "/staff/appointments/{appointment_id}/cancel": "/staff/appointments",
    "/staff/counters/{counter_id}/close-current": "/staff/counters/",
    "/staff/agenda.ics": "/staff/agenda",
    "/staff/reports/summary.csv": "/staff/reports",
    "/staff/reports/summary.xlsx": "/staff/reports",
    "/staff/dashboard/figures": "/staff/dashboard",
    "/staff/admin/units": "/staff/admin",
}
NOT_SCREENS = {"/", "/lang", "/healthz", "/readyz", "/metrics", "/start", "/favicon.ico"}
NOT_SCREENS.add("/staff/sync")  # a mobile unit's page: the demo is a centre


def test_the_start_banner_lists_every_screen_in_aligned_columns(settings: Settings) -> None:
    base = "http://127.0.0.1:8000"
    script = ROOT / "scripts" / "run"
    assert "print_banner" in script.read_text()
    banner = subprocess.run(
        ["bash", "-c", f'source scripts/_banner.sh && print_banner "{base}"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line for line in banner.splitlines() if base + "/" in line and "starting" not in line]
    addresses = {line[line.index(base) :].split()[0][len(base) :] for line in rows}
    assert len({line.index(base) for line in rows}) == 1, banner  # addresses in one column
    third = set()
    for line in rows:
        end = line.index(base) + len(line[line.index(base) :].split()[0])
        found = re.compile(r"\S").search(line, end)
        assert found, line
        third.add(found.start())
    assert len(third) == 1, banner  # and who signs in, in the next

    pages = [
        r.path
        for r in create_app(settings).routes
        if isinstance(r, Route) and "GET" in (r.methods or set()) and not r.path.startswith("/api")
    ]
    for path in pages:
        if path in NOT_SCREENS:
            continue
        prefix = REACHED_FROM_ANOTHER.get(path, path.split("{")[0])
        if prefix == "":
            continue
        assert any(a == prefix or a.startswith(prefix) for a in addresses), (path, banner)
    for who in ("kiosk", "display-men", "display-women", "operator-men", "supervisor", "admin"):
        assert who in banner


# --- in Chromium -----------------------------------------------------------------------

LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth)
    problems.push(`page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const parent = node.parentElement;
    const skip = "[hidden], .sr-only, script, style, .skip-link, option, select, title, desc";
    if (parent.closest(skip)) continue;
    if (!parent.checkVisibility({ visibilityProperty: true })) continue;  // a folded <details>
    const style = getComputedStyle(parent);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const text = node.textContent.trim().slice(0, 30);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
    // what a scrolling box hides is not on the screen: keep the part it shows
    const clips = [];
    for (let a = parent; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a);
      if (o.overflowX !== "visible" || o.overflowY !== "visible")
        clips.push(a.getBoundingClientRect());
    }
    for (const r of range.getClientRects()) {
      if (r.width <= 0 || r.height <= 0) continue;
      const height = Math.min(r.height, line), middle = (r.top + r.bottom) / 2;
      const box = { left: r.left, right: r.right,
                    top: middle - height / 2, bottom: middle + height / 2 };
      for (const c of clips) {
        box.left = Math.max(box.left, c.left); box.right = Math.min(box.right, c.right);
        box.top = Math.max(box.top, c.top); box.bottom = Math.min(box.bottom, c.bottom);
      }
      if (box.right - box.left > 0 && box.bottom - box.top > 0) boxes.push({ text, r: box });
    }
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].r, b = boxes[j].r;
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 2 && h > 2) problems.push(`"${boxes[i].text}" overlaps "${boxes[j].text}"`);
  }
  return problems.slice(0, 20);
}"""

WRAPPED_TICKETS = """() => [...document.querySelectorAll(".waiting-table td.ticket-cell")]
  .filter(cell => { const r = document.createRange(); r.selectNodeContents(cell);
    const tops = new Set([...r.getClientRects()].map(b => Math.round(b.top)));
    return tops.size > 1; }).map(cell => cell.innerText)"""


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    """A server whose men's hall has a visitor at counter 1 and people waiting."""
    template, world = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("staff-layout"))
    with running_server(env) as base:
        kiosk, operator = world.tokens["kiosk"], world.tokens["operator-men"]
        for service in ["letter"] * 4 + ["enquiry"] * 3 + ["complaint"] * 2:
            wanted = {"branch": "riyadh", "hall": "men", "service": service}
            assert api(base, kiosk, "/api/v1/tickets", wanted).status_code == 201
        counter = world.counters["men"][0]
        called = api(base, operator, f"/api/v1/counters/{counter}/call-next", {})
        assert called.status_code == 200, called.text
        yield base, world


def open_as(browser: Any, base: str, username: str, size: Size, language: str) -> Any:
    context = browser.new_context(viewport=size.viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{base}/lang?to={language}&next=/staff/account")
    return page


def check_screen(page: Any, url: str, language: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    page.evaluate("() => document.fonts.ready")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert problems == [], f"{url}:\n" + "\n".join(problems)
    violations = axe_all_violations(page)
    assert violations == [], f"{url}: {violations}"  # none of any impact


def screens(world: World) -> dict[str, list[str]]:
    counter = world.counters["men"][0]
    return {
        "operator-men": [
            "/staff",
            f"/staff/counters/{counter}",
            f"/staff/counters/{counter}/close-current?then=call-next",
            "/staff/appointments",
            "/staff/calendar",
            "/staff/account",
        ],
        "supervisor": [
            "/staff/supervise",
            "/staff/meetings",
            "/staff/agenda",
            "/staff/dashboard",
            "/staff/reports",
            "/staff/reports/monthly",
        ],
        "admin": ["/staff/admin", "/staff/admin/sms"],
    }


@pytest.mark.browser
@pytest.mark.parametrize("username", ["operator-men", "supervisor", "admin"])
@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", STAFF_DESKS, ids=lambda s: s.name)
def test_staff_screens_fit_the_desk(
    live: tuple[str, World], browser: Any, size: Size, language: str, username: str
) -> None:
    base, world = live
    page = open_as(browser, base, username, size, language)
    for path in screens(world)[username]:
        check_screen(page, base + path, language)
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_counter_keeps_ticket_numbers_whole_and_its_question_on_one_screen(
    live: tuple[str, World], browser: Any, language: str
) -> None:
    base, world = live
    counter = world.counters["men"][0]
    for size in STAFF_DESKS:
        page = open_as(browser, base, "operator-men", size, language)
        page.goto(f"{base}/staff/counters/{counter}")
        assert page.locator(".waiting-table td.ticket-cell").count() >= 3
        assert page.evaluate(WRAPPED_TICKETS) == []
        who = page.locator(".topbar .who bdi").inner_text().strip()
        assert who == STAFF_NAMES["operator-men"]
        page.goto(f"{base}/staff/counters/{counter}/close-current?then=call-next")
        doc = page.evaluate("[document.documentElement.scrollHeight, innerHeight]")
        assert doc[0] <= doc[1], f"the question page scrolls at {size.name}"
        page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_administration_sections_are_reached_from_its_contents_by_keyboard(
    live: tuple[str, World], browser: Any, language: str
) -> None:
    base, _ = live
    page = open_as(browser, base, "admin", STAFF_DESKS[0], language)
    page.goto(f"{base}/staff/admin")
    links = page.locator(".admin-toc a[href^='#']")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert len(targets) >= 9
    for target in targets:
        section = page.locator(f"section{target}")
        assert section.count() == 1, target
        heading = section.locator("h2").first
        assert heading.get_attribute("id") == section.get_attribute("aria-labelledby")
    page.locator(".admin-toc a[href='#sec-accounts']").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash === '#sec-accounts'")
    top = page.evaluate("() => document.getElementById('sec-accounts').getBoundingClientRect().top")
    assert 0 <= top < 200, top
    # the table of contents stays in view while the page scrolls
    toc = page.evaluate("() => document.querySelector('.admin-toc').getBoundingClientRect().top")
    assert 0 <= toc < 768
    # the admin page is sections, not one long page: its forms wait folded
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height < 9000, height
    page.context.close()


@pytest.mark.browser
def test_a_date_field_submits_year_month_day(live: tuple[str, World], browser: Any) -> None:
    base, _ = live
    page = open_as(browser, base, "supervisor", STAFF_DESKS[0], "ar")
    page.goto(f"{base}/staff/reports")
    page.fill("#r-from", "2026-11-01")
    page.fill("#r-to", "2026-11-30")
    page.locator("#r-to").press("Enter")
    page.wait_for_url(re.compile(r".*date_from=.*"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["date_from"] == ["2026-11-01"] and query["date_to"] == ["2026-11-30"]
    assert "1 نوفمبر 2026" in page.locator(".date-field").first.inner_text()
    assert (
        page.locator("input[type=date], input[type=time], input[type=datetime-local]").count() == 0
    )
    page.context.close()
