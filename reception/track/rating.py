"""Rating screens.

`/rate` is the tablet a visitor passes on the way out, paired at `/device` with a kiosk
token. `/rate?counter=<id>` binds it to one counter (kept in the device's session):
it then offers the visit that just ended there; otherwise the visitor types the
number printed on the ticket. `/r/<token>` is the link in the SMS sent when a visit
ended: no login, guarded against guessing like the tracking pages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.errors import N_, DomainError, Forbidden, NotFound
from reception.feedback import actions, queries
from reception.feedback.models import RatingSource
from reception.feedback.queries import RateView
from reception.forms import Refusal, attempt, shows_every_error, signed_out_or_forbidden
from reception.inputs import to_id
from reception.track.routes import count_missed_link, guard_link, read_tracked
from reception.web import (
    check_csrf,
    ctx,
    error_text,
    read,
    render,
    require_principal,
    run_action,
)

SESSION_COUNTER = "rate_counter"
THANKS_SECONDS = 8
"""The thank-you screen returns to the start after this long."""
IDLE_SECONDS = 60
"""A rating screen left alone goes back to the start (and to Arabic)."""
WAIT_SECONDS = 15
"""A counter's tablet with nothing to rate looks again this often."""


async def _device(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_role(Role.kiosk)
    return principal


def _counter_id(raw: str) -> int:
    value = to_id(raw)
    if value is None:
        raise NotFound("unknown_counter", N_("There is no counter {id}."), id=raw[:12])
    return value


def _form_values(form: Any) -> dict[str, Any]:
    return {
        "score": str(form.get("score") or ""),
        "reasons": [str(r) for r in form.getlist("reason")][:20],
        "comment": str(form.get("comment") or ""),
    }


def _page(
    request: Request,
    view: RateView | None,
    *,
    token: str = "",
    error: str | None = None,
    chosen: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    problem = error_text(request, view.problem) if view and view.problem else None
    return_after = None
    if view is not None and view.mode == "device":
        waiting = view.bound_counter is not None and view.ticket is None
        waiting = waiting and not view.typed and not view.manual
        return_after = WAIT_SECONDS if waiting and not problem else IDLE_SECONDS
    context = {
        "view": view,
        "token": token,
        "problem": problem,
        "error": error,
        "chosen": chosen or {"score": "", "reasons": [], "comment": ""},
        "return_after": return_after,
    }
    return render(request, "feedback/rate.html", context, status_code=status_code)


async def rate_page(request: Request) -> Response:
    principal = await _device(request)
    q = request.query_params
    if q.get("reset"):
        # The next visitor starts in the default language.
        request.session.pop("lang", None)
        return RedirectResponse("/rate", status_code=303)
    if "counter" in q:
        raw = q["counter"].strip()
        if raw in ("", "none"):
            request.session.pop(SESSION_COUNTER, None)
        else:
            chosen = _counter_id(raw)
            await read(request, lambda s: queries.counter_for_device(s, principal, chosen))
            request.session[SESSION_COUNTER] = chosen
        return RedirectResponse("/rate", status_code=303)
    clock = ctx(request).clock
    bound = request.session.get(SESSION_COUNTER)
    counter_id: int | None = bound if isinstance(bound, int) else None
    typed = q.get("number", "").strip()[:20] or None
    manual = bool(q.get("manual"))

    def load(s: Any) -> RateView:
        return queries.device_rate_view(
            s, clock, principal, counter_id=counter_id, typed=typed, manual=manual
        )

    try:
        view = await read(request, load)
    except (NotFound, Forbidden):
        if counter_id is None:
            raise
        # The bound counter is gone or no longer this device's: forget it.
        request.session.pop(SESSION_COUNTER, None)
        counter_id = None
        view = await read(request, load)
    return _page(request, view)


async def rate(request: Request) -> Response:
    principal = await _device(request)
    form = await check_csrf(request)
    values = _form_values(await request.form())
    ticket = str(form.get("ticket") or "").strip()[:20]
    clock = ctx(request).clock
    ticket_id = to_id(ticket)
    rated = await attempt(
        request,
        run_action(
            request,
            lambda s: actions.rate_visit(
                s,
                clock,
                principal,
                ticket=ticket,
                score=values["score"],
                reasons=values["reasons"],
                comment=values["comment"],
                source=RatingSource.device,
            ),
        ),
        passes=lambda exc: signed_out_or_forbidden(exc) or ticket_id is None,
    )
    if isinstance(rated, Refusal) and ticket_id is not None:
        shown = ticket_id
        view = await read(
            request,
            lambda s: queries.device_rate_view(s, clock, principal, ticket_id=shown),
        )
        error = None if view.problem else rated.message
        return _page(request, view, error=error, chosen=values, status_code=rated.status_code)
    return RedirectResponse("/rate/thanks", status_code=303)


async def thanks(request: Request) -> Response:
    await _device(request)
    context = {"device": True, "return_after": THANKS_SECONDS}
    return render(request, "feedback/thanks.html", context)


def _token(request: Request) -> str:
    return str(request.path_params["token"])[:64]


def _missing(request: Request, exc: DomainError) -> Response:
    context = {"view": None, "missing": error_text(request, exc), "return_after": None}
    return render(request, "feedback/rate.html", context, status_code=404)


async def link_page(request: Request) -> Response:
    token = _token(request)
    clock = ctx(request).clock
    try:
        view = await read_tracked(request, lambda s: queries.link_rate_view(s, clock, token))
    except NotFound as exc:
        return _missing(request, exc)
    return _page(request, view, token=token)


async def rate_by_link(request: Request) -> Response:
    token = _token(request)
    checks = await guard_link(request)
    await check_csrf(request)
    values = _form_values(await request.form())
    clock = ctx(request).clock
    rated = await attempt(
        request,
        run_action(
            request,
            lambda s: actions.rate_visit(
                s,
                clock,
                None,
                ticket=token,
                score=values["score"],
                reasons=values["reasons"],
                comment=values["comment"],
                source=RatingSource.sms,
            ),
        ),
        passes=shows_every_error,
    )
    if isinstance(rated, Refusal) and isinstance(rated.error, NotFound):
        await count_missed_link(request, checks)
        return _missing(request, rated.error)
    if isinstance(rated, Refusal):
        view = await read(request, lambda s: queries.link_rate_view(s, clock, token))
        error = None if view.problem else rated.message
        return _page(
            request, view, token=token, error=error, chosen=values, status_code=rated.status_code
        )
    return RedirectResponse(f"/r/{token}/thanks", status_code=303)


async def link_thanks(request: Request) -> Response:
    token = _token(request)
    try:
        rating = await read_tracked(request, lambda s: queries.link_rating(s, token))
    except NotFound as exc:
        return _missing(request, exc)
    if rating is None:
        return RedirectResponse(f"/r/{token}", status_code=303)
    return render(request, "feedback/thanks.html", {"device": False, "return_after": None})


routes = [
    Route("/rate", rate_page, methods=["GET"]),
    Route("/rate", rate, methods=["POST"]),
    Route("/rate/thanks", thanks, methods=["GET"]),
    Route("/r/{token}", link_page, methods=["GET"]),
    Route("/r/{token}", rate_by_link, methods=["POST"]),
    Route("/r/{token}/thanks", link_thanks, methods=["GET"]),
]
