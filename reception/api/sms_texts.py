"""SMS texts over the JSON API (admin token): every message in both languages with
its preview, and the administrator's own text for one of them set or removed. The
same actions as the administrator's screen; every change is audited."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.routes import _body
from reception.api.schemas import SmsTextIn
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.notify import actions, queries
from reception.notify.preview import Preview, preview_text
from reception.queue.actions import Outcome
from reception.web import ctx, read, require_principal, run_action

BASE = "/api/v1/sms-templates"


async def _admin(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_role(Role.admin)
    return principal


def _target(request: Request) -> tuple[str, str]:
    return str(request.path_params["purpose"])[:40], str(request.path_params["language"])[:2]


def _shown(preview: Preview) -> dict[str, Any]:
    return {
        "preview": preview.body,
        "characters": preview.size.characters,
        "segments": preview.size.segments,
    }


async def list_texts(request: Request) -> Response:
    await _admin(request)
    base_url = ctx(request).settings.public_base_url
    rows = await read(request, lambda s: queries.sms_texts(s, base_url))
    return JSONResponse(
        {
            "messages": [
                {
                    "purpose": row.purpose,
                    "quiet_exempt": row.quiet_exempt,
                    "values": row.allowed,
                    "required": row.required,
                    "texts": {
                        text.language: {"custom": text.custom, **_shown(text.preview)}
                        for text in row.texts
                    },
                }
                for row in rows
            ]
        }
    )


async def set_text(request: Request) -> Response:
    principal = await _admin(request)
    purpose, language = _target(request)
    body = await _body(request, SmsTextIn)
    if isinstance(body, JSONResponse):
        return body
    text = body.text

    def change(s: Any) -> Outcome[str]:
        row = actions.set_sms_text(
            s, purpose=purpose, language=language, text=text, actor=principal.actor
        )
        return Outcome(row.text)

    saved = await run_action(request, change)
    shown = preview_text(purpose, language, saved, ctx(request).settings.public_base_url)
    return JSONResponse(
        {"purpose": purpose, "language": language, "custom": saved, **_shown(shown)}
    )


async def reset_text(request: Request) -> Response:
    principal = await _admin(request)
    purpose, language = _target(request)

    def change(s: Any) -> Outcome[bool]:
        return Outcome(
            actions.reset_sms_text(s, purpose=purpose, language=language, actor=principal.actor)
        )

    removed = await run_action(request, change)
    return JSONResponse({"purpose": purpose, "language": language, "reset": removed})


routes = [
    Route(BASE, list_texts, methods=["GET"]),
    Route(BASE + "/{purpose}/{language}", set_text, methods=["PUT"]),
    Route(BASE + "/{purpose}/{language}", reset_text, methods=["DELETE"]),
]
