"""Administration over the JSON API (admin token): the same set-up actions as the
`reception` command, so another system can manage branches, halls, services,
counters, priority groups, accounts and device tokens."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.answers import TokenList
from reception.api.bodies import read_body
from reception.api.operations import DATE, ID, Answer, ApiRoute, Operation
from reception.api.schemas import (
    BranchIn,
    BranchPolicyIn,
    CounterIn,
    CounterServicesIn,
    DepartmentIn,
    HallIn,
    HoursIn,
    PriorityIn,
    RoutingRuleIn,
    ServiceIn,
    StopIn,
    Strict,
    TokenIn,
    UserIn,
)
from reception.auth import actions as auth_actions
from reception.errors import N_, Invalid
from reception.inputs import check_day
from reception.letters import setup as letter_setup
from reception.outcome import Outcome
from reception.queue import setup
from reception.web import ctx, path_id, read, require_admin, run_action


def _done(value: Any) -> Outcome[Any]:
    """An action's outcome as it is; a set-up writer's row (no events) as an outcome."""
    return value if isinstance(value, Outcome) else Outcome(value)


def _slug(request: Request, name: str) -> str:
    return str(request.path_params[name])[:40]


async def _write(request: Request, model: type[Strict], make: Any, status: int = 201) -> Response:
    principal = await require_admin(request)
    body = await read_body(request, model)
    if isinstance(body, JSONResponse):
        return body
    result = await run_action(request, lambda s: _done(make(s, body, principal.actor)))
    return JSONResponse(result, status_code=status)


async def add_branch(request: Request) -> Response:
    return await _write(
        request,
        BranchIn,
        lambda s, b, actor: _row(
            setup.add_branch(s, actor=actor, **b.model_dump()), "slug", "kind", "timezone"
        ),
    )


async def set_branch_policy(request: Request) -> Response:
    slug = _slug(request, "branch")
    return await _write(
        request,
        BranchPolicyIn,
        lambda s, b, actor: _row(
            setup.set_branch_policy(
                s, branch=slug, max_wait_minutes=b.max_wait_minutes, actor=actor
            ),
            "slug",
            "max_wait_minutes",
        ),
        200,
    )


async def add_hall(request: Request) -> Response:
    slug = _slug(request, "branch")
    return await _write(
        request,
        HallIn,
        lambda s, b, actor: _row(
            setup.add_hall(s, branch=slug, actor=actor, **b.model_dump()),
            "slug",
            "section",
            "ticket_prefix",
        ),
    )


async def add_service(request: Request) -> Response:
    slug = _slug(request, "branch")
    return await _write(
        request,
        ServiceIn,
        lambda s, b, actor: _row(
            setup.add_service(s, branch=slug, actor=actor, **b.model_dump()),
            "slug",
            "expected_minutes",
        ),
    )


async def add_counter(request: Request) -> Response:
    branch, hall = _slug(request, "branch"), _slug(request, "hall")
    return await _write(
        request,
        CounterIn,
        lambda s, b, actor: _row(
            setup.add_counter(
                s, branch=branch, hall=hall, number=b.number, services=b.services, actor=actor
            ),
            "id",
            "number",
            "status",
        ),
    )


async def set_counter_services(request: Request) -> Response:
    counter_id = path_id(request, "counter")
    principal = await require_admin(request)
    body = await read_body(request, CounterServicesIn)
    if isinstance(body, JSONResponse):
        return body
    counter = await run_action(
        request,
        lambda s: setup.set_counter_services(
            s, principal, counter_id=counter_id, services=body.services
        ),
    )
    return JSONResponse({"id": counter.id, "number": counter.number, "services": body.services})


async def add_stop(request: Request) -> Response:
    slug = _slug(request, "branch")
    return await _write(
        request,
        StopIn,
        lambda s, b, actor: _row(
            setup.add_stop(s, branch=slug, actor=actor, **b.model_dump()),
            "place_ar",
            "place_en",
            "starts_on",
            "ends_on",
        ),
    )


async def set_priority(request: Request) -> Response:
    slug = _slug(request, "priority")
    return await _write(
        request,
        PriorityIn,
        lambda s, b, actor: _row(
            setup.set_priority_group(s, slug=slug, actor=actor, **b.model_dump()),
            "slug",
            "name_ar",
            "name_en",
            "weight",
            "at_kiosk",
        ),
        200,
    )


async def set_hours(request: Request) -> Response:
    slug = _slug(request, "branch")
    return await _write(
        request,
        HoursIn,
        lambda s, b, actor: _row(
            setup.set_opening_hours(s, branch=slug, actor=actor, **b.model_dump()),
            "slug",
            "opening_hours",
        ),
        200,
    )


async def set_holiday(request: Request) -> Response:
    """PUT closes the branch on that day, DELETE opens it again."""
    principal = await require_admin(request)
    slug = _slug(request, "branch")
    try:
        day = date.fromisoformat(str(request.path_params["day"])[:10])
    except ValueError:
        raise Invalid("bad_date", N_("Dates are written like 2026-12-18.")) from None
    check_day(day, ctx(request).clock.now().date())
    closed = request.method == "PUT"
    branch = await run_action(
        request,
        lambda s: _done(
            setup.set_holiday(s, branch=slug, day=day, closed=closed, actor=principal.actor)
        ),
    )
    return JSONResponse({"slug": branch.slug, "holidays": branch.holidays})


async def list_tokens(request: Request) -> Response:
    """Every token with what it may do; the secret itself is never shown again."""
    await require_admin(request)
    rows = await read(request, auth_actions.list_tokens)
    return JSONResponse(
        {
            "tokens": [
                {
                    "id": t.id,
                    "name": t.name,
                    "role": t.role,
                    "branch_id": t.branch_id,
                    "hall_id": t.hall_id,
                    "created_at": t.created_at.isoformat(),
                    "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                }
                for t in rows
            ]
        }
    )


async def add_department(request: Request) -> Response:
    return await _write(
        request,
        DepartmentIn,
        lambda s, b, actor: _row(
            letter_setup.add_department(s, actor=actor, **b.model_dump()), "slug", "name_ar"
        ),
    )


async def set_routing_rule(request: Request) -> Response:
    def change(s: Any, b: RoutingRuleIn, actor: str) -> dict[str, Any]:
        rule = letter_setup.add_routing_rule(s, actor=actor, **b.model_dump())
        return {"id": rule.id, **b.model_dump()}

    return await _write(request, RoutingRuleIn, change, 200)


async def add_user(request: Request) -> Response:
    def create(s: Any, b: UserIn, actor: str) -> dict[str, Any]:
        user = auth_actions.create_user(
            s,
            username=b.username,
            password=b.password,
            role=b.role,
            branch_slug=b.branch,
            hall_slugs=tuple(b.halls),
            full_name=b.full_name,
            department_slug=b.department,
            actor=actor,
        )
        return {"id": user.id, "username": user.username, "role": user.role}

    return await _write(request, UserIn, create)


async def add_token(request: Request) -> Response:
    def create(s: Any, b: TokenIn, actor: str) -> dict[str, Any]:
        token, clear = auth_actions.create_token(
            s,
            name=b.name,
            role=b.role,
            branch_slug=b.branch,
            hall_slug=b.hall,
            department_slug=b.department,
            actor=actor,
        )
        return {"id": token.id, "name": token.name, "role": token.role, "token": clear}

    return await _write(request, TokenIn, create)


async def revoke_token(request: Request) -> Response:
    principal = await require_admin(request)
    token_id = path_id(request, "token", "token")
    token = await run_action(
        request, lambda s: auth_actions.revoke_token(s, token_id=token_id, actor=principal.actor)
    )
    return JSONResponse({"id": token.id, "name": token.name, "revoked": True})


def _row(row: Any, *fields: str) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _change(
    summary: str, body: type[Strict] | None = None, created: bool = False, **path: Any
) -> Operation:
    """An administrator's change: 201 when it adds something, else 200."""
    return Operation(summary, body=body, path=path, answers={201 if created else 200: "Done"})


