"""The principals of bearer tokens this worker read in the last few seconds, so that a
kiosk checking in visitor after visitor does not cost a database query each time.

Revocation still takes effect: an access notice naming a token (`token:7`) drops it
here, and this worker's own revocations drop it before their answer is sent. Entries
are used only while the worker follows the access channel (`follow_access` marks the
cache live once subscribed, and forgets everything whenever notices may have been
missed). A token revoked where no notice reaches this worker (the `reception`
command beside a server without a shared broadcast) works here for at most
`seconds` more."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable

from reception.auth.access import ACCESS_CHANNEL, AccessNotice
from reception.auth.principal import Principal
from reception.events.base import Event

MAX_ENTRIES = 10_000
"""More tokens than this in a few seconds: start again from nothing (a bound on memory
when someone sends made-up tokens; those are never kept anyway)."""


class BearerCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.entries: dict[str, tuple[float, Principal]] = {}
        self.by_token_id: dict[int, set[str]] = {}
        self.live = False
        """Access notices reach this worker (set by `follow_access`)."""
        self.generation = 0
        """Goes up whenever something is forgotten: a principal read before that is
        not kept (it may have been read just before the revocation's commit)."""

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, key: str) -> Principal | None:
        if not self.live or self.seconds <= 0:
            return None
        found = self.entries.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            self._drop(key, found[1])
            return None
        return found[1]

    def put(self, key: str, principal: Principal, generation: int) -> None:
        """Keep a principal read while the cache was at `generation`."""
        if not self.live or self.seconds <= 0 or generation != self.generation:
            return
        if len(self.entries) >= MAX_ENTRIES:
            self.forget_all()
            return
        self.entries[key] = (time.monotonic() + self.seconds, principal)
        self.by_token_id.setdefault(principal.id, set()).add(key)

    def forget_all(self) -> None:
        self.generation += 1
        self.entries.clear()
        self.by_token_id.clear()

    def forget_notice(self, notice: AccessNotice | None) -> None:
        """What an access notice names; everything for a notice that could not be read
        (or when notices may have been lost)."""
        if notice is None:
            self.forget_all()
            return
        self.forget_keys(notice.keys)

    def forget_events(self, events: Iterable[Event]) -> None:
        """The tokens named by this worker's own access events (after their commit)."""
        for item in events:
            if item.channel == ACCESS_CHANNEL:
                keys = item.payload.get("keys")
                if isinstance(keys, list):
                    self.forget_keys(str(k) for k in keys)
                else:
                    self.forget_all()

    def forget_keys(self, keys: Iterable[str]) -> None:
        self.generation += 1
        for name in keys:
            kind, _, raw = name.partition(":")
            if kind != "token" or not raw.isdigit():
                continue
            for key in self.by_token_id.pop(int(raw), set()):
                self.entries.pop(key, None)

    def _drop(self, key: str, principal: Principal) -> None:
        self.entries.pop(key, None)
        keys = self.by_token_id.get(principal.id)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self.by_token_id[principal.id]
