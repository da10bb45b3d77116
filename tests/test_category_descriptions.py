"""What a letter category says about itself — a description and example phrases in
Arabic and English — kept by an administrator on the administration page and over the
API, on SQLite and PostgreSQL: the rules for phrases, the messages in both languages,
who may change them, and the demo's own descriptions."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from reception.audit import AuditEntry
from reception.demo import CATEGORIES
from reception.errors import Invalid
from reception.letters.models import Category
from reception.letters.setup import checked_description, checked_examples
from tests.factories import World
from tests.helpers import bearer, page_csrf, sign_in

ADMIN_PAGE = "/staff/admin"
PHRASES_AR = "تجديد جواز السفر\n\n  تأشيرة خروج وعودة  \nتجديد جواز السفر\n"
PHRASES_EN = "renew my passport\nRenew my passport\nexit and re-entry visa"


def category(engine: Engine, slug: str) -> Category:
    with Session(engine) as s:
        row = s.exec(select(Category).where(Category.slug == slug)).one()
        s.expunge(row)
        return row


def page_text(r: Any) -> str:
    return html.unescape(r.text)


# --- the rules ----------------------------------------------------------------------


def test_phrases_are_trimmed_blank_ones_and_repeats_dropped_in_order() -> None:
    typed = ["  renew  my\tpassport ", "", "   ", "Exit visa", "RENEW MY PASSPORT", "exit visa"]
    assert checked_examples(typed, "en") == ["renew my passport", "Exit visa"]
    assert checked_examples(None, "ar") == []
    assert checked_description("  وصف  ", "ar") == "وصف"


@pytest.mark.parametrize(
    ("phrases", "code"),
    [
        (["x"], "bad_example"),
        (["ok phrase", "y" * 201], "bad_example"),
        ([f"phrase {n}" for n in range(41)], "too_many_examples"),
    ],
)
def test_phrases_out_of_bounds_are_refused(phrases: list[str], code: str) -> None:
    with pytest.raises(Invalid) as refused:
        checked_examples(phrases, "en")
    assert refused.value.code == code


def test_the_limits_themselves_pass() -> None:
    forty = [f"phrase {n}" for n in range(40)]
    assert checked_examples([*forty, *forty, ""], "ar") == forty  # repeats do not count
    assert checked_examples(["ab", "z" * 200], "en") == ["ab", "z" * 200]
    assert len(checked_description("و" * 600, "ar")) == 600
    with pytest.raises(Invalid) as refused:
        checked_description("d" * 601, "en")
    assert refused.value.code == "description_too_long"


# --- the administration page -----------------------------------------------------------


def test_an_admin_adds_a_described_category_and_describes_another(
    client: TestClient, world: World, engine: Engine
) -> None:
    sign_in(client, "admin")
    base = {"csrf_token": page_csrf(client), "branch": "riyadh"}
    r = client.post(
        "/staff/admin/categories",
        data={
            **base,
            "slug": "request_visa",
            "name_ar": "طلب تأشيرة",
            "name_en": "Visa request",
            "parent": "request",
            "description_ar": "طلبات التأشيرات بأنواعها.",
            "description_en": "Visas of every kind.",
            "examples_ar": PHRASES_AR,
            "examples_en": PHRASES_EN,
        },
    )
    assert r.status_code == 200 and "أُضيف التصنيف" in r.text
    added = category(engine, "request_visa")
    assert added.description_ar == "طلبات التأشيرات بأنواعها."
    assert added.examples_ar == ["تجديد جواز السفر", "تأشيرة خروج وعودة"]
    assert added.examples_en == ["renew my passport", "exit and re-entry visa"]

    r = client.post(
        "/staff/admin/categories/appeal/describe",
        data={
            **base,
            "description_ar": "تظلم من قرار.",
            "description_en": "An appeal against a decision.",
            "examples_ar": "أتظلم من قرار فصلي\r\nتظلم من غرامة",
            "examples_en": "",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    assert "حُفظ وصف التصنيف وأمثلته" in page.text
    appeal = category(engine, "appeal")
    assert appeal.description_en == "An appeal against a decision."
    assert appeal.examples_ar == ["أتظلم من قرار فصلي", "تظلم من غرامة"]
    assert appeal.examples_en == []
    text = page_text(page)
    # the page shows each category's form with what it says now
    assert 'action="/staff/admin/categories/appeal/describe"' in text
    assert ">أتظلم من قرار فصلي\nتظلم من غرامة</textarea>" in text
    assert "تجديد جواز السفر\nتأشيرة خروج وعودة</textarea>" in text
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "category.describe")).one()
    assert entry.data["slug"] == "appeal" and entry.data["examples_ar"] == 2


def test_a_refused_description_comes_back_as_typed_with_its_message(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = category(engine, "appeal")
    sign_in(client, "admin")
    base = {"csrf_token": page_csrf(client), "branch": "riyadh"}
    typed = {**base, "description_ar": "وصف", "examples_ar": "عبارة صحيحة\nس", "examples_en": ""}
    r = client.post("/staff/admin/categories/appeal/describe", data=typed)
    assert r.status_code == 422
    text = page_text(r)
    assert "يجب أن تكون العبارة المثال بالعربية من 2 إلى 200 حرف: س" in text
    assert ">عبارة صحيحة\nس</textarea>" in text  # kept as typed, in its open form
    assert '<details class="category-describe" id="cat-appeal" open>' in text

    client.get("/lang?to=en&next=/staff/admin")
    many = "\n".join(f"phrase number {n}" for n in range(41))
    r = client.post("/staff/admin/categories/appeal/describe", data={**base, "examples_en": many})
    assert r.status_code == 422 and "Give at most 40 English example phrases." in r.text
    r = client.post(
        "/staff/admin/categories/appeal/describe", data={**base, "description_en": "d" * 601}
    )
    assert r.status_code == 422
    assert "The English description has at most 600 characters." in r.text
    r = client.post("/staff/admin/categories/nothing/describe", data=base)
    assert r.status_code == 404 and "There is no category nothing." in r.text
    after = category(engine, "appeal")
    assert (after.examples_ar, after.examples_en, after.description_en) == (
        before.examples_ar, before.examples_en, before.description_en,
    )  # fmt: skip

    r = client.post(
        "/staff/admin/categories",
        data={**base, "slug": "x_y", "name_ar": "س", "name_en": "X", "examples_en": "ok\nz"},
    )
    assert r.status_code == 422
    assert "An English example phrase has 2 to 200 characters: z" in r.text
    assert 'value="x_y"' in r.text  # the add form comes back filled in
    assert category_missing(engine, "x_y")


def category_missing(engine: Engine, slug: str) -> bool:
    with Session(engine) as s:
        return s.exec(select(Category).where(Category.slug == slug)).first() is None


def test_only_an_admin_describes_a_category_and_only_with_the_form_token(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = category(engine, "appeal")
    for name in ("operator-men", "supervisor"):
        other = TestClient(client.app)
        sign_in(other, name)
        token = page_csrf(other)
        r = other.post(
            "/staff/admin/categories/appeal/describe",
            data={"csrf_token": token, "description_ar": "لا", "examples_ar": "لا يجوز"},
        )
        assert r.status_code == 403, name
    sign_in(client, "admin")
    page_csrf(client)
    r = client.post(
        "/staff/admin/categories/appeal/describe",
        data={"csrf_token": "forged", "description_ar": "لا", "examples_ar": "لا يجوز"},
    )
    assert r.status_code == 403
    assert category(engine, "appeal").description_ar == before.description_ar


# --- the API ---------------------------------------------------------------------------


def test_categories_over_the_api(client: TestClient, world: World) -> None:
    admin = bearer(world, "admin")
    r = client.post(
        "/api/v1/admin/categories",
        json={
            "slug": "complaint_noise",
            "name_ar": "شكوى إزعاج",
            "name_en": "Noise complaint",
            "parent": "complaint",
            "description_en": "Noise at night.",
            "examples_ar": ["إزعاج ليلي", "", "إزعاج ليلي", "أصوات مرتفعة"],
            "examples_en": ["loud music at night"],
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["parent"] == "complaint" and added["description_ar"] == ""
    assert added["examples_ar"] == ["إزعاج ليلي", "أصوات مرتفعة"]

    r = client.patch(
        "/api/v1/admin/categories/complaint_noise",
        json={"description_ar": "إزعاج في الليل.", "examples_en": []},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["description_ar"] == "إزعاج في الليل."
    assert changed["description_en"] == "Noise at night."  # left out: kept
    assert changed["examples_ar"] == ["إزعاج ليلي", "أصوات مرتفعة"]
    assert changed["examples_en"] == []

    r = client.get("/api/v1/admin/categories", headers=admin)
    assert r.status_code == 200
    listed = {c["slug"]: c for c in r.json()["categories"]}
    assert listed["complaint_noise"] == changed
    assert listed["request_passport"]["parent"] == "request"
    assert "تأشيرة خروج وعودة" in listed["request_passport"]["examples_ar"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("PATCH", "/api/v1/admin/categories/nothing", {"description_ar": "س"}, 404,
         "unknown_category"),
        ("PATCH", "/api/v1/admin/categories/appeal", {"examples_en": ["a"]}, 422, "bad_example"),
        ("PATCH", "/api/v1/admin/categories/appeal",
         {"examples_ar": [f"عبارة {n}" for n in range(41)]}, 422, "too_many_examples"),
        ("PATCH", "/api/v1/admin/categories/appeal", {"description_en": "d" * 601}, 422,
         "description_too_long"),
        ("PATCH", "/api/v1/admin/categories/appeal", {"examples_en": "one phrase"}, 422,
         "invalid"),
        ("PATCH", "/api/v1/admin/categories/appeal", {"examples_en": [7]}, 422, "invalid"),
        ("PATCH", "/api/v1/admin/categories/appeal", {"colour": "red"}, 422, "invalid"),
        ("POST", "/api/v1/admin/categories",
         {"slug": "a_b", "name_ar": "أ", "name_en": "A", "examples_ar": ["ب"]}, 422,
         "bad_example"),
    ],
)  # fmt: skip
def test_bad_descriptions_get_a_clear_4xx(
    client: TestClient,
    world: World,
    method: str,
    path: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    r = client.request(method, path, json=body, headers=bearer(world, "admin"))
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code


def test_the_api_answers_in_the_callers_language(client: TestClient, world: World) -> None:
    r = client.patch(
        "/api/v1/admin/categories/appeal",
        json={"examples_ar": ["س"]},
        headers=bearer(world, "admin", **{"Accept-Language": "ar"}),
    )
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "يجب أن تكون العبارة المثال بالعربية من 2 إلى 200 حرف: س"


def test_only_an_admin_token_reads_or_changes_categories(client: TestClient, world: World) -> None:
    for name in ("operator-men", "supervisor", "officer"):
        headers = bearer(world, name)
        assert client.get("/api/v1/admin/categories", headers=headers).status_code == 403
        r = client.patch(
            "/api/v1/admin/categories/appeal", json={"description_ar": "لا"}, headers=headers
        )
        assert r.status_code == 403, name
    assert client.get("/api/v1/admin/categories").status_code == 401


# --- the demo ----------------------------------------------------------------------------


def test_every_demo_category_is_described_in_both_languages(engine: Engine) -> None:
    with Session(engine) as s:
        rows = {c.slug: c for c in s.exec(select(Category))}
    assert {slug for slug, *_ in CATEGORIES} <= set(rows)
    for slug, *_ in CATEGORIES:
        row = rows[slug]
        assert row.description_ar and row.description_en, slug
        assert 6 <= len(row.examples_ar) <= 10 and 6 <= len(row.examples_en) <= 10, slug
    assert rows["request_support"].parent_id == rows["request"].id
    assert rows["complaint_staff"].parent_id == rows["complaint"].id
