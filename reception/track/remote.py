"""What a visitor who joined from a phone says on their tracking page: on my way,
I'll be late (once, after a confirm step), cancel my ticket (after a confirm step),
and — where the branch allows — I'm here, by the phone's location. Each form runs
one action and goes back to `/t/<token>` with a message."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.errors import N_, DomainError, Invalid, NotFound, TooManyRequests
from reception.forms import submit
from reception.remote import actions
from reception.remote import queries as remote_queries
from reception.track.routes import count_missed_link, guard_link, read_tracked
from reception.web import check_csrf, ctx, render, run_action


def _token(request: Request) -> str:
    return str(request.path_params["token"])[:64]


def _not_the_forms(exc: DomainError) -> bool:
    """A link that does not exist, too many guesses, an expired form: the error pages
    answer them."""
    return isinstance(exc, NotFound | TooManyRequests) or exc.code == "csrf"


async def _change(request: Request, change: Any) -> Any:
    """Run a visitor's change from a form; a link that does not exist counts as a
    guess like any other."""
    checks = await guard_link(request)
    form = await check_csrf(request)
    try:
        return await run_action(request, lambda s: change(s, form))
    except NotFound:
        await count_missed_link(request, checks)
        raise


async def _done(request: Request, change: Any, done: str) -> Response:
    token = _token(request)
    return await submit(
        request, _change(request, change), back=f"/t/{token}", done=done, passes=_not_the_forms
    )


async def on_way(request: Request) -> Response:
    clock = ctx(request).clock
    token = _token(request)
    return await _done(
        request,
        lambda s, form: actions.on_my_way(
            s, clock, token=token, minutes=form.get("minutes") or form.get("other_minutes") or ""
        ),
        N_("Thank you: the line knows you are on your way."),
    )


async def _confirm_page(request: Request, step: str) -> Response:
    token = _token(request)
    ticket, facts = await read_tracked(
        request, lambda s: remote_queries.remote_ticket_by_token(s, token)
    )
    if ticket.status not in ("remote", "waiting") or (step == "late" and not facts.may_be_late):
        return RedirectResponse(f"/t/{token}", status_code=303)
    context = {"ticket": ticket, "facts": facts, "step": step, "token": token}
    return render(request, "track/remote_confirm.html", context)


async def late_page(request: Request) -> Response:
    return await _confirm_page(request, "late")


async def be_late(request: Request) -> Response:
    clock = ctx(request).clock
    token = _token(request)
    return await _done(
        request,
        lambda s, form: actions.be_late(s, clock, token=token, places=form.get("places") or ""),
        N_("Done: you moved back in the line."),
    )


async def cancel_page(request: Request) -> Response:
    return await _confirm_page(request, "cancel")


async def cancel(request: Request) -> Response:
    clock = ctx(request).clock
    token = _token(request)
    return await _done(
        request,
        lambda s, _: actions.cancel_remote(s, clock, token=token),
        N_("Your ticket is cancelled. Your place is free for others."),
    )


def _number(form: dict[str, Any], name: str) -> float:
    try:
        return float(str(form.get(name, "")).strip()[:32])
    except ValueError:
        raise Invalid("bad_location", N_("Your phone did not give a usable location.")) from None


async def here(request: Request) -> Response:
    clock = ctx(request).clock
    token = _token(request)
    return await _done(
        request,
        lambda s, form: actions.arrive_by_location(
            s,
            clock,
            token=token,
            latitude=_number(form, "latitude"),
            longitude=_number(form, "longitude"),
            accuracy_m=_number(form, "accuracy"),
        ),
        N_("You are checked in. Please wait in the hall for your number."),
    )


routes = [
    Route("/t/{token}/on-way", on_way, methods=["POST"]),
    Route("/t/{token}/late", late_page, methods=["GET"]),
    Route("/t/{token}/late", be_late, methods=["POST"]),
    Route("/t/{token}/cancel", cancel_page, methods=["GET"]),
    Route("/t/{token}/cancel", cancel, methods=["POST"]),
    Route("/t/{token}/here", here, methods=["POST"]),
]
