"""Citizen tracking page: `/t/<token>`, no login.

The page follows its hall's live channel — the same one the displays and the consoles
use — through `/t/<token>/ws`: whenever the hall changes the socket says `changed` and
the page fetches its own fresh view. Nothing about other visitors is ever sent."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from reception.auth.throttle import LoginThrottle
from reception.errors import N_, DomainError, NotFound, TooManyRequests
from reception.queue import views
from reception.queue.actions import hall_channel
from reception.web import ctx, read, render

HEARTBEAT_SECONDS = 10.0
CHANGED = '{"type":"changed"}'
FINAL = {"done", "no_show", "cancelled", "expired"}


def _guard(request: Request) -> tuple[LoginThrottle, str]:
    """Links that do not exist, asked for again and again from one address, are
    someone guessing: after 30 in 15 minutes that address waits (429)."""
    throttle: LoginThrottle = request.app.state.tracking_throttle
    address = request.client.host if request.client else "-"
    wait = throttle.locked_for(address)
    if wait:
        raise TooManyRequests(
            "too_many_guesses",
            N_("Too many wrong links. Please try again in {minutes} minutes."),
            minutes=max(1, -(-wait // 60)),
        )
    return throttle, address


async def _tracked(request: Request, load: Any) -> Any:
    throttle, address = _guard(request)
    try:
        return await read(request, load)
    except NotFound:
        throttle.failed(address)
        raise


async def track(request: Request) -> Response:
    token = str(request.path_params["token"])[:64]
    view = await _tracked(request, lambda s: views.tracked_ticket(s, token))
    return render(request, "track/ticket.html", {"t": view, "heartbeat": HEARTBEAT_SECONDS})


async def track_socket(ws: WebSocket) -> None:
    token = str(ws.path_params["token"])[:64]
    try:
        view = await read(ws, lambda s: views.tracked_ticket(s, token))
    except DomainError:
        await ws.accept()
        await ws.close(code=4404)
        return
    await ws.accept()
    if view.ticket.status in FINAL:
        await ws.close(code=1000)  # nothing will change any more
        return
    async with ctx(ws).broadcaster.subscribe(hall_channel(view.hall.id or 0)) as sub:
        closed = asyncio.Event()

        async def receive() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                async for _ in ws.iter_text():
                    pass
            closed.set()
            sub.offer("\x00closed")

        receiver = asyncio.create_task(receive())
        try:
            await ws.send_text(CHANGED)  # whatever happened between page and socket
            while not closed.is_set():
                try:
                    message = await asyncio.wait_for(sub.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    await ws.send_text('{"type":"heartbeat"}')
                    continue
                if message == "\x00closed":
                    break
                while not sub.queue.empty():  # one notice for a burst of changes
                    sub.queue.get_nowait()
                sub.overflowed = False
                await ws.send_text(CHANGED)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver


async def track_letter(request: Request) -> Response:
    """A letter's public timeline: its steps in plain words, what is expected of the
    citizen, and nothing personal beyond a masked name."""
    from reception.letters.queries import public_timeline

    token = str(request.path_params["token"])[:64]
    view = await _tracked(request, lambda s: public_timeline(s, token))
    return render(request, "track/letter.html", view)


routes = [
    Route("/t/{token}", track, methods=["GET"]),
    Route("/l/{token}", track_letter, methods=["GET"]),
    WebSocketRoute("/t/{token}/ws", track_socket),
]
