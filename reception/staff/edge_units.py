"""Administration of mobile units (admin role): a mobile branch's laptops with when each
last synced and what it still holds; adding one shows its token once; revoking one
(a lost or stolen laptop) asks for confirmation first. Every change goes through the
audited unit actions (reception/edge/units.py)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.edge import units
from reception.edge.unit_views import unit_state, units_view
from reception.errors import N_
from reception.forms import Refusal, attempt
from reception.outcome import Outcome
from reception.web import check_csrf, flash, path_id, read, render, require_admin, run_action, t

PAGE = "/staff/admin/units"


async def _page(request: Request, branch: str | None, status: int = 200, **extra: Any) -> Response:
    view = await read(request, lambda s: units_view(s, branch))
    return render(request, "staff/edge_units.html", {"view": view, **extra}, status_code=status)


async def page(request: Request) -> Response:
    await require_admin(request)
    return await _page(request, request.query_params.get("branch") or None)


async def add(request: Request) -> Response:
    """The new unit's token is in this answer only (never kept in a cookie)."""
    principal = await require_admin(request)
    form = await check_csrf(request)
    branch = str(form.get("branch") or "")

    def change(s: Session) -> Outcome[units.NewUnit]:
        return units.add_unit(
            s, branch_slug=branch, name=str(form.get("name") or ""), actor=principal.actor
        )

    made = await attempt(request, run_action(request, change))
    if isinstance(made, Refusal):
        return await _page(request, branch or None, status=made.status_code, error=made.message)
    return await _page(request, branch or None, new_token=made.token, new_unit=made.unit.name)


async def revoke(request: Request) -> Response:
    """Without `confirm=yes` the answer is the question; with it, the unit is revoked."""
    principal = await require_admin(request)
    form = await check_csrf(request)
    unit_id = path_id(request, "unit", "unit")
    if form.get("confirm") != "yes":
        unit = await read(request, lambda s: unit_state(s, unit_id))
        return render(request, "staff/edge_unit_revoke.html", {"unit": unit})

    def change(s: Session) -> Outcome[Any]:
        return units.revoke_unit(s, unit_id=unit_id, actor=principal.actor)

    done = await attempt(request, run_action(request, change))
    if isinstance(done, Refusal):
        flash(request, done.message)
    else:
        flash(request, t(request, N_("The unit was revoked: its token no longer works.")), "info")
    branch = str(form.get("branch") or "")
    return RedirectResponse(f"{PAGE}?branch={branch}" if branch else PAGE, status_code=303)


routes = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE, add, methods=["POST"]),
    Route(PAGE + "/{unit}/revoke", revoke, methods=["POST"]),
]
