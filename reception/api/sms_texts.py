"""SMS texts over the JSON API (admin token): every message in both languages with
its preview, and the administrator's own text for one of them set or removed. The
same actions as the administrator's screen; every change is audited."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import ApiRoute, Operation, one_of
from reception.api.schemas import SmsTextIn
from reception.notify import actions, queries
from reception.notify.preview import Preview, preview_text
from reception.notify.texts import purposes
from reception.outcome import Outcome
from reception.settings import LANGUAGES
from reception.web import ctx, read, require_admin, run_action

BASE = "/api/v1/sms-templates"


def _target(request: Request) -> tuple[str, str]:
    return str(request.path_params["purpose"])[:40], str(request.path_params["language"])[:2]


def _shown(preview: Preview) -> dict[str, Any]:
    return {
        "preview": preview.body,
        "characters": preview.size.characters,
        "segments": preview.size.segments,
    }


async def list_texts(request: Request) -> Response:
    await require_admin(request)
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
    principal = await require_admin(request)
    purpose, language = _target(request)
    body = await read_body(request, SmsTextIn)
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
    principal = await require_admin(request)
    purpose, language = _target(request)

    def change(s: Any) -> Outcome[bool]:
        return Outcome(
            actions.reset_sms_text(s, purpose=purpose, language=language, actor=principal.actor)
        )

    removed = await run_action(request, change)
    return JSONResponse({"purpose": purpose, "language": language, "reset": removed})


PATHS = {
    "purpose": one_of(purposes()),
    "language": one_of(LANGUAGES),
}

routes = [
    ApiRoute(
        BASE,
        list_texts,
        get=Operation(
            "Every SMS text in both languages with its preview (admin)",
            operation_id="listSmsTexts",
            answers={200: "The messages, their values and texts"},
            errors=(401, 403, 503),
        ),
    ),
    ApiRoute(
        BASE + "/{purpose}/{language}",
        set_text,
        put=Operation(
            "Set an administrator's text for one SMS in one language (admin)",
            operation_id="setSmsText",
            body=SmsTextIn,
            path=PATHS,
            answers={200: "The saved text and its preview"},
        ),
    ),
    ApiRoute(
        BASE + "/{purpose}/{language}",
        reset_text,
        delete=Operation(
            "Use the shipped text again for one SMS in one language (admin)",
            operation_id="resetSmsText",
            path=PATHS,
            answers={200: "Whether an administrator's text was removed"},
        ),
    ),
]
