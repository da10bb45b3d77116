"""The live supervisor dashboard: a page that shows the branch's figures without
JavaScript, the same figures as JSON, and a websocket that says `changed` whenever a
hall of the branch changed (bursts coalesce into one notice), so the page fetches the
figures again instead of polling."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from reception.display.routes import refuse_socket, same_origin
from reception.errors import DomainError
from reception.events.messages import CHANGED, HEARTBEAT
from reception.queue.hall_events import hall_channel
from reception.stats import live
from reception.stats.scope import REPORT_ROLES
from reception.web import (
    ctx,
    hold_socket,
    language_of,
    principal_of,
    read,
    render,
    require_principal,
)

HEARTBEAT_SECONDS = 15.0
SETTLE_SECONDS = 0.25
"""A call-next touches several rows and events: wait this long for the rest of the
burst before telling the page once."""


def _branch(conn: Request | WebSocket) -> str | None:
    return conn.query_params.get("branch") or None


async def _view(request: Request) -> dict[str, Any]:
    principal = await require_principal(request)
    clock = ctx(request).clock
    language = language_of(request)
    slug = _branch(request)
    return await read(request, lambda s: live.dashboard_view(s, clock, principal, language, slug))


async def dashboard(request: Request) -> Response:
    view = await _view(request)
    return render(request, "stats/dashboard.html", {**view, "heartbeat": HEARTBEAT_SECONDS})


async def figures(request: Request) -> Response:
    view = await _view(request)
    body = {
        "figures": view["figures"],
        "text": view["text"],
        "alert": view["alert"],
        "html": _fragments(request, view["figures"]),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _fragments(request: Request, figures: dict[str, Any]) -> dict[str, str]:
    """The parts of the page that are lists, not single numbers, drawn again for the
    page to swap (the remote tickets of each hall)."""
    language = language_of(request)
    macros = ctx(request).templates[language].env.get_template("stats/_remote_live.html")
    return {
        f"{hall['slug']}.remote": str(macros.module.remote_list(hall, language))  # type: ignore[attr-defined]
        for hall in figures["halls"]
    }


async def dashboard_socket(ws: WebSocket) -> None:
    if not same_origin(ws):
        await ws.close(code=4403)
        return
    try:
        principal = await principal_of(ws)
        if principal is None:
            await refuse_socket(ws, 4401)
            return
        if principal.role not in REPORT_ROLES:
            await refuse_socket(ws, 4403)
            return
        slug = _branch(ws)
        hall_ids = await read(ws, lambda s: live.dashboard_hall_ids(s, principal, slug))
    except DomainError:
        await refuse_socket(ws, 4403)
        return
    await ws.accept()
    broadcaster = ctx(ws).broadcaster
    changed = asyncio.Event()
    closed = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        stack.enter_context(hold_socket(ws))  # closed at once when its access ends
        subs = [
            await stack.enter_async_context(broadcaster.subscribe(hall_channel(hall_id)))
            for hall_id in hall_ids
        ]

        async def follow(sub: Any) -> None:
            while True:
                await sub.get()
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                sub.overflowed = False
                changed.set()

        async def receive() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                async for _ in ws.iter_text():
                    pass
            closed.set()
            changed.set()

        tasks = [asyncio.create_task(follow(sub)) for sub in subs]
        tasks.append(asyncio.create_task(receive()))
        try:
            await ws.send_text(CHANGED)  # whatever happened between the page and the socket
            while not closed.is_set():
                try:
                    await asyncio.wait_for(changed.wait(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    await ws.send_text(HEARTBEAT)
                    continue
                if closed.is_set():
                    break
                await asyncio.sleep(SETTLE_SECONDS)
                changed.clear()
                await ws.send_text(CHANGED)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


routes = [
    Route("/staff/dashboard", dashboard, methods=["GET"]),
    Route("/staff/dashboard/figures", figures, methods=["GET"]),
    WebSocketRoute("/staff/dashboard/ws", dashboard_socket),
]
