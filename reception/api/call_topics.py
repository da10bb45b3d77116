"""The list of phone-call topics over the JSON API: read by desk staff (the active
topics, for their call forms), kept by an administrator (add, change, deactivate,
remove an unused one)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.routes import _body
from reception.auth.models import Role
from reception.letters import calls
from reception.letters.models import CallTopic
from reception.outcome import Outcome
from reception.web import read, require_principal, run_action

Name = Field(min_length=1, max_length=120)


class CallTopicIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name_ar: str = Name
    name_en: str = Name
    sort_order: int = Field(default=0, ge=-1000, le=1000, description="Smaller comes first")
    active: bool = True


class CallTopicPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_ar: str | None = Field(default=None, min_length=1, max_length=120)
    name_en: str | None = Field(default=None, min_length=1, max_length=120)
    sort_order: int | None = Field(default=None, ge=-1000, le=1000)
    active: bool | None = Field(default=None, description="false: no longer offered")


CALL_TOPIC_MODELS: list[type[BaseModel]] = [CallTopicIn, CallTopicPatch]


def topic_json(row: CallTopic) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "name_ar": row.name_ar,
        "name_en": row.name_en,
        "sort_order": row.sort_order,
        "active": row.active,
    }


async def _admin(request: Request) -> Any:
    principal = await require_principal(request)
    principal.require_role(Role.admin)
    return principal


async def active_topics(request: Request) -> Response:
    """What a call can be about, in the order the administrator chose."""
    principal = await require_principal(request)
    principal.require_role(*calls.TRIAGE_ROLES)
    rows = await read(request, lambda s: calls.list_topics(s, active_only=True))
    return JSONResponse({"topics": [topic_json(r) for r in rows]})


async def all_topics(request: Request) -> Response:
    await _admin(request)
    rows = await read(request, calls.list_topics)
    return JSONResponse({"topics": [topic_json(r) for r in rows]})


async def add_topic(request: Request) -> Response:
    principal = await _admin(request)
    body = await _body(request, CallTopicIn)
    if isinstance(body, JSONResponse):
        return body
    row = await run_action(
        request,
        lambda s: Outcome(
            topic_json(calls.add_topic(s, actor=principal.actor, **body.model_dump()))
        ),
    )
    return JSONResponse(row, status_code=201)


async def change_topic(request: Request) -> Response:
    principal = await _admin(request)
    slug = str(request.path_params["topic"])[:40]
    body = await _body(request, CallTopicPatch)
    if isinstance(body, JSONResponse):
        return body
    row = await run_action(
        request,
        lambda s: Outcome(
            topic_json(calls.change_topic(s, slug, actor=principal.actor, **body.model_dump()))
        ),
    )
    return JSONResponse(row)


async def remove_topic(request: Request) -> Response:
    principal = await _admin(request)
    slug = str(request.path_params["topic"])[:40]

    def remove(s: Any) -> Outcome[None]:
        calls.remove_topic(s, slug, actor=principal.actor)
        return Outcome(None)

    await run_action(request, remove)
    return Response(status_code=204)


def call_topic_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    """The OpenAPI description of these routes."""
    from reception.api.openapi import _body as body_of
    from reception.api.openapi import _errors

    listed = {
        "description": "`{topics: [{slug, name_ar, name_en, sort_order, active}]}`",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    one = {
        "description": "The topic: `{slug, name_ar, name_en, sort_order, active}`",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    topic = {"name": "topic", "in": "path", "required": True, "schema": {"type": "string"}}
    errors = _errors(400, 401, 403, 404, 409, 422, 503)
    return {
        "/api/v1/call-topics": {
            "get": {
                "operationId": "listCallTopics",
                "summary": "The active phone-call topics, in their order (desk staff)",
                "security": bearer,
                "responses": {"200": listed, **_errors(401, 403, 503)},
            }
        },
        "/api/v1/admin/call-topics": {
            "get": {
                "operationId": "adminListCallTopics",
                "summary": "Every phone-call topic, deactivated ones included (admin)",
                "security": bearer,
                "responses": {"200": listed, **_errors(401, 403, 503)},
            },
            "post": {
                "operationId": "adminAddCallTopic",
                "summary": "Add a phone-call topic (admin)",
                "security": bearer,
                "requestBody": body_of(CallTopicIn),
                "responses": {"201": one, **errors},
            },
        },
        "/api/v1/admin/call-topics/{topic}": {
            "patch": {
                "operationId": "adminChangeCallTopic",
                "summary": "Rename, reorder, deactivate or reactivate a topic (admin)",
                "security": bearer,
                "parameters": [topic],
                "requestBody": body_of(CallTopicPatch),
                "responses": {"200": one, **errors},
            },
            "delete": {
                "operationId": "adminRemoveCallTopic",
                "summary": "Remove a topic no call has used (admin); 409 topic_in_use "
                "otherwise: deactivate it instead",
                "security": bearer,
                "parameters": [topic],
                "responses": {"204": {"description": "Removed"}, **errors},
            },
        },
    }


routes = [
    Route("/api/v1/call-topics", active_topics, methods=["GET"]),
    Route("/api/v1/admin/call-topics", all_topics, methods=["GET"]),
    Route("/api/v1/admin/call-topics", add_topic, methods=["POST"]),
    Route("/api/v1/admin/call-topics/{topic}", change_topic, methods=["PATCH"]),
    Route("/api/v1/admin/call-topics/{topic}", remove_topic, methods=["DELETE"]),
]
