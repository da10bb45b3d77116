"""Sends what the outbox holds: claim due rows, send, record the result, retry with
exponential backoff and jitter. A message claimed by a worker that died is due again
after `STALE_CLAIM` (at-least-once across a crash; the provider id is kept)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from reception.clock import Clock
from reception.db import session_scope
from reception.metrics import SMS_RESULTS
from reception.notify.backends import PermanentSmsError, SmsBackend, TransientSmsError
from reception.notify.models import DEFAULT_QUIET_EXEMPT, OutgoingSms, SmsStatus
from reception.notify.policy import SendPolicy
from reception.notify.queries import quiet_exempt_purposes
from reception.queue.models import Branch

log = logging.getLogger("reception.sms")
STALE_CLAIM = timedelta(minutes=5)


def _held_back(
    session: Any,
    row: OutgoingSms,
    now: datetime,
    policy: SendPolicy,
    batch: int = 0,
    exempt: frozenset[str] = DEFAULT_QUIET_EXEMPT,
    zones: dict[int, str] | None = None,
) -> datetime | None:
    """When this message may go instead of now, or None if it may go now (`batch`:
    messages to the same number already claimed in this pass; `zones`: branch zones)."""
    if row.purpose not in exempt:
        zone = (zones or {}).get(row.branch_id) if row.branch_id is not None else None
        until = policy.quiet_until(now, zone)
        if until is not None:
            return until
    if policy.max_per_hour:
        recent = session.exec(
            select(OutgoingSms.sent_at)
            .where(
                OutgoingSms.to == row.to,
                col(OutgoingSms.sent_at).is_not(None),
                col(OutgoingSms.sent_at) > now - timedelta(hours=1),
            )
            .order_by(col(OutgoingSms.sent_at))
        ).all()
        if len(recent) + batch >= policy.max_per_hour:
            return (recent[0] if recent else now) + timedelta(hours=1)
    return None


def backoff(attempt: int, base: float = 5.0, cap: float = 1800.0) -> timedelta:
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return timedelta(seconds=delay * random.uniform(0.5, 1.0))


CLAIM_BATCH = 5  # × the backend's 15 s time-out stays well inside STALE_CLAIM


def claim_due(
    engine: Engine,
    clock: Clock,
    limit: int = CLAIM_BATCH,
    max_attempts: int | None = None,
    policy: SendPolicy | None = None,
) -> list[OutgoingSms]:
    now = clock.now()
    with session_scope(engine, clock) as session:
        stmt = (
            select(OutgoingSms)
            .where(
                ((OutgoingSms.status == SmsStatus.pending) & (OutgoingSms.next_attempt_at <= now))
                | (
                    (OutgoingSms.status == SmsStatus.sending)
                    & (OutgoingSms.next_attempt_at <= now - STALE_CLAIM)
                )
            )
            .order_by(col(OutgoingSms.id))
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(session.exec(stmt).all())
        if max_attempts is not None:
            for row in [r for r in rows if r.status == SmsStatus.sending]:
                if row.attempts >= max_attempts:
                    # A message whose sending kept killing its worker is not tried forever.
                    row.status = SmsStatus.failed
                    row.last_error = "worker stopped while sending; attempts used up"
                    session.add(row)
                    rows.remove(row)
        pending = [r for r in rows if r.status == SmsStatus.pending]
        if policy is not None and pending:
            claimed: dict[str, int] = {}
            exempt = quiet_exempt_purposes(session)
            zones = {b.id: b.timezone for b in session.exec(select(Branch)).all() if b.id}
            for row in pending:
                later = _held_back(session, row, now, policy, claimed.get(row.to, 0), exempt, zones)
                if later is None:
                    claimed[row.to] = claimed.get(row.to, 0) + 1
                else:
                    row.next_attempt_at = later  # not an attempt: nothing was tried
                    session.add(row)
                    rows.remove(row)
        for row in rows:
            row.status = SmsStatus.sending
            row.attempts += 1
            row.next_attempt_at = now
            session.add(row)
        return rows


def record_result(
    engine: Engine,
    clock: Clock,
    sms_id: int,
    sid: str | None,
    error: Exception | None,
    max_attempts: int,
    claimed_at: datetime | None = None,
) -> None:
    with session_scope(engine, clock) as session:
        row = session.get(OutgoingSms, sms_id)
        if row is None:
            return
        if claimed_at is not None and (
            row.status != SmsStatus.sending or row.next_attempt_at != claimed_at
        ):
            # Our claim went stale and another worker took the message over: its
            # result is the one that counts.
            log.warning("sms %s: result of a stale claim ignored", sms_id)
            return
        if error is None:
            row.status = SmsStatus.sent
            row.provider_sid = sid
            row.sent_at = clock.now()
            row.last_error = None
        elif isinstance(error, TransientSmsError) and row.attempts < max_attempts:
            row.status = SmsStatus.pending
            row.next_attempt_at = clock.now() + backoff(row.attempts)
            row.last_error = str(error)[:300]
        else:
            row.status = SmsStatus.failed
            row.last_error = str(error)[:300]
        session.add(row)
    SMS_RESULTS.labels("retry" if row.status == SmsStatus.pending else row.status).inc()


def send_due(
    engine: Engine,
    clock: Clock,
    backend: SmsBackend,
    max_attempts: int,
    policy: SendPolicy | None = None,
) -> int:
    """One pass over the outbox; returns how many messages were tried."""
    rows = claim_due(engine, clock, max_attempts=max_attempts, policy=policy)
    for row in rows:
        assert row.id is not None
        claim = row.next_attempt_at
        try:
            sid = backend.send(row.to, row.body, row.idempotency_key)
        except (TransientSmsError, PermanentSmsError) as exc:
            log.warning("sms %s attempt %s failed: %s", row.id, row.attempts, exc)
            record_result(engine, clock, row.id, None, exc, max_attempts, claim)
        except Exception as exc:  # an unexpected backend bug must not stop the worker
            log.exception("sms %s: unexpected error", row.id)
            error = TransientSmsError(type(exc).__name__)
            record_result(engine, clock, row.id, None, error, max_attempts, claim)
        else:
            record_result(engine, clock, row.id, sid, None, max_attempts, claim)
    return len(rows)


async def run_worker(
    engine: Engine,
    clock: Clock,
    backend: SmsBackend,
    interval: float,
    max_attempts: int,
    stop: asyncio.Event,
    policy: SendPolicy | None = None,
) -> None:
    while not stop.is_set():
        try:
            tried = await asyncio.to_thread(send_due, engine, clock, backend, max_attempts, policy)
        except Exception:
            log.exception("sms worker pass failed; trying again")
            tried = 0
        if tried == 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
