"""How often the first suggestion is taken: every classification (on the desk's form and
through the API) records what the model put first at that moment, and the report counts
them by the category chosen — figures that must equal what the operators did."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.app import create_app
from reception.clock import FrozenClock
from reception.letters.models import SuggestionDecision
from reception.settings import Settings
from tests.factories import World
from tests.helpers import bearer, csrf, sign_in, wait_until
from tests.test_letters_api import register as letter_of

pytestmark = pytest.mark.suggestions

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)  # 12:30 in Riyadh
DAY = {"date_from": "2026-11-24", "date_to": "2026-11-24"}
LEAVES = ["request_civil", "request_passport", "complaint_traffic", "complaint_security", "appeal"]
LETTERS = [  # subject, body, take the first suggestion?, through the API?
    ("طلب إصدار جواز سفر", "أرجو تجديد جواز السفر", True, True),
    ("شكوى من مخالفة مرورية", "سجلت علي مخالفة ساهر خاطئة", False, False),
    ("طلب بدل فاقد للهوية الوطنية", "فقدت بطاقة الهوية", True, False),
    ("تظلم من قرار فصل", "أتظلم من قرار فصلي من العمل", True, True),
    ("طلب مقابلة معالي الوزير", "أرجو لقاء معاليه", False, True),
    ("بلاغ عن سرقة", "سرقت سيارتي من أمام المنزل", False, False),
]


@pytest.fixture
def desk(settings: Settings, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(settings, FrozenClock(NOW)), raise_server_exceptions=False) as c:
        yield c


def register(client: TestClient, world: World, subject: str, body: str) -> dict[str, Any]:
    return letter_of(client, world, subject=subject, body=body)


def report(
    client: TestClient, world: World, who: str = "supervisor", **query: str
) -> dict[str, Any]:
    r = client.get("/api/v1/reports/summary", params=query, headers=bearer(world, who))
    assert r.status_code == 200, r.text
    return dict(r.json()["letters"]["first_suggestion"])


def page_rows(page: str) -> dict[str, list[str]]:
    section = page.split('id="first-suggestion"')[1].split("</section>")[0]
    return {
        slug: re.findall(r'<td class="num">([^<]*)</td>', row)
        for slug, row in re.findall(r'<tr[^>]* data-category="([^"]*)">(.*?)</tr>', section, re.S)
    }


def test_the_first_suggestion_taken_or_not_is_counted_by_category(
    desk: TestClient, world: World, engine: Engine
) -> None:
    model = desk.app.state.suggestions  # type: ignore[attr-defined]
    letters = [register(desk, world, s, b) for s, b, _, _ in LETTERS]
    sign_in(desk, "operator-men")
    expected: dict[str, dict[str, int]] = {}
    for decided, (letter, (_, _, take, by_api)) in enumerate(zip(letters, LETTERS, strict=True)):
        # the model of every decision so far, so the suggestion seen is the one in use
        wait_until(
            lambda n=decided: model.status().state == "ready" and model.status().trained_on == n,
            f"a model of {decided} decisions",
            timeout=60,
        )
        seen = desk.get(
            f"/api/v1/letters/{letter['reference']}/suggestion",
            headers=bearer(world, "operator-men"),
        ).json()
        first = seen["suggestions"][0]["category"]
        chosen = first if take else next(c for c in LEAVES if c != first)
        if by_api:
            r = desk.post(
                f"/api/v1/letters/{letter['reference']}/classify",
                json={"category": chosen},
                headers=bearer(world, "operator-men"),
            )
            assert r.status_code == 200, r.text
        else:
            page = desk.get(f"/staff/letters/{letter['id']}")
            r = desk.post(
                f"/staff/letters/{letter['id']}/classify",
                data={"csrf_token": csrf(page.text), "category": chosen},
                follow_redirects=False,
            )
            assert r.status_code == 303 and r.headers["location"].endswith(str(letter["id"]))
        row = expected.setdefault(chosen, {"decisions": 0, "accepted": 0})
        row["decisions"] += 1
        row["accepted"] += int(take)

    with Session(engine) as s:
        records = s.exec(select(SuggestionDecision).order_by(SuggestionDecision.id)).all()  # type: ignore[arg-type]
    assert [r.accepted for r in records] == [take for _, _, take, _ in LETTERS]
    assert all(r.decided_at == NOW and r.model_version is not None for r in records)

    figures = report(desk, world, **DAY)
    taken = sum(take for _, _, take, _ in LETTERS)
    assert figures["decisions"] == len(LETTERS) and figures["accepted"] == taken == 3
    assert figures["rate"] == 50.0
    assert {
        slug: {k: v for k, v in f.items() if k != "rate"}
        for slug, f in figures["by_category"].items()
    } == expected  # noqa: E501
    for slug, f in figures["by_category"].items():
        assert f["rate"] == round(100 * f["accepted"] / f["decisions"], 1), slug
    counts = [f["decisions"] for f in figures["by_category"].values()]
    assert counts == sorted(counts, reverse=True)

    # the same figures in the CSV download and on the reports screen
    r = desk.get("/api/v1/reports/summary.csv", params=DAY, headers=bearer(world, "supervisor"))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert ["letters.first_suggestion", "decisions", str(len(LETTERS))] in rows
    assert ["letters.first_suggestion", "accepted", "3"] in rows
    for slug, f in expected.items():
        metric = f"letters.first_suggestion.by_category.{slug}"
        assert [metric, "decisions", str(f["decisions"])] in rows
        assert [metric, "accepted", str(f["accepted"])] in rows
    sign_in(desk, "supervisor")
    page = desk.get("/staff/reports", params=DAY).text
    shown = page_rows(page)
    assert shown[""] == [str(len(LETTERS)), "3", "50"]
    for slug, f in expected.items():
        assert shown[slug][:2] == [str(f["decisions"]), str(f["accepted"])], slug
    assert "قبول الاقتراح الأول حسب التصنيف المختار" in page


def test_no_decision_is_an_empty_state(desk: TestClient, world: World) -> None:
    empty = report(desk, world, **DAY)
    assert empty == {"decisions": 0, "accepted": 0, "rate": None, "by_category": {}}
    sign_in(desk, "supervisor")
    page = desk.get("/staff/reports", params=DAY).text
    section = page.split('id="first-suggestion"')[1].split("</section>")[0]
    assert "لم يُصنَّف أي خطاب مع اقتراح في هذه الفترة." in section and "<table" not in section


def test_the_figures_keep_to_the_period_and_the_branch(
    desk: TestClient, world: World, engine: Engine
) -> None:
    model = desk.app.state.suggestions  # type: ignore[attr-defined]
    wait_until(lambda: model.status().state == "ready", "a trained model", timeout=60)
    letter = register(desk, world, "طلب إصدار جواز سفر", "أرجو تجديد جواز السفر")
    r = desk.post(
        f"/api/v1/letters/{letter['reference']}/classify",
        json={"category": "request_passport"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200
    assert report(desk, world, **DAY)["decisions"] == 1
    assert report(desk, world, date_from="2026-11-23", date_to="2026-11-23")["decisions"] == 0
    assert report(desk, world, "admin", branch="jeddah", **DAY)["decisions"] == 0
    # a letter classified while there is no model records nothing
    model.enabled = False
    other = register(desk, world, "طلب إصدار جواز سفر", "أرجو تجديد جواز السفر")
    r = desk.post(
        f"/api/v1/letters/{other['reference']}/classify",
        json={"category": "request_passport"},
        headers=bearer(world, "operator-men"),
    )
    assert r.status_code == 200
    with Session(engine) as s:
        assert len(s.exec(select(SuggestionDecision)).all()) == 1
