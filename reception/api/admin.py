"""Administration over the JSON API (admin token): the same set-up actions as the
`reception` command, so another system can manage branches, halls, services,
counters, priority groups, accounts and device tokens."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.routes import _body
from reception.auth import actions as auth_actions
from reception.auth.models import Role
from reception.auth.passwords import MIN_PASSWORD_LENGTH
from reception.auth.principal import Principal
from reception.errors import N_, Invalid
from reception.inputs import Day, check_day
from reception.letters import setup as letter_setup
from reception.queue import setup
from reception.queue.actions import Outcome
from reception.settings import DEFAULT_TIMEZONE
from reception.web import ctx, path_id, read, require_principal, run_action

Slug = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
Name = Field(min_length=1, max_length=120)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BranchIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name
    kind: Literal["centre", "mobile"] = "centre"
    timezone: str = Field(default=DEFAULT_TIMEZONE, max_length=64)


class BranchPolicyIn(Strict):
    max_wait_minutes: StrictInt | None = Field(description="null turns the rule off")


class HallIn(Strict):
    slug: str = Slug
    section: Literal["men", "women"]
    name_ar: str = Name
    name_en: str = Name
    ticket_prefix: str = Field(min_length=1, max_length=3, pattern=r"^[A-Z]+$")


class ServiceIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name
    expected_minutes: StrictInt = Field(default=10, ge=1, le=480)
    ticket_prefix: str = Field(default="", max_length=3, pattern=r"^[A-Z]*$")
    mode: Literal["walk_in", "appointment", "both"] = "both"


class CounterIn(Strict):
    number: StrictInt = Field(ge=1, le=9999)
    services: list[str] = Field(min_length=1, max_length=50)


class CounterServicesIn(Strict):
    services: list[str] = Field(min_length=1, max_length=50)


class StopIn(Strict):
    place_ar: str = Name
    place_en: str = Name
    starts_on: Day
    ends_on: Day


class PriorityIn(Strict):
    name_ar: str | None = Field(default=None, min_length=1, max_length=120)
    name_en: str | None = Field(default=None, min_length=1, max_length=120)
    weight: StrictInt | None = Field(default=None, ge=0, le=100)
    at_kiosk: StrictBool | None = None


class HoursIn(Strict):
    days: str = Field(min_length=3, max_length=40, examples=["sun-thu"])
    start: str = Field(default="08:00", max_length=5, examples=["08:00"])
    end: str = Field(default="15:00", max_length=5, examples=["15:00"])
    closed: StrictBool = Field(default=False, description="closed on these days every week")


class DepartmentIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name


class CategoryIn(Strict):
    slug: str = Slug
    name_ar: str = Name
    name_en: str = Name
    parent: str | None = Field(default=None, max_length=40)
    sla_hours: dict[str, int] = Field(
        default_factory=dict,
        description="Target hours per stage (received, classified, routed, in_progress)",
        examples=[{"received": 24, "routed": 48, "in_progress": 240}],
    )


class RoutingRuleIn(Strict):
    category: str = Slug
    department: str = Slug
    branch: str | None = Field(default=None, max_length=40)
    residency: Literal["citizen", "resident"] | None = None


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    role: Literal["admin", "supervisor", "operator", "department_officer", "kiosk", "display"]
    branch: str | None = Field(default=None, max_length=40)
    halls: list[str] = Field(default_factory=list, max_length=10)
    full_name: str = Field(default="", max_length=120)
    department: str | None = Field(default=None, max_length=40, description="Officers only")


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=80)
    role: Literal["admin", "supervisor", "operator", "department_officer", "kiosk", "display"]
    branch: str | None = Field(default=None, max_length=40)
    hall: str | None = Field(default=None, max_length=40)
    department: str | None = Field(default=None, max_length=40, description="Officers only")


ADMIN_MODELS: list[type[BaseModel]] = [
    BranchIn,
    BranchPolicyIn,
    HallIn,
    ServiceIn,
    CounterIn,
    CounterServicesIn,
    StopIn,
    PriorityIn,
    HoursIn,
    DepartmentIn,
    CategoryIn,
    RoutingRuleIn,
    UserIn,
    TokenIn,
]


async def require_admin(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_role(Role.admin)
    return principal


def _done(value: Any) -> Outcome[Any]:
    return Outcome(value)


def _slug(request: Request, name: str) -> str:
    return str(request.path_params[name])[:40]


async def _write(request: Request, model: type[Strict], make: Any, status: int = 201) -> Response:
    principal = await require_admin(request)
    body = await _body(request, model)
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

    def change(s: Any, b: CounterServicesIn, actor: str) -> dict[str, Any]:
        from reception.queue.models import Counter, Hall

        counter = s.get(Counter, counter_id)
        hall = s.get(Hall, counter.hall_id) if counter else None
        branch_id = hall.branch_id if hall else 0
        row = setup.set_counter_services(
            s, counter_id=counter_id, services=b.services, actor=actor, branch_id=branch_id
        )
        return {"id": row.id, "number": row.number, "services": b.services}

    return await _write(request, CounterServicesIn, change, 200)


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


async def add_category(request: Request) -> Response:
    return await _write(
        request,
        CategoryIn,
        lambda s, b, actor: _row(
            letter_setup.add_category(s, actor=actor, **b.model_dump()),
            "slug",
            "name_ar",
            "sla_hours",
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


routes = [
    Route("/api/v1/admin/branches", add_branch, methods=["POST"]),
    Route("/api/v1/admin/branches/{branch}/policy", set_branch_policy, methods=["PUT"]),
    Route("/api/v1/admin/branches/{branch}/halls", add_hall, methods=["POST"]),
    Route("/api/v1/admin/branches/{branch}/services", add_service, methods=["POST"]),
    Route("/api/v1/admin/branches/{branch}/stops", add_stop, methods=["POST"]),
    Route("/api/v1/admin/branches/{branch}/halls/{hall}/counters", add_counter, methods=["POST"]),
    Route("/api/v1/admin/counters/{counter}/services", set_counter_services, methods=["PUT"]),
    Route("/api/v1/admin/priorities/{priority}", set_priority, methods=["PUT"]),
    Route("/api/v1/admin/departments", add_department, methods=["POST"]),
    Route("/api/v1/admin/categories", add_category, methods=["POST"]),
    Route("/api/v1/admin/routing-rules", set_routing_rule, methods=["PUT"]),
    Route("/api/v1/admin/users", add_user, methods=["POST"]),
    Route("/api/v1/admin/branches/{branch}/hours", set_hours, methods=["PUT"]),
    Route("/api/v1/admin/branches/{branch}/holidays/{day}", set_holiday, methods=["PUT", "DELETE"]),
    Route("/api/v1/admin/tokens", list_tokens, methods=["GET"]),
    Route("/api/v1/admin/tokens", add_token, methods=["POST"]),
    Route("/api/v1/admin/tokens/{token}/revoke", revoke_token, methods=["POST"]),
]
