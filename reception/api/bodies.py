"""Reading a JSON request body into its pydantic model, for every API module: the
content type and JSON are checked first, then the fields the caller's role may not
set (403), then the model (422 with the first problem, in the caller's language)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from reception.auth import fields
from reception.auth.principal import Principal
from reception.errors import N_, Invalid
from reception.web import ctx, t

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)


async def json_body(request: Request) -> Any:
    """The body parsed as JSON; refused unless sent as application/json."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Invalid(
            "bad_content_type", N_("Send the body as JSON (Content-Type: application/json).")
        )
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Invalid("malformed_json", N_("The body is not valid JSON.")) from None


def validation_context(request: Request) -> dict[str, Any]:
    """What the models' validators need: today, to keep dates in their window."""
    return {"today": ctx(request).clock.now().date()}


def invalid_answer(request: Request, exc: ValidationError) -> JSONResponse:
    """The 422 answer naming the first field that is wrong."""
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    message = t(request, N_("Field {field}: {problem}"), field=field, problem=first["msg"])
    return JSONResponse({"error": {"code": "invalid", "message": message}}, status_code=422)


def require_settable(principal: Principal, write: str, raw: Any) -> None:
    """Before the schema: a field this role may not set is refused with 403 and the
    field's name, not as an unknown field (422)."""
    if isinstance(raw, dict):
        fields.require_settable(principal, write, raw.keys())


async def read_body(
    request: Request,
    model: type[BaseModelT],
    principal: Principal | None = None,
    write: str | None = None,
) -> BaseModelT | JSONResponse:
    """The body as `model`, or the 422 answer. With `write`, the fields `principal`
    may not set in it are refused first (403, see reception/auth/fields.py)."""
    raw = await json_body(request)
    if principal is not None and write is not None:
        require_settable(principal, write, raw)
    try:
        return model.model_validate(raw, context=validation_context(request))
    except ValidationError as exc:
        return invalid_answer(request, exc)
