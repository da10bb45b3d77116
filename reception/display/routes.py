"""Hall display: a page rendered from a snapshot, kept live over `/display/ws`.

Protocol (its names in `reception.events.messages`): on connect the server sends
`{"type": "snapshot", "seq": n, …}`, then every hall event as a delta with the next
`seq`, and `{"type": "heartbeat"}` when idle. A client that sees a gap (or a
`resync`) sends the text `resync` and gets a fresh snapshot. Events are encoded
once and the same text goes to every socket, each through its own `Feed` (ordered,
bounded, never waiting on another socket).

The hall snapshot a display starts from is shared by the displays that connect at
the same time (2,000 screens coming back after a restart would otherwise read the
database 2,000 times): see `SnapshotCache`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.errors import DomainError
from reception.events.base import Feed, HubBroadcaster
from reception.events.messages import ASK_RESYNC, HEARTBEAT, SEND_SNAPSHOT
from reception.inputs import to_int
from reception.queue import queries
from reception.queue.hall_events import hall_channel
from reception.queue.read_models import DisplayView, display_view
from reception.web import ctx, hold_socket, principal_of, read, render, require_principal

HEARTBEAT_SECONDS = 10.0
SNAPSHOT_TTL_SECONDS = 5.0
DISPLAY_ROLES = (Role.display, Role.operator, Role.supervisor, Role.admin)


async def display_page(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*DISPLAY_ROLES)
    branch = request.query_params.get("branch") or None
    hall = request.query_params.get("hall") or None
    clock = ctx(request).clock
    view = await read(request, lambda s: display_view(s, principal, clock, branch, hall))
    raw = request.query_params.get("counters", "")
    numbers = (to_int(c, low=1, high=9999) for c in raw.split(","))
    counters = ",".join(str(n) for n in numbers if n is not None)
    return render(
        request,
        "display/hall.html",
        {"view": view, "heartbeat": HEARTBEAT_SECONDS, "counters": counters},
    )


def same_origin(ws: WebSocket) -> bool:
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


ViewKey = tuple[Principal, str | None, str | None]


@dataclass(slots=True)
class CachedView:
    hall_id: int
    text: str
    """The snapshot as sent."""
    seq: int
    version: int | None
    """The channel's version when the read began; None: not reusable as a snapshot."""
    expires: float


class SnapshotCache:
    """Display snapshots per (principal, branch, hall) of one broadcaster's process.

    A snapshot read while this process listened to the hall's channel stays the hall's
    state for as long as the channel's version is unchanged (no message delivered
    since the read began, no lost stretch, the channel listened all along). A display
    subscribed to the channel may start from it: whatever is committed later reaches
    it as a delta. Displays that connect while a read is under way wait for that read.
    Entries live `SNAPSHOT_TTL_SECONDS` at most (the hall lookup, too: a display
    token's principal is read again on every connect, so a revoked one still fails)."""

    def __init__(self, broadcaster: HubBroadcaster) -> None:
        self.broadcaster = broadcaster
        self.entries: dict[ViewKey, CachedView] = {}
        self.reading: dict[ViewKey, tuple[dict[str, int | None], asyncio.Task[CachedView]]] = {}

    def hall_id(self, key: ViewKey) -> int | None:
        entry = self.entries.get(key)
        return entry.hall_id if entry is not None and entry.expires > time.monotonic() else None

    async def snapshot(
        self, ws: WebSocket, key: ViewKey, channel: str, load: Callable[[Session], DisplayView]
    ) -> str:
        version = self.broadcaster.version(channel)
        entry = self.entries.get(key)
        if (
            entry is not None
            and version is not None
            and entry.version == version
            and entry.expires > time.monotonic()
        ) and await self._current(ws, entry):
            return entry.text
        entry = await self.load(ws, key, channel, load)
        if entry.version != version or not await self._current(ws, entry):
            entry = await self._read(ws, key, {}, load)  # our own read, not kept
        return entry.text

    async def _current(self, ws: WebSocket, entry: CachedView) -> bool:
        """Across processes a message can be lost without this process knowing yet:
        then a reused snapshot is checked against the hall's sequence number."""
        if self.broadcaster.lossless:
            return True
        return await read(ws, lambda s: queries.hall_event_seq(s, entry.hall_id)) == entry.seq

    async def load(
        self,
        ws: WebSocket,
        key: ViewKey,
        channel: str | None,
        load: Callable[[Session], DisplayView],
    ) -> CachedView:
        """Read the view (or wait for the same read under way). `channel` None: before
        subscribing, for the hall only; the snapshot is kept if the hall's channel was
        listened when the read began."""
        if channel is None:
            versions = {ch: self.broadcaster.version(ch) for ch in self.broadcaster.hub.versions}
        else:
            versions = {channel: self.broadcaster.version(channel)}
        under_way = self.reading.get(key)
        if under_way is not None and (
            channel is None or (versions[channel] is not None and under_way[0] == versions)
        ):
            return await asyncio.shield(under_way[1])
        # A task of its own: a display that goes away must not cancel the others' read.
        reading = asyncio.get_running_loop().create_task(self._read(ws, key, versions, load))
        self.reading[key] = (versions, reading)
        reading.add_done_callback(lambda task: self._read_done(key, task))
        return await asyncio.shield(reading)

    async def _read(
        self,
        ws: WebSocket,
        key: ViewKey,
        versions: dict[str, int | None],
        load: Callable[[Session], DisplayView],
    ) -> CachedView:
        view = await read(ws, load)
        assert view.hall.id is not None
        text = json.dumps(view.snapshot, ensure_ascii=False, separators=(",", ":"))
        version = versions.get(hall_channel(view.hall.id))
        seq = int(view.snapshot["seq"])
        expires = time.monotonic() + SNAPSHOT_TTL_SECONDS
        entry = CachedView(view.hall.id, text, seq, version, expires)
        self._store(key, entry)
        return entry

    def _read_done(self, key: ViewKey, task: asyncio.Task[CachedView]) -> None:
        if self.reading.get(key, (None, None))[1] is task:
            del self.reading[key]
        if not task.cancelled():
            task.exception()  # retrieved here: whoever waits gets it as well

    def _store(self, key: ViewKey, entry: CachedView) -> None:
        now = time.monotonic()
        if len(self.entries) >= 256:
            for stale in [k for k, e in self.entries.items() if e.expires <= now]:
                del self.entries[stale]
        self.entries[key] = entry


