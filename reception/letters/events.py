"""Letter events for the live triage desk and department inbox.

Each change of a letter's status is published on its branch's channel (the triage
desks of the branch) and, once it has a department, on the department's channel (its
inbox). Every message carries the channel's next sequence number, taken in the
action's own transaction (so numbers follow the order of commits): a screen that
sees a number skipped asks for a fresh snapshot, as the hall displays do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.errors import N_, Forbidden
from reception.events.base import Event
from reception.events.messages import SNAPSHOT, LetterEvent
from reception.letters import queries
from reception.letters.access import TRIAGE_ROLES
from reception.letters.models import Letter, LetterFeed, LetterStatus
from reception.queue.models import Branch
from reception.settings import LANGUAGES
from reception.timefmt import local_time

EVENT_OF_STEP = {
    "receive": LetterEvent.REGISTERED,
    "classify": LetterEvent.CLASSIFIED,
    "route": LetterEvent.ROUTED,
    "accept": LetterEvent.ACCEPTED,
    "answer": LetterEvent.ANSWERED,
    "return": LetterEvent.RETURNED,
    "reopen": LetterEvent.REOPENED,
    "close": LetterEvent.CLOSED,
    "reject": LetterEvent.REJECTED,
    "merge": LetterEvent.MERGED,
}
SLA_BREACHED = LetterEvent.SLA_BREACHED


def branch_channel(branch_id: int) -> str:
    """The triage desks of a branch (and its supervisors' view of the inboxes)."""
    return f"letters:branch:{branch_id}"


def department_channel(department_id: int) -> str:
    """A department's inbox."""
    return f"letters:department:{department_id}"


def channels_of(letter: Letter) -> list[str]:
    channels = [branch_channel(letter.branch_id)]
    if letter.department_id is not None:
        channels.append(department_channel(letter.department_id))
    return channels


def _next_seq(session: Session, channel: str) -> int:
    table = LetterFeed.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt: Any = (
        insert(table)
        .values(channel=channel, last_seq=1)
        .on_conflict_do_update(index_elements=["channel"], set_={"last_seq": table.c.last_seq + 1})
        .returning(table.c.last_seq)
    )
    return int(session.execute(stmt).scalar_one())


def current_seqs(session: Session, channels: list[str]) -> dict[str, int]:
    """The last number sent on each channel (0 for a channel nothing was sent on)."""
    found = {
        row.channel: row.last_seq
        for row in session.exec(select(LetterFeed).where(col(LetterFeed.channel).in_(channels)))
    }
    return {channel: found.get(channel, 0) for channel in channels}


def live_row(session: Session, letter: Letter, now: datetime) -> dict[str, Any]:
    """The letter as a list row shows it, with its time already written for each
    language (one message serves every screen) and its hall, for the screens to
    decide who may see it."""
    row = queries.summary_of(session, letter, now)
    row["hall_id"] = letter.hall_id
    row["since_text"] = {
        language: local_time(letter.status_since, row["timezone"], "datetime", language)
        for language in LANGUAGES
    }
    return row


def letter_events(session: Session, letter: Letter, kind: str, now: datetime) -> list[Event]:
    """The messages telling the letter's channels that `kind` happened to it."""
    session.flush()
    row = live_row(session, letter, now)
    return [
        Event(
            channel,
            {"type": kind, "channel": channel, "seq": _next_seq(session, channel), "letter": row},
        )  # fmt: skip
        for channel in channels_of(letter)
    ]


LIVE_PAGES = {
    "triage": (LetterStatus.received, LetterStatus.classified, LetterStatus.returned),
    "inbox": (LetterStatus.routed, LetterStatus.in_progress),
}
"""The statuses each live list shows (as `queries.triage_queue` and `queries.inbox`)."""


def live_channels(session: Session, principal: Principal, page: str) -> list[str]:
    """The channels a live page follows, checked as its HTTP page checks: an officer's
    inbox follows the department; triage and a supervisor's inbox follow the branch
    (every branch for an account without one)."""
    if page == "inbox":
        principal.require_role(Role.department_officer, Role.supervisor, Role.admin)
        if principal.role == Role.department_officer:
            if principal.department_id is None:
                raise Forbidden(
                    "no_department", N_("Your account has no department yet. Ask an administrator.")
                )
            return [department_channel(principal.department_id)]
    else:
        principal.require_role(*TRIAGE_ROLES)
    if principal.branch_id is not None:
        return [branch_channel(principal.branch_id)]
    return [
        branch_channel(b or 0) for b in session.exec(select(Branch.id).order_by(col(Branch.id)))
    ]


def live_snapshot(
    session: Session, principal: Principal, page: str, channels: list[str], now: datetime
) -> dict[str, Any]:
    """The list as the page shows it and the channels' numbers it is current to. The
    numbers are read first: a change committed in between then arrives as a delta the
    list already holds, which is harmless, never as one it lacks."""
    seqs = current_seqs(session, channels)
    rows = (queries.inbox if page == "inbox" else queries.triage_queue)(session, principal, now)
    for row in rows:
        row["since_text"] = {
            language: local_time(row["status_since"], row["timezone"], "datetime", language)
            for language in LANGUAGES
        }
    return {
        "type": SNAPSHOT,
        "seq": seqs,
        "statuses": [s.value for s in LIVE_PAGES[page]],
        "rows": rows,
    }
