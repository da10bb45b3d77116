"""JSON API v1 for letters: register, find, classify and route, move through the
workflow, log calls. The same actions as the triage desk and the department inbox."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.routes import _body
from reception.api.schemas import (
    CallBody,
    ClassifyBody,
    LetterCreate,
    LetterMoveBody,
    PhoneCallBody,
)
from reception.errors import N_, Invalid, NotFound
from reception.inputs import to_int
from reception.letters import actions, attachments, calls, queries
from reception.outcome import Outcome
from reception.web import ctx, read, require_principal, run_action

DEPARTMENT_MOVES = set(actions.DEPARTMENT_MOVES)
TRIAGE_MOVES = {"close", "reject", "merge"}


async def register(request: Request) -> Response:
    principal = await require_principal(request)
    body = await _body(request, LetterCreate, principal, "letter.register")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    done = await run_action(
        request,
        lambda s: actions.register_letter(
            s, app.clock, principal, public_base_url=app.settings.public_base_url,
            **body.model_dump(),
        ),
    )  # fmt: skip
    return JSONResponse(
        {
            "id": done.letter.id,
            "reference": done.letter.reference,
            "status": done.letter.status,
            "residency": done.letter.residency,
            "tracking_url": done.tracking_url,
        },
        status_code=201,
    )


async def list_letters(request: Request) -> Response:
    principal = await require_principal(request)
    q = request.query_params
    limit = to_int(q.get("limit", "50"), low=1, high=999)
    if limit is None:
        raise Invalid("bad_limit", N_("The limit is a whole number from 1 to 999."))
    filters: dict[str, Any] = {
        key: q.get(key) or None
        for key in ("status", "category", "department", "hall", "sla", "sender_id", "phone")
    }
    now = ctx(request).clock.now()
    found = await read(
        request,
        lambda s: queries.search(
            s,
            principal,
            now,
            q=q.get("q", ""),
            date_from=q.get("from") or None,
            date_to=q.get("to") or None,
            limit=limit,
            **filters,
        ),
    )
    return JSONResponse({"letters": found})


async def get_letter(request: Request) -> Response:
    principal = await require_principal(request)
    reference = str(request.path_params["reference"])
    now = ctx(request).clock.now()

    def load(s: Any) -> dict[str, Any]:
        return queries.detail(s, queries.letter_by_reference(s, principal, reference), now)

    return JSONResponse(await read(request, load))


async def _letter_id(request: Request) -> int:
    principal = await require_principal(request)
    reference = str(request.path_params["reference"])
    letter = await read(request, lambda s: queries.letter_by_reference(s, principal, reference))
    assert letter.id is not None
    return letter.id


async def _answer(request: Request, letter_id: int) -> Response:
    principal = await require_principal(request)
    now = ctx(request).clock.now()

    def load(s: Any) -> dict[str, Any]:
        return queries.detail(s, actions.letter_for(s, principal, letter_id), now)

    return JSONResponse(await read(request, load))


async def classify(request: Request) -> Response:
    principal = await require_principal(request)
    letter_id = await _letter_id(request)
    body = await _body(request, ClassifyBody, principal, "letter.classify")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    await run_action(
        request,
        lambda s: actions.classify_and_route(
            s, app.clock, principal, letter_id=letter_id,
            public_base_url=app.settings.public_base_url, **body.model_dump(),
        ),
    )  # fmt: skip
    return await _answer(request, letter_id)


async def move(request: Request) -> Response:
    principal = await require_principal(request)
    name = str(request.path_params["move"]).replace("-", "_")
    if name not in DEPARTMENT_MOVES | TRIAGE_MOVES:
        raise NotFound("unknown_move", N_("Unknown action {name}."), name=name[:20])
    letter_id = await _letter_id(request)
    body = await _body(request, LetterMoveBody)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)

    def change(s: Any) -> Outcome[Any]:
        if name in TRIAGE_MOVES:
            return actions.triage_move(
                s, app.clock, principal, letter_id=letter_id, move=name, note=body.note,
                merge_into=body.merge_into, public_base_url=app.settings.public_base_url,
            )  # fmt: skip
        return actions.department_move(
            s, app.clock, principal, letter_id=letter_id, move=name, note=body.note,
            public_base_url=app.settings.public_base_url,
        )  # fmt: skip

    await run_action(request, change)
    return await _answer(request, letter_id)


async def log_call(request: Request) -> Response:
    principal = await require_principal(request)
    letter_id = await _letter_id(request)
    body = await _body(request, CallBody)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    await run_action(
        request,
        lambda s: actions.log_call(
            s, app.clock, principal, letter_id=letter_id, **body.model_dump()
        ),
    )
    return await _answer(request, letter_id)


async def attach(request: Request) -> Response:
    """Multipart form data with one `file` field: a scanned PDF, PNG or JPEG (≤ 10 MB)."""
    principal = await require_principal(request)
    letter_id = await _letter_id(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise Invalid("bad_content_type", N_("Send the file as multipart/form-data."))
    async with request.form(max_files=1, max_fields=5) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("file_required", N_("Send the file in a field named file."))
        data = await upload.read()
        name = upload.filename or ""
    app = ctx(request)
    root = app.settings.attachments_dir
    assert root is not None
    row = await run_action(
        request,
        lambda s: attachments.add_attachment(
            s, app.clock, principal, letter_id=letter_id, filename=name, data=data, root=root
        ),
    )
    return JSONResponse(
        {
            "id": row.id,
            "filename": row.filename,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
        },
        status_code=201,
    )


async def suggestion(request: Request) -> Response:
    """The categories the model would pick, with confidences; it never routes anything."""
    principal = await require_principal(request)
    reference = str(request.path_params["reference"])
    letter = await read(request, lambda s: queries.letter_by_reference(s, principal, reference))
    model = request.app.state.suggestions
    ranked = await run_in_threadpool(model.suggest, letter.subject, letter.body)
    return JSONResponse(
        {
            "suggestions": [{"category": c, "confidence": p} for c, p in ranked],
            "trained_on": model.current.trained_on,
        }
    )


async def enquiry(request: Request) -> Response:
    principal = await require_principal(request)
    body = await _body(request, PhoneCallBody)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    row = await run_action(
        request,
        lambda s: calls.log_enquiry(s, app.clock, principal, **body.model_dump()),
    )
    return JSONResponse(
        {
            "id": row.id,
            "at": row.at.isoformat(),
            "topic": body.topic,
            "direction": row.direction,
            "duration_minutes": row.duration_minutes,
            "letter": (body.letter or "").strip().upper() if row.letter_id else None,
            "ticket_id": row.ticket_id,
            "hall_id": row.hall_id,
        },
        status_code=201,
    )


routes = [
    Route("/api/v1/enquiries", enquiry, methods=["POST"]),
    Route("/api/v1/letters", register, methods=["POST"]),
    Route("/api/v1/letters", list_letters, methods=["GET"]),
    Route("/api/v1/letters/{reference}", get_letter, methods=["GET"]),
    Route("/api/v1/letters/{reference}/classify", classify, methods=["POST"]),
    Route("/api/v1/letters/{reference}/suggestion", suggestion, methods=["GET"]),
    Route("/api/v1/letters/{reference}/calls", log_call, methods=["POST"]),
    Route("/api/v1/letters/{reference}/attachments", attach, methods=["POST"]),
    Route("/api/v1/letters/{reference}/{move}", move, methods=["POST"]),
]
