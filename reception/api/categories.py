"""Letter categories over the JSON API (admin token): add one, read them all with
what each says about itself, and change its description and example phrases."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.answers import CategoryList, CategoryOut
from reception.api.bodies import read_body
from reception.api.operations import SLUG, Answer, ApiRoute, Operation
from reception.api.schemas import CategoryIn, CategoryPatch
from reception.letters import setup as letter_setup
from reception.letters.models import Category
from reception.outcome import Outcome
from reception.web import read, require_admin, run_action


def category_json(row: Category, parents: dict[int, str]) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "name_ar": row.name_ar,
        "name_en": row.name_en,
        "parent": parents.get(row.parent_id) if row.parent_id else None,
        "active": row.active,
        "sla_hours": dict(row.sla_hours or {}),
        "description_ar": row.description_ar,
        "description_en": row.description_en,
        "examples_ar": list(row.examples_ar or []),
        "examples_en": list(row.examples_en or []),
    }


def _one(session: Session, row: Category) -> dict[str, Any]:
    parent = session.get(Category, row.parent_id) if row.parent_id else None
    return category_json(row, {parent.id or 0: parent.slug} if parent else {})


async def list_categories(request: Request) -> Response:
    await require_admin(request)

    def everything(s: Session) -> list[dict[str, Any]]:
        rows = letter_setup.list_categories(s)
        parents = {row.id or 0: row.slug for row in rows}
        return [category_json(row, parents) for row in rows]

    return JSONResponse({"categories": await read(request, everything)})


async def add_category(request: Request) -> Response:
    principal = await require_admin(request)
    body = await read_body(request, CategoryIn)
    if isinstance(body, JSONResponse):
        return body

    def add(s: Session) -> Outcome[dict[str, Any]]:
        row = letter_setup.add_category(s, actor=principal.actor, **body.model_dump())
        return Outcome(_one(s, row))

    return JSONResponse(await run_action(request, add), status_code=201)


async def describe_category(request: Request) -> Response:
    """The fields sent replace the category's; the ones left out stay."""
    principal = await require_admin(request)
    slug = str(request.path_params["category"])[:40]
    body = await read_body(request, CategoryPatch)
    if isinstance(body, JSONResponse):
        return body
    sent = body.model_dump(exclude_none=True)

    def describe(s: Session) -> Outcome[dict[str, Any]]:
        row = letter_setup.category_by_slug(s, slug)
        row = letter_setup.describe_category(
            s,
            slug=slug,
            description_ar=sent.get("description_ar", row.description_ar),
            description_en=sent.get("description_en", row.description_en),
            examples_ar=sent.get("examples_ar", row.examples_ar),
            examples_en=sent.get("examples_en", row.examples_en),
            actor=principal.actor,
        )
        return Outcome(_one(s, row))

    return JSONResponse(await run_action(request, describe))


ONE = Answer("The category", CategoryOut)

routes = [
    ApiRoute(
        "/api/v1/admin/categories",
        list_categories,
        get=Operation(
            "Every letter category with its description and example phrases (admin)",
            operation_id="adminListCategories",
            answers={200: Answer("The categories", CategoryList)},
            errors=(401, 403, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/admin/categories",
        add_category,
        post=Operation(
            "Add a letter category (with a parent: a subcategory), optionally with its "
            "description and example phrases",
            body=CategoryIn,
            answers={201: ONE},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/categories/{category}",
        describe_category,
        patch=Operation(
            "Change a category's description and example phrases (admin); 404 "
            "unknown_category, 422 with the first problem",
            operation_id="adminDescribeCategory",
            body=CategoryPatch,
            path={"category": SLUG},
            answers={200: ONE},
        ),
    ),
]
