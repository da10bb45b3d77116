"""The live sockets of this worker, by whom they were opened for, closed as soon as
that access ends or changes.

Every worker follows the broadcast's `access` channel (`follow_access`): an action
that revokes a token, disables an account, ends sessions or changes an account's role
or halls publishes one notice after its commit, and each worker closes the sockets the
notice names with a code the page understands (4401: signed out; 4409: load again).

Two gaps are closed as well. A socket whose principal was read just before such a
commit, and registered just after its notice arrived, is closed on registration (the
notice is remembered for a while with the moment it arrived). And when notices may
have been lost (the broadcast reconnected, the follower fell behind, a change made by
the `reception` command on a single-process server), every socket is checked against
the database, in three queries for the whole worker, also every `RECHECK_SECONDS`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from reception.auth.access import ACCESS_CHANNEL, CHANGED, SIGNED_OUT, AccessNotice, parse
from reception.auth.access import session_key as key_of_session
from reception.auth.bearer_cache import BearerCache
from reception.auth.principal import Principal
from reception.events.base import HubBroadcaster, pause_unless_cancelled

log = logging.getLogger(__name__)

RECHECK_SECONDS = 15.0
REMEMBER_SECONDS = 60.0
"""How long a notice is remembered for sockets registered after it arrived (their
principal may have been read before the commit)."""

Current = tuple[dict[int, Principal], dict[int, Principal], dict[int, datetime]]
Check = Callable[[set[int], set[int], set[int]], Awaitable[Current]]
"""Reads what the given users, tokens and sessions may do now (`queries.current_access`)."""
Expired = Callable[[Principal, datetime], bool]


class Closable(Protocol):
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass(eq=False, slots=True)
class LiveSocket:
    ws: Closable
    principal: Principal
    session_id: int | None
    read_at: float
    """`time.monotonic()` when the principal was read for this socket."""
    stop: Callable[[], object] | None = None
    """Stops whatever feeds the socket, at once (no await), so that nothing queued
    behind the notice is sent once access ended."""
    closing: bool = field(default=False)

    def channels(self) -> tuple[str, ...]:
        """The keys an access notice may name this socket by."""
        own = f"{self.principal.kind}:{self.principal.id}"
        if self.session_id is None:
            return (own,)
        return (own, key_of_session(self.session_id))


class LiveSockets:
    def __init__(self) -> None:
        self.by_key: dict[str, set[LiveSocket]] = {}
        self.recent: dict[str, tuple[float, int]] = {}
        """Key → (monotonic arrival, close code) of the notices of the last minute."""
        self.closers: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len({entry for entries in self.by_key.values() for entry in entries})

    @contextlib.contextmanager
    def hold(self, entry: LiveSocket) -> Iterator[LiveSocket]:
        """Register a socket for as long as its handler runs."""
        for key in entry.channels():
            self.by_key.setdefault(key, set()).add(entry)
        missed = self._missed(entry)
        if missed:
            self._close_soon(entry, missed)
        try:
            yield entry
        finally:
            for key in entry.channels():
                entries = self.by_key.get(key)
                if entries is not None:
                    entries.discard(entry)
                    if not entries:
                        del self.by_key[key]

    def _missed(self, entry: LiveSocket) -> int | None:
        codes = []
        for key in entry.channels():
            seen = self.recent.get(key)
            if seen is not None and seen[0] >= entry.read_at:
                codes.append(seen[1])
        if not codes:
            return None
        return SIGNED_OUT if SIGNED_OUT in codes else CHANGED

    async def apply(self, notice: AccessNotice) -> int:
        """Close the sockets a notice names; how many were closed."""
        now = time.monotonic()
        for key in [k for k, (at, _) in self.recent.items() if now - at > REMEMBER_SECONDS]:
            del self.recent[key]
        targets: set[LiveSocket] = set()
        for key in notice.keys:
            previous = self.recent.get(key)
            code = SIGNED_OUT if previous and previous[1] == SIGNED_OUT else notice.code
            self.recent[key] = (now, code)
            targets |= self.by_key.get(key, set())
        for entry in targets:
            _stop(entry)  # before any await: nothing more goes out on these sockets
        await asyncio.gather(*(close(entry, notice.code) for entry in targets))
        return len(targets)

    async def recheck(self, check: Check, expired: Expired) -> int:
        """Close the sockets whose access ended or changed, read from the database."""
        entries = {entry for group in self.by_key.values() for entry in group}
        entries = {entry for entry in entries if not entry.closing}
        if not entries:
            return 0
        users = {e.principal.id for e in entries if e.principal.kind == "user"}
        tokens = {e.principal.id for e in entries if e.principal.kind == "token"}
        sessions = {e.session_id for e in entries if e.session_id is not None}
        current_users, current_tokens, current_sessions = await check(users, tokens, sessions)
        closing = []
        for entry in entries:
            mine = current_users if entry.principal.kind == "user" else current_tokens
            now = mine.get(entry.principal.id)
            started = (
                current_sessions.get(entry.session_id) if entry.session_id is not None else None
            )
            ended = entry.session_id is not None and started is None
            if now is None or ended or (started is not None and expired(now, started)):
                closing.append(close(entry, SIGNED_OUT))
            elif now != entry.principal:
                closing.append(close(entry, CHANGED))
        await asyncio.gather(*closing)
        return len(closing)

    def _close_soon(self, entry: LiveSocket, code: int) -> None:
        task = asyncio.get_running_loop().create_task(close(entry, code))
        self.closers.add(task)
        task.add_done_callback(self.closers.discard)


def _stop(entry: LiveSocket) -> None:
    if entry.stop is not None:
        with contextlib.suppress(Exception):
            entry.stop()
        entry.stop = None


async def close(entry: LiveSocket, code: int) -> None:
    _stop(entry)
    if entry.closing:
        return
    entry.closing = True
    with contextlib.suppress(Exception):  # the socket may be gone already
        await entry.ws.close(code=code)


async def follow_access(
    broadcaster: HubBroadcaster,
    sockets: LiveSockets,
    check: Check,
    expired: Expired,
    recheck_seconds: float = RECHECK_SECONDS,
    cache: BearerCache | None = None,
) -> None:
    """Run for the life of the worker (cancel to stop). `cache`, when given, forgets
    what each notice names, and is used only while the notices reach this worker."""
    while True:
        try:
            async with broadcaster.subscribe(ACCESS_CHANNEL) as sub:
                if cache is not None:
                    cache.forget_all()  # whatever passed unheard
                    cache.live = True
                await _recheck(sockets, check, expired)  # whatever passed unheard
                while True:
                    try:
                        message = await asyncio.wait_for(sub.get(), timeout=recheck_seconds)
                    except TimeoutError:
                        await _recheck(sockets, check, expired)
                        continue
                    notice = parse(message)
                    if cache is not None:
                        cache.forget_notice(None if sub.overflowed else notice)
                    if sub.overflowed or notice is None:  # lost messages, or a resync
                        sub.overflowed = False
                        while not sub.queue.empty():
                            sub.queue.get_nowait()
                        await _recheck(sockets, check, expired)
                    else:
                        await sockets.apply(notice)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the broadcast is away: try again shortly
            if cache is not None:
                cache.live = False
                cache.forget_all()
            log.warning("access notices unavailable: %s", type(exc).__name__)
            await pause_unless_cancelled(1.0, exc)


async def _recheck(sockets: LiveSockets, check: Check, expired: Expired) -> None:
    try:
        await sockets.recheck(check, expired)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the database is away: the next round tries again
        log.warning("checking live sockets failed: %s", type(exc).__name__)
