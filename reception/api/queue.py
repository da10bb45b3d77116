"""JSON API v1: thin routes over the queue actions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import ID, Answer, ApiRoute, Operation, header, one_of
from reception.api.schemas import (
    BranchList,
    CalledTicket,
    CloseCurrentBody,
    CounterOutShort,
    CounterStatusBody,
    CurrentOpenError,
    DisplayBody,
    FinishBody,
    ResidencyBody,
    ResidencyOut,
    TicketCreate,
    TicketOut,
    TransferBody,
)
from reception.errors import N_, NotFound
from reception.queue import actions, checkin, counters, display_settings, queries, residency
from reception.web import ctx, path_id, read, require_principal, run_action


async def list_branches(request: Request) -> Response:
    principal = await require_principal(request)
    tree = await read(request, queries.branches_tree)
    if principal.branch_id is not None:  # everyone but an administrator sees their branch
        tree = [b for b in tree if b["id"] == principal.branch_id]
    for branch in tree:
        del branch["id"]
    return JSONResponse({"branches": tree})


async def create_ticket(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_body(request, TicketCreate, principal, "ticket.issue")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    key = request.headers.get("idempotency-key")
    issued = await run_action(
        request,
        lambda s: checkin.issue_ticket(
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


async def _close_current(request: Request) -> str | None | JSONResponse:
    """The optional `close_current` of a call: an empty body says nothing."""
    if not await request.body():
        return None
    body = await read_body(request, CloseCurrentBody)
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
        body = await read_body(request, FinishBody, principal, "ticket.finish")
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
    body = await read_body(request, TransferBody, principal, "ticket.transfer")
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
    body = await read_body(request, CounterStatusBody, principal, "counter.status")
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


CURRENT_ACTIONS = ("recall", "start", "finish", "no_show", "return")


async def correct_residency(request: Request) -> Response:
    """The operator corrects the residency of the visitor at the counter."""
    principal = await require_principal(request)
    counter_id = _counter_id(request)
    body = await read_body(request, ResidencyBody, principal, "ticket.residency")
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
    body = await read_body(request, DisplayBody, principal, "hall.display")
    if isinstance(body, JSONResponse):
        return body
    hall = await run_action(
        request,
        lambda s: display_settings.set_display(s, principal, hall_id=hall_id, **body.model_dump()),
    )
    return JSONResponse({"hall": hall.slug, **queries.display_settings(hall)})


CALLED = Answer("The ticket after the action", CalledTicket)
CURRENT_OPEN = Answer(
    "Not possible in the current state; `current_open`: a ticket is still open at the "
    "counter and the request did not say how it ended (`close_current`)",
    CurrentOpenError,
)
COUNTER = {"counter": ID}


def _moving_on(summary: str, answers: dict[int, Answer | str], **path: Any) -> Operation:
    """A call: the optional body's `close_current` closes the counter's open ticket."""
    return Operation(
        summary,
        body=CloseCurrentBody,
        body_required=False,
        body_description="Optional: `close_current`, how the ticket still open at the "
        "counter ended.",
        path={**COUNTER, **path},
        answers={**answers, 409: CURRENT_OPEN},
    )


routes = [
    ApiRoute(
        "/api/v1/branches",
        list_branches,
        get=Operation(
            "Branches with their halls, services and counters",
            answers={200: Answer("The branches", BranchList)},
            errors=(401, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/tickets",
        create_ticket,
        post=Operation(
            "Issue a ticket (kiosk, supervisor or admin token)",
            operation_id="issueTicket",
            body=TicketCreate,
            parameters=(
                header(
                    "Idempotency-Key",
                    "Repeat a request with the same key to get the same ticket back "
                    "instead of a second one.",
                    maxLength=100,
                ),
            ),
            answers={
                201: Answer("The new ticket", TicketOut),
                200: Answer("The ticket of an earlier identical key", TicketOut),
            },
            errors=(400, 401, 403, 409, 422, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/counters/{counter}/call-next",
        call_next,
        post=_moving_on(
            "Call the next ticket; a ticket still open at the counter is first closed as "
            "`close_current` says (without it: 409 `current_open`)",
            {
                200: Answer("The called ticket", CalledTicket),
                204: Answer("Nobody is waiting for this counter", media_type=None),
            },
        ),
    ),
    ApiRoute(
        "/api/v1/counters/{counter}/call/{ticket}",
        call_ticket,
        post=_moving_on(
            "Call one chosen waiting ticket out of turn (a ticket still open at the "
            "counter is closed as `close_current` says)",
            {200: CALLED},
            ticket=ID,
        ),
    ),
    ApiRoute(
        "/api/v1/counters/{counter}/current/transfer",
        transfer,
        post=Operation(
            "Send the current visitor to another service (and counter); the ticket keeps "
            "its place by arrival",
            operation_id="transferCurrent",
            body=TransferBody,
            path=COUNTER,
            answers={200: CALLED},
        ),
    ),
    ApiRoute(
        "/api/v1/counters/{counter}/current/residency",
        correct_residency,
        post=Operation(
            "Correct the residency (citizen or resident) of the visitor the counter has "
            "called or is serving; audited with the old and the new value",
            operation_id="correctCurrentResidency",
            body=ResidencyBody,
            path=COUNTER,
            answers={200: Answer("The ticket with its residency", ResidencyOut)},
        ),
    ),
    ApiRoute(
        "/api/v1/counters/{counter}/current/{action}",
        current_action,
        post=Operation(
            "Recall, start, finish, no-show, or return to the queue the ticket the "
            "counter has called",
            operation_id="actOnCurrent",
            body=FinishBody,
            body_required=False,
            body_description="Only for `finish`: how the visit ended.",
            path={**COUNTER, "action": one_of(a.replace("_", "-") for a in CURRENT_ACTIONS)},
            answers={200: CALLED},
        ),
    ),
    ApiRoute(
        "/api/v1/counters/{counter}/status",
        counter_status,
        post=Operation(
            "Pause, resume, close or open a counter (closing it with a ticket still open "
            "needs `close_current`)",
            operation_id="setCounterStatus",
            body=CounterStatusBody,
            path=COUNTER,
            answers={200: Answer("The counter", CounterOutShort), 409: CURRENT_OPEN},
        ),
    ),
    ApiRoute(
        "/api/v1/halls/{hall}/display",
        set_display,
        put=Operation(
            "Notice text, layout and announcement volume of a hall's displays (supervisor "
            "or admin); every display applies it at once",
            operation_id="setHallDisplay",
            body=DisplayBody,
            path={"hall": ID},
            answers={200: "The hall's display settings"},
            errors=(400, 401, 403, 404, 422, 503),
        ),
    ),
]
