"""Faults a deployment meets: the server killed outright in the middle of a burst of
check-ins, and the Redis that carries display broadcasts restarted under live displays.

Ticket numbers are taken by `next_number` in the same transaction that writes the
ticket, its audit entry and its outbox SMS, so a killed transaction takes its number
with it: the committed numbers of each series are exactly 1..N, with no gap."""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlmodel import Session, select
from websockets.sync.client import ClientConnection

from reception.audit import AuditEntry
from reception.db import make_engine, session_scope
from reception.notify.models import OutgoingSms
from reception.queue.models import Hall, Ticket, TicketSequence
from tests.browser import free_port
from tests.conftest import SeededDatabase, missing, uses_backend
from tests.servers import api, login_cookie, next_message, open_display, reception_server
from tests.test_multiworker import issue_and_call, server_env, wait_for_workers

# --- kill -9 in the middle of a burst of check-ins --------------------------------------

BURST_CLIENTS = 8
BURST_SECONDS = 1.5
MIN_BEFORE_KILL = 20
PHONES = [f"05012345{n:02d}" for n in range(10)]
CHOICES = [(hall, service) for hall in ("men", "women") for service in ("letter", "enquiry")]


@dataclass(frozen=True)
class Request:
    key: str
    body: dict[str, Any]


@dataclass
class Burst:
    """What the kiosks saw: each 201 with its ticket, each request left unanswered."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, Request] = field(default_factory=dict)
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    unanswered: dict[str, str] = field(default_factory=dict)
    other: list[tuple[int, str]] = field(default_factory=list)
    in_flight: int = 0


def plan_request(rng: random.Random) -> Request:
    hall, service = rng.choice(CHOICES)
    body: dict[str, Any] = {"branch": "riyadh", "hall": hall, "service": service}
    if rng.random() < 0.4:
        body["phone"] = rng.choice(PHONES)
    return Request(uuid.uuid4().hex, body)


def post_ticket(http: httpx2.Client, token: str, request: Request) -> httpx2.Response:
    return http.post(
        "/api/v1/tickets",
        json=request.body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": request.key},
    )


def kiosk_client(base: str, token: str, seed: int, burst: Burst, stop: threading.Event) -> None:
    """Check in as fast as the server answers, until told to stop or left unanswered."""
    rng = random.Random(seed)
    with httpx2.Client(base_url=base, timeout=15) as http:
        while not stop.is_set():
            request = plan_request(rng)
            with burst.lock:
                burst.sent[request.key] = request
                burst.in_flight += 1
            try:
                response = post_ticket(http, token, request)
            except httpx2.TransportError as exc:
                with burst.lock:
                    burst.unanswered[request.key] = type(exc).__name__
                return
            finally:
                with burst.lock:
                    burst.in_flight -= 1
            with burst.lock:
                if response.status_code == 201:
                    burst.created[request.key] = response.json()
                else:
                    burst.other.append((response.status_code, response.text[:300]))


@dataclass(frozen=True)
class Stored:
    tickets: dict[int, Ticket]
    by_key: dict[str, Ticket]
    event_seq: dict[int, int]


def read_back(url: str) -> Stored:
    """Every ticket of the database, checked for what a half-written check-in would leave:
    numbering, audit entry, outbox SMS and display sequence all agree with the tickets."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return _check_stored(s)
    finally:
        engine.dispose()


