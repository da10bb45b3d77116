"""What an action that ends or changes someone's access tells every worker.

Revoking a token, disabling an account, ending sessions or changing an account's role
or halls commits first; then one event on the `access` channel names the principals
(`token:7`, `user:3`) and the sessions whose live sockets must close. Each worker
follows the channel for as long as it runs (`reception.auth.live`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from reception.events.base import Event

ACCESS_CHANNEL = "access"

SIGNED_OUT = 4401
"""Close code: the credential ended; the page signs in (or pairs) again."""
CHANGED = 4409
"""Close code: the account's role or halls changed; the page loads itself again."""


def session_key(session_id: int) -> str:
    return f"session:{session_id}"


def ended(*, principals: Iterable[str] = (), sessions: Iterable[int] = (), reason: str) -> Event:
    """Sockets of these principals (`kind:id`) and sessions close as signed out."""
    return _event(SIGNED_OUT, principals, sessions, reason)


def changed(*, principals: Iterable[str], reason: str) -> Event:
    """Sockets of these principals close so that their pages load the new access."""
    return _event(CHANGED, principals, (), reason)


def _event(code: int, principals: Iterable[str], sessions: Iterable[int], reason: str) -> Event:
    keys = [*principals, *(session_key(s) for s in sessions)]
    return Event(ACCESS_CHANNEL, {"type": "access", "code": code, "keys": keys, "reason": reason})


@dataclass(frozen=True)
class AccessNotice:
    code: int
    keys: tuple[str, ...]


def parse(message: str) -> AccessNotice | None:
    """The notice in a message of the access channel; None for anything else (a resync)."""
    try:
        data = json.loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "access":
        return None
    code = data.get("code")
    keys = data.get("keys")
    if code not in (SIGNED_OUT, CHANGED) or not isinstance(keys, list):
        return None
    return AccessNotice(int(code), tuple(str(k) for k in keys))
