"""JSON API v1 at a mobile unit: how far its records have gone to the centre
(supervisors and administrators; 404 at the centre, which is no unit)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.operations import Answer, ApiRoute, Operation
from reception.auth.models import Role
from reception.edge.status import state_of
from reception.errors import N_, NotFound
from reception.web import read, require_principal


async def edge_status(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(Role.supervisor, Role.admin)
    state = await read(request, state_of)
    if state is None:
        raise NotFound("not_a_unit", N_("This instance is not a mobile unit."))
    return JSONResponse(state.as_json())


routes = [
    ApiRoute(
        "/api/v1/edge/status",
        edge_status,
        get=Operation(
            "At a mobile unit: records waiting for the centre, the oldest one's age, the "
            "last push the centre took, the last error and the next try (supervisor, admin)",
            operation_id="edgeSyncStatus",
            answers={
                200: Answer(
                    "`{unit_id, central_url, sms_via, pending, oldest_pending_at, "
                    "last_push_at, last_attempt_at, last_error, failures, next_try_at, link}`; "
                    "link is new, ok, down (the centre cannot be reached), refused (it refused "
                    "the unit's token), rejected (it refused the records) or no_token"
                )
            },
            errors=(401, 403, 404, 503),
        ),
    ),
]
