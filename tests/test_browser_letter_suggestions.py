"""The registration form's suggestions in Chromium, in Arabic and English: they appear
as the operator types (asked a moment after the typing stops, never for an empty
text), in a polite live region, with the page still clean for axe and the layout; the
triage list's suggestion column at the staff-desk sizes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.browser import running_server, sqlite_server
from tests.devices import STAFF_DESKS, Size
from tests.factories import World
from tests.helpers import wait_until
from tests.servers import api
from tests.test_browser_letters import check_screen, open_desk

pytestmark = pytest.mark.browser

NAMES = {"ar": "طلب جوازات", "en": "Passport request"}


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A server whose model is ready, with two letters waiting for triage."""
    template, world = seeded_sqlite_template
    _, env = sqlite_server(template, tmp_path_factory.mktemp("suggestions"))
    with running_server(env) as base:
        operator = world.tokens["operator-men"]

        def model_ready() -> bool:
            r = api(base, operator, "/api/v1/letters/suggest", {"subject": "جواز"})
            return r.status_code == 200 and r.json()["state"] == "ready"

        wait_until(model_ready, "the model of the server", timeout=60, interval=0.2)
        for subject in ("تجديد جواز السفر قبل السفر للعلاج", "شكوى من مخالفة مرورية مكررة"):
            made = api(
                base,
                operator,
                "/api/v1/letters",
                {
                    "branch": "riyadh",
                    "hall": "men",
                    "sender_name": "عبدالرحمن سعد",
                    "sender_id_number": "1000000008",
                    "sex": "male",
                    "subject": subject,
                    "body": "نص الخطاب كما سلّمه المراجع.",
                },
            )
            assert made.status_code == 201, made.text
        yield base


@pytest.mark.parametrize("language", ["ar", "en"])
def test_suggestions_appear_as_the_operator_types(live: str, browser: Any, language: str) -> None:
    from playwright.sync_api import expect

    size = STAFF_DESKS[0]
    page = open_desk(browser, live, "operator-men", size, language)
    asked: list[dict[str, list[str]]] = []

    def note(request: Any) -> None:
        if request.url.endswith("/staff/letters/suggest"):
            asked.append(parse_qs(request.post_data or "", keep_blank_values=True))

    page.on("request", note)
    page.goto(f"{live}/staff/letters/new?hall=men")
    region = page.locator("[data-suggest-live]")
    assert region.get_attribute("aria-live") == "polite"
    assert region.inner_text().strip() == ""  # nothing typed, nothing asked
    subject = "طلب تجديد جواز السفر"
    page.locator("#subject").press_sequentially(subject, delay=20)
    expect(region).to_contain_text(NAMES[language])
    expect(region.locator("bdi[dir=ltr]").first).to_have_text(re.compile(r"^\d+%$"))
    assert asked, "the form never asked for a suggestion"
    assert len(asked) < len(subject), asked  # asked once the typing paused, not per key
    check_screen(page, f"letters-new-suggest-{size.name}-{language}")

    # emptied: the answer goes, and no empty text is ever sent
    page.locator("#subject").fill("")
    expect(region).to_have_text("")
    page.locator("#body").press_sequentially("أرجو إصدار جواز", delay=20)
    expect(region).to_contain_text(NAMES[language])
    for form in asked:
        assert (form.get("subject", [""])[0] + form.get("body", [""])[0]).strip(), form
    # reachable and usable from the keyboard alone: Tab leaves the text for the buttons
    page.locator("#body").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") in ("BUTTON", "A")
    page.context.close()


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", STAFF_DESKS, ids=lambda s: s.name)
def test_the_triage_list_shows_the_suggestions_at_every_desk_size(
    live: str, browser: Any, size: Size, language: str
) -> None:
    page = open_desk(browser, live, "operator-men", size, language)
    page.goto(f"{live}/staff/letters")
    cells = page.locator(".desk-queue td.suggested")
    assert cells.count() >= 2
    texts = cells.all_inner_texts()
    careful = {"ar": "يحتاج إلى تدقيق", "en": "needs a careful look"}[language]
    assert all(re.search(r"\d+%$", t.strip()) or t.strip() == careful for t in texts), texts
    # the live socket re-renders the rows: the column survives its snapshot
    page.wait_for_function(
        "() => document.querySelector('[data-live-state]') &&"
        " !document.querySelector('[data-live-state]').hidden"
    )
    assert page.locator(".desk-queue td.suggested").count() == cells.count()
    check_screen(page, f"letters-triage-suggest-{size.name}-{language}")
    page.context.close()
