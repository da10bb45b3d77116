"""JSON API v1 for joining the line from a phone: the join with its SMS code, the
check-in at a kiosk by the remote ticket's code, and what the visitor says from the
tracking page (on my way, late, cancel, arrived by location). The same actions as
the visitor's pages (reception/remote/joining.py, actions.py).

Everything here but the kiosk's check-in is public: the join token and the
tracking token are the visitor's proof, and a token that does not exist counts as a
guessed link like `/t/<token>` (too many from one address wait, 429)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import SLUG, Answer, ApiRoute, Operation
from reception.api.schemas import (
    LateIn,
    LocationIn,
    OnMyWayIn,
    RemoteCodeIn,
    RemoteJoinIn,
    RemoteJoinOut,
    RemoteStateOut,
    RemoteTicketOut,
    TicketOut,
    WrongCodeError,
)
from reception.auth.guard import (
    client_address,
    code_checks,
    code_failed,
    count_failure,
    refuse_link_guesses,
    refuse_while_waiting,
)
from reception.auth.models import Role
from reception.errors import N_, Invalid, NotFound
from reception.outcome import Outcome
from reception.queue import checkin
from reception.queue.models import Ticket
from reception.remote import actions, joining
from reception.remote import queries as remote_queries
from reception.web import ctx, require_principal, run_action

TOO_MANY_CODES = N_("Too many wrong codes. Please ask at the counter for help.")


# --- joining -------------------------------------------------------------------------


async def start_join(request: Request) -> Response:
    body = await read_body(request, RemoteJoinIn)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    branch = str(request.path_params["branch"])[:40]
    address = client_address(request)
    started = await run_action(
        request,
        lambda s: joining.start_join(
            s,
            app.clock,
            branch=branch,
            hall=body.hall,
            service=body.service,
            phone=body.phone,
            priority=body.priority or None,
            language=body.language,
            address=address,
            secret=app.settings.secret_key,
        ),
    )
    return JSONResponse(
        {
            "join": started.token,
            "expires_at": started.expires_at.isoformat(),
            "phone_ending": started.phone_ending,
        },
        status_code=202,
    )


async def confirm_join(request: Request) -> Response:
    body = await read_body(request, RemoteCodeIn)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    join = str(request.path_params["join"])[:64]
    checks = await refuse_link_guesses(request)
    try:
        answer = await run_action(
            request,
            lambda s: joining.confirm_join(
                s,
                app.clock,
                token=join,
                code=body.code,
                secret=app.settings.secret_key,
                public_base_url=app.settings.public_base_url,
            ),
        )
    except NotFound:
        await count_failure(request, checks)
        raise
    if answer.issued is None:  # the wrong code was counted (committed) above
        message = (
            N_("This code is not right. Please check the SMS and try again.")
            if answer.tries_left
            else N_("Too many wrong codes. Please start again.")
        )
        raise Invalid("wrong_code", message, details={"tries_left": answer.tries_left})
    return JSONResponse({**answer.issued.as_dict(), "code": answer.code}, status_code=201)


# --- arriving --------------------------------------------------------------------------


async def arrive_by_code(request: Request) -> Response:
    """A kiosk checks a remote visitor in; a code that does not exist counts as a
    guess, against the kiosk and against the code, like appointment codes."""
    principal = await require_principal(request)
    principal.require_role(Role.kiosk, Role.supervisor, Role.admin)
    body = await read_body(request, RemoteCodeIn)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    branch = str(request.path_params["branch"])[:40]
    checks = code_checks(request, principal, body.code)
    await refuse_while_waiting(request, checks, "too_many_codes", TOO_MANY_CODES)
    base = app.settings.public_base_url

    def arrive(s: Session) -> Outcome[checkin.IssuedTicket]:
        done = actions.arrive_by_code(s, app.clock, principal, branch=branch, code=body.code)
        return Outcome(remote_queries.described(s, done.value.id or 0, base), done.events)

    try:
        issued = await run_action(request, arrive)
    except NotFound:
        await code_failed(request, principal, checks)
        raise
    return JSONResponse(issued.as_dict())


# --- the tracking page's actions --------------------------------------------------------

TrackedAction = Callable[[Session, str], Outcome[Ticket]]


async def _on_tracked(request: Request, act: TrackedAction) -> Response:
    app = ctx(request)
    token = str(request.path_params["token"])[:64]
    checks = await refuse_link_guesses(request)
    base = app.settings.public_base_url

    def change(s: Session) -> Outcome[dict[str, Any]]:
        done = act(s, token)
        return Outcome(remote_queries.visitor_state(s, done.value.id or 0, base), done.events)

    try:
        state = await run_action(request, change)
    except NotFound:
        await count_failure(request, checks)
        raise
    return JSONResponse(state)


async def on_my_way(request: Request) -> Response:
    body = await read_body(request, OnMyWayIn)
    if isinstance(body, JSONResponse):
        return body
    clock = ctx(request).clock
    return await _on_tracked(
        request, lambda s, token: actions.on_my_way(s, clock, token=token, minutes=body.minutes)
    )


async def be_late(request: Request) -> Response:
    body = await read_body(request, LateIn)
    if isinstance(body, JSONResponse):
        return body
    clock = ctx(request).clock
    return await _on_tracked(
        request, lambda s, token: actions.be_late(s, clock, token=token, places=body.places)
    )


async def cancel(request: Request) -> Response:
    clock = ctx(request).clock
    return await _on_tracked(request, lambda s, token: actions.cancel_remote(s, clock, token=token))


async def arrive_here(request: Request) -> Response:
    body = await read_body(request, LocationIn)
    if isinstance(body, JSONResponse):
        return body
    clock = ctx(request).clock
    return await _on_tracked(
        request,
        lambda s, token: actions.arrive_by_location(
            s,
            clock,
            token=token,
            latitude=body.latitude,
            longitude=body.longitude,
            accuracy_m=body.accuracy,
        ),
    )


TOKEN = {"token": {"type": "string", "maxLength": 64}}
PUBLIC_ERRORS = (400, 403, 404, 409, 422, 429, 503)
STATE = Answer("The ticket as its visitor now sees it", RemoteStateOut)


def _tracked(summary: str, operation_id: str, body: Any = None) -> Operation:
    return Operation(
        summary,
        operation_id=operation_id,
        body=body,
        path=TOKEN,
        answers={200: STATE},
        errors=PUBLIC_ERRORS,
        public=True,
    )


routes = [
    ApiRoute(
        "/api/v1/branches/{branch}/remote-tickets",
        start_join,
        post=Operation(
            "Join a hall's line from a phone (no token): an SMS code goes to the number; "
            "the ticket exists only once the code is confirmed. Refused when the branch "
            "takes no remote joins (403 remote_off), outside its hours (409 "
            "remote_closed), for a hall, service or priority not offered (403), a number "
            "with a live ticket (409 remote_ticket_exists), a full hall (409 "
            "remote_full), and too many codes per number or joins per address (429)",
            operation_id="startRemoteJoin",
            body=RemoteJoinIn,
            path={"branch": SLUG},
            answers={202: Answer("The join, waiting for its code", RemoteJoinOut)},
            errors=PUBLIC_ERRORS,
            public=True,
        ),
    ),
    ApiRoute(
        "/api/v1/remote-joins/{join}/confirm",
        confirm_join,
        post=Operation(
            "Confirm a join with the SMS code (no token): the ticket, in state `remote`, "
            "and the code to type at the kiosk on arrival. A wrong code is 422 "
            "`wrong_code` with `tries_left`; after the branch's tries the join is void "
            "(409 join_failed); an expired code is 409 code_expired",
            operation_id="confirmRemoteJoin",
            body=RemoteCodeIn,
            path={"join": {"type": "string", "maxLength": 64}},
            answers={
                201: Answer("The remote ticket", RemoteTicketOut),
                422: Answer("A wrong code (`wrong_code`, with `tries_left`)", WrongCodeError),
            },
            errors=PUBLIC_ERRORS,
            public=True,
        ),
    ),
    ApiRoute(
        "/api/v1/branches/{branch}/remote-tickets/arrivals",
        arrive_by_code,
        post=Operation(
            "Check a remote visitor in by the code on their phone (kiosk, supervisor or "
            "admin token of the branch and hall): the ticket joins the waiting line at "
            "the place it held. A code that does not exist counts as a guess (429 after "
            "too many)",
            operation_id="arriveRemoteTicket",
            body=RemoteCodeIn,
            path={"branch": SLUG},
            answers={200: Answer("The ticket, now waiting", TicketOut)},
            errors=(400, 401, 403, 404, 409, 422, 429, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/tickets/track/{token}/on-my-way",
        on_my_way,
        post=_tracked(
            "The visitor is on their way and needs these minutes (no token: the tracking "
            "link's token): more visitors may be called past the ticket before it loses "
            "its place",
            "remoteOnMyWay",
            OnMyWayIn,
        ),
    ),
    ApiRoute(
        "/api/v1/tickets/track/{token}/late",
        be_late,
        post=_tracked(
            "The visitor will be late: the ticket moves back this many places, once "
            "(409 late_once)",
            "remoteLate",
            LateIn,
        ),
    ),
    ApiRoute(
        "/api/v1/tickets/track/{token}/cancel",
        cancel,
        post=_tracked(
            "The visitor cancels their remote ticket: the place is freed and the number "
            "may join again",
            "remoteCancel",
        ),
    ),
    ApiRoute(
        "/api/v1/tickets/track/{token}/arrive",
        arrive_here,
        post=_tracked(
            "The visitor checks in by the phone's location, where the branch allows it "
            "(403 location_checkin_off) and within its radius (409 too_far, "
            "location_imprecise)",
            "remoteArriveByLocation",
            LocationIn,
        ),
    ),
]
