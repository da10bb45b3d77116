"""The letters desk in Chromium at every staff-desk size, in Arabic and English: the
triage queue in the first screen, nothing scrolling sideways or overlapping, no
accessibility violation of any impact, and the file picker working from the keyboard
(and without script)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import axe_all_violations, running_server, screenshot, sqlite_server
from tests.devices import STAFF_DESKS, Size
from tests.factories import PASSWORD, World
from tests.servers import api

pytestmark = pytest.mark.browser

SUBJECTS = [
    ("طلب بدل فاقد للهوية الوطنية بعد ضياعها في السوق المركزي", "request_civil"),
    ("تجديد جواز السفر قبل السفر للعلاج خارج المملكة", None),
    ("شكوى من مخالفة مرورية مسجلة مرتين لنفس الواقعة", None),
    ("Request to correct the English spelling of my name in the passport", None),
    ("طلب مقابلة معالي الوزير", None),
    ("بلاغ عن تأخر معاملة نقل الكفالة منذ ثلاثة أشهر", "request_civil"),
]

LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) problems.push(`page scrolls sideways: ${doc.scrollWidth}`);
  const boxes = [];
  const main = document.querySelector("main");
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const parent = node.parentElement;
    if (parent.closest("[hidden], .sr-only, script, select, option, textarea")) continue;
    const folded = parent.closest("details:not([open])");
    if (folded && !parent.closest("summary")) continue;  // not drawn until opened
    const style = getComputedStyle(parent);
    if (style.visibility === "hidden" || style.display === "none") continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const text = node.textContent.trim().slice(0, 30);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
    for (const rect of range.getClientRects()) {
      if (!rect.width || !rect.height) continue;
      const height = Math.min(rect.height, line), middle = (rect.top + rect.bottom) / 2;
      const r = { left: rect.left, right: rect.right,
                  top: middle - height / 2 + scrollY, bottom: middle + height / 2 + scrollY };
      if (r.left < -1 || r.right > innerWidth + 1) problems.push(`outside the screen: "${text}"`);
      for (let a = parent; a && a !== main; a = a.parentElement) {
        const s = getComputedStyle(a);
        if (s.overflowX === "visible" && s.overflowY === "visible") continue;
        const c = a.getBoundingClientRect();
        if (rect.left < c.left - 1 || rect.right > c.right + 1)
          problems.push(`cut off by its box: "${text}"`);
      }
      boxes.push({ text, r });
    }
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i].r, b = boxes[j].r;
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 2 && h > 2) problems.push(`"${boxes[i].text}" overlaps "${boxes[j].text}"`);
  }
  return problems;
}"""

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World, list[int]]]:
    """A server with letters waiting for triage in the men's hall, and two of them sent
    to civil affairs (the officer's inbox)."""
    template, world = seeded_sqlite_template
    db, env = sqlite_server(template, tmp_path_factory.mktemp("letters"))
    with running_server(env) as base:
        operator = world.tokens["operator-men"]
        ids = []
        for subject, category in SUBJECTS:
            made = api(
                base,
                operator,
                "/api/v1/letters",
                {
                    "branch": "riyadh",
                    "hall": "men",
                    "sender_name": "عبدالرحمن بن عبدالعزيز آل سعود",
                    "sender_id_number": "1000000008",
                    "sex": "male",
                    "phone": "0501234567",
                    "subject": subject,
                    "body": "نص الخطاب كما سلّمه المراجع عند الكاونتر.",
                },
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
            if category:
                reference = made.json()["reference"]
                routed = api(
                    base, operator, f"/api/v1/letters/{reference}/classify", {"category": category}
                )
                assert routed.status_code == 200, routed.text
        yield base, world, ids


def open_desk(
    browser: Any, base: str, username: str, size: Size, language: str, script: bool = True
) -> Any:
    context = browser.new_context(
        viewport=size.viewport, bypass_csp=True, java_script_enabled=script
    )
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{base}/lang?to={language}&next=/staff")
    return page


def check_screen(page: Any, name: str) -> None:
    page.evaluate("() => document.fonts.ready")
    assert page.evaluate(LAYOUT_PROBLEMS) == [], name
    assert axe_all_violations(page) == [], name
    screenshot(page, name)


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", STAFF_DESKS, ids=lambda s: s.name)
def test_the_letters_desk_fits_the_staff_desk(
    live: tuple[str, World, list[int]], browser: Any, size: Size, language: str
) -> None:
    base, _, ids = live
    page = open_desk(browser, base, "operator-men", size, language)
    page.goto(f"{base}/staff/letters")
    first = page.locator(".desk-queue tbody tr").first
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= size.height, box
    assert page.locator("details#search").get_attribute("open") is None  # folded away
    check_screen(page, f"letters-triage-{size.name}-{language}")

    page.goto(f"{base}/staff/letters?q=%D8%B7%D9%84%D8%A8")  # طلب
    assert page.locator("details#search").get_attribute("open") is not None
    assert page.locator("details#search tbody tr").count() >= 1
    check_screen(page, f"letters-search-{size.name}-{language}")

    page.locator("details#call summary").click()
    check_screen(page, f"letters-call-{size.name}-{language}")

    page.goto(f"{base}/staff/letters/{ids[1]}")
    assert page.locator("#next-step").inner_text().strip()
    check_screen(page, f"letters-letter-{size.name}-{language}")
    page.goto(f"{base}/staff/letters/{ids[0]}")
    assert page.locator("#next-step").inner_text().strip()
    check_screen(page, f"letters-routed-{size.name}-{language}")

    page.goto(f"{base}/staff/letters/new?hall=men")
    check_screen(page, f"letters-new-{size.name}-{language}")
    page.context.close()

    officer = open_desk(browser, base, "officer", size, language)
    officer.goto(f"{base}/staff/inbox")
    box = officer.locator(".desk-queue tbody tr").first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= size.height, box
    check_screen(officer, f"letters-inbox-{size.name}-{language}")
    officer.goto(f"{base}/staff/letters/{ids[0]}")
    check_screen(officer, f"letters-officer-{size.name}-{language}")
    officer.context.close()


def test_the_file_picker_works_from_the_keyboard(
    live: tuple[str, World, list[int]], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base, _, ids = live
    page = open_desk(browser, base, "operator-men", STAFF_DESKS[0], "ar")
    page.goto(f"{base}/staff/letters/{ids[2]}")
    picker = page.locator(".file-picker")
    assert "اختر ملفًا" in picker.inner_text() and "Choose" not in picker.inner_text()
    for _ in range(80):  # Tab through the page to the picker, as a keyboard user does
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "file":
            break
    else:
        pytest.fail("the file picker cannot be reached with Tab")
    outline = page.evaluate(
        "() => getComputedStyle(document.querySelector('.file-button')).outlineStyle"
    )
    assert outline == "solid"  # the focus shows on the button people see
    scan = tmp_path / "مسح-الخطاب.pdf"
    scan.write_bytes(PDF)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(scan))

    expect(page.locator("#file-chosen")).to_have_text(scan.name)  # shown once chosen
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "إرفاق"
    page.keyboard.press("Enter")
    page.get_by_role("status").filter(has_text="أُرفق").wait_for()
    assert scan.name in page.locator(".plain-list").first.inner_text()
    page.context.close()


def test_the_file_picker_uploads_without_script(
    live: tuple[str, World, list[int]], browser: Any, tmp_path: Path
) -> None:
    base, _, ids = live
    page = open_desk(browser, base, "operator-men", STAFF_DESKS[1], "en", script=False)
    page.goto(f"{base}/staff/letters/{ids[3]}")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    page.set_input_files("#file", str(scan))
    page.get_by_role("button", name="Attach", exact=True).click()
    page.get_by_role("status").filter(has_text="attached").wait_for()
    assert "scan.pdf" in page.locator(".plain-list").first.inner_text()
    page.context.close()


def test_the_new_letter_form_fills_from_the_ticket_and_registers_on_enter(
    live: tuple[str, World, list[int]], browser: Any
) -> None:
    base, world, _ = live
    issued = api(
        base,
        world.tokens["kiosk"],
        "/api/v1/tickets",
        {"branch": "riyadh", "hall": "men", "service": "letter", "phone": "0557654321"},
    )
    assert issued.status_code == 201, issued.text
    number = issued.json()["number"]
    page = open_desk(browser, base, "operator-men", STAFF_DESKS[0], "ar")
    page.goto(f"{base}/staff/letters/new")
    page.fill("#sender_name", "نورة سعد")
    page.fill("#ticket_number", number)
    page.get_by_role("button", name="املأ من التذكرة").click()
    page.get_by_role("status").filter(has_text=number).wait_for()
    assert "0557654321" not in page.url
    assert page.input_value("#phone") == "0557654321"
    assert page.input_value("#sender_name") == "نورة سعد"  # what was typed stays
    assert page.is_checked("input[name=sex][value=male]")
    page.fill("#sender_id_number", "1000000008")
    page.fill("#subject", "طلب متابعة معاملة")
    page.press("#subject", "Enter")  # Enter registers; it does not look the ticket up again
    page.get_by_role("status").filter(has_text="سُجّل الخطاب").wait_for()
    assert "/staff/letters/" in page.url and "الخطوة التالية" in page.inner_text("main")
    page.context.close()
