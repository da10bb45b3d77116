"""Pure policy of ratings: what a valid rating is and which visits may still be rated."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from reception.errors import N_, Conflict, Invalid
from reception.feedback.models import REASONS
from reception.inputs import to_int
from reception.queue.models import Ticket, TicketStatus

RATE_WITHIN = timedelta(hours=24)
"""A visit may be rated this long after it finished, not later."""
COUNTER_TABLET_MINUTES = 10
"""A counter's tablet offers the visit finished there at most this long ago."""
MAX_COMMENT = 500
MAX_SCORE = 5

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"([A-Z]{1,8})-?([0-9]{1,4})")


def clean_score(score: object) -> int:
    if isinstance(score, str):
        score = to_int(score, low=1, high=MAX_SCORE, typed=True)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= MAX_SCORE:
        raise Invalid("bad_score", N_("Please choose one of the five faces."))
    return score


def clean_reasons(reasons: Iterable[object]) -> list[str]:
    """The chosen reasons in their usual order, each once; anything else is refused."""
    chosen = set()
    for reason in reasons:
        if not isinstance(reason, str) or reason not in REASONS:
            raise Invalid("bad_reason", N_("This is not one of the reasons you can choose."))
        chosen.add(reason)
    return [r for r in REASONS if r in chosen]


def clean_comment(comment: object) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise Invalid("bad_comment", N_("The comment must be text."))
    text = comment.strip()
    if len(text) > MAX_COMMENT:
        raise Invalid(
            "comment_too_long",
            N_("Please shorten your comment to {max} characters."),
            max=MAX_COMMENT,
        )
    return text


def normalise_ticket_number(typed: str) -> str:
    """What a visitor types ("m12", "M 012", Arabic-Indic digits) as printed: M-012."""
    text = typed.translate(_DIGITS).upper().replace(" ", "").replace("–", "-")
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise Invalid(
            "bad_ticket_number",
            N_("Please type the number printed on your ticket, for example M-012."),
        )
    return f"{match.group(1)}-{int(match.group(2)):03d}"


def check_ratable(ticket: Ticket, now: datetime, already_rated: bool) -> None:
    """One rating per finished visit, within a day of its end."""
    if ticket.status != TicketStatus.done or ticket.finished_at is None:
        raise Conflict(
            "not_finished",
            N_("This visit has not finished yet. You can rate it once you have been served."),
        )
    if already_rated:
        raise Conflict(
            "already_rated",
            N_("Thank you, this visit has already been rated. One rating is enough."),
        )
    if now - ticket.finished_at > RATE_WITHIN:
        raise Conflict(
            "too_late_to_rate",
            N_("Visits can be rated for 24 hours after they end. Thank you for thinking of us."),
        )
