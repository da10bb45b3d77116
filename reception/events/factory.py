"""The broadcaster a `BROADCAST_URL` names. The Redis and PostgreSQL backends are
imported only when chosen, so a single-process install loads neither client."""

from __future__ import annotations

from reception.events.base import HubBroadcaster, MemoryBroadcaster


def create_broadcaster(url: str) -> HubBroadcaster:
    if url.startswith("memory://"):
        return MemoryBroadcaster()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from reception.events.redis import RedisBroadcaster

        return RedisBroadcaster(url)
    if url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        from reception.events.postgres import PostgresBroadcaster

        return PostgresBroadcaster(url)
    raise ValueError(
        "BROADCAST_URL must start with memory://, redis:// or postgres:// "
        f"(got {url.split(':', 1)[0]}://)"
    )
