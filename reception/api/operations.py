"""What each API operation takes and answers, declared beside its route.

An `ApiRoute` is a Starlette route that carries one `Operation` per HTTP method: the
summary, the body model, the answers (status → model or description), the error
codes it may give and its parameters. reception/api/openapi.py builds the OpenAPI
document by walking the application's routes and reading these declarations, so the
document cannot forget a route or drift from the models the routes validate with."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.routing import Route

JSON = "application/json"
USUAL_ERRORS = (400, 401, 403, 404, 409, 422, 503)
"""A request that names something and changes or reads it may be malformed (400),
unauthenticated (401), refused (403), about nothing (404), out of turn (409), invalid
(422), or meet a busy database (503)."""

ID: Mapping[str, Any] = {"type": "integer", "minimum": 1}
SLUG: Mapping[str, Any] = {"type": "string", "maxLength": 40}
DATE: Mapping[str, Any] = {"type": "string", "format": "date"}
DATE_OR_EMPTY: Mapping[str, Any] = {"anyOf": [DATE, {"type": "string", "maxLength": 0}]}
"""A day filter a form may send empty (no filter)."""


def one_of(values: Iterable[str], **extra: Any) -> dict[str, Any]:
    """A string that is one of `values`, as the code lists them."""
    return {"type": "string", "enum": [str(v) for v in values], **extra}


@dataclass(frozen=True)
class Answer:
    """One answer of an operation: a JSON body of `model` (a JSON object when no model
    is named), a body of another `media_type` with `schema`, or none (`media_type`
    None, e.g. 204)."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str | None = JSON
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Operation:
    """One method of a route. `path` gives the schema of path parameters that are not
    plain strings; `parameters` are further (query, header) parameter objects.
    `body` is the JSON model the route validates with; `form` a body of another media
    type (media type, schema)."""

    summary: str
    answers: Mapping[int, Answer | str]
    errors: tuple[int, ...] = USUAL_ERRORS
    body: type[BaseModel] | None = None
    body_required: bool = True
    body_description: str | None = None
    form: tuple[str, Mapping[str, Any]] | None = None
    path: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    parameters: tuple[Mapping[str, Any], ...] = ()
    description: str | None = None
    operation_id: str | None = None
    public: bool = False
    """No bearer token: the caller proves itself otherwise (a provider's signature)."""


class ApiRoute(Route):
    """A route of the JSON API with its operations, one keyword per method:
    `ApiRoute("/api/v1/tickets", create_ticket, post=Operation(...))`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **operations: Operation) -> None:
        super().__init__(path, endpoint, methods=[method.upper() for method in operations])
        self.operations: dict[str, Operation] = operations


def query(
    name: str,
    description: str,
    schema: Mapping[str, Any] = SLUG,
    required: bool = False,
) -> dict[str, Any]:
    """A query parameter; a list (`type: array`) is repeated: `?branch=a&branch=b`."""
    parameter = {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": dict(schema),
    }
    if schema.get("type") == "array":
        parameter |= {"style": "form", "explode": True}
    return parameter


def header(name: str, description: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }
