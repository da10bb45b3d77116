"""JSON API v1 for visit ratings: a rating device (kiosk token) sends what the visitor
chose. The same action as the tablet screen and the SMS link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import ApiRoute, Operation
from reception.api.schemas import RatingCreate
from reception.feedback import actions
from reception.feedback.models import RatingSource
from reception.web import ctx, require_principal, run_action


async def create_rating(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_body(request, RatingCreate)
    if isinstance(body, JSONResponse):
        return body
    clock = ctx(request).clock
    rated = await run_action(
        request,
        lambda s: actions.rate_visit(
            s,
            clock,
            principal,
            ticket=body.ticket,
            score=body.score,
            reasons=body.reasons,
            comment=body.comment,
            source=RatingSource.device,
        ),
    )
    return JSONResponse(rated.as_dict(), status_code=201)


routes = [
    ApiRoute(
        "/api/v1/ratings",
        create_rating,
        post=Operation(
            "Rate a finished visit (kiosk token of the ticket's branch and hall): once per "
            "ticket, within 24 hours of its end; a second rating is 409 already_rated, a "
            "visit not finished 409 not_finished, a late one 409 too_late_to_rate",
            operation_id="rateVisit",
            body=RatingCreate,
            answers={201: "The rating: `{id, ticket, score, reasons, comment, source, at}`"},
        ),
    ),
]
