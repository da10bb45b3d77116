"""JSON API v1 for visit ratings: a rating device (kiosk token) sends what the visitor
chose. The same action as the tablet screen and the SMS link."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.routes import _body
from reception.feedback import actions
from reception.feedback.models import REASONS, RatingSource
from reception.inputs import Id
from reception.web import ctx, require_principal, run_action


class RatingCreate(BaseModel):
    """Score, reasons and comment are checked by the rating action itself, so every
    mistake gets the same clear, translated message as on the screens."""

    model_config = ConfigDict(extra="forbid")

    ticket: Id | str = Field(
        description="The ticket's id, or the number printed on it (today's, in the "
        "device's halls).",
        examples=["M-012"],
    )
    score: StrictInt = Field(
        description="1 (very bad) to 5 (excellent).",
        json_schema_extra={"minimum": 1, "maximum": 5},
        examples=[5],
    )
    reasons: list[str] = Field(
        default_factory=list,
        max_length=len(REASONS),
        description="What the rating is about; any of the listed reasons, each once.",
        json_schema_extra={"items": {"type": "string", "enum": list(REASONS)}},
        examples=[["staff", "waiting"]],
    )
    comment: str = Field(
        default="",
        description="Optional free text, at most 500 characters.",
        json_schema_extra={"maxLength": 500},
    )


RATING_MODELS: list[type[BaseModel]] = [RatingCreate]


async def create_rating(request: Request) -> Response:
    principal = await require_principal(request)
    body = await _body(request, RatingCreate)
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
    Route("/api/v1/ratings", create_rating, methods=["POST"]),
]