def _check_stored(s: Session) -> Stored:
    tickets = {t.id: t for t in s.exec(select(Ticket)).all() if t.id is not None}
    by_key = {}
    for ticket in tickets.values():
        assert ticket.idempotency_key, ticket
        by_key[ticket.idempotency_key.rsplit(":", 1)[1]] = ticket

    series: dict[tuple[int, str, Any], list[Ticket]] = defaultdict(list)
    for ticket in tickets.values():
        series[(ticket.hall_id, ticket.prefix, ticket.business_date)].append(ticket)
    sequences = {
        (q.hall_id, q.prefix, q.business_date): q.last_number
        for q in s.exec(select(TicketSequence)).all()
    }
    assert set(sequences) == set(series), (sequences, list(series))
    for name, members in series.items():
        seqs = sorted(t.seq for t in members)
        # Numbering shares the ticket's transaction: a gap would be a lost ticket.
        assert seqs == list(range(1, len(seqs) + 1)), (name, seqs)
        assert sequences[name] == len(seqs), (name, sequences[name], len(seqs))
        for ticket in members:
            assert ticket.number == f"{ticket.prefix}-{ticket.seq:03d}", ticket

    issued = s.exec(
        select(AuditEntry.entity_id).where(
            AuditEntry.action == "ticket.issue", AuditEntry.entity == "ticket"
        )
    ).all()
    logged = Tally(int(e) for e in issued)
    assert logged == Tally(tickets.keys()), (
        f"tickets without their audit entry: {sorted(set(tickets) - set(logged))[:10]}, "
        f"audit entries without a ticket: {sorted(set(logged) - set(tickets))[:10]}, "
        f"logged twice: {[t for t, n in logged.items() if n > 1][:10]}"
    )

    sms = s.exec(select(OutgoingSms).where(OutgoingSms.purpose == "ticket_issued")).all()
    sms_of: dict[int, list[OutgoingSms]] = defaultdict(list)
    for row in sms:
        sms_of[int(row.idempotency_key.split(":", 1)[1])].append(row)
    assert set(sms_of) <= set(tickets), f"SMS without a ticket: {set(sms_of) - set(tickets)}"
    for ticket_id, ticket in tickets.items():
        rows = sms_of.get(ticket_id, [])
        if ticket.phone:
            assert len(rows) == 1, (ticket.number, ticket.phone, rows)
            assert rows[0].to == ticket.phone
            assert ticket.number in rows[0].body
        else:
            assert rows == [], (ticket.number, rows)

    # Each check-in bumps its hall's display sequence once, in the same transaction.
    event_seq = {h.id: h.event_seq for h in s.exec(select(Hall)).all() if h.id is not None}
    per_hall = Tally(t.hall_id for t in tickets.values())
    for hall_id, seq in event_seq.items():
        assert seq == per_hall.get(hall_id, 0), (hall_id, seq, per_hall)
    return Stored(tickets, by_key, event_seq)


