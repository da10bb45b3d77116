"""At a unit: send what the outbox holds to the centre, in order, and note how it went.

One push takes the oldest unsent outbox entries (at most `MAX_RECORDS`, about
`MAX_BYTES` of JSON), each with its row's state at sending time, and POSTs them to the
centre. Only once the centre has answered 200 are they marked sent: a push cut off by a
crash of either side, or by the link, is simply sent again (the centre stores a record
once). Failures in a row space the next try out (`backoff_seconds`)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from reception.clock import Clock
from reception.db import session_scope
from reception.edge.models import EdgeNode, EdgeOutbox
from reception.edge.node import NODE_ID
from reception.edge.tables import BY_NAME
from reception.edge.wire import row_to_wire
from reception.letters.models import Attachment
from reception.notify.models import OutgoingSms, SmsStatus

log = logging.getLogger("reception.edge")

OUTGOING_SMS = str(OutgoingSms.__tablename__)
MAX_RECORDS = 200
MAX_BYTES = 4 * 1024 * 1024
MAX_WAIT_SECONDS = 300
KEEP_SENT = timedelta(days=3)
PUSH_PATH = "/api/v1/edge/push"

# What went wrong, as a code (shown translated on the sync page; no personal data).
UNREACHABLE = "unreachable"
UNAUTHORIZED = "unauthorized"
REFUSED = "refused"
REJECTED = "rejected"
CENTRE_ERROR = "centre_error"
NO_TOKEN = "no_token"


class PushFailed(Exception):
    """The centre could not be reached or did not take the batch (`code` says which)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


Transport = Callable[[str, dict[str, Any], str], tuple[int, dict[str, Any]]]
"""(url, JSON body, token) → (HTTP status, JSON answer); raises PushFailed(UNREACHABLE)."""


def http_transport(url: str, body: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
    import requests

    try:
        answer = requests.post(
            url,
            data=json.dumps(body, separators=(",", ":")),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=(10, 120),
        )
    except requests.RequestException as exc:
        raise PushFailed(UNREACHABLE, type(exc).__name__) from None
    try:
        data = answer.json()
    except ValueError:
        data = {}
    return answer.status_code, data if isinstance(data, dict) else {}


def backoff_seconds(failures: int, jitter: float | None = None) -> float:
    """Wait after `failures` failed pushes in a row: 2, 4, 8 … up to 300 s, plus up to
    20 % (`jitter` in [0, 1] picks where; random if None) so units do not all come back
    together when the centre does."""
    if failures <= 0:
        return 0.0
    base = float(min(2 ** min(failures, 16), MAX_WAIT_SECONDS))
    share = random.random() if jitter is None else min(max(jitter, 0.0), 1.0)
    return base * (1 + 0.2 * share)


@dataclass
class Batch:
    records: list[dict[str, Any]] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)  # every outbox entry the batch covers
    pending_after: int = 0


@dataclass
class PushResult:
    sent: int = 0  # outbox entries marked sent
    records: int = 0  # records the centre received
    pending_after: int = 0
    acked_seq: int | None = None
    error: str = ""


def _file_of(row: Any, attachments_dir: Path | None) -> str | None:
    if not isinstance(row, Attachment) or attachments_dir is None:
        return None
    path = attachments_dir / row.stored_as
    if not path.is_file():
        return None
    return base64.b64encode(path.read_bytes()).decode("ascii")


UNIT_SENDS = "sent by the mobile unit"


def _handed_over(record: dict[str, Any], sms_via: str) -> None:
    """A unit that sends its own SMS hands its messages over for the reports only: one
    still waiting here goes as settled, so that the centre's sender never sends it too
    (the centre keeps a message as it was at its first push)."""
    row = record["row"]
    if sms_via == "unit" and row.get("status") in (SmsStatus.pending, SmsStatus.sending):
        row["status"] = SmsStatus.sent.value
        row["last_error"] = UNIT_SENDS


def collect(
    session: Session,
    attachments_dir: Path | None,
    max_records: int = MAX_RECORDS,
    max_bytes: int = MAX_BYTES,
    sms_via: str = "centre",
) -> Batch:
    """The next batch: unsent entries in order; a row named twice goes once, at its
    first place, with its current state; a row gone from its table is left out."""
    entries = session.exec(
        select(EdgeOutbox)
        .where(col(EdgeOutbox.sent_at).is_(None))
        .order_by(col(EdgeOutbox.seq))
        .limit(max_records)
    ).all()
    batch = Batch()
    seen: set[tuple[str, int]] = set()
    size = 0
    for entry in entries:
        assert entry.seq is not None
        key = (entry.tbl, entry.row_id)
        synced = BY_NAME.get(entry.tbl)
        record: dict[str, Any] | None = None
        if key not in seen and synced is not None:
            row = session.get(synced.model, entry.row_id)
            if row is not None:
                record = {"seq": entry.seq, "tbl": entry.tbl, "id": entry.row_id}
                record["row"] = row_to_wire(row)
                encoded = _file_of(row, attachments_dir)
                if encoded is not None:
                    record["file"] = encoded
                if entry.tbl == OUTGOING_SMS:
                    _handed_over(record, sms_via)
        if record is not None:
            weight = len(json.dumps(record, separators=(",", ":")))
            if batch.records and size + weight > max_bytes:
                break
            size += weight
            batch.records.append(record)
            seen.add(key)
        batch.seqs.append(entry.seq)
    last = batch.seqs[-1] if batch.seqs else 0
    batch.pending_after = session.exec(
        select(func.count())
        .select_from(EdgeOutbox)
        .where(col(EdgeOutbox.sent_at).is_(None), col(EdgeOutbox.seq) > last)
    ).one()
    return batch


