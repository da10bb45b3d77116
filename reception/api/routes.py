"""JSON API v1: thin routes over the queue actions."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.openapi import build_openapi
from reception.api.schemas import TicketCreate
from reception.errors import N_, Invalid, NotFound
from reception.queue import actions, queries
from reception.web import ctx, read, require_principal, run_action, t


async def _json_body(request: Request) -> Any:
    if "json" not in request.headers.get("content-type", ""):
        raise Invalid(
            "bad_content_type", N_("Send the body as JSON (Content-Type: application/json).")
        )
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise Invalid("malformed_json", N_("The body is not valid JSON.")) from None


def _validation_message(request: Request, exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    return t(request, N_("Field {field}: {problem}"), field=field, problem=first["msg"])


async def openapi(request: Request) -> Response:
    return JSONResponse(_openapi())


@cache
def _openapi() -> dict[str, Any]:
    return build_openapi()


async def list_branches(request: Request) -> Response:
    await require_principal(request)
    return JSONResponse({"branches": await read(request, queries.branches_tree)})


async def create_ticket(request: Request) -> Response:
    principal = await require_principal(request)
    raw = await _json_body(request)
    try:
        body = TicketCreate.model_validate(raw)
    except ValidationError as exc:
        return JSONResponse(
            {"error": {"code": "invalid", "message": _validation_message(request, exc)}},
            status_code=422,
        )
    app = ctx(request)
    key = request.headers.get("idempotency-key")
    issued = await run_action(
        request,
        lambda s: actions.issue_ticket(
            s,
            app.clock,
            principal,
            public_base_url=app.settings.public_base_url,
            idempotency_key=key,
            **body.model_dump(),
        ),
    )
    return JSONResponse(issued.as_dict(), status_code=200 if issued.replayed else 201)


async def call_next(request: Request) -> Response:
    principal = await require_principal(request)
    try:
        counter_id = int(request.path_params["counter"])
    except ValueError:
        raise NotFound("unknown_counter", N_("There is no counter {id}."), id="?") from None
    app = ctx(request)
    ticket = await run_action(
        request, lambda s: actions.call_next(s, app.clock, principal, counter_id)
    )
    if ticket is None:
        return Response(status_code=204)
    fields = ("id", "number", "status", "service", "counter", "called_at")
    return JSONResponse({k: ticket[k] for k in fields})


routes = [
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
    Route("/api/v1/branches", list_branches, methods=["GET"]),
    Route("/api/v1/tickets", create_ticket, methods=["POST"]),
    Route("/api/v1/counters/{counter}/call-next", call_next, methods=["POST"]),
]
