"""What an action returns: its value, and the events that tell displays and consoles
about the change. The events are published only after the action's transaction has
been committed, by the one runner every caller uses (`reception.runner`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from reception.events.base import Event

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    value: T
    events: list[Event] = field(default_factory=list)
