"""The administrator's SMS texts in Chromium: the preview follows the typing (sample
values, segment count) and a bad placeholder is named at once, in Arabic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reception.i18n import gettext
from tests.browser import running_server, sqlite_server
from tests.factories import World
from tests.test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    template, _world = seeded_sqlite_template
    _db, env = sqlite_server(template, tmp_path_factory.mktemp("sms-texts"))
    with running_server(env) as base:
        yield base


def test_the_preview_follows_the_typing(live: str, browser: Any) -> None:
    page = sign_in(browser, live, "admin")
    page.goto(f"{live}/staff/admin/sms#sms-letter_received")
    card = page.locator("#sms-letter_received form.sms-form").nth(1)  # the English text
    body = card.locator("[data-preview-body]")
    error = card.locator("[data-preview-error]")
    segments = card.locator("[data-preview-segments]")

    card.locator("textarea").fill("Got %(reference)s. " + "x" * 200 + " %(link)s")
    page.wait_for_function(
        "el => el.textContent.startsWith('Got L-2026-004217.')", arg=body.element_handle()
    )
    assert error.is_hidden() and segments.text_content() == "2"

    card.locator("textarea").fill("Got %(reference)s %(nom)s")
    error.wait_for(state="visible")
    message = error.text_content() or ""
    assert (
        gettext("ar", "This message has no value {names}. It can use: {allowed}.")
        .split("{names}")[0]
        .strip()
        in message
    )
    assert "%(nom)s" in message
    page.context.close()
