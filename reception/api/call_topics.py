"""The list of phone-call topics over the JSON API: read by desk staff (the active
topics, for their call forms), kept by an administrator (add, change, deactivate,
remove an unused one)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.answers import CallTopicList, CallTopicOut
from reception.api.bodies import read_body
from reception.api.operations import Answer, ApiRoute, Operation
from reception.letters import calls
from reception.letters.models import CallTopic
from reception.outcome import Outcome
from reception.web import read, require_admin, require_principal, run_action

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


def topic_json(row: CallTopic) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "name_ar": row.name_ar,
        "name_en": row.name_en,
        "sort_order": row.sort_order,
        "active": row.active,
    }


async def active_topics(request: Request) -> Response:
    """What a call can be about, in the order the administrator chose."""
    principal = await require_principal(request)
    principal.require_role(*calls.TRIAGE_ROLES)
    rows = await read(request, lambda s: calls.list_topics(s, active_only=True))
    return JSONResponse({"topics": [topic_json(r) for r in rows]})


async def all_topics(request: Request) -> Response:
    await require_admin(request)
    rows = await read(request, calls.list_topics)
    return JSONResponse({"topics": [topic_json(r) for r in rows]})


async def add_topic(request: Request) -> Response:
    principal = await require_admin(request)
    body = await read_body(request, CallTopicIn)
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
    principal = await require_admin(request)
    slug = str(request.path_params["topic"])[:40]
    body = await read_body(request, CallTopicPatch)
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
    principal = await require_admin(request)
    slug = str(request.path_params["topic"])[:40]

    def remove(s: Any) -> Outcome[None]:
        calls.remove_topic(s, slug, actor=principal.actor)
        return Outcome(None)

    await run_action(request, remove)
    return Response(status_code=204)


LISTED = Answer("The topics", CallTopicList)
ONE = Answer("The topic", CallTopicOut)

routes = [
    ApiRoute(
        "/api/v1/call-topics",
        active_topics,
        get=Operation(
            "The active phone-call topics, in their order (desk staff)",
            operation_id="listCallTopics",
            answers={200: LISTED},
            errors=(401, 403, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/admin/call-topics",
        all_topics,
        get=Operation(
            "Every phone-call topic, deactivated ones included (admin)",
            operation_id="adminListCallTopics",
            answers={200: LISTED},
            errors=(401, 403, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/admin/call-topics",
        add_topic,
        post=Operation(
            "Add a phone-call topic (admin)",
            operation_id="adminAddCallTopic",
            body=CallTopicIn,
            answers={201: ONE},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/call-topics/{topic}",
        change_topic,
        patch=Operation(
            "Rename, reorder, deactivate or reactivate a topic (admin)",
            operation_id="adminChangeCallTopic",
            body=CallTopicPatch,
            answers={200: ONE},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/call-topics/{topic}",
        remove_topic,
        delete=Operation(
            "Remove a topic no call has used (admin); 409 topic_in_use otherwise: "
            "deactivate it instead",
            operation_id="adminRemoveCallTopic",
            answers={204: Answer("Removed", media_type=None)},
        ),
    ),
]
