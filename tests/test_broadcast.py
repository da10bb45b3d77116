"""The broadcast backends: the in-process hub, Redis pub/sub and PostgreSQL
LISTEN/NOTIFY between two broadcasters, as two worker processes would each have one."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import AsyncExitStack

import pytest

from reception.events import Event, create_broadcaster
from reception.events.base import Feed, LocalHub, MemoryBroadcaster, Subscription
from reception.events.redis import RedisBroadcaster
from tests.conftest import require_postgres
from tests.helpers import eventually

pytestmark = pytest.mark.timeout(60)

WAIT = 5.0


async def receive(sub: Subscription) -> str:
    return await asyncio.wait_for(sub.get(), timeout=WAIT)


async def nothing_more(sub: Subscription, seconds: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sub.get(), timeout=seconds)


# --- memory:// ----------------------------------------------------------------------


def test_memory_subscribe_then_publish_delivers() -> None:
    async def scenario() -> None:
        broadcaster = create_broadcaster("memory://")
        assert isinstance(broadcaster, MemoryBroadcaster)
        await broadcaster.connect()
        try:
            async with (
                broadcaster.subscribe("hall:1") as first,
                broadcaster.subscribe("hall:1") as second,
                broadcaster.subscribe("hall:2") as other_hall,
            ):
                await broadcaster.publish("hall:1", "one")
                await broadcaster.publish_events(
                    [Event("hall:1", {"type": "ticket.called", "number": "م-١"})]
                )
                for sub in (first, second):
                    assert await receive(sub) == "one"
                    assert json.loads(await receive(sub)) == {
                        "type": "ticket.called",
                        "number": "م-١",
                    }
                    assert not sub.overflowed
                await nothing_more(other_hall)
            assert broadcaster.hub.subscribers == {}
        finally:
            await broadcaster.disconnect()

    asyncio.run(scenario())


def test_feeds_send_in_order_and_a_stuck_or_dead_socket_holds_no_one_back() -> None:
    """A `Feed` (the displays' subscriber) sends its first message before anything
    published meanwhile, then every message in order; one that cannot send (stuck)
    falls behind alone and gets `resync` once it moves again; one whose sends fail
    (dead) stops; an idle one gets its idle message."""

    async def scenario() -> None:
        broadcaster = MemoryBroadcaster()
        broadcaster.heartbeat_tick = 0.05
        fast_got: list[str] = []
        stuck_got: list[str] = []
        unstuck = asyncio.Event()

        async def fast_send(message: str) -> None:
            fast_got.append(message)

        async def stuck_send(message: str) -> None:
            await unstuck.wait()
            stuck_got.append(message)

        async def dead_send(message: str) -> None:
            raise ConnectionResetError

        fast = Feed("hall:1", fast_send, resync="RESYNC", maxsize=3)
        stuck = Feed("hall:1", stuck_send, resync="RESYNC", maxsize=3)
        dead = Feed("hall:1", dead_send, resync="RESYNC", maxsize=3)
        idle = Feed("hall:2", fast_send, resync="RESYNC", idle_message="HB", idle_seconds=0.1)
        async with (
            broadcaster.subscribe("hall:1", fast),
            broadcaster.subscribe("hall:1", stuck),
            broadcaster.subscribe("hall:1", dead),
        ):
            await broadcaster.publish("hall:1", "early")  # before the snapshot is sent
            for feed in (fast, stuck, dead):
                feed.start("SNAP")
            for n in range(10):
                await asyncio.wait_for(broadcaster.publish("hall:1", f"m{n}"), timeout=1.0)
                await asyncio.sleep(0)
            delivered = ["SNAP", "early", *[f"m{n}" for n in range(10)]]
            await eventually(lambda: len(fast_got) >= len(delivered), "the fast feed")
            assert fast_got == delivered
            await eventually(lambda: dead.dead, "the dead feed to be marked")
            assert not dead.pending
            unstuck.set()
            await eventually(lambda: len(stuck_got) >= 2, "the stuck feed to resync")
            assert stuck_got == ["SNAP", "RESYNC"]
            async with broadcaster.subscribe("hall:2", idle):
                idle.start("SNAP2")
                await eventually(lambda: "HB" in fast_got[13:], "a heartbeat on the idle feed")
            assert fast_got[12] == "SNAP2"
        assert broadcaster.hub.subscribers == {} and not broadcaster.idle_feeds
        await broadcaster.disconnect()

    asyncio.run(scenario())


def test_the_channel_version_changes_with_every_delivery_and_is_none_unlistened() -> None:
    async def scenario() -> None:
        broadcaster = MemoryBroadcaster()
        assert broadcaster.version("hall:1") is None
        async with broadcaster.subscribe("hall:1"):
            first = broadcaster.version("hall:1")
            assert first is not None and broadcaster.version("hall:1") == first
            await broadcaster.publish("hall:1", "x")
            second = broadcaster.version("hall:1")
            assert second is not None and second != first
            broadcaster.hub.resync_all('{"type":"resync"}')
            assert broadcaster.version("hall:1") not in (None, first, second)
        assert broadcaster.version("hall:1") is None

    asyncio.run(scenario())


def test_memory_overflow_marks_the_slow_subscriber_and_never_blocks_the_others() -> None:
    async def scenario() -> None:
        broadcaster = MemoryBroadcaster()
        broadcaster.hub = LocalHub(maxsize=3)
        async with (
            broadcaster.subscribe("hall:1") as slow,
            broadcaster.subscribe("hall:1") as fast,
        ):
            for n in range(20):
                # A full queue elsewhere must not make publishing wait.
                await asyncio.wait_for(broadcaster.publish("hall:1", f"m{n}"), timeout=1.0)
                assert await receive(fast) == f"m{n}"
            assert not fast.overflowed
            assert slow.overflowed
            assert [slow.queue.get_nowait() for _ in range(3)] == ["m0", "m1", "m2"]
            assert slow.queue.empty()

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))


def test_create_broadcaster_rejects_an_unknown_scheme() -> None:
    with pytest.raises(
        ValueError, match=r"BROADCAST_URL must start with memory://, redis:// or postgres://"
    ):
        create_broadcaster("amqp://127.0.0.1/")
    with pytest.raises(ValueError, match=r"\(got kafka://\)"):
        create_broadcaster("kafka://broker:9092")


# --- redis:// -----------------------------------------------------------------------


async def redis_subscribers(broadcaster: RedisBroadcaster, channel: str) -> int:
    assert broadcaster.client is not None
    counts = await broadcaster.client.pubsub_numsub(broadcaster.prefix + channel)
    return int(counts[0][1])


async def wait_for_subscribers(broadcaster: RedisBroadcaster, channel: str, count: int) -> None:
    async def poll() -> None:
        while await redis_subscribers(broadcaster, channel) != count:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout=WAIT)


@pytest.mark.redis
def test_redis_message_published_on_one_worker_reaches_the_other(redis_url: str) -> None:
    channel = f"hall:{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        publisher = create_broadcaster(redis_url)
        listener = create_broadcaster(redis_url)
        assert isinstance(publisher, RedisBroadcaster)
        assert isinstance(listener, RedisBroadcaster)
        await asyncio.wait_for(publisher.connect(), timeout=WAIT)
        await asyncio.wait_for(listener.connect(), timeout=WAIT)
        try:
            async with (
                listener.subscribe(channel) as first,
                listener.subscribe(channel) as second,
                publisher.subscribe(channel) as local,
            ):
                # One Redis subscription per worker, however many sockets it holds.
                await wait_for_subscribers(publisher, channel, 2)
                event = Event(channel, {"type": "ticket.called", "seq": 7, "number": "M-001"})
                await publisher.publish_events([event])
                for sub in (first, second, local):
                    assert json.loads(await receive(sub)) == event.payload
                await listener.publish(channel, "back")
                for sub in (first, second, local):
                    assert await receive(sub) == "back"
                    assert not sub.overflowed
        finally:
            await publisher.disconnect()
            await listener.disconnect()

    asyncio.run(scenario())


@pytest.mark.redis
def test_redis_unsubscribe_stops_delivery_and_resubscribe_works(redis_url: str) -> None:
    channel = f"hall:{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        publisher = RedisBroadcaster(redis_url)
        listener = RedisBroadcaster(redis_url)
        await asyncio.wait_for(publisher.connect(), timeout=WAIT)
        await asyncio.wait_for(listener.connect(), timeout=WAIT)
        try:
            async with listener.subscribe(channel) as stays:
                async with listener.subscribe(channel) as leaves:
                    await wait_for_subscribers(publisher, channel, 1)
                    await publisher.publish(channel, "both")
                    assert await receive(stays) == "both"
                    assert await receive(leaves) == "both"
                # Another local subscriber remains: the Redis subscription stays.
                await publisher.publish(channel, "one")
                assert await receive(stays) == "one"
                await nothing_more(leaves)
            # The last local subscriber left: the worker unsubscribes from Redis.
            await wait_for_subscribers(publisher, channel, 0)
            assert listener.hub.subscribers == {}
            await publisher.publish(channel, "nobody")
            await nothing_more(stays)

            async with listener.subscribe(channel) as again:
                await wait_for_subscribers(publisher, channel, 1)
                await publisher.publish(channel, "again")
                assert await receive(again) == "again"
                await nothing_more(again)
        finally:
            await publisher.disconnect()
            await listener.disconnect()

    asyncio.run(scenario())


@pytest.mark.redis
def test_redis_subscription_is_live_when_subscribe_returns(redis_url: str) -> None:
    """The display subscribes, then reads its snapshot: an event published right after
    `subscribe()` returned must not be lost, on every try."""

    async def scenario() -> None:
        publisher = RedisBroadcaster(redis_url)
        listener = RedisBroadcaster(redis_url)
        await asyncio.wait_for(publisher.connect(), timeout=WAIT)
        await asyncio.wait_for(listener.connect(), timeout=WAIT)
        try:
            for n in range(50):
                channel = f"hall:{uuid.uuid4().hex[:8]}"
                async with listener.subscribe(channel) as sub:
                    await publisher.publish(channel, f"m{n}")
                    assert await receive(sub) == f"m{n}"
        finally:
            await publisher.disconnect()
            await listener.disconnect()

    asyncio.run(scenario())


@pytest.mark.redis
def test_redis_subscribe_returns_only_once_redis_listens(redis_url: str) -> None:
    """While Redis holds every client's commands (CLIENT PAUSE), `subscribe()` must not
    return: the display reads its snapshot only after the subscription is live. This
    holds for the first local subscriber and for those that join while it waits."""
    pause_ms = 400

    async def scenario() -> None:
        publisher = RedisBroadcaster(redis_url)
        listener = RedisBroadcaster(redis_url)
        await asyncio.wait_for(publisher.connect(), timeout=WAIT)
        await asyncio.wait_for(listener.connect(), timeout=WAIT)
        assert publisher.client is not None
        channel = f"hall:{uuid.uuid4().hex[:8]}"
        try:
            async with AsyncExitStack() as stack:
                waited: list[float] = []

                async def join() -> Subscription:
                    started = loop.time()
                    sub = await stack.enter_async_context(listener.subscribe(channel))
                    waited.append(loop.time() - started)
                    return sub

                loop = asyncio.get_running_loop()
                await publisher.client.execute_command("CLIENT", "PAUSE", pause_ms, "ALL")
                subs = await asyncio.wait_for(
                    asyncio.gather(*(join() for _ in range(4))), timeout=WAIT
                )
                assert len(waited) == 4
                assert min(waited) >= pause_ms / 1000 * 0.5, waited
                await publisher.publish(channel, "called")
                for sub in subs:
                    assert await receive(sub) == "called"
        finally:
            await publisher.disconnect()
            await listener.disconnect()

    asyncio.run(scenario())


@pytest.fixture
def postgres_broadcast_url() -> str:
    return require_postgres()


@pytest.mark.postgres
def test_postgres_notify_reaches_the_other_worker_and_unlisten_stops_it(
    postgres_broadcast_url: str,
) -> None:
    from reception.events.postgres import PostgresBroadcaster

    channel = f"hall:{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        publisher = create_broadcaster(postgres_broadcast_url)
        listener = create_broadcaster(postgres_broadcast_url.replace("+psycopg", ""))
        assert isinstance(publisher, PostgresBroadcaster)
        assert isinstance(listener, PostgresBroadcaster)
        await asyncio.wait_for(publisher.connect(), timeout=WAIT)
        await asyncio.wait_for(listener.connect(), timeout=WAIT)
        try:
            async with listener.subscribe(channel) as first, listener.subscribe(channel) as second:
                # Subscribed means listening: a message sent now is not lost.
                event = Event(channel, {"type": "ticket.called", "seq": 3, "number": "ب-١"})
                await publisher.publish_events([event])
                for sub in (first, second):
                    assert json.loads(await receive(sub)) == event.payload
                big = "x" * 9000  # over PostgreSQL's payload limit: displays resync
                await publisher.publish(channel, big)
                for sub in (first, second):
                    assert json.loads(await receive(sub)) == {"type": "resync"}
            async with listener.subscribe("other") as other:
                await publisher.publish(channel, "nobody listens")
                await publisher.publish("other", "here")
                assert await receive(other) == "here"
                await nothing_more(other)
            assert listener.hub.subscribers == {}
        finally:
            await publisher.disconnect()
            await listener.disconnect()

    asyncio.run(scenario())


@pytest.mark.postgres
def test_postgres_listener_recovers_after_its_connection_is_killed(
    postgres_broadcast_url: str,
) -> None:
    from sqlalchemy import create_engine, text

    channel = f"hall:{uuid.uuid4().hex[:8]}"

    async def scenario() -> None:
        broadcaster = create_broadcaster(postgres_broadcast_url)
        await asyncio.wait_for(broadcaster.connect(), timeout=WAIT)
        admin = create_engine(postgres_broadcast_url)
        try:
            async with broadcaster.subscribe(channel) as sub:
                listener = broadcaster.listener  # type: ignore[attr-defined]
                pid = listener.info.backend_pid
                with admin.connect() as conn:
                    conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
                    conn.commit()
                assert await receive(sub) == '{"type":"resync"}'
                assert sub.overflowed
                sub.overflowed = False

                async def delivered() -> str:
                    while True:  # until the listener is back
                        await broadcaster.publish(channel, "after")
                        try:
                            return await asyncio.wait_for(sub.get(), timeout=0.5)
                        except TimeoutError:
                            continue

                assert await asyncio.wait_for(delivered(), timeout=WAIT) == "after"
        finally:
            admin.dispose()
            await broadcaster.disconnect()

    asyncio.run(scenario())
