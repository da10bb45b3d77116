"""The categories' describe forms in Chromium, at the staff desk sizes in Arabic and
English: opened, they fit the desk without overlaps and pass axe; phrases typed one per
line are saved and come back, a refused phrase is named beside the form as typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reception.i18n import gettext
from tests.browser import axe_all_violations, running_server, sqlite_server
from tests.devices import STAFF_DESKS, Size
from tests.factories import World
from tests.test_staff_layout import LAYOUT_PROBLEMS, open_as

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(
    seeded_sqlite_template: tuple[Path, World], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    template, _world = seeded_sqlite_template
    _db, env = sqlite_server(template, tmp_path_factory.mktemp("categories"))
    with running_server(env) as base:
        yield base


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize("size", STAFF_DESKS, ids=lambda s: s.name)
def test_open_describe_forms_fit_the_desk(
    live: str, browser: Any, size: Size, language: str
) -> None:
    page = open_as(browser, live, "admin", size, language)
    page.goto(f"{live}/staff/admin")
    for slug in ("request", "request_passport"):
        page.locator(f"#cat-{slug} > summary").click()
    page.locator(".admin-add", has=page.locator("#k-xar")).locator("summary").click()
    form = page.locator("#cat-request_passport form")
    assert form.is_visible()
    assert form.locator("textarea[name=examples_ar]").get_attribute("dir") == "rtl"
    assert form.locator("textarea[name=examples_en]").get_attribute("dir") == "ltr"
    assert "تأشيرة خروج وعودة" in form.locator("textarea[name=examples_ar]").input_value()
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert problems == [], "\n".join(problems)
    assert axe_all_violations(page) == []
    page.context.close()


def test_phrases_typed_one_per_line_are_saved_and_a_bad_one_is_named(
    live: str, browser: Any
) -> None:
    page = open_as(browser, live, "admin", STAFF_DESKS[0], "ar")
    page.goto(f"{live}/staff/admin")
    details = page.locator("#cat-meeting")
    details.locator("summary").click()
    details.locator("textarea[name=examples_en]").fill("meet the minister\n\nmeet the minister\nx")
    details.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    details = page.locator("#cat-meeting")
    assert details.get_attribute("open") is not None  # back open, as typed
    message = gettext("ar", "An English example phrase has 2 to 200 characters: {phrase}")
    assert message.format(phrase="x") in details.inner_text()
    typed = details.locator("textarea[name=examples_en]").input_value()
    assert typed == "meet the minister\n\nmeet the minister\nx"

    details.locator("textarea[name=examples_en]").fill("meet the minister\n\nMeet the minister")
    details.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    saved = gettext("ar", "The category's description and examples were saved.")
    assert saved in page.locator(".flash").inner_text()
    details = page.locator("#cat-meeting")
    assert details.get_attribute("open") is None
    assert details.locator("textarea[name=examples_en]").input_value() == "meet the minister"
    page.context.close()
