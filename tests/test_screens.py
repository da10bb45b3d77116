"""Every screen (`tests.screens.SCREENS`) at each size of its device, in Arabic and
English, on the demo: no sideways scrolling, no text over other text, the primary
action of a kiosk, display or rating step on the first screen, no accessibility
violation of any impact, no word of the other language leaking in, and numbers, IDs,
phones and references reading in their own order inside the line.

Each page is opened and measured once; the checks are separate test cases reading
those measurements."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser import AXE, CHROMIUM, CHROMIUM_ARGS, axe_all_violations
from tests.conftest import missing, uses_backend
from tests.devices import Size
from tests.layout_js import NUMBER_ORDER, OVERFLOW, OVERLAPS, PRIMARY_IN_VIEW, TEXTS, install
from tests.screens import CHECKS, SCREENS, Screen
from tests.stage import Stage, demo_stage

pytestmark = pytest.mark.browser

LANGUAGES = ("ar", "en")
FIRST_SCREEN_DEVICES = {"kiosk", "hall_display", "rating_tablet"}

ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
LINKS = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")
LATIN_TOKEN = re.compile(r"\.?[A-Za-z0-9][A-Za-z0-9_'’.:/*+-]*")
BRANDS = {"SMS", "QR", "PDF", "PNG", "JPEG", "CSV", "XLSX", "Excel", "iCal", "ICS", "GSM"}
"""Latin words an Arabic page may show: formats and brand names, said so in Arabic too."""


def latin_allowed(token: str) -> bool:
    """In an Arabic page: ticket numbers (M-001), codes and references (any token
    holding a digit: L-2026-000123, 73967131), a keypad's or hall's single capital
    letter (M, W), the brand names above, file extensions (.ics) and letter ranges
    (a-z). A slug (riyadh, follow_up,
    operator-men) or an English word is not."""
    if re.fullmatch(r"\.[a-z]{2,4}|[a-z]-[a-z]", token):
        return True  # a file's extension (.ics), a range of letters (a-z)
    token = token.strip(".:/*+-'’")
    if not re.search(r"[A-Za-z]", token):
        return True
    return (
        bool(re.search(r"\d", token))
        or re.fullmatch(r"[A-Z]", token) is not None
        or (token in BRANDS)
    )


def language_problems(texts: list[dict[str, Any]], language: str) -> list[str]:
    problems = []
    for item in texts:
        text, marked = item["text"], (item["lang"] or "").lower()
        if item["userText"]:
            continue  # a person's own words, in whatever language they wrote
        if language == "ar":
            if marked and not marked.startswith("ar"):
                continue  # marked as another language (the display's English labels)
            for token in LATIN_TOKEN.findall(LINKS.sub(" ", text)):
                if not latin_allowed(token):
                    problems.append(f"Latin word {token!r} in Arabic text: {text[:80]!r}")
        elif ARABIC.search(text) and not marked.startswith("ar"):
            problems.append(f"Arabic outside lang=ar in an English page: {text[:80]!r}")
    return sorted(set(problems))[:20]


NATIVE_FIELDS = """() => [...document.querySelectorAll(
    'input[type=file], input[type=date], input[type=time], input[type=datetime-local],'
    + ' input[type=month], input[type=week]')]
  .filter(e => e.getClientRects().length && getComputedStyle(e).opacity !== '0'
               && e.getBoundingClientRect().width > 2)
  .map(e => `the browser's own ${e.type} field #${e.id || e.name}`)"""
"""Fields whose words (Choose File, mm/dd/yyyy) come from the browser, not the page."""


class Measured:
    """Opens each (screen, size, language) once, in one browser context per sign-in,
    and keeps what every check found."""

    def __init__(self, stage: Stage, browser: Any) -> None:
        self.stage, self.browser = stage, browser
        self.pages: dict[str | None, Any] = {}
        self.found: dict[tuple[str, Size, str], dict[str, list[str]]] = {}

    def page_for(self, user: str | None) -> Any:
        if user not in self.pages:
            context = self.browser.new_context(bypass_csp=True)
            page = context.new_page()
            if user is not None:
                base = self.stage.base
                page.goto(f"{base}/staff/login")
                page.fill("#username", user)
                page.fill("#password", self.stage.passwords[user])
                page.click("button[type=submit]")
                page.wait_for_load_state("load")
                assert "/staff/login" not in page.url, f"{user} could not sign in"
            self.pages[user] = page
        return self.pages[user]

    def open(self, screen: Screen, size: Size, language: str) -> Any:
        page = self.page_for(screen.user)
        page.set_viewport_size(size.viewport)
        target = screen.url(self.stage.refs)
        page.goto(f"{self.stage.base}/lang?to={language}&next={quote(target)}")
        page.wait_for_load_state("load")
        if screen.ready:
            page.locator(screen.ready).first.wait_for()
        page.evaluate("() => document.fonts.ready")
        assert page.locator("html").get_attribute("lang") == language, page.url
        install(page)
        return page

    def __call__(self, screen: Screen, size: Size, language: str) -> dict[str, list[str]]:
        key = (screen.name, size, language)
        if key not in self.found:
            page = self.open(screen, size, language)
            found = {
                "overflow": page.evaluate(OVERFLOW),
                "overlap": page.evaluate(OVERLAPS),
                "bidi": page.evaluate(NUMBER_ORDER),
                "language": language_problems(page.evaluate(TEXTS), language),
                "primary": page.evaluate(PRIMARY_IN_VIEW, screen.primary) if screen.primary else [],
            }
            if language == "ar":
                found["language"] += page.evaluate(NATIVE_FIELDS)
            found["axe"] = [
                f"{v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}"
                for v in axe_all_violations(page)
            ]
            self.found[key] = found
        return self.found[key]

    def close(self) -> None:
        report = os.environ.get("RECEPTION_SCREENS_REPORT")
        if report:  # every problem found, as JSON, for whoever fixes the screens
            rows = [
                {"screen": n, "size": s.name, "lang": lang, "found": found}
                for (n, s, lang), found in self.found.items()
            ]
            Path(report).write_text(json.dumps(rows, ensure_ascii=False, indent=1))
        for page in self.pages.values():
            page.context.close()


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    with demo_stage(tmp_path_factory.mktemp("screens") / "var") as running:
        yield running


@pytest.fixture(scope="module")
def measured(stage: Stage) -> Iterator[Measured]:
    uses_backend("browser")
    if not Path(CHROMIUM).exists():
        missing("Chromium: /usr/bin/chromium is not installed")
    if not AXE.exists():
        missing("axe-core: run `npm ci` (scripts/test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        measure = Measured(stage, chromium)
        yield measure
        measure.close()
        chromium.close()


def _cases() -> Iterator[Any]:
    for screen in SCREENS:
        for size in screen.sizes:
            for language in LANGUAGES:
                for check in CHECKS:
                    if check == "primary" and (
                        screen.primary is None or screen.device not in FIRST_SCREEN_DEVICES
                    ):
                        continue
                    yield pytest.param(
                        screen, size, language, check,
                        id=f"{screen.name}-{size.name}-{language}-{check}",
                    )  # fmt: skip


@pytest.mark.parametrize(("screen", "size", "language", "check"), list(_cases()))
def test_screen(measured: Measured, screen: Screen, size: Size, language: str, check: str) -> None:
    problems = measured(screen, size, language)[check]
    assert problems == [], "\n".join(problems)


def test_every_route_with_a_page_is_in_the_list() -> None:
    """A new screen cannot be left out: every GET page route of the app is reached by
    some registered screen (API, files, sockets and redirects aside)."""
    from starlette.routing import Route

    from reception.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings("sqlite://", Path("/tmp/reception-screens-routes")))
    pages = {
        route.path
        for route in app.routes
        if isinstance(route, Route) and "GET" in (route.methods or set())
    }
    not_pages = {
        "/lang", "/healthz", "/readyz", "/metrics", "/start", "/favicon.ico", "/staff/agenda.ics",
        "/staff/dashboard/figures", "/staff/reports/summary.csv",
        "/staff/reports/summary.xlsx", "/staff/letters/{letter_id}/attachments/{attachment_id}",
        "/r/{token}/thanks",
    }  # fmt: skip
    pages = {p for p in pages if not p.startswith("/api/")} - not_pages
    assert "/staff/letters/{letter_id}" in pages and "/kiosk" in pages  # the list is read
    reached = {re.sub(r"\{[a-z_]+\}", "{}", s.path.split("?")[0]) for s in SCREENS}
    missing_pages = sorted(p for p in pages if re.sub(r"\{[a-z_]+\}", "{}", p) not in reached)
    assert missing_pages == []


def _seen(text: str, lang: str = "", user_text: bool = False) -> dict[str, Any]:
    return {"text": text, "lang": lang, "userText": user_text}


def test_the_language_guard_tells_codes_from_leaks() -> None:
    allowed = "التذكرة M-001 والرمز 73967131 والمرجع L-2026-000123 برسالة SMS أو ملف PDF (.ics)"
    assert language_problems([_seen(allowed)], "ar") == []
    assert language_problems([_seen("Men's hall", lang="en")], "ar") == []  # marked English
    assert language_problems([_seen("John Smith", user_text=True)], "ar") == []
    for leak in ("الفرع riyadh", "الخدمة followup", "operator-men", "Submit", "follow_up"):
        assert language_problems([_seen(leak)], "ar"), leak
    assert language_problems([_seen("قاعة الرجال")], "en")
    assert language_problems([_seen("قاعة الرجال", lang="ar")], "en") == []
    assert language_problems([_seen("محمد", user_text=True)], "en") == []
    assert language_problems([_seen("Ticket M-001 at 13:01")], "en") == []


def test_the_measurements_see_what_they_look_for(measured: Measured) -> None:
    """The in-page checks on a page made to fail them: an unisolated date after Arabic
    words turns round, two texts drawn over each other overlap, a wide box scrolls."""
    context = measured.browser.new_context(viewport={"width": 400, "height": 600})
    page = context.new_page()
    page.set_content(
        '<html lang="ar" dir="rtl"><body>'
        "<p>ألغي موعدك 2026-11-24 الساعة 10:30</p>"
        '<p>ألغي موعدك <bdi dir="ltr">2026-11-24</bdi> وتذكرتك M-001</p>'
        '<p style="position:absolute;top:300px">نص أول</p>'
        '<p style="position:absolute;top:300px">نص ثان</p>'
        '<div style="width:600px">عريض</div></body></html>'
    )
    install(page)
    assert page.evaluate(NUMBER_ORDER) == [
        '"2026-11-24" reads out of order in "ألغي موعدك 2026-11-24 الساعة 1"'
    ]
    assert page.evaluate(OVERLAPS) == ['"نص أول" overlaps "نص ثان"']
    assert page.evaluate(OVERFLOW)
    context.close()
