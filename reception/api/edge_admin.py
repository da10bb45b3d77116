"""Mobile units over the JSON API (admin token): list them with how far each has
synced, add one (its token shown once), revoke one (a stolen laptop)."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import ID, Answer, ApiRoute, Operation
from reception.edge import units
from reception.edge.protocol import EdgeUnitCreate, EdgeUnitCreated, EdgeUnitList, EdgeUnitOut
from reception.errors import N_, NotFound
from reception.outcome import Outcome
from reception.web import path_id, read, require_admin, run_action


def _state(session: Session, unit_id: int) -> dict[str, object]:
    for state in units.list_units(session):
        if state.id == unit_id:
            return state.as_json()
    raise NotFound("unknown_unit", N_("There is no mobile unit {id}."), id=unit_id)


async def edge_units(request: Request) -> Response:
    """GET lists the units, POST adds one."""
    if request.method == "POST":
        return await add_unit(request)
    await require_admin(request)
    listed = await read(request, units.list_units)
    return JSONResponse({"items": [state.as_json() for state in listed]})


async def add_unit(request: Request) -> Response:
    principal = await require_admin(request)
    body = await read_body(request, EdgeUnitCreate)
    if isinstance(body, JSONResponse):
        return body

    def add(s: Session) -> Outcome[dict[str, object]]:
        made = units.add_unit(s, branch_slug=body.branch, name=body.name, actor=principal.actor)
        assert made.value.unit.id is not None
        return Outcome({**_state(s, made.value.unit.id), "token": made.value.token}, made.events)

    return JSONResponse(await run_action(request, add), status_code=201)


async def revoke_unit(request: Request) -> Response:
    principal = await require_admin(request)
    unit_id = path_id(request, "unit", "unit")

    def revoke(s: Session) -> Outcome[dict[str, object]]:
        done = units.revoke_unit(s, unit_id=unit_id, actor=principal.actor)
        return Outcome(_state(s, unit_id), done.events)

    return JSONResponse(await run_action(request, revoke))


routes = [
    ApiRoute(
        "/api/v1/admin/edge-units",
        edge_units,
        get=Operation(
            "The mobile units' laptops: last push, records still at the unit, how far "
            "their data is complete",
            operation_id="listEdgeUnits",
            answers={200: Answer("The units", EdgeUnitList)},
        ),
        post=Operation(
            "Add a laptop for a mobile branch: its token is in this answer only",
            operation_id="addEdgeUnit",
            body=EdgeUnitCreate,
            answers={201: Answer("The unit and its token", EdgeUnitCreated)},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/edge-units/{unit}/revoke",
        revoke_unit,
        post=Operation(
            "Revoke a unit's token at once (a lost or stolen laptop)",
            operation_id="revokeEdgeUnit",
            path={"unit": ID},
            answers={200: Answer("The unit, revoked", EdgeUnitOut)},
        ),
    ),
]
