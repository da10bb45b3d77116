"""The OpenAPI 3.1 document, built by walking the application's routes: every route
under /api/v1/ is an `ApiRoute` that declares its operations (reception/api/
operations.py), and the pydantic models it validates with give the JSON schemas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reception import __version__
from reception.api.operations import JSON, Answer, ApiRoute, Operation
from reception.api.schemas import ErrorBody

PREFIX = "/api/v1/"
ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing or invalid token",
    403: "Not allowed for this token",
    404: "Not found",
    409: "Not possible in the current state",
    413: "The body is too large",
    422: "Invalid input",
    429: "Too many wrong guesses; retry after the Retry-After seconds",
    503: "Temporarily unavailable; retry after the Retry-After seconds",
}


def build_openapi(routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """The document of every /api/v1/ route in `routes`, in their order. A route there
    without declared operations is a mistake, not something to leave out silently."""
    document = _Document()
    for route in routes:
        if not isinstance(route, Route) or not route.path.startswith(PREFIX):
            continue
        if not isinstance(route, ApiRoute):
            raise TypeError(f"{route.path}: an API route without its operations (ApiRoute)")
        for method, operation in route.operations.items():
            document.add(route, method, operation)
    return document.as_dict()


class _Document:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}
        self.paths: dict[str, dict[str, Any]] = {}
        self.operation_ids: set[str] = set()

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        """The model's schema under components (its `$defs` beside it), referenced."""
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
            known = self.schemas.setdefault(name, sub)
            assert known == sub, f"two different schemas named {name}"
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def answer(self, answer: Answer | str) -> dict[str, Any]:
        if isinstance(answer, str):
            answer = Answer(answer)
        if answer.media_type is None:
            return {"description": answer.description}
        if answer.model is not None:
            schema: dict[str, Any] = self.ref(answer.model)
        else:
            schema = dict(answer.schema or {"type": "object"})
        return {
            "description": answer.description,
            "content": {answer.media_type: {"schema": schema}},
        }

    def add(self, route: ApiRoute, method: str, operation: Operation) -> None:
        many = len(route.operations) > 1
        name = operation.operation_id or _camel(route.name) + (method.title() if many else "")
        assert name not in self.operation_ids, f"operationId {name} twice"
        self.operation_ids.add(name)
        parameters = [
            {
                "name": param,
                "in": "path",
                "required": True,
                "schema": dict(operation.path.get(param, {"type": "string"})),
            }
            for param in route.param_convertors
        ]
        errors = {
            str(code): self.answer(Answer(ERROR_TEXT[code], ErrorBody))
            for code in (*operation.errors, 422)  # control characters: reception.inputs
        }
        body = self.body(operation)
        if body:
            errors.setdefault("413", self.answer(Answer(ERROR_TEXT[413], ErrorBody)))
        answers = {str(status): self.answer(a) for status, a in operation.answers.items()}
        described: dict[str, Any] = {
            "operationId": name,
            "summary": operation.summary,
            **({"description": operation.description} if operation.description else {}),
            "security": [] if operation.public else [{"bearer": []}],
            "parameters": [*parameters, *(dict(p) for p in operation.parameters)],
            **({"requestBody": body} if body else {}),
            "responses": {**answers, **{k: v for k, v in errors.items() if k not in answers}},
        }
        self.paths.setdefault(route.path, {})[method] = described

    def body(self, operation: Operation) -> dict[str, Any] | None:
        if operation.body is not None:
            media, schema = JSON, self.ref(operation.body)
        elif operation.form is not None:
            media, schema = operation.form[0], dict(operation.form[1])
        else:
            return None
        return {
            "required": operation.body_required,
            **({"description": operation.body_description} if operation.body_description else {}),
            "content": {media: {"schema": schema}},
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "Reception API",
                "version": __version__,
                "description": "Tickets, counters and branches of a reception centre. Errors "
                'are `{"error": {"code", "message"}}`; messages follow `Accept-Language` '
                "(ar, en).",
            },
            "servers": [{"url": "/"}],
            "components": {
                "schemas": self.schemas,
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
            "paths": self.paths,
        }


def _camel(name: str) -> str:
    first, *rest = name.strip("_").split("_")
    return first + "".join(word.title() for word in rest)


async def openapi_document(request: Request) -> Response:
    """This document, built once per application from its own routes."""
    state = request.app.state
    if getattr(state, "openapi", None) is None:
        state.openapi = build_openapi(request.app.routes)
    return JSONResponse(state.openapi)


routes = [
    ApiRoute(
        PREFIX + "openapi.json",
        openapi_document,
        get=Operation(
            "This document: every operation of the API with its bodies and answers",
            answers={200: "The OpenAPI document"},
            errors=(),
            public=True,
        ),
    ),
]
