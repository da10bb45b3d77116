"""The only writer of ratings: one per finished visit, from a rating device (a kiosk
token) or from the link in the SMS sent when the visit ended."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from reception import audit
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Invalid, Unauthorized
from reception.feedback import queries, rules
from reception.feedback.models import Rating, RatingSource
from reception.outcome import Outcome
from reception.queue.models import Ticket


@dataclass(frozen=True)
class RatedVisit:
    rating: Rating
    ticket: Ticket

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.rating.id,
            "ticket": self.ticket.number,
            "score": self.rating.score,
            "reasons": self.rating.reasons,
            "comment": self.rating.comment,
            "source": self.rating.source,
            "at": self.rating.at.isoformat(),
        }


def rate_visit(
    session: Session,
    clock: Clock,
    principal: Principal | None,
    *,
    ticket: int | str,
    score: object,
    reasons: Iterable[object] = (),
    comment: object = "",
    source: str = RatingSource.device,
) -> Outcome[RatedVisit]:
    """Record a visitor's rating of a finished visit.

    `ticket` is, for a device, the ticket's id or the number printed on it (today's, in
    the device's halls); for an SMS link, the ticket's tracking token. Where and by whom
    the visitor was served is copied from the ticket, so reports need no join."""
    if source == RatingSource.device:
        if principal is None:
            raise Unauthorized("login_required", N_("Please sign in first."))
        principal.require_role(Role.kiosk)
    elif source != RatingSource.sms:
        raise Invalid("bad_source", N_("A rating comes from a device or from an SMS link."))
    clean_score = rules.clean_score(score)
    clean_reasons = rules.clean_reasons(reasons)
    clean_comment = rules.clean_comment(comment)
    if source == RatingSource.sms:
        row = queries.ticket_by_link(session, str(ticket))
    else:
        assert principal is not None
        row = queries.device_ticket(session, clock, principal, ticket)
    assert row.id is not None
    rules.check_ratable(row, clock.now(), queries.rating_for(session, row.id) is not None)
    rating = Rating(
        ticket_id=row.id,
        branch_id=row.branch_id,
        hall_id=row.hall_id,
        service_id=row.service_id,
        counter_id=row.counter_id,
        operator_id=row.called_by_id,
        score=clean_score,
        reasons=clean_reasons,
        comment=clean_comment,
        source=source,
        device_token_id=principal.id if principal and principal.kind == "token" else None,
        at=clock.now(),
    )
    session.add(rating)
    session.flush()
    actor = principal.actor if principal is not None else "citizen"
    audit.record(session, actor, "ticket.rate", "ticket", row.id, score=clean_score, source=source)
    return Outcome(RatedVisit(rating, row))
