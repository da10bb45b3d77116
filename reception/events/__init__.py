"""Broadcast of live events to displays and consoles, across worker processes."""

from reception.events.base import Broadcaster, Event, Subscription
from reception.events.factory import create_broadcaster

__all__ = ["Broadcaster", "Event", "Subscription", "create_broadcaster"]
