"""The broadcast interface and the in-process fan-out every backend shares.

A backend only moves encoded messages between processes; delivery to the sockets of
this process always goes through `LocalHub`, whose per-subscriber queues are bounded
so a slow display never holds the others back (it is told to resync instead).

Two kinds of subscriber: a `Subscription` is a queue its owner reads; a `Feed` pushes
each message to a send coroutine itself, in order, from a writer task that exists only
while messages wait (a fan-out to 2,000 idle displays costs what a bare `gather` of
2,000 sends costs, and an idle display costs no task and no timer)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any


async def pause_unless_cancelled(seconds: float, error: BaseException) -> None:
    """The pause of a retry loop after `error`, unless the task is being stopped: a
    client library may turn the cancellation into its own connection error, and a loop
    that retried then would never let the worker shut down."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error
    await asyncio.sleep(seconds)


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


class Feed:
    """Messages of one channel pushed to one socket by `send`, one at a time and in
    order. The writer task is started by the first waiting message and ends when none
    is left. More than `maxsize` waiting messages (a socket that stopped reading) drop
    the backlog: `send` then gets `resync` once, its cue to send a fresh snapshot.
    A failed send ends the feed (the socket is gone; its reader sees the close)."""

    __slots__ = (
        "channel",
        "send",
        "resync",
        "maxsize",
        "idle_message",
        "idle_seconds",
        "pending",
        "overflowed",
        "writer",
        "last_sent",
        "dead",
        "started",
    )

    def __init__(
        self,
        channel: str,
        send: Callable[[str], Awaitable[None]],
        *,
        resync: str,
        maxsize: int = 256,
        idle_message: str | None = None,
        idle_seconds: float = 10.0,
    ) -> None:
        self.channel = channel
        self.send = send
        self.resync = resync
        self.maxsize = maxsize
        self.idle_message = idle_message
        """Sent by the broadcaster's ticker after `idle_seconds` without a message."""
        self.idle_seconds = idle_seconds
        self.pending: list[str] = []
        """A list, not a deque: it is nearly always empty, and an empty deque already
        holds a block of 64 slots (0.75 KB for every connected display)."""
        self.overflowed = False
        self.writer: asyncio.Task[None] | None = None
        self.last_sent = time.monotonic()
        self.dead = False
        self.started = False

    def start(self, first: str) -> None:
        """Send `first` before anything offered so far, then keep up with the channel."""
        self.pending.insert(0, first)
        self.started = True
        self._wake()

    def offer(self, message: str) -> None:
        if self.dead:
            return
        if len(self.pending) >= self.maxsize:
            self.overflowed = True
        else:
            self.pending.append(message)
        if self.started:
            self._wake()

    def resync_now(self) -> None:
        """Drop whatever waits and send `resync` next (the subscriber asked for it)."""
        self.overflowed = True
        if self.started:
            self._wake()

    def _wake(self) -> None:
        if self.writer is None and not self.dead:
            self.writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.pending or self.overflowed:
                if self.overflowed:
                    self.overflowed = False
                    self.pending.clear()
                    message = self.resync
                else:
                    message = self.pending.pop(0)
                await self.send(message)
                self.last_sent = time.monotonic()
        except Exception:
            self.dead = True
            self.pending.clear()
        finally:
            self.writer = None

    def stop(self) -> asyncio.Task[None] | None:
        """Send nothing more, from now on (not even what waits); the writer task, if
        one runs, is cancelled and returned."""
        self.dead = True
        self.pending.clear()
        writer, self.writer = self.writer, None
        if writer is not None and writer is not asyncio.current_task():
            writer.cancel()
            return writer
        return None

    async def close(self) -> None:
        writer = self.stop()
        if writer is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer


Subscriber = Subscription | Feed
_versions = itertools.count(1)


