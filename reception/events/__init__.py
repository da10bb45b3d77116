"""Broadcast of live events to displays and consoles, across worker processes."""

from reception.events.base import Event, HubBroadcaster, Subscription
from reception.events.factory import create_broadcaster

__all__ = ["Event", "HubBroadcaster", "Subscription", "create_broadcaster"]
