"""The one way a writer runs: its action in one transaction, then, only once that
transaction is committed, its events published through the configured broadcaster.
The web screens, the JSON API, the `reception` command and the housekeeping loop all
run actions through `ActionRunner`, so no caller has to remember to publish."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from reception.clock import Clock, bind_clock
from reception.db import once_more_if_gone, run_batch, session_scope
from reception.edge import guard as _edge_guard  # noqa: F401  (its listener guards unit rows)
from reception.errors import N_, Conflict, Unavailable
from reception.events.base import Event, HubBroadcaster
from reception.metrics import BROADCAST_EVENTS, WRITE_BATCHES
from reception.outcome import Outcome

T = TypeVar("T")


class ActionRunner:
    """Runs actions for one process: `run` commits an action returning an `Outcome`
    and publishes its events after the commit; `write` commits a write that has no
    events to tell (a provider's delivery report, a failed sign-in counted).

    `writers` limits the threads writing at once; `group_commit`, when given (SQLite
    under the web server), commits concurrent writes together. `on_publish_error`,
    when given, is told of a publication that failed instead of raising: the change
    is committed all the same (the command line warns and carries on)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        broadcaster: HubBroadcaster,
        *,
        writers: anyio.CapacityLimiter | None = None,
        group_commit: GroupCommit | None = None,
        on_publish_error: Callable[[Exception], None] | None = None,
        on_committed: Callable[[list[Event]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.broadcaster = broadcaster
        self.writers = writers
        self.group_commit = group_commit
        self.on_publish_error = on_publish_error
        self.on_committed = on_committed
        """Told of every committed action's events before they are published (this
        worker's own caches follow its changes before anyone hears of them)."""

    async def run(self, fn: Callable[[Session], Outcome[T]]) -> T:
        """Run one action in one transaction off the event loop; publish its events
        only after the commit succeeded."""
        try:
            outcome = await self.write(fn)
        except IntegrityError:
            # Two requests raced for the same unique row (an Idempotency-Key sent twice
            # at once, say). Running the action again sees the winner's row and decides.
            try:
                outcome = await self.write(fn)
            except IntegrityError:
                raise Conflict(
                    "conflict", N_("This changed at the same moment elsewhere. Please try again.")
                ) from None
        await self.publish(outcome.events)
        return outcome.value

    async def write(self, fn: Callable[[Session], T]) -> T:
        """One write in one transaction: grouped with others on SQLite under the web
        server, alone on a pool of PostgreSQL connections (PostgreSQL groups its own
        commits). Its rows take their times from the runner's clock."""
        clock = self.clock

        def stamped(session: Session) -> T:
            return fn(bind_clock(session, clock))

        if self.group_commit is not None:
            return await self.group_commit.run(stamped)
        return await anyio.to_thread.run_sync(
            _in_session, self.engine, stamped, limiter=self.writers
        )

    async def publish(self, events: list[Event]) -> None:
        """Publish the events of a committed action."""
        if not events:
            return
        if self.on_committed is not None:
            self.on_committed(events)
        try:
            await self.broadcaster.publish_events(events)
        except Exception as exc:
            if self.on_publish_error is None:
                raise
            self.on_publish_error(exc)
            return
        BROADCAST_EVENTS.inc(len(events))

    async def publish_orphan(self, value: Any) -> None:
        """The events of an action whose request went away while it was committed:
        displays still need them (they would see a gap and reload otherwise)."""
        if isinstance(value, Outcome):
            await self.publish(value.events)


def _in_session(engine: Engine, fn: Callable[[Session], T]) -> T:
    def once() -> T:
        with session_scope(engine) as session:
            return fn(session)

    return once_more_if_gone(once)


class GroupCommit:
    """Write actions waiting for SQLite's single writer are run together: while one
    batch commits, the requests that arrive queue up and become the next batch, each
    undone alone if it fails (`db.run_batch`). Nobody waits for a timer: a lone request
    is a batch of one. Every request still gets its answer only after its own action
    has been committed to disk."""

    MAX_BATCH = 64

    def __init__(
        self,
        engine: Engine,
        limiter: anyio.CapacityLimiter,
        orphaned: Callable[[Any], Awaitable[None]] | None = None,
    ) -> None:
        self.engine = engine
        self.limiter = limiter
        self.orphaned = orphaned
        """Called with the result of an action committed after its request was cancelled."""
        self.pending: list[tuple[Callable[[Session], Any], asyncio.Future[Any]]] = []
        self.drainer: asyncio.Task[None] | None = None
        self.batches = 0

    async def run(self, fn: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.pending.append((fn, future))
        if self.drainer is None:
            self.drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch = self.pending[: self.MAX_BATCH]
                del self.pending[: self.MAX_BATCH]
                # A request cancelled before its action started gets no action.
                batch = [(fn, future) for fn, future in batch if not future.cancelled()]
                if not batch:
                    continue
                try:
                    results = await anyio.to_thread.run_sync(
                        run_batch, self.engine, [fn for fn, _ in batch], limiter=self.limiter
                    )
                except BaseException as exc:  # the batch as a whole failed: nobody committed
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):  # cancelled, or the process ends
                        raise
                    continue
                self.batches += 1
                WRITE_BATCHES.observe(len(batch))
                for (_, future), (ok, value) in zip(batch, results, strict=True):
                    if future.cancelled():  # the request went away; its action happened
                        if ok and self.orphaned is not None:
                            await self.orphaned(value)
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self.drainer = None
            for _, future in self.pending:  # the drainer itself was stopped
                if not future.done():
                    future.set_exception(
                        Unavailable(
                            "stopping", N_("The service is busy for a moment. Please try again.")
                        )
                    )
            self.pending.clear()