routes = [
    ApiRoute(
        "/api/v1/admin/branches",
        add_branch,
        post=_change("Add a branch (centre or mobile unit)", BranchIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/policy",
        set_branch_policy,
        put=_change("Set the anti-starvation limit", BranchPolicyIn),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/halls",
        add_hall,
        post=_change("Add a hall", HallIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/services",
        add_service,
        post=_change("Add a service", ServiceIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/stops",
        add_stop,
        post=_change("Add a stop of a mobile unit", StopIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/halls/{hall}/counters",
        add_counter,
        post=_change("Add a counter", CounterIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/counters/{counter}/services",
        set_counter_services,
        put=_change("Reassign a counter's services", CounterServicesIn, counter=ID),
    ),
    ApiRoute(
        "/api/v1/admin/priorities/{priority}",
        set_priority,
        put=_change("Add or change a priority group", PriorityIn),
    ),
    ApiRoute(
        "/api/v1/admin/departments",
        add_department,
        post=_change("Add a department", DepartmentIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/routing-rules",
        set_routing_rule,
        put=_change(
            "Set where a category's letters go (optionally per branch or residency)",
            RoutingRuleIn,
        ),
    ),
    ApiRoute(
        "/api/v1/admin/users",
        add_user,
        post=_change("Add a staff or device account", UserIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/hours",
        set_hours,
        put=_change("Set the opening hours of some days", HoursIn),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/holidays/{day}",
        set_holiday,
        put=_change("Close a branch for a whole day (YYYY-MM-DD)", day=DATE),
        delete=_change("Open a branch again on that day", day=DATE),
    ),
    ApiRoute(
        "/api/v1/admin/tokens",
        list_tokens,
        get=Operation(
            "List every token (without secrets)",
            answers={200: Answer("The tokens", TokenList)},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/tokens",
        add_token,
        post=_change("Issue a bearer token (shown once in the answer)", TokenIn, created=True),
    ),
    ApiRoute(
        "/api/v1/admin/tokens/{token}/revoke",
        revoke_token,
        post=_change("Revoke a token at once", token=ID),
    ),
]
