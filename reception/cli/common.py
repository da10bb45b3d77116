"""What every command shares: the settings, one transaction for a set-up writer, and
the runner for an action whose events the running servers must hear of."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from reception.inputs import to_int
from reception.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from reception.events.base import HubBroadcaster
    from reception.outcome import Outcome

T = TypeVar("T")


class CliError(Exception):
    pass


def load() -> Settings:
    return load_settings()


def with_session(fn: Callable[[Session], T]) -> T:
    """One transaction for a writer that has nothing to tell the servers (set-up)."""
    from reception.db import make_engine, session_scope

    engine = make_engine(load().database_url)
    try:
        with session_scope(engine) as session:
            return fn(session)
    finally:
        engine.dispose()


def run_action(fn: Callable[[Session], Outcome[T]]) -> T:
    """Run one action through the runner every caller uses: commit it, then publish its
    events through the configured broadcaster, so the running servers hear of it (the
    open sockets of a revoked token or a disabled account close, the displays of a
    closed day update). With `memory://` no other process listens: each server finds
    out by itself (within `auth.live.RECHECK_SECONDS`, or with its next snapshot)."""
    from reception.clock import Clock
    from reception.db import make_engine
    from reception.events import create_broadcaster
    from reception.runner import ActionRunner

    config = load()

    async def run() -> T:
        engine = make_engine(config.database_url)
        broadcaster = create_broadcaster(config.broadcast_url)
        try:
            reachable = await _connect(broadcaster)
            runner = ActionRunner(engine, Clock(), reachable, on_publish_error=_not_told)
            return await runner.run(fn)
        finally:
            await broadcaster.disconnect()
            engine.dispose()

    return asyncio.run(run())


async def _connect(broadcaster: HubBroadcaster) -> HubBroadcaster:
    """The broadcaster, connected; when its server cannot be reached, one that tells
    nobody (the change is made all the same, and the servers find out by themselves)."""
    from reception.events.base import MemoryBroadcaster

    try:
        await broadcaster.connect()
    except Exception as exc:
        _not_told(exc)
        return MemoryBroadcaster()
    return broadcaster


def _not_told(exc: Exception) -> None:
    print(f"warning: could not tell the servers at once ({type(exc).__name__})")


def whole_minutes(value: str, option: str) -> int:
    number = to_int(value, high=999_999)
    if number is None:
        raise CliError(f"{option} takes a whole number of minutes or 'off'")
    return number
