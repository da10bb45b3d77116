"""The rule that closes a socket registered just after the notice about its access:
its principal may have been read before the change was committed."""

from __future__ import annotations

import asyncio
import time

from reception.auth.access import CHANGED, SIGNED_OUT, AccessNotice, ended, parse
from reception.auth.live import LiveSocket, LiveSockets
from reception.auth.principal import Principal

SCREEN = Principal("token", 7, "lobby", "display", 1, frozenset({2}))


class Socket:
    """Stands in for a websocket: records the code it was closed with."""

    def __init__(self) -> None:
        self.codes: list[int] = []

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.codes.append(code)


async def _registered(sockets: LiveSockets, read_at: float) -> Socket:
    socket = Socket()
    with sockets.hold(LiveSocket(socket, SCREEN, None, read_at)):
        for _ in range(3):
            await asyncio.sleep(0)  # let a scheduled close run
    return socket


def test_a_socket_read_before_the_notice_and_registered_after_it_is_closed() -> None:
    async def scenario() -> tuple[list[int], list[int]]:
        sockets = LiveSockets()
        read_before = time.monotonic()
        notice = parse(ended(principals=["token:7"], reason="revoked").encode())
        assert notice == AccessNotice(SIGNED_OUT, ("token:7",))
        assert await sockets.apply(notice) == 0  # nobody held yet
        raced = await _registered(sockets, read_before)
        fresh = await _registered(sockets, time.monotonic())  # read after: the new state
        return raced.codes, fresh.codes

    raced, fresh = asyncio.run(scenario())
    assert raced == [SIGNED_OUT]
    assert fresh == []


def test_a_held_socket_is_closed_once_by_the_first_notice() -> None:
    async def scenario() -> list[int]:
        sockets = LiveSockets()
        socket = Socket()
        with sockets.hold(LiveSocket(socket, SCREEN, 12, time.monotonic())):
            await sockets.apply(AccessNotice(CHANGED, ("token:7",)))
            await sockets.apply(AccessNotice(SIGNED_OUT, ("session:12",)))
        assert len(sockets) == 0
        return socket.codes

    assert asyncio.run(scenario()) == [CHANGED]


def test_only_access_notices_are_read_from_the_channel() -> None:
    assert parse('{"type":"resync"}') is None
    assert parse("not json") is None
    assert parse('{"type":"access","code":1000,"keys":[]}') is None
