"""The broadcast interface and the in-process fan-out every backend shares.

A backend only moves encoded messages between processes; delivery to the sockets of
this process always goes through `LocalHub`, whose per-subscriber queues are bounded
so a slow display never holds the others back (it is told to resync instead)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    channel: str
    payload: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":"))


class Subscription:
    """Messages of one channel for one subscriber. `overflowed` turns true when the
    subscriber fell behind and messages were dropped: it must fetch a fresh snapshot."""

    def __init__(self, channel: str, maxsize: int) -> None:
        self.channel = channel
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=maxsize)
        self.overflowed = False

    def offer(self, message: str) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self) -> str:
        return await self.queue.get()


class LocalHub:
    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self.subscribers: dict[str, set[Subscription]] = {}

    def add(self, channel: str) -> tuple[Subscription, bool]:
        sub = Subscription(channel, self.maxsize)
        subs = self.subscribers.setdefault(channel, set())
        first = not subs
        subs.add(sub)
        return sub, first

    def remove(self, sub: Subscription) -> bool:
        """Forget a subscriber; true when it was the channel's last one."""
        subs = self.subscribers.get(sub.channel)
        if not subs:
            return False
        subs.discard(sub)
        if not subs:
            del self.subscribers[sub.channel]
            return True
        return False

    def deliver(self, channel: str, message: str) -> None:
        for sub in tuple(self.subscribers.get(channel, ())):
            sub.offer(message)


class Broadcaster(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> Any: ...


class HubBroadcaster:
    """Shared subscribe/publish logic; subclasses move messages between processes."""

    def __init__(self) -> None:
        self.hub = LocalHub()
        # One `_listen` per channel with local subscribers; later ones wait for it too.
        self.listening: dict[str, asyncio.Future[None]] = {}

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, channel: str, message: str) -> None:
        self.hub.deliver(channel, message)

    async def publish_events(self, events: list[Event]) -> None:
        for event in events:
            await self.publish(event.channel, event.encode())

    async def _listen(self, channel: str) -> None:
        return None

    async def _unlisten(self, channel: str) -> None:
        return None

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscription]:
        sub, first = self.hub.add(channel)
        try:
            if first:
                self.listening[channel] = asyncio.ensure_future(self._listen(channel))
            # Only once the channel is live may the caller read its snapshot.
            await asyncio.shield(self.listening[channel])
            yield sub
        finally:
            if self.hub.remove(sub):
                listening = self.listening.pop(channel, None)
                if listening is not None and not listening.done():
                    listening.cancel()
                await self._unlisten(channel)


class MemoryBroadcaster(HubBroadcaster):
    """One process only: the default, nothing to install."""


def create_broadcaster(url: str) -> HubBroadcaster:
    if url.startswith("memory://"):
        return MemoryBroadcaster()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from reception.events.redis import RedisBroadcaster

        return RedisBroadcaster(url)
    if url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        from reception.events.postgres import PostgresBroadcaster

        return PostgresBroadcaster(url)
    raise ValueError(
        "BROADCAST_URL must start with memory://, redis:// or postgres:// "
        f"(got {url.split(':', 1)[0]}://)"
    )
