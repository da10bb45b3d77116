"""Where the model's suggestions meet the staff's decisions: who may ask for one, the
suggestion shown beside each letter waiting for triage, and the record of whether the
operator took the first suggestion (written by the classify action, read by reports).

The model (`suggest.py`) only ranks categories; everything here is about using that
ranking on the desk and measuring it, never about training it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from reception.auth.principal import Principal
from reception.errors import N_, Forbidden
from reception.letters.access import TRIAGE_ROLES, may_see
from reception.letters.models import Category, Letter, LetterStatus, SuggestionDecision
from reception.letters.suggest import Suggestions, careful_look
from reception.queue.models import Branch
from reception.queue.queries import branch_by_slug, principal_branch

AWAITING = (LetterStatus.received.value, LetterStatus.returned.value)
"""Letters still waiting for a category: the ones a suggestion is shown for."""


@dataclass(frozen=True)
class FirstSuggestion:
    """The model's first choice for a letter at the moment the operator decided."""

    category: str
    confidence: float
    version: int | None


def first_suggestion(model: Suggestions, subject: str, body: str) -> FirstSuggestion | None:
    """What the model would have put first for this text (None while it has no model).
    Blocking: call it from a thread."""
    version = model.status().version
    ranked = model.suggest(subject, body, k=1)
    if not ranked:
        return None
    slug, confidence = ranked[0]
    return FirstSuggestion(slug, round(float(confidence), 4), version)


def first_for_letter(
    session: Session, model: Suggestions, principal: Principal, letter_id: int
) -> FirstSuggestion | None:
    """The first suggestion for a letter about to be classified; None when the letter is
    not waiting for a category or the account may not see it (the classify action then
    refuses it with its own message)."""
    letter = session.get(Letter, letter_id)
    if letter is None or letter.status not in AWAITING or not may_see(principal, letter):
        return None
    return first_suggestion(model, letter.subject, letter.body)


def suggest_branch(session: Session, principal: Principal, slug: str | None) -> Branch:
    """The branch a text is suggested for: the caller's own, or the one named, which
    triage staff may work in."""
    principal.require_role(*TRIAGE_ROLES)
    branch = branch_by_slug(session, slug) if slug else principal_branch(session, principal, None)
    if not principal.may_use_branch(branch.id or 0):
        raise Forbidden("wrong_branch", N_("Your account is not allowed to work in this branch."))
    return branch


def record_decision(
    session: Session,
    letter: Letter,
    first: FirstSuggestion | None,
    chosen: str,
    at: datetime,
) -> SuggestionDecision | None:
    """Note whether the operator took the first suggestion (nothing when there was none).
    Called by the classify action, inside its transaction."""
    if first is None or letter.id is None:
        return None
    row = SuggestionDecision(
        letter_id=letter.id,
        branch_id=letter.branch_id,
        suggested=first.category[:40],
        confidence=first.confidence,
        chosen=chosen,
        accepted=first.category == chosen,
        decided_at=at,
        model_version=first.version,
    )
    session.add(row)
    return row


def suggest_rows(
    session: Session, model: Suggestions, rows: Sequence[dict[str, Any]], confident_at: float
) -> None:
    """Add to each list row waiting for a category its `suggestion` (the first category
    with both names and the confidence, and whether it needs a careful look) — one
    ranking for the whole list. Blocking: run it from a thread."""
    waiting = [r for r in rows if r.get("status") in AWAITING and r.get("id") is not None]
    if not waiting:
        return
    texts = {
        letter_id: (subject, body)
        for letter_id, subject, body in session.exec(
            select(Letter.id, Letter.subject, Letter.body).where(
                col(Letter.id).in_([r["id"] for r in waiting])
            )
        ).all()
    }
    waiting = [r for r in waiting if r["id"] in texts]
    ranked = model.rank([texts[r["id"]] for r in waiting], k=1)
    slugs = {found[0][0] for found in ranked if found}
    names = {
        c.slug: c
        for c in session.exec(select(Category).where(col(Category.slug).in_(sorted(slugs)))).all()
    }
    for row, found in zip(waiting, ranked, strict=True):
        if not found or found[0][0] not in names:
            continue
        slug, confidence = found[0]
        category = names[slug]
        row["suggestion"] = {
            "category": slug,
            "name_ar": category.name_ar,
            "name_en": category.name_en,
            "confidence": round(float(confidence), 4),
            "percent": round(float(confidence) * 100),
            "careful_look": careful_look(found, confident_at),
        }
