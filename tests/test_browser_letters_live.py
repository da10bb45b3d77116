"""The triage desk and the department inbox stay current in Chromium without being
reloaded: a letter registered through the API appears on the open desk, routing it
takes it off the desk and into the department officer's open inbox, and the
officer's own moves change it in place. Both pages stay free of accessibility
violations while they change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import axe_all_violations, running_server, screenshot, sqlite_server
from tests.devices import STAFF_DESKS
from tests.factories import World
from tests.servers import api
from tests.test_browser_letters import open_desk

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, World]]:
    template, world = seeded_sqlite_template
    _, env = sqlite_server(template, tmp_path_factory.mktemp("letters-live"))
    with running_server(env) as base:
        yield base, world


def live(page: Any) -> None:
    """Wait until the page's socket has its snapshot (the mark says so)."""
    from playwright.sync_api import expect

    expect(page.locator("[data-live-state]")).to_have_text("مباشر")


def test_a_letter_travels_from_the_open_desk_to_the_open_inbox(
    server: tuple[str, World], browser: Any
) -> None:
    from playwright.sync_api import expect

    base, world = server
    desk = open_desk(browser, base, "operator-men", STAFF_DESKS[0], "ar")
    desk.goto(f"{base}/staff/letters")
    inbox = open_desk(browser, base, "officer", STAFF_DESKS[0], "ar")
    inbox.goto(f"{base}/staff/inbox")
    live(desk)
    live(inbox)
    for page in (desk, inbox):
        page.evaluate("() => { window.notReloaded = true; }")
    expect(inbox.locator("[data-live-empty]")).to_be_visible()  # nothing routed yet

    operator = world.tokens["operator-men"]
    letter = {
        "branch": "riyadh",
        "hall": "men",
        "sender_name": "عبدالرحمن بن عبدالعزيز آل سعود",
        "sender_id_number": "1000000008",
        "sex": "male",
        "subject": "طلب بدل فاقد للهوية الوطنية",
        "body": "فقدت بطاقة الهوية الوطنية.",
    }
    made = api(base, operator, "/api/v1/letters", letter)
    assert made.status_code == 201, made.text
    letter_id, reference = made.json()["id"], made.json()["reference"]
    waiting = api(base, operator, "/api/v1/letters", {**letter, "subject": "طلب مقابلة"})
    assert waiting.status_code == 201, waiting.text
    row = desk.locator(f'.desk-queue tr[data-letter="{letter_id}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(reference)
    expect(row).to_contain_text("طلب بدل فاقد للهوية الوطنية")
    expect(desk.locator("[data-live-empty]")).to_be_hidden()
    assert axe_all_violations(desk) == []
    screenshot(desk, "letters-live-desk-ar")

    routed = api(
        base, operator, f"/api/v1/letters/{reference}/classify", {"category": "request_civil"}
    )
    assert routed.status_code == 200, routed.text
    expect(row).to_have_count(0)  # off the desk
    arrived = inbox.locator(f'.desk-queue tr[data-letter="{letter_id}"]')
    expect(arrived).to_be_visible()  # into the department's inbox
    expect(inbox.locator("[data-live-empty]")).to_be_hidden()
    expect(inbox.locator("[data-live-count]")).not_to_be_empty()

    officer = world.tokens["officer"]
    accepted = api(base, officer, f"/api/v1/letters/{reference}/accept", {"note": ""})
    assert accepted.status_code == 200, accepted.text
    expect(arrived).to_contain_text("قيد المعالجة")  # its status changed in place
    assert axe_all_violations(inbox) == []
    screenshot(inbox, "letters-live-inbox-ar")

    answered = api(base, officer, f"/api/v1/letters/{reference}/answer", {"note": "صدرت الهوية"})
    assert answered.status_code == 200, answered.text
    expect(arrived).to_have_count(0)  # answered: no longer waiting for the department
    for page in (desk, inbox):
        assert page.evaluate("() => window.notReloaded") is True
    inbox.context.close()

    # A snapshot that changes nothing leaves the rows the server drew in place.
    desk.context.add_init_script(
        "document.addEventListener('DOMContentLoaded', () => {"
        " window.drawn = document.querySelector('.desk-queue tr[data-letter]'); });"
    )
    desk.reload()
    live(desk)
    assert desk.evaluate("() => window.drawn !== null && window.drawn.isConnected") is True
    desk.context.close()


def test_the_pages_ask_again_on_a_gap_and_ignore_what_they_have(
    server: tuple[str, World], browser: Any
) -> None:
    """The numbering rule every live page follows, run by the pages' own script: the
    next number is applied, an old one ignored, a missing one means a fresh snapshot;
    on the letters desks each channel counts for itself."""
    base, _ = server
    desk = open_desk(browser, base, "operator-men", STAFF_DESKS[0], "ar")
    desk.goto(f"{base}/staff/letters")
    live(desk)
    verdicts = desk.evaluate(
        """() => {
          const L = window.ReceptionLive;
          const hall = L.oneSequence(4);
          const letters = L.channelSequences();
          const out = {};
          out.hall = [5, 5, 4, 7, 6].map(seq => hall.next({seq}));
          out.before = letters.next({channel: "letters:branch:1", seq: 1});
          letters.snapshot({seq: {"letters:branch:1": 3, "letters:department:2": 0}});
          out.letters = [
            {channel: "letters:branch:1", seq: 4},
            {channel: "letters:department:2", seq: 1},
            {channel: "letters:branch:1", seq: 4},
            {channel: "letters:branch:1", seq: 6},
            {channel: "letters:department:9", seq: 1},
          ].map(m => letters.next(m));
          return out;
        }"""
    )
    assert verdicts == {
        "hall": ["next", "old", "old", "gap", "next"],
        "before": "old",
        "letters": ["next", "next", "old", "gap", "old"],
    }
    desk.context.close()
