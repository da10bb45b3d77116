"""JSON API v1 for appointments: book (staff token), check in (kiosk token)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.routes import _body
from reception.api.schemas import AppointmentCreate, CheckInBody
from reception.appointments import actions
from reception.web import ctx, require_principal, run_action


async def book(request: Request) -> Response:
    principal = await require_principal(request)
    body = await _body(request, AppointmentCreate)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    row = await run_action(
        request, lambda s: actions.book_appointment(s, app.clock, principal, **body.model_dump())
    )
    return JSONResponse(
        {
            "id": row.id,
            "code": row.code,
            "starts_at": row.starts_at.isoformat(),
            "status": row.status,
        },
        status_code=201,
    )


async def check_in(request: Request) -> Response:
    principal = await require_principal(request)
    body = await _body(request, CheckInBody)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    issued = await run_action(
        request,
        lambda s: actions.check_in(
            s,
            app.clock,
            principal,
            code=body.code,
            public_base_url=app.settings.public_base_url,
            language=body.language,
        ),
    )
    return JSONResponse(issued.as_dict(), status_code=200 if issued.replayed else 201)


routes = [
    Route("/api/v1/appointments", book, methods=["POST"]),
    Route("/api/v1/appointments/check-in", check_in, methods=["POST"]),
]
