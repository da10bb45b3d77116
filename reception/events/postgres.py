"""PostgreSQL LISTEN/NOTIFY backend: several workers share the database they already
have, with no Redis to run.

Each worker keeps two connections: one that only listens (a reader task waits for
notifications in short windows, so LISTEN and UNLISTEN from other tasks get the
connection in between — psycopg's connection lock serialises them), and one that
publishes with `pg_notify`. A payload over PostgreSQL's 8000-byte limit is replaced
by a resync request: every display then fetches a fresh snapshot, which is correct,
only slower."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from psycopg import sql

from reception.events.base import HubBroadcaster, pause_unless_cancelled
from reception.events.messages import RESYNC

log = logging.getLogger(__name__)

WINDOW_SECONDS = 0.05
MAX_PAYLOAD = 7999


def conninfo(url: str) -> str:
    """postgres://, postgresql:// and SQLAlchemy's postgresql+psycopg:// all work."""
    scheme, rest = url.split("://", 1)
    if scheme.split("+", 1)[0] not in ("postgres", "postgresql"):
        raise ValueError("a postgres:// URL is needed")
    return "postgresql://" + rest


class PostgresBroadcaster(HubBroadcaster):
    lossless = False

    def __init__(self, url: str, prefix: str = "reception:") -> None:
        super().__init__()
        self.conninfo = conninfo(url)
        self.prefix = prefix
        self.listener: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.publisher: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.listener = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        self.publisher = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        self.reader = asyncio.create_task(self._read())

    async def disconnect(self) -> None:
        await super().disconnect()
        if self.reader:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        for conn in (self.listener, self.publisher):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()

    def _name(self, channel: str) -> sql.Identifier:
        return sql.Identifier(self.prefix + channel)

    async def publish(self, channel: str, message: str) -> None:
        if len(message.encode()) > MAX_PAYLOAD:
            message = RESYNC
        for attempt in (1, 2):
            publisher = self.publisher
            assert publisher is not None, "broadcaster not connected"
            try:
                await publisher.execute(
                    "SELECT pg_notify(%s, %s)", (self.prefix + channel, message)
                )
                return
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                self.publisher = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True
                )

    async def _listen(self, channel: str) -> None:
        """Return once LISTEN ran: a notification sent from then on reaches us."""
        assert self.listener is not None
        await self.listener.execute(sql.SQL("LISTEN {}").format(self._name(channel)))

    async def _unlisten(self, channel: str) -> None:
        if self.listener is not None and not self.listener.closed:
            with contextlib.suppress(psycopg.Error):
                await self.listener.execute(sql.SQL("UNLISTEN {}").format(self._name(channel)))

    async def _read(self) -> None:
        while True:
            try:
                assert self.listener is not None
                async for note in self.listener.notifies(timeout=WINDOW_SECONDS):
                    if note.channel.startswith(self.prefix):
                        self.hub.deliver(note.channel[len(self.prefix) :], note.payload)
                await asyncio.sleep(0)  # let a waiting LISTEN take the connection
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: resync everyone, then listen again
                log.warning("postgres broadcast connection lost: %s", type(exc).__name__)
                self.hub.resync_all(RESYNC)
                await pause_unless_cancelled(1.0, exc)
                with contextlib.suppress(Exception):
                    await self._reconnect()

    async def _reconnect(self) -> None:
        if self.listener is not None:
            with contextlib.suppress(Exception):
                await self.listener.close()
        self.listener = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        for channel in list(self.hub.subscribers):
            await self.listener.execute(sql.SQL("LISTEN {}").format(self._name(channel)))
