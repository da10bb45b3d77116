"""Redis pub/sub backend: a call made in one worker reaches displays on every worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from reception.events.base import HubBroadcaster

log = logging.getLogger(__name__)


class RedisBroadcaster(HubBroadcaster):
    def __init__(self, url: str, prefix: str = "reception:") -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        self.client: aioredis.Redis | None = None
        self.pubsub: PubSub | None = None
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.client = aioredis.from_url(self.url)
        await self.client.ping()
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        # A placeholder subscription keeps the pubsub connection open for the reader.
        await self.pubsub.subscribe(self.prefix + "_")
        self.reader = asyncio.create_task(self._read())

    async def disconnect(self) -> None:
        if self.reader:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        if self.pubsub:
            await self.pubsub.aclose()
        if self.client:
            await self.client.aclose()

    async def publish(self, channel: str, message: str) -> None:
        assert self.client is not None, "broadcaster not connected"
        await self.client.publish(self.prefix + channel, message)

    async def _listen(self, channel: str) -> None:
        assert self.pubsub is not None
        await self.pubsub.subscribe(self.prefix + channel)

    async def _unlisten(self, channel: str) -> None:
        if self.pubsub is not None:
            await self.pubsub.unsubscribe(self.prefix + channel)

    async def _read(self) -> None:
        assert self.pubsub is not None
        while True:
            try:
                async for item in self.pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    channel = item["channel"].decode()[len(self.prefix) :]
                    data = item["data"]
                    self.hub.deliver(channel, data.decode() if isinstance(data, bytes) else data)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: tell every subscriber to resync
                log.warning("redis broadcast connection lost: %s", type(exc).__name__)
                for subs in self.hub.subscribers.values():
                    for sub in subs:
                        sub.overflowed = True
                        sub.offer('{"type":"resync"}')
                await asyncio.sleep(1.0)
