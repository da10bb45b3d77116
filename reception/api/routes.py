"""JSON API v1: thin routes over the queue actions."""

from __future__ import annotations

import json
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.openapi import build_openapi
from reception.api.schemas import (
    CloseCurrentBody,
    CounterStatusBody,
    DisplayBody,
    FinishBody,
    ResidencyBody,
    TicketCreate,
    TransferBody,
)
from reception.auth import fields
from reception.auth.principal import Principal
from reception.errors import N_, Invalid, NotFound
from reception.queue import actions, counters, display_settings, queries, residency
from reception.web import ctx, path_id, read, require_principal, run_action, t

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)


async def _json_body(request: Request) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Invalid(
            "bad_content_type", N_("Send the body as JSON (Content-Type: application/json).")
        )
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid("malformed_json", N_("The body is not valid JSON.")) from None


def _context(request: Request) -> dict[str, Any]:
    """What the models' validators need: today, to keep dates in their window."""
    return {"today": ctx(request).clock.now().date()}


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
    principal = await require_principal(request)
    tree = await read(request, queries.branches_tree)
    if principal.branch_id is not None:  # everyone but an administrator sees their branch
        tree = [b for b in tree if b["id"] == principal.branch_id]
    for branch in tree:
        del branch["id"]
    return JSONResponse({"branches": tree})


def _require_settable(principal: Principal, write: str, raw: Any) -> None:
    """Before the schema: a field this role may not set is refused with 403 and the
    field's name, not as an unknown field (422)."""
    if isinstance(raw, dict):
        fields.require_settable(principal, write, raw.keys())


async def create_ticket(request: Request) -> Response:
    principal = await require_principal(request)
    raw = await _json_body(request)
    _require_settable(principal, "ticket.issue", raw)
    try:
        body = TicketCreate.model_validate(raw, context=_context(request))
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


TICKET_FIELDS = actions.API_TICKET_FIELDS


def _counter_id(request: Request) -> int:
    return path_id(request, "counter")


def _ticket_json(ticket: dict[str, Any]) -> JSONResponse:
    return JSONResponse({k: ticket[k] for k in TICKET_FIELDS})


async def _body(
    request: Request,
    model: type[BaseModelT],
    principal: Principal | None = None,
    write: str | None = None,
) -> BaseModelT | JSONResponse:
    """The body as `model`, or the 422 answer. With `write`, the fields `principal`
    may not set in it are refused first (403, see reception/auth/fields.py)."""
    raw = await _json_body(request)
    if principal is not None and write is not None:
        _require_settable(principal, write, raw)
    try:
        return model.model_validate(raw, context=_context(request))
    except ValidationError as exc:
        return JSONResponse(
            {"error": {"code": "invalid", "message": _validation_message(request, exc)}},
            status_code=422,
        )


async def _close_current(request: Request) -> str | None | JSONResponse:
    """The optional `close_current` of a call: an empty body says nothing."""
    if not await request.body():
        return None
    body = await _body(request, CloseCurrentBody)
    return body if isinstance(body, JSONResponse) else body.close_current


async def call_next(request: Request) -> Response:
    principal = await require_principal(request)
    counter_id = _counter_id(request)
    close = await _close_current(request)
    if isinstance(close, JSONResponse):
        return close
    app = ctx(request)
    ticket = await run_action(
        request,
        lambda s: actions.call_next(
            s, app.clock, principal, counter_id, app.settings.public_base_url, close
        ),
    )
    if ticket is None:
        return Response(status_code=204)
    return _ticket_json(ticket)


async def call_ticket(request: Request) -> Response:
    principal = await require_principal(request)
    counter_id = _counter_id(request)
    ticket_id = path_id(request, "ticket", "ticket")
    close = await _close_current(request)
    if isinstance(close, JSONResponse):
        return close
    app = ctx(request)
    ticket = await run_action(
        request,
        lambda s: actions.call_ticket(
            s, app.clock, principal, counter_id, ticket_id, app.settings.public_base_url, close
        ),
    )
    return _ticket_json(ticket)


async def current_action(request: Request) -> Response:
    principal = await require_principal(request)
    counter_id = _counter_id(request)
    action = str(request.path_params["action"]).replace("-", "_")
    if action not in CURRENT_ACTIONS:
        raise NotFound("unknown_action", N_("Unknown action."))
    outcome = None
    if action == "finish" and await request.body():
        body = await _body(request, FinishBody, principal, "ticket.finish")
        if isinstance(body, JSONResponse):
            return body
        outcome = body.outcome
    app = ctx(request)
    ticket = await run_action(
        request,
        lambda s: actions.act_on_current(
            s, app.clock, principal, counter_id, action, outcome, app.settings.public_base_url
        ),
    )
    return _ticket_json(ticket)


async def transfer(request: Request) -> Response:
    principal = await require_principal(request)
    counter_id = _counter_id(request)
    body = await _body(request, TransferBody, principal, "ticket.transfer")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    ticket = await run_action(
        request,
        lambda s: actions.transfer_ticket(
            s,
            app.clock,
            principal,
            counter_id,
            service=body.service,
            to_counter=body.counter,
            to_back=body.to_back,
        ),
    )
    return _ticket_json(ticket)


async def counter_status(request: Request) -> Response:
    principal = await require_principal(request)
    counter_id = _counter_id(request)
    body = await _body(request, CounterStatusBody, principal, "counter.status")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    counter = await run_action(
        request,
        lambda s: counters.set_counter_status(
            s,
            app.clock,
            principal,
            counter_id,
            body.action,
            body.close_current,
            app.settings.public_base_url,
        ),
    )
    return JSONResponse({"id": counter.id, "number": counter.number, "status": counter.status})


CURRENT_ACTIONS = {"recall", "start", "finish", "no_show", "return"}


async def correct_residency(request: Request) -> Response:
    """The operator corrects the residency of the visitor at the counter."""
    principal = await require_principal(request)
    counter_id = _counter_id(request)
    body = await _body(request, ResidencyBody, principal, "ticket.residency")
    if isinstance(body, JSONResponse):
        return body
    ticket = await run_action(
        request,
        lambda s: residency.correct_residency(s, principal, counter_id, body.residency),
    )
    return JSONResponse({k: ticket[k] for k in (*TICKET_FIELDS, "residency")})


async def set_display(request: Request) -> Response:
    principal = await require_principal(request)
    hall_id = path_id(request, "hall", "hall")
    body = await _body(request, DisplayBody, principal, "hall.display")
    if isinstance(body, JSONResponse):
        return body
    hall = await run_action(
        request,
        lambda s: display_settings.set_display(s, principal, hall_id=hall_id, **body.model_dump()),
    )
    return JSONResponse({"hall": hall.slug, **queries.display_settings(hall)})


routes = [
    Route("/api/v1/openapi.json", openapi, methods=["GET"]),
    Route("/api/v1/branches", list_branches, methods=["GET"]),
    Route("/api/v1/tickets", create_ticket, methods=["POST"]),
    Route("/api/v1/counters/{counter}/call-next", call_next, methods=["POST"]),
    Route("/api/v1/counters/{counter}/call/{ticket}", call_ticket, methods=["POST"]),
    Route("/api/v1/counters/{counter}/current/transfer", transfer, methods=["POST"]),
    Route("/api/v1/counters/{counter}/current/residency", correct_residency, methods=["POST"]),
    Route("/api/v1/counters/{counter}/current/{action}", current_action, methods=["POST"]),
    Route("/api/v1/counters/{counter}/status", counter_status, methods=["POST"]),
    Route("/api/v1/halls/{hall}/display", set_display, methods=["PUT"]),
]
