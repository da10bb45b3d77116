"""Pairing a kiosk or a hall display with its device token.

A technician opens `/device` on the screen once and types the token an administrator
issued for it (bound to a branch, and for a display to one hall). The browser then
holds a session that names the token: it never expires, and revoking the token signs
the device out at once, on every worker. The token itself never appears in a URL."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth.guard import address_checks, count_failure, login_wait
from reception.auth.models import Role
from reception.auth.queries import principal_for_token
from reception.errors import N_
from reception.web import check_csrf, read, render, t

DEVICE_LANDING = {Role.kiosk: "/kiosk", Role.display: "/display"}


async def pair_page(request: Request) -> Response:
    return render(request, "staff/device.html", {})


async def pair(request: Request) -> Response:
    form = await check_csrf(request)
    token = str(form.get("token", "")).strip()[:200]
    checks = address_checks(request)
    wait = await login_wait(request, checks)
    if wait:
        message = t(
            request,
            N_("Too many wrong attempts. Please try again in {minutes} minutes."),
            minutes=max(1, -(-wait // 60)),
        )
        response = render(request, "staff/device.html", {"error": message}, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    principal = await read(request, lambda s: principal_for_token(s, token)) if token else None
    if principal is None or principal.role not in DEVICE_LANDING:
        await count_failure(request, checks)
        message = t(request, N_("This is not a valid kiosk or display token."))
        return render(request, "staff/device.html", {"error": message}, 401)
    request.session.clear()
    request.session["device_token_id"] = principal.id
    return RedirectResponse(DEVICE_LANDING[Role(principal.role)], status_code=303)


routes = [
    Route("/device", pair_page, methods=["GET"]),
    Route("/device", pair, methods=["POST"]),
]
