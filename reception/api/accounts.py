"""Accounts over the JSON API (admin token): change an account's role, branch, halls,
state or password, and sign it out everywhere. Whatever ends or changes its access
closes its open sockets at once, on every worker."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.admin import require_admin
from reception.api.bodies import read_body
from reception.api.operations import ApiRoute, Operation
from reception.api.schemas import UserChangeIn
from reception.auth import actions as auth_actions
from reception.auth.sessions import sign_out_everywhere
from reception.events.base import Event
from reception.outcome import Outcome
from reception.web import run_action


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

    def change(s: Any) -> Outcome[dict[str, Any]]:
        events: list[Event] = []
        if body.role is not None or body.branch is not None or body.halls is not None:
            events += auth_actions.change_user_access(
                s,
                username=username,
                role=body.role,
                branch_slug=body.branch,
                hall_slugs=tuple(body.halls) if body.halls is not None else None,
                actor=actor,
            ).events
        if body.active is not None:
            events += auth_actions.set_user_active(
                s, username=username, active=body.active, actor=actor
            ).events
        user = auth_actions.find_user(s, username)
        assert user.id is not None
        if body.password is not None:
            events += auth_actions.change_password(
                s, user_id=user.id, password=body.password, actor=actor
            ).events
        return Outcome(
            {"username": user.username, "role": user.role, "active": user.active}, events
        )

    return JSONResponse(await run_action(request, change))


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
