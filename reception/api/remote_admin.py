"""A branch's rules for joining the line from a phone, over the JSON API (admin
token): the same read and the same checked, audited writer as the administration
screen."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import Answer, ApiRoute, Operation
from reception.api.schemas import RemotePolicyIn, RemotePolicyOut
from reception.outcome import Outcome
from reception.remote import queries, setup
from reception.remote.setup import NUMBERS
from reception.web import read, require_admin, run_action


def _branch(request: Request) -> str:
    return str(request.path_params["branch"])[:40]


async def remote_policy(request: Request) -> Response:
    """GET shows the rules, PUT replaces them."""
    if request.method == "PUT":
        return await set_policy(request)
    await require_admin(request)
    slug = _branch(request)
    return JSONResponse(await read(request, lambda s: queries.branch_policy(s, slug)))


async def set_policy(request: Request) -> Response:
    principal = await require_admin(request)
    slug = _branch(request)
    body = await read_body(request, RemotePolicyIn)
    if isinstance(body, JSONResponse):
        return body
    given = body.model_dump()
    numbers = {name: given[name] for name in NUMBERS if given[name] is not None}

    def change(s: Session) -> Outcome[dict[str, object]]:
        setup.set_remote_policy(
            s,
            branch=slug,
            enabled=body.enabled,
            hours=given["hours"],
            halls=body.halls,
            services=body.services,
            priorities=body.priorities,
            numbers=numbers,
            geo_checkin=body.geo_checkin,
            latitude=body.latitude,
            longitude=body.longitude,
            actor=principal.actor,
        )
        return Outcome(queries.branch_policy(s, slug))

    return JSONResponse(await run_action(request, change))


routes = [
    ApiRoute(
        "/api/v1/admin/branches/{branch}/remote-policy",
        remote_policy,
        get=Operation(
            "A branch's rules for joining the line from a phone",
            answers={200: Answer("The rules (the defaults, off, if never set)", RemotePolicyOut)},
        ),
        put=Operation(
            "Set a branch's rules for joining the line from a phone",
            body=RemotePolicyIn,
            answers={200: Answer("The rules as saved", RemotePolicyOut)},
        ),
    ),
]
