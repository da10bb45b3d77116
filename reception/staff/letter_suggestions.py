"""Suggestions on the triage desk: the registration form asks `POST /staff/letters/suggest`
as the operator types (the session-and-CSRF twin of `POST /api/v1/letters/suggest`, with
the same checks and the same answer), and the triage list shows each waiting letter's
first suggestion."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.bodies import invalid_answer
from reception.api.letters import advice_answer
from reception.api.schemas import SuggestBody
from reception.errors import N_
from reception.forms import Refusal, attempt
from reception.letters import advice
from reception.letters import setup as letter_setup
from reception.web import check_csrf, ctx, language_of, read, require_principal, t


async def suggest_form(request: Request) -> Response:
    """The form's fields `subject` and `body` (and `csrf_token`); a JSON answer, errors
    as `{"error": {code, message}}` in the page's language."""
    principal = await require_principal(request)
    refused = await attempt(request, check_csrf(request), passes=lambda e: e.status_code == 401)
    if isinstance(refused, Refusal):
        return _error(refused)
    form: dict[str, str] = {
        "subject": str(refused.get("subject", "")),
        "body": str(refused.get("body", "")),
    }
    if refused.get("branch"):
        form["branch"] = str(refused["branch"])
    try:
        body = SuggestBody.model_validate(form)
    except ValidationError as exc:
        return invalid_answer(request, exc)
    answer = await attempt(
        request, advice_answer(request, principal, body), passes=lambda e: e.status_code == 401
    )
    if isinstance(answer, Refusal):
        return _error(answer)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def _error(refusal: Refusal) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": refusal.error.code, "message": refusal.message}},
        status_code=refusal.status_code,
    )


async def form_config(request: Request) -> dict[str, Any]:
    """What the registration form's script needs: where to ask, the categories' names
    and its words, in the page's language."""
    language = language_of(request)
    categories = await read(request, letter_setup.list_categories)
    names = {c.slug: (c.name_en if language == "en" else c.name_ar) for c in categories}
    return {
        "url": "/staff/letters/suggest",
        "names": names,
        "careful": t(request, N_("needs a careful look")),
        "too_few": t(request, N_("Too few examples yet: no suggestion.")),
        "learning": t(request, N_("Learning from earlier decisions…")),
        "off": t(request, N_("Suggestions are switched off.")),
        "none": t(request, N_("No suggestion for this text yet.")),
        "failed": t(request, N_("Suggestions are not available just now.")),
        "lead": t(request, N_("Suggested categories (you decide on the letter's page):")),
    }


async def rows_with_suggestions(request: Request, rows: list[dict[str, Any]]) -> None:
    """Add each waiting row's first suggestion (one ranking for the whole list)."""
    model = request.app.state.suggestions
    confident_at = ctx(request).settings.suggestion_confident_at
    await read(request, lambda s: advice.suggest_rows(s, model, rows, confident_at))


routes = [Route("/staff/letters/suggest", suggest_form, methods=["POST"])]
