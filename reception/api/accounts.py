"""Accounts over the JSON API (admin token): change an account's role, branch, halls,
state or password, and sign it out everywhere. Whatever ends or changes its access
closes its open sockets at once, on every worker."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.admin import Strict, require_admin
from reception.api.routes import _body
from reception.auth import actions as auth_actions
from reception.auth.sessions import sign_out_everywhere
from reception.events.base import Event
from reception.queue.actions import Outcome
from reception.web import run_action


class UserChangeIn(Strict):
    role: (
        Literal["admin", "supervisor", "operator", "department_officer", "kiosk", "display"] | None
    ) = None
    branch: str | None = Field(default=None, max_length=40)
    halls: list[str] | None = Field(default=None, max_length=10)
    active: bool | None = Field(default=None, description="false ends every session at once")
    password: str | None = Field(
        default=None, min_length=10, max_length=200, description="ends every session"
    )


async def change_user(request: Request) -> Response:
    """Role, branch, halls, enabled, password: what is sent changes, in one transaction.
    Open sockets of the account close at once on every worker (4409 for new access,
    4401 when it was disabled or its password set, which also ends its sessions)."""
    principal = await require_admin(request)
    username = str(request.path_params["username"])[:60]
    body = await _body(request, UserChangeIn)
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
    Route("/api/v1/admin/users/{username}", change_user, methods=["PATCH"]),
    Route("/api/v1/admin/users/{username}/sign-out", sign_out_user, methods=["POST"]),
]
