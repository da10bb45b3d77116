"""Kiosk: a visitor who joined from their phone checks in with the code on its
tracking page, typed on the keypad or scanned (the scanner types the six digits and
Enter). A code that does not exist counts as a guess, as appointment codes do."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth.guard import code_checks, code_failed, refuse_while_waiting
from reception.auth.principal import Principal
from reception.auth.throttle import Check
from reception.errors import N_, NotFound, TooManyRequests
from reception.forms import Refusal, attempt
from reception.kiosk.routes import kiosk_principal
from reception.queue import read_models
from reception.queue.models import Ticket
from reception.queue.queries import principal_branch
from reception.remote import actions
from reception.web import check_csrf, ctx, read, render, run_action

TOO_MANY_CODES = N_("Too many wrong codes. Please ask at the counter for help.")


async def _page(
    request: Request, principal: Principal, *, code: str = "", error: str | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    clock = ctx(request).clock
    view = await read(
        request, lambda s: read_models.kiosk_view(s, principal, None, None, None, clock)
    )
    context = {"view": view, "code": code, "error": error}
    return render(request, "kiosk/remote.html", context, status_code=status_code)


async def remote_page(request: Request) -> Response:
    principal = await kiosk_principal(request)
    return await _page(request, principal)


async def arrive(request: Request) -> Response:
    principal = await kiosk_principal(request)
    form = await check_csrf(request)
    code = str(form.get("code", "")).strip()[:40]
    checks = code_checks(request, principal, code)
    arrived = await attempt(
        request,
        _arrived(request, principal, code, checks),
        passes=lambda exc: exc.code in ("login_required", "wrong_role"),
    )
    if isinstance(arrived, Refusal):
        if isinstance(arrived.error, NotFound):
            await code_failed(request, principal, checks)
        page = await _page(
            request, principal, code=code, error=arrived.message,
            status_code=arrived.status_code,
        )  # fmt: skip
        if isinstance(arrived.error, TooManyRequests):
            page.headers["Retry-After"] = str(arrived.error.retry_after)
        return page
    return RedirectResponse(f"/kiosk/tickets/{arrived.id}", status_code=303)


async def _arrived(
    request: Request, principal: Principal, code: str, checks: list[Check]
) -> Ticket:
    await refuse_while_waiting(request, checks, "too_many_codes", TOO_MANY_CODES)
    app = ctx(request)
    return await run_action(
        request,
        lambda s: actions.arrive_by_code(
            s, app.clock, principal, branch=principal_branch(s, principal, None).slug, code=code
        ),
    )


routes = [
    Route("/kiosk/remote", remote_page, methods=["GET"]),
    Route("/kiosk/remote", arrive, methods=["POST"]),
]
