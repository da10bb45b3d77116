"""Citizen tracking page: `/t/<token>`, no login."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reception.queue import views
from reception.web import read, render


async def track(request: Request) -> Response:
    token = str(request.path_params["token"])
    view = await read(request, lambda s: views.tracked_ticket(s, token))
    return render(request, "track/ticket.html", {"t": view})


routes = [Route("/t/{token}", track, methods=["GET"])]
