"""Kiosk: choose hall and service, get a numbered ticket with a QR code."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.appointments import actions as appointment_actions
from reception.auth.guard import code_checks, code_failed, refuse_codes_while_waiting
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.auth.throttle import Check
from reception.errors import NotFound, TooManyRequests
from reception.forms import Refusal, attempt
from reception.kiosk.walk_in import walk_in_offer
from reception.qr import qr_data_uri
from reception.queue import checkin, read_models
from reception.queue.checkin import IssuedTicket
from reception.queue.queries import principal_branch
from reception.remote.queries import takes_remote
from reception.web import (
    check_csrf,
    ctx,
    language_of,
    path_id,
    read,
    render,
    require_principal,
    run_action,
    t,
)

KIOSK_ROLES = (Role.kiosk, Role.admin, Role.supervisor)


async def kiosk_principal(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_role(*KIOSK_ROLES)
    return principal


async def start(request: Request) -> Response:
    principal = await kiosk_principal(request)
    q = request.query_params
    if q.get("reset"):
        # The next visitor starts in the default language, on the first step.
        request.session.pop("lang", None)
        return RedirectResponse("/kiosk", status_code=303)
    hall, service, priority = q.get("hall") or None, q.get("service") or None, q.get("priority")
    clock = ctx(request).clock
    view = await read(
        request, lambda s: read_models.kiosk_view(s, principal, hall, service, priority, clock)
    )
    return render(
        request,
        "kiosk/start.html",
        {
            "view": view,
            "nonce": secrets.token_urlsafe(16),
            "remote": await _takes_remote(request, principal),
        },
    )


async def _takes_remote(request: Request, principal: Principal) -> bool:
    return await read(
        request,
        lambda s: takes_remote(s, principal_branch(s, principal, None).id),
    )


async def take_ticket(request: Request) -> Response:
    principal = await kiosk_principal(request)
    form = await check_csrf(request)
    app = ctx(request)
    hall = str(form.get("hall", ""))
    service = str(form.get("service", ""))
    priority = str(form.get("priority", "") or "none")
    phone = str(form.get("phone", "")).strip()
    residency = str(form.get("residency", "") or "")[:16] or None
    if form.get("skip_phone"):
        phone = ""
    view = await read(
        request,
        lambda s: read_models.kiosk_view(s, principal, hall or None, service, priority, app.clock),
    )
    issued = await attempt(
        request,
        run_action(
            request,
            lambda s: checkin.issue_ticket(
                s,
                app.clock,
                principal,
                branch=view.branch.slug,
                hall=hall,
                service=service,
                priority=None if priority == "none" else priority,
                phone=phone or None,
                residency=residency,
                language=language_of(request),
                public_base_url=app.settings.public_base_url,
                idempotency_key=str(form.get("nonce") or "") or None,
            ),
        ),
    )
    if isinstance(issued, Refusal):
        context = {
            "view": view,
            "error": issued.message,
            "phone": phone,
            "residency": residency,
            "nonce": secrets.token_urlsafe(16),
        }
        return render(request, "kiosk/start.html", context, status_code=issued.status_code)
    return RedirectResponse(f"/kiosk/tickets/{issued.ticket.id}", status_code=303)


async def appointment_page(request: Request) -> Response:
    principal = await kiosk_principal(request)
    clock = ctx(request).clock
    view = await read(
        request, lambda s: read_models.kiosk_view(s, principal, None, None, None, clock)
    )
    return render(request, "kiosk/appointment.html", {"view": view})


async def check_in(request: Request) -> Response:
    """Check in with the code the visitor types, or that the kiosk's QR scanner types."""
    principal = await kiosk_principal(request)
    form = await check_csrf(request)
    app = ctx(request)
    code = str(form.get("code", "")).strip()[:40]
    residency = str(form.get("residency", "") or "")[:16] or None
    checks = code_checks(request, principal, code)
    issued = await attempt(
        request,
        _checked_in(request, principal, code, residency, checks),
        passes=lambda exc: exc.code in ("login_required", "wrong_role"),
    )
    if isinstance(issued, Refusal):
        exc = issued.error
        if isinstance(exc, NotFound):
            await code_failed(request, principal, checks)
        view = await read(
            request, lambda s: read_models.kiosk_view(s, principal, None, None, None, app.clock)
        )
        refusal = exc
        offer = await read(request, lambda s: walk_in_offer(s, principal, code, refusal))
        message = t(request, offer.message, time=offer.time) if offer else None
        context = {
            "view": view,
            "offer": offer,
            "error": message or issued.message,
            "code": code,
            "why": exc.code,
            "residency": residency,
        }
        page = render(request, "kiosk/appointment.html", context, status_code=exc.status_code)
        if isinstance(exc, TooManyRequests):
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    return RedirectResponse(f"/kiosk/tickets/{issued.ticket.id}", status_code=303)


async def _checked_in(
    request: Request, principal: Principal, code: str, residency: str | None, checks: list[Check]
) -> IssuedTicket:
    """The appointment's ticket, unless the kiosk must first wait out wrong codes."""
    await refuse_codes_while_waiting(request, checks)
    app = ctx(request)
    return await run_action(
        request,
        lambda s: appointment_actions.check_in(
            s,
            app.clock,
            principal,
            code=code,
            public_base_url=app.settings.public_base_url,
            language=language_of(request),
            residency=residency,
        ),
    )


async def show_ticket(request: Request) -> Response:
    principal = await kiosk_principal(request)
    ticket_id = path_id(request, "ticket_id", "ticket")
    view = await read(request, lambda s: read_models.kiosk_ticket(s, principal, ticket_id))
    url = f"{ctx(request).settings.public_base_url}/t/{view.ticket.tracking_token}"
    return render(request, "kiosk/ticket.html", {"t": view, "qr": qr_data_uri(url)})


routes = [
    Route("/kiosk", start, methods=["GET"]),
    Route("/kiosk/tickets", take_ticket, methods=["POST"]),
    Route("/kiosk/tickets/{ticket_id}", show_ticket, methods=["GET"]),
    Route("/kiosk/appointment", appointment_page, methods=["GET"]),
    Route("/kiosk/appointment", check_in, methods=["POST"]),
]
