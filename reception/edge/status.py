"""At a unit: how far its records have gone to the centre, for the sync page, the API
and `reception edge status`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.clock import Clock
from reception.edge.models import EdgeNode, EdgeOutbox
from reception.edge.node import NODE_ID
from reception.edge.push import NO_TOKEN, REFUSED, REJECTED, UNAUTHORIZED
from reception.queue.models import Branch

# The state of the link: never pushed yet, the last push went through, the centre could
# not be reached (or failed), the centre refused the unit's token.
LINK_NEW = "new"
LINK_OK = "ok"
LINK_DOWN = "down"
LINK_REFUSED = "refused"
LINK_NO_TOKEN = "no_token"  # the unit has no token set: it cannot send at all
LINK_REJECTED = "rejected"  # the centre took the token but refused the records


@dataclass
class SyncState:
    unit_id: int
    central_url: str
    timezone: str
    sms_via: str
    pending: int
    oldest_pending_at: datetime | None
    last_push_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    failures: int
    next_try_at: datetime | None
    link: str

    @property
    def error_code(self) -> str:
        return self.last_error.split(" ", 1)[0] if self.last_error else ""

    def as_json(self) -> dict[str, object]:
        def iso(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "unit_id": self.unit_id,
            "central_url": self.central_url,
            "sms_via": self.sms_via,
            "pending": self.pending,
            "oldest_pending_at": iso(self.oldest_pending_at),
            "last_push_at": iso(self.last_push_at),
            "last_attempt_at": iso(self.last_attempt_at),
            "last_error": self.error_code or None,
            "failures": self.failures,
            "next_try_at": iso(self.next_try_at),
            "link": self.link,
        }


def _link(node: EdgeNode) -> str:
    code = node.last_error.split(" ", 1)[0]
    if node.failures and code == UNAUTHORIZED:
        return LINK_REFUSED
    if node.failures and code == NO_TOKEN:
        return LINK_NO_TOKEN
    if node.failures and code in (REFUSED, REJECTED):
        return LINK_REJECTED
    if node.failures:
        return LINK_DOWN
    return LINK_OK if node.last_push_at else LINK_NEW


def state_of(session: Session) -> SyncState | None:
    """The unit's sync state, or None when this instance is not a unit."""
    node = session.get(EdgeNode, NODE_ID)
    if node is None:
        return None
    pending, oldest = session.exec(
        select(func.count(), func.min(EdgeOutbox.queued_at)).where(
            col(EdgeOutbox.sent_at).is_(None)
        )
    ).one()
    if oldest is not None and not isinstance(oldest, datetime):
        oldest = datetime.fromisoformat(str(oldest))
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    branch = session.get(Branch, node.branch_id)
    return SyncState(
        unit_id=node.unit_id,
        central_url=node.central_url,
        timezone=branch.timezone if branch else "",
        sms_via=node.sms_via,
        pending=int(pending),
        oldest_pending_at=oldest,
        last_push_at=node.last_push_at,
        last_attempt_at=node.last_attempt_at,
        last_error=node.last_error,
        failures=node.failures,
        next_try_at=node.next_try_at,
        link=_link(node),
    )


def sync_state(engine: Engine, clock: Clock) -> SyncState | None:
    with Session(engine) as session:
        return state_of(session)


def minutes_between(earlier: datetime | None, later: datetime) -> int | None:
    """Whole minutes from `earlier` to `later` (None when there is no `earlier`)."""
    if earlier is None:
        return None
    return max(0, int((later - earlier).total_seconds() // 60))


@dataclass
class SyncView:
    """What the sync page says, in whole numbers the template words with plurals."""

    state: SyncState
    minutes_since_push: int | None
    next_try_minutes: int | None  # 0: within the minute


def sync_view(session: Session, now: datetime) -> SyncView | None:
    state = state_of(session)
    if state is None:
        return None
    next_try = None
    if state.link != LINK_OK and state.next_try_at is not None:
        seconds = max(0.0, (state.next_try_at - now).total_seconds())
        next_try = int(-(-seconds // 60)) if seconds >= 60 else 0
    return SyncView(state, minutes_between(state.last_push_at, now), next_try)