class LocalHub:
    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self.subscribers: dict[str, set[Subscriber]] = {}
        self.versions: dict[str, int] = {}
        """Per channel with subscribers: a number that changes with every message
        delivered (and every lost stretch), never reused. While it stays the same, a
        snapshot read earlier is still the channel's state as this process knows it."""

    def add(self, channel: str, feed: Feed | None = None) -> tuple[Subscriber, bool]:
        sub: Subscriber = feed if feed is not None else Subscription(channel, self.maxsize)
        subs = self.subscribers.setdefault(channel, set())
        first = not subs
        if first:
            self.versions[channel] = next(_versions)
        subs.add(sub)
        return sub, first

    def remove(self, sub: Subscriber) -> bool:
        """Forget a subscriber; true when it was the channel's last one."""
        subs = self.subscribers.get(sub.channel)
        if not subs:
            return False
        subs.discard(sub)
        if not subs:
            del self.subscribers[sub.channel]
            self.versions.pop(sub.channel, None)
            return True
        return False

    def deliver(self, channel: str, message: str) -> None:
        subs = self.subscribers.get(channel)
        if not subs:
            return
        self.versions[channel] = next(_versions)
        for sub in tuple(subs):
            sub.offer(message)

    def invalidate(self) -> None:
        """Messages may have been lost: no snapshot read so far may be reused."""
        for channel in self.versions:
            self.versions[channel] = next(_versions)

    def resync_all(self, message: str) -> None:
        """Messages were lost (a backend reconnected): every subscriber resyncs."""
        for channel, subs in self.subscribers.items():
            self.versions[channel] = next(_versions)
            for sub in subs:
                sub.overflowed = True
                sub.offer(message)


class HubBroadcaster:
    """Shared subscribe/publish logic; subclasses move messages between processes."""

    heartbeat_tick = 1.0
    lossless = True
    """Whether every message published after a commit reaches this process's hub (one
    process: yes). With another process in between, an outage can lose messages that
    this process only learns about later, so a reused snapshot must be checked."""

    def __init__(self) -> None:
        self.hub = LocalHub()
        # One `_listen` per channel with local subscribers; later ones wait for it too.
        self.listening: dict[str, asyncio.Future[None]] = {}
        self.idle_feeds: set[Feed] = set()
        self.ticker: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.ticker
            self.ticker = None

    def version(self, channel: str) -> int | None:
        """The channel's version (see `LocalHub.versions`) once this process really
        listens to it; None otherwise (nothing read now may be reused)."""
        listening = self.listening.get(channel)
        if listening is None or not listening.done() or listening.cancelled():
            return None
        if listening.exception() is not None:
            return None
        return self.hub.versions.get(channel)

    async def publish(self, channel: str, message: str) -> None:
        self.hub.deliver(channel, message)

    async def publish_events(self, events: list[Event]) -> None:
        for event in events:
            await self.publish(event.channel, event.encode())

    async def _listen(self, channel: str) -> None:
        return None

    async def _unlisten(self, channel: str) -> None:
        return None

    def _watch_idle(self, feed: Feed) -> None:
        self.idle_feeds.add(feed)
        if self.ticker is None or self.ticker.done():
            self.ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        """One timer for every feed: a feed that sent nothing for its idle time gets
        its idle message (the displays' heartbeat)."""
        while self.idle_feeds:
            await asyncio.sleep(self.heartbeat_tick)
            now = time.monotonic()
            for feed in tuple(self.idle_feeds):
                if feed.writer is None and now - feed.last_sent >= feed.idle_seconds:
                    feed.last_sent = now
                    feed.offer(feed.idle_message or "")

    @asynccontextmanager
    async def subscribe(self, channel: str, feed: Feed | None = None) -> AsyncIterator[Any]:
        """A `Subscription` to read from, or, given a `Feed`, that feed (call its
        `start` once subscribed: only then may the first snapshot be read)."""
        sub, first = self.hub.add(channel, feed)
        try:
            if feed is not None and feed.idle_message is not None:
                self._watch_idle(feed)
            if first:
                self.listening[channel] = asyncio.ensure_future(self._listen(channel))
            # Only once the channel is live may the caller read its snapshot.
            await asyncio.shield(self.listening[channel])
            yield sub
        finally:
            if feed is not None:
                self.idle_feeds.discard(feed)
                await feed.close()
            if self.hub.remove(sub):
                listening = self.listening.pop(channel, None)
                if listening is not None and not listening.done():
                    listening.cancel()
                await self._unlisten(channel)


class MemoryBroadcaster(HubBroadcaster):
    """One process only: the default, nothing to install."""
