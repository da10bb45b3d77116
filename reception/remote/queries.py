"""Reads of joining from a phone: a branch's rules as an administrator sees them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from reception.queue import queries
from reception.remote.models import RemotePolicy
from reception.remote.setup import policy_fields


def branch_policy(session: Session, branch: str) -> dict[str, Any]:
    """A branch's rules; a branch that never set them shows the defaults, off."""
    row = queries.branch_by_slug(session, branch)
    policy = session.get(RemotePolicy, row.id) or RemotePolicy(branch_id=row.id or 0)
    return policy_fields(policy, row)
