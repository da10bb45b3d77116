"""A tracking link made at a mobile unit that the centre has not received yet: the
unit's tokens and references start with its tag (`u<id>x`), so the centre can say
"being synchronised, last synced at …" instead of "not found"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from reception.edge.models import EdgeUnit
from reception.queue.models import Branch

_TAG = re.compile(r"u([1-9][0-9]{0,8})x")


@dataclass(frozen=True)
class Awaited:
    last_synced_at: datetime | None
    timezone: str


def awaited(session: Session, token: str) -> Awaited | None:
    """The unit a link names by its tag, if there is such a unit; None otherwise."""
    match = _TAG.match(token)
    if match is None:
        return None
    unit = session.get(EdgeUnit, int(match.group(1)))
    if unit is None:
        return None
    branch = session.get(Branch, unit.branch_id)
    assert branch is not None
    return Awaited(unit.last_push_at, branch.timezone)
