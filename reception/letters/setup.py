"""The letters taxonomy as data: departments, categories (one level of nesting) with
their service-level targets, descriptions and example phrases, and routing rules.
Each change is audited and works at once, for the command line, the administration
page and the API alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from reception.errors import N_, Invalid, NotFound
from reception.letters.models import Category, Department, RoutingRule
from reception.letters.rules import SLA_STAGES
from reception.queue import queries
from reception.queue.setup import check_names, checked_slug, create_unless_taken

RESIDENCIES = ("citizen", "resident")
DESCRIPTION_MAX = 600
EXAMPLES_MAX = 40
"""Example phrases per language: enough to say what a category is about, few enough
for an administrator to read through."""
PHRASE_MIN, PHRASE_MAX = 2, 200

TOO_LONG = {
    "ar": N_("The Arabic description has at most 600 characters."),
    "en": N_("The English description has at most 600 characters."),
}
TOO_MANY = {
    "ar": N_("Give at most 40 Arabic example phrases."),
    "en": N_("Give at most 40 English example phrases."),
}
BAD_PHRASE = {
    "ar": N_("An Arabic example phrase has 2 to 200 characters: {phrase}"),
    "en": N_("An English example phrase has 2 to 200 characters: {phrase}"),
}


def add_department(
    session: Session, *, slug: str, name_ar: str, name_en: str, actor: str = "cli"
) -> Department:
    check_names(name_ar, name_en)
    row = Department(slug=checked_slug(slug), name_ar=name_ar.strip(), name_en=name_en.strip())
    return create_unless_taken(session, actor, row, slug=slug)


def department_by_slug(session: Session, slug: str) -> Department:
    row = session.exec(select(Department).where(Department.slug == slug)).first()
    if row is None:
        raise NotFound("unknown_department", N_("There is no department {slug}."), slug=slug[:40])
    return row


def category_by_slug(session: Session, slug: str) -> Category:
    row = session.exec(select(Category).where(Category.slug == slug)).first()
    if row is None:
        raise NotFound("unknown_category", N_("There is no category {slug}."), slug=slug[:40])
    return row


def _sla(hours: dict[str, Any] | None) -> dict[str, int]:
    clean: dict[str, int] = {}
    for stage, value in (hours or {}).items():
        if stage not in SLA_STAGES:
            raise Invalid(
                "bad_sla_stage",
                N_("Targets are set for: {stages}."),
                stages=", ".join(SLA_STAGES),
            )
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 24 * 365:
            raise Invalid("bad_sla_hours", N_("A target is a whole number of hours, 1 or more."))
        clean[stage] = value
    return clean


def checked_description(text: object, language: str) -> str:
    """The description trimmed; at most DESCRIPTION_MAX characters."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise Invalid("description_too_long", TOO_LONG[language])
    clean = text.strip()
    if len(clean) > DESCRIPTION_MAX:
        raise Invalid("description_too_long", TOO_LONG[language])
    return clean


def checked_examples(phrases: Iterable[object] | None, language: str) -> list[str]:
    """The phrases trimmed (spaces inside run together), blank ones and repeats
    (ignoring case) dropped, in the order given; each PHRASE_MIN to PHRASE_MAX
    characters, at most EXAMPLES_MAX of them."""
    clean: list[str] = []
    seen: set[str] = set()
    for phrase in phrases or ():
        if not isinstance(phrase, str):
            raise Invalid("bad_example", BAD_PHRASE[language], phrase="?")
        text = " ".join(phrase.split())
        if not text:
            continue
        if not PHRASE_MIN <= len(text) <= PHRASE_MAX:
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise Invalid("bad_example", BAD_PHRASE[language], phrase=shown)
        key = text.casefold()
        if key in seen:
            continue
        seen.add(key)
        clean.append(text)
        if len(clean) > EXAMPLES_MAX:
            raise Invalid("too_many_examples", TOO_MANY[language])
    return clean


def add_category(
    session: Session,
    *,
    slug: str,
    name_ar: str,
    name_en: str,
    parent: str | None = None,
    sla_hours: dict[str, Any] | None = None,
    description_ar: str = "",
    description_en: str = "",
    examples_ar: Iterable[str] = (),
    examples_en: Iterable[str] = (),
    actor: str = "cli",
) -> Category:
    check_names(name_ar, name_en)
    parent_id = None
    if parent:
        parent_row = category_by_slug(session, parent)
        if parent_row.parent_id is not None:
            raise Invalid("too_deep", N_("Categories nest one level only."))
        parent_id = parent_row.id
    row = Category(
        slug=checked_slug(slug),
        name_ar=name_ar.strip(),
        name_en=name_en.strip(),
        parent_id=parent_id,
        sla_hours=_sla(sla_hours),
        description_ar=checked_description(description_ar, "ar"),
        description_en=checked_description(description_en, "en"),
        examples_ar=checked_examples(examples_ar, "ar"),
        examples_en=checked_examples(examples_en, "en"),
    )
    return create_unless_taken(session, actor, row, slug=slug)


def describe_category(
    session: Session,
    *,
    slug: str,
    description_ar: str,
    description_en: str,
    examples_ar: Iterable[str],
    examples_en: Iterable[str],
    actor: str = "cli",
) -> Category:
    """Replace what a category says about itself: its descriptions and its example
    phrases in both languages (an empty list clears a language's phrases)."""
    from reception import audit

    row = category_by_slug(session, slug)
    row.description_ar = checked_description(description_ar, "ar")
    row.description_en = checked_description(description_en, "en")
    row.examples_ar = checked_examples(examples_ar, "ar")
    row.examples_en = checked_examples(examples_en, "en")
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "category.describe", "category", row.id, slug=row.slug,
        examples_ar=len(row.examples_ar), examples_en=len(row.examples_en),
    )  # fmt: skip
    return row


def add_routing_rule(
    session: Session,
    *,
    category: str,
    department: str,
    branch: str | None = None,
    residency: str | None = None,
    actor: str = "cli",
) -> RoutingRule:
    """Letters of `category` (and its subcategories) go to `department`; a rule for one
    branch or one residency is more specific and wins over the general one."""
    from reception import audit

    category_row = category_by_slug(session, category)
    department_row = department_by_slug(session, department)
    branch_id = queries.branch_by_slug(session, branch).id if branch else None
    if residency is not None and residency not in RESIDENCIES:
        raise Invalid("bad_residency", N_("Residency is citizen or resident."))
    existing = session.exec(
        select(RoutingRule).where(
            RoutingRule.category_id == category_row.id,
            RoutingRule.branch_id == branch_id,
            RoutingRule.residency == residency,
        )
    ).first()
    rule = existing or RoutingRule(category_id=category_row.id or 0, department_id=0)
    rule.department_id = department_row.id or 0
    rule.branch_id = branch_id
    rule.residency = residency
    session.add(rule)
    session.flush()
    audit.record(
        session, actor, "routing.set", "routingrule", rule.id, category=category,
        department=department,
    )  # fmt: skip
    return rule


def list_categories(session: Session) -> list[Category]:
    """Every category, active or not, in the order they were added (parents first)."""
    return list(session.exec(select(Category).order_by(col(Category.id))))
