"""The centre's side of a mobile unit's link (bearer token of role `edge` only): the
unit pulls its set-up and pushes the records it made. Nothing else takes that token
(see `reception.web.EDGE_PATHS`) and these two take no other."""

from __future__ import annotations

import json

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import invalid_answer, json_body, validation_context
from reception.api.operations import Answer, ApiRoute, Operation
from reception.auth.models import Role
from reception.edge import config_doc, units
from reception.edge.ingest import ingest
from reception.edge.protocol import EdgeConfigOut, EdgePushIn, EdgePushOut
from reception.errors import N_, Unauthorized
from reception.web import ctx, read, require_principal, run_action

EDGE_ERRORS = (400, 401, 403, 409, 413, 422, 503)


async def _unit_id(request: Request) -> int:
    """The live unit of the caller's edge token; any other caller is refused."""
    principal = await require_principal(request)
    principal.require_role(Role.edge)
    unit = await read(request, lambda s: units.unit_of_token(s, principal.id))
    if unit is None or unit.id is None:
        raise Unauthorized("bad_token", N_("The access token is not valid."))
    return unit.id


async def edge_config(request: Request) -> Response:
    unit_id = await _unit_id(request)
    public_url = ctx(request).settings.public_base_url
    document = await run_action(request, lambda s: config_doc.pull_config(s, unit_id, public_url))
    return JSONResponse(document)


async def edge_push(request: Request) -> Response:
    unit_id = await _unit_id(request)
    raw = await json_body(request)
    try:
        body = EdgePushIn.model_validate(raw, context=validation_context(request))
    except ValidationError as exc:
        answer = invalid_answer(request, exc)
        first = exc.errors()[0]["loc"]
        if len(first) > 1 and first[0] == "records" and isinstance(first[1], int):
            records = raw.get("records") if isinstance(raw, dict) else None
            item = records[first[1]] if isinstance(records, list) else None
            seq = item.get("seq") if isinstance(item, dict) else None
            if isinstance(seq, int):
                answer = JSONResponse(
                    {**json.loads(bytes(answer.body)), "seq": seq}, status_code=422
                )
        return answer
    settings = ctx(request).settings
    root = settings.attachments_dir
    assert root is not None
    acked = await run_action(request, lambda s: ingest(s, unit_id, body, root))
    return JSONResponse({"acked_seq": acked})


routes = [
    ApiRoute(
        "/api/v1/edge/config",
        edge_config,
        get=Operation(
            "A mobile unit's set-up (its edge token): its branch, stops, halls, services, "
            "counters and staff with the centre's ids, and the lists every branch shares",
            operation_id="pullEdgeConfig",
            answers={200: Answer("The set-up, table by table", EdgeConfigOut)},
            errors=EDGE_ERRORS,
        ),
    ),
    ApiRoute(
        "/api/v1/edge/push",
        edge_push,
        post=Operation(
            "Store records a mobile unit made (its edge token), in its outbox order: a record "
            "already stored is skipped, a newer state of a ticket, call or rating replaces "
            "the older; one record of another branch (403) or malformed (422, with its `seq`) "
            "and nothing of the batch is stored",
            operation_id="pushEdgeRecords",
            body=EdgePushIn,
            answers={200: Answer("The unit's last record stored here", EdgePushOut)},
            errors=EDGE_ERRORS,
        ),
    ),
]