_caches: weakref.WeakKeyDictionary[HubBroadcaster, SnapshotCache] = weakref.WeakKeyDictionary()


def _snapshots_of(broadcaster: HubBroadcaster) -> SnapshotCache:
    cache = _caches.get(broadcaster)
    if cache is None:
        cache = _caches[broadcaster] = SnapshotCache(broadcaster)
    return cache


async def refuse_socket(ws: WebSocket, code: int) -> None:
    """Accept, then close with a code the page can read (4401: sign in again;
    4403: not allowed). A refused handshake would only show the browser an error."""
    await ws.accept()
    await ws.close(code=code)


async def display_socket(ws: WebSocket) -> None:
    if not same_origin(ws):
        await ws.close(code=4403)  # another site: tell it nothing
        return
    app = ctx(ws)
    branch = ws.query_params.get("branch") or None
    hall = ws.query_params.get("hall") or None
    try:
        principal = await principal_of(ws)
        if principal is None:
            await refuse_socket(ws, 4401)
            return
        if principal.role not in DISPLAY_ROLES:
            await refuse_socket(ws, 4403)
            return
        snapshots = _snapshots_of(app.broadcaster)
        key: ViewKey = (principal, branch, hall)

        def load(session: Session) -> DisplayView:
            return display_view(session, principal, app.clock, branch, hall)

        hall_id = snapshots.hall_id(key) or (await snapshots.load(ws, key, None, load)).hall_id
    except DomainError:
        await refuse_socket(ws, 4403)
        return
    await ws.accept()
    channel = hall_channel(hall_id)

    async def send(message: str) -> None:
        if message == SEND_SNAPSHOT:
            try:
                message = await snapshots.snapshot(ws, key, channel, load)
            except DomainError:  # no longer allowed here
                await ws.close(code=4403)
                raise
        await ws.send_text(message)

    feed = Feed(
        channel,
        send,
        resync=SEND_SNAPSHOT,
        idle_message=HEARTBEAT,
        idle_seconds=HEARTBEAT_SECONDS,
    )
    # Held while open: revoking its token, ending its session or disabling its account
    # stops the feed and closes the socket (4401) on whichever worker holds it.
    with hold_socket(ws, feed.stop):
        async with app.broadcaster.subscribe(channel, feed):
            # Subscribed first, then the snapshot: nothing can fall between the two.
            feed.start(SEND_SNAPSHOT)
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                async for text in ws.iter_text():
                    if text == ASK_RESYNC:
                        feed.resync_now()


routes = [
    Route("/display", display_page, methods=["GET"]),
    WebSocketRoute("/display/ws", display_socket),
]