def _send(
    node: EdgeNode, batch: Batch, token: str, now: datetime, transport: Transport
) -> int | None:
    if not token:
        raise PushFailed(NO_TOKEN)
    body = {
        "unit_clock": now.isoformat(),
        "pending_after": batch.pending_after,
        "records": batch.records,
    }
    status, answer = transport(node.central_url.rstrip("/") + PUSH_PATH, body, token)
    if status == 200:
        acked = answer.get("acked_seq")
        return int(acked) if isinstance(acked, int) else None
    code = {401: UNAUTHORIZED, 403: REFUSED, 422: REJECTED}.get(status, CENTRE_ERROR)
    error = answer.get("error")
    detail = error.get("code", "") if isinstance(error, dict) else str(error or "")
    seq = answer.get("seq")
    raise PushFailed(code, f"HTTP {status} {detail}"[:80] + (f" seq {seq}" if seq else ""))


def _note_failure(engine: Engine, clock: Clock, code: str, detail: str) -> None:
    with session_scope(engine, clock) as session:
        node = session.get(EdgeNode, NODE_ID)
        if node is None:
            return
        now = clock.now()
        node.failures += 1
        node.last_attempt_at = now
        node.last_error = (f"{code} {detail}" if detail else code)[:300]
        node.next_try_at = now + timedelta(seconds=backoff_seconds(node.failures))
        session.add(node)


def push_once(
    engine: Engine,
    clock: Clock,
    token: str,
    attachments_dir: Path | None = None,
    transport: Transport = http_transport,
) -> PushResult:
    """One batch to the centre. Returns what was sent; a failure is noted on the link
    row (and returned as `error`), never raised."""
    # The unit's time is read before the batch is collected: "complete through" may
    # only claim records made before it, and a record made while collecting is not.
    now = clock.now()
    with Session(engine, expire_on_commit=False) as session:
        node = session.get(EdgeNode, NODE_ID)
        if node is None:
            return PushResult(error="not a unit")
        batch = collect(session, attachments_dir, sms_via=node.sms_via)
    if not batch.seqs:
        return PushResult()
    try:
        acked = _send(node, batch, token, now, transport)
    except PushFailed as exc:
        log.warning("push to the centre failed: %s", exc)
        _note_failure(engine, clock, exc.code, exc.detail)
        return PushResult(pending_after=len(batch.seqs) + batch.pending_after, error=exc.code)
    with session_scope(engine, clock) as session:
        session.execute(
            update(EdgeOutbox)
            .where(col(EdgeOutbox.seq).in_(batch.seqs), col(EdgeOutbox.sent_at).is_(None))
            .values(sent_at=now)
        )
        row = session.get(EdgeNode, NODE_ID)
        if row is not None:
            row.last_attempt_at = now
            row.last_push_at = now
            row.failures = 0
            row.last_error = ""
            row.next_try_at = None
            session.add(row)
    return PushResult(
        sent=len(batch.seqs),
        records=len(batch.records),
        pending_after=batch.pending_after,
        acked_seq=acked,
    )


def clear_sent(engine: Engine, clock: Clock, keep: timedelta = KEEP_SENT) -> int:
    """Forget entries the centre took more than `keep` ago (their numbers are never
    reused: the outbox counts on)."""
    with session_scope(engine, clock) as session:
        result = session.execute(
            delete(EdgeOutbox).where(
                col(EdgeOutbox.sent_at).is_not(None),
                col(EdgeOutbox.sent_at) < clock.now() - keep,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def push_all(
    engine: Engine,
    clock: Clock,
    token: str,
    attachments_dir: Path | None = None,
    transport: Transport = http_transport,
) -> PushResult:
    """Push until the outbox is empty or a push fails (the command `reception edge sync`)."""
    total = PushResult()
    while True:
        result = push_once(engine, clock, token, attachments_dir, transport)
        total.sent += result.sent
        total.records += result.records
        total.pending_after = result.pending_after
        total.acked_seq = result.acked_seq if result.acked_seq is not None else total.acked_seq
        total.error = result.error
        if result.error or not result.sent or not result.pending_after:
            return total


def _delay(engine: Engine, clock: Clock) -> float:
    """Seconds until the back-off allows the next push (0: now)."""
    with Session(engine) as session:
        node = session.get(EdgeNode, NODE_ID)
        if node is None or node.next_try_at is None:
            return 0.0
        return max(0.0, (node.next_try_at - clock.now()).total_seconds())


async def run_pusher(
    engine: Engine,
    clock: Clock,
    token: str,
    attachments_dir: Path | None,
    interval: float,
    stop: asyncio.Event,
    transport: Transport = http_transport,
) -> None:
    """The unit's background sender: pushes while there is something to send, waits
    `interval` (or the back-off) otherwise. Database and HTTP work run in a thread;
    at shutdown the loop ends at once (a push cut off is sent again next time)."""
    last_clear: datetime | None = None
    while not stop.is_set():
        wait = interval
        try:
            delay = await anyio.to_thread.run_sync(_delay, engine, clock, abandon_on_cancel=True)
            if delay <= 0:
                result = await anyio.to_thread.run_sync(
                    push_once,
                    engine,
                    clock,
                    token,
                    attachments_dir,
                    transport,
                    abandon_on_cancel=True,
                )
                if result.error:
                    wait = await anyio.to_thread.run_sync(_delay, engine, clock)
                elif result.sent and result.pending_after:
                    wait = 0.0
            else:
                wait = delay
            now = clock.now()
            if last_clear is None or now - last_clear > timedelta(hours=1):
                await anyio.to_thread.run_sync(clear_sent, engine, clock)
                last_clear = now
        except Exception:
            log.exception("pushing to the centre failed; trying again")
        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(wait, interval))
        else:
            await asyncio.sleep(0)