@pytest.mark.stress
def test_kill_9_in_a_burst_of_check_ins_loses_or_splits_nothing(
    seeded: SeededDatabase, tmp_path: Path
) -> None:
    """Kiosks check in as fast as they can; the server is SIGKILLed while requests are
    in flight. After a restart on the same database every ticket a kiosk was promised
    is there with its number, nothing is half-written, a retry with the same
    Idempotency-Key gives exactly one ticket, and numbering simply continues."""
    url = seeded.url
    token = seeded.world.tokens["kiosk"]
    env = server_env(url, "memory://", tmp_path / "var")
    log = tmp_path / "server.log"
    assert read_back(url).tickets == {}

    burst = Burst()
    stop = threading.Event()
    with reception_server(env, log) as server:
        port = server.port
        threads = [
            threading.Thread(
                target=kiosk_client, args=(server.base, token, seed, burst, stop), daemon=True
            )
            for seed in range(BURST_CLIENTS)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        deadline = started + 30
        while True:
            with burst.lock:
                enough = len(burst.created) >= MIN_BEFORE_KILL
                busy = burst.in_flight > 0
            if enough and busy and time.monotonic() - started >= BURST_SECONDS:
                break
            assert time.monotonic() < deadline, f"burst too slow:\n{server.output()[-3000:]}"
            time.sleep(0.005)
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
            assert not thread.is_alive(), "a kiosk client hung after the kill"
        assert server.proc.returncode == -9

    assert not burst.other, f"answers other than 201 during the burst: {burst.other[:5]}"
    assert burst.unanswered, "no request was left unanswered by the kill"
    cut_off = {k: why for k, why in burst.unanswered.items() if why != "ConnectError"}
    assert cut_off, f"the kill caught no request in flight: {burst.unanswered}"
    assert not set(burst.created) & set(burst.unanswered)

    stored = read_back(url)
    assert set(stored.by_key) <= set(burst.sent), "a ticket nobody asked for"
    for key, answer in burst.created.items():
        ticket = stored.by_key.get(key)
        assert ticket is not None, f"{answer['number']} was answered 201 but is not stored"
        assert ticket.id == answer["id"] and ticket.number == answer["number"], (ticket, answer)
    unanswered_but_committed = set(burst.unanswered) & set(stored.by_key)
    assert set(stored.by_key) == set(burst.created) | unanswered_but_committed
    before = {key: ticket.number for key, ticket in stored.by_key.items()}

    with reception_server(env, log, port=port) as again:
        retried: dict[str, dict[str, Any]] = {}
        with httpx2.Client(base_url=again.base, timeout=15) as http:
            for key in burst.unanswered:
                response = post_ticket(http, token, burst.sent[key])
                if key in unanswered_but_committed:
                    assert response.status_code == 200, (key, response.text)
                    assert response.json()["number"] == before[key]
                else:
                    assert response.status_code == 201, (key, response.text)
                retried[key] = response.json()
                # The same key once more is the same ticket again, never a second one.
                replay = post_ticket(http, token, burst.sent[key])
                assert replay.status_code == 200, replay.text
                assert replay.json()["id"] == retried[key]["id"]
            rng = random.Random(99)
            fresh = [plan_request(rng) for _ in range(8)]
            for request in fresh:
                response = post_ticket(http, token, request)
                assert response.status_code == 201, response.text
                retried[request.key] = response.json()
        again_log = again.output()

    assert "Traceback" not in again_log, again_log[-3000:]
    after = read_back(url)
    assert set(after.by_key) == set(stored.by_key) | set(retried)
    for key, answer in retried.items():
        assert after.by_key[key].id == answer["id"]
        assert after.by_key[key].number == answer["number"]
    for key, number in before.items():
        assert after.by_key[key].number == number, "a number changed after the restart"
    # Numbers issued after the restart come after every number issued before it.
    new_keys = set(after.by_key) - set(stored.by_key)
    for key in new_keys:
        ticket = after.by_key[key]
        earlier = [
            t.seq
            for t in stored.tickets.values()
            if (t.hall_id, t.prefix, t.business_date)
            == (ticket.hall_id, ticket.prefix, ticket.business_date)
        ]
        assert ticket.seq > max(earlier, default=0), (ticket.number, max(earlier, default=0))
    print(
        f"\n{len(burst.created)} answered 201, {len(burst.unanswered)} unanswered "
        f"({len(cut_off)} cut off in flight, {len(unanswered_but_committed)} of them "
        f"committed), {len(after.tickets)} tickets after the retries"
    )


# --- Redis restarted under live displays ---------------------------------------------------


class RedisServer:
    """A redis-server of this test's own, so it can be killed and started again on the
    same port."""

    def __init__(self, binary: str, port: int) -> None:
        self.binary = binary
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    uses_backend("redis")
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        missing("Redis: redis-server is not installed")
    assert binary is not None
    server = RedisServer(binary, free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


class Display:
    """What `static/js/live.js` does with the messages: a snapshot replaces the state,
    a delta with the next `seq` is applied, a gap or a `resync` notice asks for a
    fresh snapshot."""

    def __init__(self, ws: ClientConnection, snapshot: dict[str, Any]) -> None:
        assert snapshot["type"] == "snapshot", snapshot
        self.ws = ws
        self.seq: int = snapshot["seq"]
        self.calls: list[dict[str, Any]] = list(snapshot["calls"])
        self.log: list[str] = ["snapshot"]

    def feed(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "heartbeat":
            return
        self.log.append(f"{kind}:{message.get('seq')}")
        if kind == "resync":
            self.ws.send("resync")
        elif kind == "snapshot":
            self.seq = message["seq"]
            self.calls = list(message["calls"])
        elif not isinstance(message.get("seq"), int) or message["seq"] <= self.seq:
            return
        elif message["seq"] != self.seq + 1:
            self.ws.send("resync")
        else:
            self.seq = message["seq"]
            if kind in ("ticket.called", "ticket.recalled"):
                ticket = message["ticket"]
                self.calls = [c for c in self.calls if c["id"] != ticket["id"]]
                self.calls.insert(0, ticket)
                self.calls = self.calls[:8]

    def shown(self) -> tuple[int, list[tuple[str, int]]]:
        return self.seq, [(c["number"], c["counter"]) for c in self.calls]

    def settle(self, expected: tuple[int, list[tuple[str, int]]], seconds: float) -> None:
        """Read messages until the screen shows `expected`, or fail after `seconds`."""
        deadline = time.monotonic() + seconds
        while self.shown() != expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"display shows {self.shown()}, the database {expected}; messages: {self.log}"
                )
            try:
                raw = self.ws.recv(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue
            self.feed(json.loads(raw))


def truth(base: str, cookie: str) -> tuple[int, list[tuple[str, int]]]:
    """What a display opened now shows: the state to converge to."""
    with open_display(base.replace("http://", "ws://"), cookie) as ws:
        snapshot = next_message(ws)
    assert snapshot["type"] == "snapshot", snapshot
    return snapshot["seq"], [(c["number"], c["counter"]) for c in snapshot["calls"]]


RECOVERY_SECONDS = 30.0


@pytest.mark.redis
@pytest.mark.stress
@pytest.mark.timeout(120)
def test_displays_recover_when_redis_restarts(seeded: SeededDatabase, tmp_path: Path) -> None:
    """Two workers share a Redis that is killed and started again on the same port while
    a display is connected; a ticket is called while Redis is down. Without reloading,
    the display ends up showing what the database holds, and stays live."""
    url = seeded.url
    world = seeded.world
    with redis_server() as redis:
        env = server_env(url, redis.url, tmp_path / "var")
        with reception_server(env, tmp_path / "server.log", workers=2) as server:
            wait_for_workers(server, redis.port, 2)
            cookie = login_cookie(server.base, "display-men")
            with open_display(server.ws_base, cookie) as ws:
                display = Display(ws, next_message(ws))
                issue_and_call(server.base, world)
                display.settle(truth(server.base, cookie), 10)
                seq_before = display.seq

                redis.kill()
                token = world.tokens
                issued = api(
                    server.base,
                    token["kiosk"],
                    "/api/v1/tickets",
                    {"branch": "riyadh", "hall": "men", "service": "letter"},
                )
                counter = world.counters["men"][1]
                called = api(
                    server.base, token["operator-men"], f"/api/v1/counters/{counter}/call-next"
                )
                redis.start()
                # Both changes are committed whatever the answer said.
                expected = truth(server.base, cookie)
                assert expected[0] == seq_before + 2, (issued.text, called.text)
                assert expected[1][0] == ("M-002", 2), expected
                display.settle(expected, RECOVERY_SECONDS)

                # Live again: the next call arrives as deltas in order (the visitor
                # still at counter 1 is served first).
                issue_and_call(server.base, world)
                expected = truth(server.base, cookie)
                assert expected[0] == seq_before + 5
                display.settle(expected, 10)
                assert display.log[-3:] == [
                    f"ticket.issued:{seq_before + 3}",
                    f"ticket.finished:{seq_before + 4}",
                    f"ticket.called:{seq_before + 5}",
                ], display.log
            output = server.output()
    # The changes were committed, so the answers say so: an error here would make the
    # operator press again and call a second visitor.
    assert issued.status_code == 201, issued.text
    assert called.status_code == 200, called.text
    assert called.json()["number"] == "M-002"
    assert "broadcast publish failed" in output
    assert "broadcast reconnected" in output
