"""The live triage desk and department inbox: `/staff/letters/ws` and `/staff/inbox/ws`.

Protocol, as on the hall displays: on connect the server sends `{"type": "snapshot",
"seq": {channel: n}, "rows": […]}`, then every letter event of the followed channels
as a delta with its channel's next `seq`, and a heartbeat when idle. A page that sees
a gap (or a `resync`) sends the text `resync` and gets a fresh snapshot. A letter the
socket's account may not see (another hall's) travels as a bare `skip` with its
number, so the numbering stays whole without telling anything about it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from reception.auth.principal import Principal
from reception.display.routes import HEARTBEAT_SECONDS, refuse_socket, same_origin
from reception.errors import N_, DomainError
from reception.events.base import Feed
from reception.events.messages import HEARTBEAT, RESYNC, LetterEvent
from reception.i18n import translations
from reception.labels import STATUS_LABELS
from reception.letters import advice
from reception.letters.events import live_channels, live_snapshot
from reception.letters.models import LetterStatus
from reception.web import ctx, hold_socket, language_of, principal_of, read, t

log = logging.getLogger(__name__)

COUNT_SAMPLES = {
    "ar": {"zero": 0, "one": 1, "two": 2, "few": 3, "many": 11, "other": 100},
    "en": {"one": 1, "other": 2},
}
"""A number of each plural category of the language (CLDR), to pick the translated
form of the count the page shows when its list changes."""


def live_page(request: Request, page: str) -> dict[str, Any]:
    """What the page's script needs: where to connect, and its words in the page's
    language (status names, target badges, the count in each plural form)."""
    language = language_of(request)
    catalog = translations(language)
    samples = COUNT_SAMPLES.get(language, COUNT_SAMPLES["en"])
    return {
        "url": "/staff/inbox/ws" if page == "inbox" else "/staff/letters/ws",
        "lang": language,
        "heartbeat": HEARTBEAT_SECONDS,
        "statuses": {
            s.value: t(request, STATUS_LABELS.get(s.value, s.value)) for s in LetterStatus
        },
        "late": t(request, N_("past target")),
        "careful": t(request, N_("needs a careful look")),
        "near": t(request, N_("near target")),
        "counts": {
            category: catalog.ngettext("%(num)s letter", "%(num)s letters", n)
            for category, n in samples.items()
        },
    }


def _hidden_from(principal: Principal, text: str) -> str | None:
    """The `skip` that replaces a delta about a letter of a hall the account does
    not work in; None when it may see it."""
    if not principal.hall_ids or '"letter"' not in text:
        return None
    message = json.loads(text)
    hall_id = message.get("letter", {}).get("hall_id")
    if hall_id is None or hall_id in principal.hall_ids:
        return None
    return json.dumps(
        {"type": LetterEvent.SKIP, "channel": message.get("channel"), "seq": message.get("seq")},
        separators=(",", ":"),
    )


async def _follow(ws: WebSocket, page: str) -> None:
    if not same_origin(ws):
        await ws.close(code=4403)  # another site: tell it nothing
        return
    app = ctx(ws)
    try:
        principal = await principal_of(ws)
        if principal is None:
            await refuse_socket(ws, 4401)
            return
        channels = await read(ws, lambda s: live_channels(s, principal, page))
    except DomainError:
        await refuse_socket(ws, 4403)
        return
    await ws.accept()

    model = ws.app.state.suggestions
    confident_at = app.settings.suggestion_confident_at

    def load(session: Session) -> dict[str, Any]:
        snapshot = live_snapshot(session, principal, page, channels, app.clock.now())
        if page == "triage":
            advice.suggest_rows(session, model, snapshot["rows"], confident_at)
        return snapshot

    async def suggested(message: str) -> str:
        """A triage delta about a letter waiting for a category, with its suggestion."""
        if page != "triage" or '"letter"' not in message:
            return message
        data = json.loads(message)
        row = data.get("letter")
        if not isinstance(row, dict) or row.get("status") not in advice.AWAITING:
            return message
        try:
            await read(ws, lambda s: advice.suggest_rows(s, model, [row], confident_at))
        except Exception:  # the desk is told of the letter all the same, without a suggestion
            log.warning("letter suggestion for a live row failed", exc_info=False)
            return message
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    sending = asyncio.Lock()  # one feed per channel, one socket

    async def send(message: str) -> None:
        if not message:
            return
        if message == RESYNC:
            try:
                snapshot = await read(ws, load)
            except DomainError:  # no longer allowed here
                await ws.close(code=4403)
                raise
            message = json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))
        else:
            message = _hidden_from(principal, message) or await suggested(message)
        async with sending:
            await ws.send_text(message)

    feeds = [
        Feed(
            channel,
            send,
            resync=RESYNC,
            idle_message=HEARTBEAT if i == 0 else None,
            idle_seconds=HEARTBEAT_SECONDS,
        )
        for i, channel in enumerate(channels)
    ]

    def stop() -> None:
        for feed in feeds:
            feed.stop()

    with hold_socket(ws, stop):
        async with contextlib.AsyncExitStack() as stack:
            for feed in feeds:
                await stack.enter_async_context(app.broadcaster.subscribe(feed.channel, feed))
            # Subscribed first, then the snapshot: nothing can fall between the two.
            for i, feed in enumerate(feeds):
                feed.start(RESYNC if i == 0 else "")
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                async for text in ws.iter_text():
                    if text == "resync" and feeds:
                        feeds[0].resync_now()


async def triage_socket(ws: WebSocket) -> None:
    await _follow(ws, "triage")


async def inbox_socket(ws: WebSocket) -> None:
    await _follow(ws, "inbox")


routes = [
    WebSocketRoute("/staff/letters/ws", triage_socket),
    WebSocketRoute("/staff/inbox/ws", inbox_socket),
]
