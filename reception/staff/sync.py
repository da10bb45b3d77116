"""At a mobile unit: the page that tells its supervisor how far the unit's records have
gone to the centre (linked from the staff navigation only at a unit)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reception.auth.models import Role
from reception.edge.status import sync_view
from reception.web import ctx, read, render, require_principal


async def sync_page(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(Role.supervisor, Role.admin)
    now = ctx(request).clock.now()
    view = await read(request, lambda s: sync_view(s, now))
    # At the centre (no unit here) the page says so instead of failing: the centre's
    # view of its units is on its dashboard and administration pages.
    return render(request, "staff/sync.html", {"view": view, "state": view and view.state})


routes = [Route("/staff/sync", sync_page, methods=["GET"])]
