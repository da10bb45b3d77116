"""JSON API v1 for letters: register, find, classify and route, move through the
workflow, log calls. The same actions as the triage desk and the department inbox."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.answers import AttachmentOut, LetterRegistered, LoggedCall
from reception.api.bodies import read_body
from reception.api.operations import DATE_OR_EMPTY, Answer, ApiRoute, Operation, one_of, query
from reception.api.schemas import (
    CallBody,
    ClassifyBody,
    LetterCreate,
    LetterMoveBody,
    PhoneCallBody,
)
from reception.errors import N_, Invalid, NotFound
from reception.inputs import to_int
from reception.letters import actions, attachments, calls, queries, suggest
from reception.web import ctx, read, require_principal, run_action


async def register(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_body(request, LetterCreate, principal, "letter.register")
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
    body = await read_body(request, ClassifyBody, principal, "letter.classify")
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
    if name not in actions.MOVES:
        raise NotFound("unknown_move", N_("Unknown action {name}."), name=name[:20])
    letter_id = await _letter_id(request)
    body = await read_body(request, LetterMoveBody)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    await run_action(
        request,
        lambda s: actions.move_letter(
            s, app.clock, principal, letter_id=letter_id, move=name, note=body.note,
            merge_into=body.merge_into, public_base_url=app.settings.public_base_url,
        ),
    )  # fmt: skip
    return await _answer(request, letter_id)


async def log_call(request: Request) -> Response:
    principal = await require_principal(request)
    letter_id = await _letter_id(request)
    body = await read_body(request, CallBody)
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
    confident_at = ctx(request).settings.suggestion_confident_at
    return JSONResponse(suggest.answer(model.status(), ranked, confident_at))


async def enquiry(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_body(request, PhoneCallBody)
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


REFERENCE = {"reference": {"type": "string"}}
LETTER = "The letter with its steps"
MOVES = sorted(move.replace("_", "-") for move in actions.MOVES)
SCAN = {
    "type": "object",
    "properties": {"file": {"type": "string", "format": "binary"}},
    "required": ["file"],
    "additionalProperties": False,
}

routes = [
    ApiRoute(
        "/api/v1/enquiries",
        enquiry,
        post=Operation(
            "Register a phone call in the call log: topic, direction, minutes, and "
            "optionally the letter (reference) or ticket (id or today's number) it concerns",
            operation_id="logEnquiry",
            body=PhoneCallBody,
            answers={201: Answer("The logged call", LoggedCall)},
        ),
    ),
    ApiRoute(
        "/api/v1/letters",
        register,
        post=Operation(
            "Register a letter (triage staff)",
            operation_id="registerLetter",
            body=LetterCreate,
            answers={201: Answer("The registered letter", LetterRegistered)},
        ),
    ),
    ApiRoute(
        "/api/v1/letters",
        list_letters,
        get=Operation(
            "List letters: q (Arabic-folded words or a reference), status, category, "
            "department, hall, sla (ok/near/late), sender_id, phone, from, to, limit; "
            "kiosk and display tokens are refused (403)",
            operation_id="listLetters",
            parameters=(
                query("q", "Arabic-folded words or a reference", {"type": "string"}),
                *(query(name, name) for name in ("status", "category", "department", "hall")),
                query("sla", "How near its deadline", one_of(("ok", "near", "late"))),
                query("sender_id", "The sender's ID number", {"type": "string"}),
                query("phone", "The sender's mobile", {"type": "string"}),
                query("from", "Registered on or after", DATE_OR_EMPTY),
                query("to", "Registered on or before", DATE_OR_EMPTY),
                query("limit", "At most this many", {"type": "integer"}),
            ),
            answers={200: "`{letters: [...]}`"},
        ),
    ),
    ApiRoute(
        "/api/v1/letters/{reference}",
        get_letter,
        get=Operation("One letter with its steps", path=REFERENCE, answers={200: LETTER}),
    ),
    ApiRoute(
        "/api/v1/letters/{reference}/classify",
        classify,
        post=Operation(
            "Classify and route (by the routing rules unless a department is named)",
            operation_id="classifyLetter",
            body=ClassifyBody,
            path=REFERENCE,
            answers={200: LETTER},
        ),
    ),
    ApiRoute(
        "/api/v1/letters/{reference}/suggestion",
        suggestion,
        get=Operation(
            "Suggested categories with confidences, learned from staff decisions and the "
            "categories' own words",
            operation_id="suggestCategories",
            path=REFERENCE,
            answers={
                200: "`{state: ready|learning|too_few_examples|off, progress, trained_on, "
                "version, retraining, suggestions: [{category, confidence}], careful_look}`"
            },
        ),
    ),
    ApiRoute(
        "/api/v1/letters/{reference}/calls",
        log_call,
        post=Operation(
            "Log a phone call about the letter",
            operation_id="logLetterCall",
            body=CallBody,
            path=REFERENCE,
            answers={200: LETTER},
        ),
    ),
    ApiRoute(
        "/api/v1/letters/{reference}/attachments",
        attach,
        post=Operation(
            "Attach a scanned PDF, PNG or JPEG (at most 10 MB; the type is read from the "
            "content, not the name)",
            operation_id="letterAttachScan",
            form=("multipart/form-data", SCAN),
            path=REFERENCE,
            answers={201: Answer("Attached", AttachmentOut)},
            errors=(400, 401, 403, 404, 409, 413, 422, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/letters/{reference}/{move}",
        move,
        post=Operation(
            "Move it on: accept, note, request-info, answer, return, reopen (department); "
            "close, reject, merge (triage)",
            operation_id="moveLetter",
            body=LetterMoveBody,
            path={**REFERENCE, "move": one_of(MOVES)},
            answers={200: LETTER},
        ),
    ),
]
