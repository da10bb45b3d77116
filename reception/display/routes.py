"""Hall display: a page rendered from a snapshot, kept live over `/display/ws`.

Protocol: on connect the server sends `{"type": "snapshot", "seq": n, …}`, then every
hall event as a delta with the next `seq`, and `{"type": "heartbeat"}` when idle. A
client that sees a gap (or a `resync`) sends the text `resync` and gets a fresh
snapshot. Events are encoded once and the same text goes to every socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from reception.auth.models import Role
from reception.errors import DomainError
from reception.queue.actions import hall_channel
from reception.queue.views import display_view
from reception.web import ctx, principal_of, read, render, require_principal

HEARTBEAT_SECONDS = 10.0
RESYNC = "\x00resync"
DISPLAY_ROLES = (Role.display, Role.operator, Role.supervisor, Role.admin)


async def display_page(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*DISPLAY_ROLES)
    branch = request.query_params.get("branch") or None
    hall = request.query_params.get("hall") or None
    clock = ctx(request).clock
    view = await read(request, lambda s: display_view(s, principal, clock, branch, hall))
    raw = request.query_params.get("counters", "")
    counters = ",".join(c for c in raw.split(",") if c.isdigit() and len(c) <= 4)
    return render(
        request,
        "display/hall.html",
        {"view": view, "heartbeat": HEARTBEAT_SECONDS, "counters": counters},
    )


def _same_origin(ws: WebSocket) -> bool:
    """Browsers always send Origin on websockets; it must be this site (as the browser
    reached it directly, through a proxy that forwards Host, or PUBLIC_BASE_URL)."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser: cookies are not sent cross-site without one
    allowed = {
        ws.headers.get("host"),
        ws.headers.get("x-forwarded-host"),
        urlsplit(ctx(ws).settings.public_base_url).netloc,
    }
    return urlsplit(origin).netloc in allowed


async def _refuse(ws: WebSocket, code: int) -> None:
    """Accept, then close with a code the page can read (4401: sign in again;
    4403: not allowed). A refused handshake would only show the browser an error."""
    await ws.accept()
    await ws.close(code=code)


async def display_socket(ws: WebSocket) -> None:
    if not _same_origin(ws):
        await ws.close(code=4403)  # another site: tell it nothing
        return
    try:
        principal = await principal_of(ws)
        if principal is None:
            await _refuse(ws, 4401)
            return
        if principal.role not in DISPLAY_ROLES:
            await _refuse(ws, 4403)
            return
        app = ctx(ws)
        branch = ws.query_params.get("branch") or None
        hall = ws.query_params.get("hall") or None
        view = await read(ws, lambda s: display_view(s, principal, app.clock, branch, hall))
    except DomainError:
        await _refuse(ws, 4403)
        return
    assert view.hall.id is not None
    await ws.accept()

    async def snapshot() -> str:
        fresh = await read(ws, lambda s: display_view(s, principal, app.clock, branch, hall))
        return json.dumps(fresh.snapshot, ensure_ascii=False, separators=(",", ":"))

    async with app.broadcaster.subscribe(hall_channel(view.hall.id)) as sub:
        # Subscribed first, then the snapshot: nothing can fall between the two.
        await ws.send_text(await snapshot())

        async def receive() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                async for text in ws.iter_text():
                    if text == "resync":
                        sub.offer(RESYNC)
            sub.offer("\x00closed")

        receiver = asyncio.create_task(receive())
        try:
            while True:
                try:
                    message = await asyncio.wait_for(sub.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    await ws.send_text('{"type":"heartbeat"}')
                    continue
                if message == "\x00closed":
                    break
                if sub.overflowed or message == RESYNC:
                    sub.overflowed = False
                    while not sub.queue.empty():
                        sub.queue.get_nowait()
                    await ws.send_text(await snapshot())
                    continue
                await ws.send_text(message)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver


routes = [
    Route("/display", display_page, methods=["GET"]),
    WebSocketRoute("/display/ws", display_socket),
]
