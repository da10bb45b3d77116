"""Joining the line from a phone: `/join/<branch>` (also behind the QR poster at the
entrance) asks for the hall, the service, a priority where the branch offers one and
the mobile number; the SMS code comes next (`/join/<branch>/code/<join token>`), and
the right code opens the ticket's tracking page. The number is never in a URL."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth.guard import client_address
from reception.errors import N_, Invalid, NotFound, TooManyRequests
from reception.forms import Refusal, attempt
from reception.i18n import translations
from reception.remote import joining
from reception.remote import queries as remote_queries
from reception.web import check_csrf, ctx, language_of, read, render, run_action, t

WEEK = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _slug(request: Request) -> str:
    return str(request.path_params["branch"])[:64]


def _passes(exc: Exception) -> bool:
    """Only an expired form is the error page's to answer; everything else the form
    shows in the visitor's language."""
    return getattr(exc, "code", "") == "csrf"


async def _form_page(
    request: Request,
    *,
    chosen: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    clock = ctx(request).clock
    slug = _slug(request)
    offer = await read(request, lambda s: remote_queries.join_offer(s, clock.now(), slug))
    context: dict[str, Any] = {
        "offer": offer,
        "week": WEEK,
        "chosen": chosen or {},
        "error": error,
    }
    return render(request, "join/form.html", context, status_code=status_code)


async def join_page(request: Request) -> Response:
    return await _form_page(request)


async def start_join(request: Request) -> Response:
    form = await check_csrf(request)
    app = ctx(request)
    slug = _slug(request)
    chosen = {
        name: str(form.get(name, "") or "").strip()[:40]
        for name in ("hall", "service", "priority", "phone")
    }
    started = await attempt(
        request,
        run_action(
            request,
            lambda s: joining.start_join(
                s,
                app.clock,
                branch=slug,
                hall=chosen["hall"] or _missing("hall"),
                service=chosen["service"] or _missing("service"),
                phone=chosen["phone"],
                priority=None if chosen["priority"] in ("", "none") else chosen["priority"],
                language=language_of(request),
                address=client_address(request),
                secret=app.settings.secret_key,
            ),
        ),
        passes=_passes,
    )
    if isinstance(started, Refusal):
        page = await _form_page(
            request, chosen=chosen, error=started.message, status_code=started.status_code
        )
        if isinstance(started.error, TooManyRequests):
            page.headers["Retry-After"] = str(started.error.retry_after)
        return page
    return RedirectResponse(f"/join/{slug}/code/{started.token}", status_code=303)


def _missing(what: str) -> str:
    if what == "hall":
        raise Invalid("no_hall_chosen", N_("Please choose the hall."))
    raise Invalid("no_service_chosen", N_("Please choose what you have come for."))


async def _code_page(
    request: Request, error: str | None = None, status_code: int = 200
) -> Response:
    slug, token = _slug(request), str(request.path_params["token"])[:64]
    pending = await read(request, lambda s: remote_queries.pending_join(s, slug, token))
    context = {"p": pending, "slug": slug, "token": token, "error": error}
    return render(request, "join/code.html", context, status_code=status_code)


async def code_page(request: Request) -> Response:
    return await _code_page(request)


async def confirm_code(request: Request) -> Response:
    form = await check_csrf(request)
    app = ctx(request)
    token = str(request.path_params["token"])[:64]
    code = str(form.get("code", "") or "")[:40]
    answer = await attempt(
        request,
        run_action(
            request,
            lambda s: joining.confirm_join(
                s,
                app.clock,
                token=token,
                code=code,
                secret=app.settings.secret_key,
                public_base_url=app.settings.public_base_url,
            ),
        ),
        passes=lambda exc: exc.code == "csrf" or isinstance(exc, NotFound),
    )
    if isinstance(answer, Refusal):
        return await _code_page(request, answer.message, answer.status_code)
    if answer.issued is None:
        left = answer.tries_left
        message = (
            t(request, N_("Wrong code. Too many wrong codes: please start again."))
            if left == 0
            else _tries_left(request, left)
        )
        return await _code_page(request, message, 422)
    return RedirectResponse(f"/t/{answer.issued.ticket.tracking_token}", status_code=303)


def _tries_left(request: Request, left: int) -> str:
    text = translations(language_of(request)).ngettext(
        "Wrong code, %(num)s try left.", "Wrong code, %(num)s tries left.", left
    )
    return text % {"num": left}


routes = [
    Route("/join/{branch}", join_page, methods=["GET"]),
    Route("/join/{branch}", start_join, methods=["POST"]),
    Route("/join/{branch}/code/{token}", code_page, methods=["GET"]),
    Route("/join/{branch}/code/{token}", confirm_code, methods=["POST"]),
]
