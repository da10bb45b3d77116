"""What a unit's server process adds at start: the settings it serves with (links in
messages point at the centre) and the background sender."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine

from reception.clock import Clock
from reception.edge.models import EdgeNode
from reception.edge.push import run_pusher
from reception.settings import Settings


def unit_settings(settings: Settings, node: EdgeNode | None) -> Settings:
    """At a unit, tracking and rating links in SMS and on tickets use the centre's
    public address: the visitor opens them from home, where the unit is not."""
    if node is None or not node.public_url:
        return settings
    return settings.model_copy(update={"public_base_url": node.public_url})


def start_pusher(
    engine: Engine, clock: Clock, settings: Settings, node: EdgeNode | None, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """The unit's sender as a task (none at the centre, nor with an interval of 0:
    then the unit sends only on `reception edge sync`)."""
    if node is None or settings.edge_push_interval_seconds <= 0:
        return []
    return [
        asyncio.create_task(
            run_pusher(
                engine,
                clock,
                settings.reception_edge_token,
                settings.attachments_dir,
                settings.edge_push_interval_seconds,
                stop,
            )
        )
    ]


async def held(stop: asyncio.Event) -> None:
    """In place of the SMS sender at a unit whose messages the centre sends."""
    await stop.wait()
