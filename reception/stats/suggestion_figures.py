"""How often the operators took the model's first category suggestion: the letters
classified in the period while a suggestion was shown (by when they were classified,
in the branch's days), by the category chosen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from reception.letters.models import SuggestionDecision
from reception.stats.numbers import share
from reception.stats.windows import Window, within


def first_suggestion_figures(session: Session, found: list[Window]) -> dict[str, Any]:
    """`decisions` (letters classified with a suggestion), `accepted` (the category
    chosen was the first suggestion), `rate` (accepted as a percentage of decisions, one
    decimal; None without decisions), and the same by the slug of the category chosen,
    most decisions first."""
    accepted = func.sum(case((col(SuggestionDecision.accepted), 1), else_=0))
    rows = session.execute(
        select(col(SuggestionDecision.chosen), func.count(), accepted)
        .where(within(found, col(SuggestionDecision.branch_id), col(SuggestionDecision.decided_at)))
        .group_by(col(SuggestionDecision.chosen))
    ).all()
    counts = sorted(
        ((str(slug), int(n), int(a or 0)) for slug, n, a in rows), key=lambda r: (-r[1], r[0])
    )
    by_category = {
        slug: {"decisions": n, "accepted": a, "rate": share(a, n)} for slug, n, a in counts
    }
    decisions = sum(n for _, n, _ in counts)
    taken = sum(a for _, _, a in counts)
    return {
        "decisions": decisions,
        "accepted": taken,
        "rate": share(taken, decisions),
        "by_category": by_category,
    }
