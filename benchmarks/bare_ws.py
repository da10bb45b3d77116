"""The display baseline: a bare Starlette websocket broadcast, no auth, no database, no
queues. Run as `uvicorn benchmarks.bare_ws:app --ws-per-message-deflate false`.

- `WS /ws` accepts, keeps the socket in a set and sends `{"type":"snapshot"}` once it is
  in the set (so a client knows it will receive every publish from then on).
- `POST /publish` takes the request body as text and sends that same string to every
  socket. Fire-and-forget: the sends are started (one `asyncio.gather` in a background
  task) and 204 is returned at once, as our call-next answers once the event sits in the
  per-socket queues, before the sockets are written.
- `GET /bare` answers "ok" (readiness)."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

sockets: set[WebSocket] = set()
pending: set[asyncio.Task[None]] = set()


async def _send(ws: WebSocket, text: str) -> None:
    with contextlib.suppress(Exception):  # a socket that went away is simply skipped
        await ws.send_text(text)


async def _broadcast(text: str) -> None:
    await asyncio.gather(*(_send(ws, text) for ws in tuple(sockets)))


async def publish(request: Request) -> Response:
    text = (await request.body()).decode()
    task = asyncio.create_task(_broadcast(text))
    pending.add(task)
    task.add_done_callback(pending.discard)
    return Response(status_code=204)


async def bare(_request: Request) -> Response:
    return PlainTextResponse("ok")


async def ws_endpoint(ws: WebSocket) -> None:
    await ws.accept()
    sockets.add(ws)
    try:
        await ws.send_text('{"type":"snapshot"}')
        async for _ in ws.iter_text():
            pass
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        sockets.discard(ws)


app = Starlette(
    routes=[
        Route("/publish", publish, methods=["POST"]),
        Route("/bare", bare, methods=["GET"]),
        WebSocketRoute("/ws", ws_endpoint),
    ]
)
