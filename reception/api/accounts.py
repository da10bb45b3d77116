"""Accounts over the JSON API (admin token): change an account's role, branch, halls,
state or password, and sign it out everywhere. Whatever ends or changes its access
closes its open sockets at once, on every worker."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import ApiRoute, Operation
from reception.api.schemas import UserChangeIn
from reception.auth import actions as auth_actions
from reception.auth.sessions import sign_out_everywhere
from reception.web import require_admin, run_action


async def change_user(request: Request) -> Response:
    """Role, branch, halls, enabled, password: what is sent changes, in one transaction.
    Open sockets of the account close at once on every worker (4409 for new access,
    4401 when it was disabled or its password set, which also ends its sessions)."""
    principal = await require_admin(request)
    username = str(request.path_params["username"])[:60]
    body = await read_body(request, UserChangeIn)
    if isinstance(body, JSONResponse):
        return body
    actor = principal.actor

    user = await run_action(
        request,
        lambda s: auth_actions.change_user(
            s,
            username=username,
            actor=actor,
            role=body.role,
            branch_slug=body.branch,
            hall_slugs=tuple(body.halls) if body.halls is not None else None,
            active=body.active,
            password=body.password,
        ),
    )
    return JSONResponse({"username": user.username, "role": user.role, "active": user.active})


async def sign_out_user(request: Request) -> Response:
    """Sign an account out everywhere: its sessions end and its sockets close."""
    principal = await require_admin(request)
    username = str(request.path_params["username"])[:60]
    ended = await run_action(
        request,
        lambda s: sign_out_everywhere(s, username=username, actor=principal.actor),
    )
    return JSONResponse({"username": username, "sessions_ended": ended})


routes = [
    ApiRoute(
        "/api/v1/admin/users/{username}",
        change_user,
        patch=Operation(
            "Change an account's role, branch, halls, state or password; its open sockets "
            "close at once on every worker, and disabling or a new password ends its sessions",
            body=UserChangeIn,
            answers={200: "The account: `{username, role, active}`"},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/users/{username}/sign-out",
        sign_out_user,
        post=Operation(
            "Sign an account out everywhere: every session ends, every socket closes",
            answers={200: "`{username, sessions_ended}`"},
        ),
    ),
]
