"""Redis pub/sub backend: a call made in one worker reaches displays on every worker.

While Redis is away, events are lost: the change is committed all the same, and every
display is sent a fresh snapshot once the subscription is back (redis-py reconnects
and subscribes again by itself; the placeholder channel's confirmation tells us)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from reception.events.base import HubBroadcaster, pause_unless_cancelled
from reception.events.messages import RESYNC

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 5.0


class RedisBroadcaster(HubBroadcaster):
    lossless = False

    def __init__(self, url: str, prefix: str = "reception:") -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self.client: aioredis.Redis | None = None
        self.pubsub: PubSub | None = None
        self.reader: asyncio.Task[None] | None = None
        self.confirming: dict[str, asyncio.Future[None]] = {}
        self.placeholder_confirmations = 0

    async def connect(self) -> None:
        self.client = aioredis.from_url(self.url)
        await self.client.ping()
        # Subscribe confirmations are kept: `_listen` waits for them.
        self.pubsub = self.client.pubsub()
        # A placeholder subscription keeps the pubsub connection open for the reader.
        await self.pubsub.subscribe(self.prefix + "_")
        self.reader = asyncio.create_task(self._read())

    async def disconnect(self) -> None:
        await super().disconnect()
        if self.reader:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        if self.pubsub:
            await self.pubsub.aclose()
        if self.client:
            await self.client.aclose()

    async def publish(self, channel: str, message: str) -> None:
        """Called after the commit: a Redis outage must not turn a committed change into
        an error (an operator would press again). Displays resync on reconnection."""
        assert self.client is not None, "broadcaster not connected"
        for attempt in (1, 2):  # a pooled connection from before a Redis restart fails once
            try:
                await self.client.publish(self.prefix + channel, message)
                return
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                if attempt == 2:
                    log.warning("redis broadcast publish failed: %s", type(exc).__name__)
                    self.hub.invalidate()

    async def _listen(self, channel: str) -> None:
        """Subscribe and return only when Redis confirmed it: a message published from
        then on reaches this worker (sending SUBSCRIBE alone does not ensure that)."""
        assert self.pubsub is not None
        name = self.prefix + channel
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.confirming[name] = confirmed
        try:
            await self.pubsub.subscribe(name)
            try:
                await asyncio.wait_for(confirmed, timeout=CONFIRM_SECONDS)
            except TimeoutError:
                raise ConnectionError(f"redis did not confirm SUBSCRIBE {name}") from None
        finally:
            if self.confirming.get(name) is confirmed:
                del self.confirming[name]

    async def _unlisten(self, channel: str) -> None:
        if self.pubsub is not None:
            await self.pubsub.unsubscribe(self.prefix + channel)

    async def _read(self) -> None:
        assert self.pubsub is not None
        while True:
            try:
                async for item in self.pubsub.listen():
                    kind = item.get("type")
                    if kind == "subscribe":
                        name = item["channel"].decode()
                        if name == self.prefix + "_":
                            # Confirmed again only after redis-py reconnected and
                            # subscribed anew: whatever was published meanwhile is lost.
                            self.placeholder_confirmations += 1
                            if self.placeholder_confirmations > 1:
                                log.warning("redis broadcast reconnected: displays resync")
                                self._resync_all()
                        waiter = self.confirming.pop(name, None)
                        if waiter is not None and not waiter.done():
                            waiter.set_result(None)
                        continue
                    if kind != "message":
                        continue
                    channel = item["channel"].decode()[len(self.prefix) :]
                    data = item["data"]
                    self.hub.deliver(channel, data.decode() if isinstance(data, bytes) else data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: tell every subscriber to resync
                log.warning("redis broadcast connection lost: %s", type(exc).__name__)
                self._resync_all()
                await pause_unless_cancelled(1.0, exc)

    def _resync_all(self) -> None:
        """Tell every local subscriber to fetch a fresh snapshot."""
        self.hub.resync_all(RESYNC)
