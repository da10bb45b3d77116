"""Operators pressing "call next" at the same moment never get the same ticket, and
kiosks pressed at the same moment never print the same number: on a SQLite file and
on PostgreSQL, with threads, with separate processes and through the HTTP API.

Every ticket in these tests is issued moments before it is called, so no ticket ever
waits past the branch's maximum wait and the calling order is the plain one: the
highest priority weight first, then the earliest arrival (the lowest ticket id)."""

from __future__ import annotations

import heapq
import multiprocessing
import queue
import random
import threading
import time
import traceback
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx2
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.audit import AuditEntry
from reception.auth.models import StaffUser, UserHall
from reception.auth.principal import Principal
from reception.auth.queries import principal_for_token
from reception.clock import Clock
from reception.db import is_sqlite, make_engine, session_scope
from reception.queue import queries
from reception.queue.actions import call_next
from reception.queue.checkin import issue_ticket
from reception.queue.models import Ticket, TicketSequence, TicketStatus
from reception.queue.setup import add_counter
from tests.factories import World
from tests.servers import reception_server

pytestmark = [pytest.mark.timeout(420), pytest.mark.stress]

T = TypeVar("T")

CLOCK = Clock()
BASE_URL = "http://testserver"
SERVICES = ("letter", "enquiry", "complaint")
SERVICE_WEIGHTS = (5, 3, 2)
ELDERLY_SHARE = 0.15
# What the counters added beyond the factories' four serve.
MIXES: tuple[tuple[str, ...], ...] = (
    ("letter", "enquiry"),
    ("letter", "enquiry", "complaint"),
    ("letter",),
    ("enquiry",),
    ("complaint",),
    ("enquiry", "complaint"),
)
# A phase that runs longer than this fails (on a quiet two-core machine the longest,
# 2,000 tickets issued and called, takes about a minute).
PHASE_LIMIT_SECONDS = 240.0
IDLE_WAIT_SECONDS = 1.0
# An operator's moment between two presses. Without it a thread that has just
# committed takes the pooled connection straight back and the others starve.
THINK_SECONDS = 0.004


# --- the floor: counters, operators, a kiosk ------------------------------------------


@dataclass(frozen=True)
class Operator:
    index: int
    user_id: int
    branch_id: int
    hall_id: int
    counter_id: int
    services: frozenset[int]

    def principal(self) -> Principal:
        return Principal(
            "user",
            self.user_id,
            f"operator {self.index}",
            "operator",
            self.branch_id,
            frozenset({self.hall_id}),
        )


@dataclass(frozen=True)
class Floor:
    branch_id: int
    hall_id: int
    kiosk: Principal
    counters: list[tuple[int, frozenset[int]]]
    numbers: dict[int, int]
    user_ids: list[int]

    def operators(self, count: int) -> list[Operator]:
        """`count` operators; with fewer counters than operators they share counters."""
        out = []
        for index in range(count):
            counter_id, services = self.counters[index % len(self.counters)]
            out.append(
                Operator(
                    index=index,
                    user_id=self.user_ids[index],
                    branch_id=self.branch_id,
                    hall_id=self.hall_id,
                    counter_id=counter_id,
                    services=services,
                )
            )
        return out


def prepare_floor(engine: Engine, world: World, counters: int, operators: int) -> Floor:
    """The men's hall with `counters` counters (the factories' four plus new ones with
    mixed services) and `operators` operator accounts working in that hall."""
    with session_scope(engine) as s:
        branch = queries.branch_by_slug(s, world.branch)
        hall = queries.hall_by_slug(s, branch, "men")
        assert branch.id is not None and hall.id is not None
        assert branch.max_wait_minutes is None or branch.max_wait_minutes >= 30, (
            "the order checked here assumes no ticket waits past the maximum"
        )
        counter_ids = list(world.counters["men"])
        for number in range(len(counter_ids) + 1, counters + 1):
            mix = MIXES[(number - 1) % len(MIXES)]
            added = add_counter(
                s, branch=world.branch, hall="men", number=number, services=list(mix)
            )
            assert added.id is not None
            counter_ids.append(added.id)
        served = [(cid, frozenset(queries.services_of_counter(s, cid))) for cid in counter_ids]
        numbers = {cid: queries.counter_by_id(s, cid).number for cid in counter_ids}
        user_ids = []
        for index in range(operators):
            user = StaffUser(
                username=f"concurrency-operator-{index}",
                full_name=f"Operator {index}",
                password_hash="!",
                role="operator",
                branch_id=branch.id,
            )
            s.add(user)
            s.flush()
            assert user.id is not None
            s.add(UserHall(user_id=user.id, hall_id=hall.id))
            user_ids.append(user.id)
        kiosk = principal_for_token(s, world.tokens["kiosk"])
        assert kiosk is not None
    return Floor(branch.id, hall.id, kiosk, served, numbers, user_ids)


# --- issuing and calling, with what each step saw ---------------------------------------


@dataclass(frozen=True)
class Issue:
    ticket_id: int
    number: str
    seq: int
    service_id: int
    weight: int
    hall_seq: int
    kiosk: int
    started: int
    ended: int


@dataclass(frozen=True)
class Call:
    ticket_id: int
    number: str
    operator: int
    counter_id: int
    hall_seq: int
    started: int
    ended: int


def ticket_plan(count: int, seed: int) -> list[tuple[str, str | None]]:
    rng = random.Random(seed)
    return [
        (
            rng.choices(SERVICES, weights=SERVICE_WEIGHTS)[0],
            "elderly" if rng.random() < ELDERLY_SHARE else None,
        )
        for _ in range(count)
    ]


def _issue_one(
    session: Session, kiosk: Principal, service: str, priority: str | None
) -> tuple[Ticket, int]:
    outcome = issue_ticket(
        session,
        CLOCK,
        kiosk,
        branch="riyadh",
        hall="men",
        service=service,
        priority=priority,
        public_base_url=BASE_URL,
    )
    (event,) = outcome.events
    return outcome.value.ticket, int(event.payload["seq"])


def issue_in_batches(
    engine: Engine, kiosk: Principal, plan: list[tuple[str, str | None]], batch: int = 250
) -> list[Issue]:
    """Issue the plan through the real action, `batch` tickets per transaction."""
    issues: list[Issue] = []
    for first in range(0, len(plan), batch):
        started = time.monotonic_ns()
        rows = []
        with session_scope(engine) as s:
            for service, priority in plan[first : first + batch]:
                rows.append(_issue_one(s, kiosk, service, priority))
        ended = time.monotonic_ns()
        issues += [_issue_record(t, hall_seq, -1, started, ended) for t, hall_seq in rows]
    return issues


def _issue_record(ticket: Ticket, hall_seq: int, kiosk: int, started: int, ended: int) -> Issue:
    assert ticket.id is not None
    return Issue(
        ticket_id=ticket.id,
        number=ticket.number,
        seq=ticket.seq,
        service_id=ticket.service_id,
        weight=ticket.priority_weight,
        hall_seq=hall_seq,
        kiosk=kiosk,
        started=started,
        ended=ended,
    )


class Arrivals:
    """Kiosks still issuing while operators call. An operator who found nobody waits
    for the next ticket (or a short while) instead of pressing again at once, as one
    watching the hall display would."""

    def __init__(self, kiosks: int) -> None:
        self._changed = threading.Condition()
        self._issued = 0
        self._kiosks = kiosks

    def mark(self) -> tuple[int, bool]:
        """Tickets issued so far, and whether every kiosk has finished."""
        with self._changed:
            return self._issued, self._kiosks == 0

    def issued(self) -> None:
        with self._changed:
            self._issued += 1
            self._changed.notify()

    def kiosk_finished(self) -> None:
        with self._changed:
            self._kiosks -= 1
            self._changed.notify_all()

    def wait_for_more(self, seen: int) -> None:
        with self._changed:
            self._changed.wait_for(
                lambda: self._issued > seen or self._kiosks == 0, timeout=IDLE_WAIT_SECONDS
            )


def kiosk_loop(
    engine: Engine,
    kiosk: Principal,
    index: int,
    plan: list[tuple[str, str | None]],
    deadline: float,
    arrivals: Arrivals | None = None,
) -> list[Issue]:
    """One kiosk: one ticket per transaction, as fast as it can."""
    issues = []
    try:
        for service, priority in plan:
            if time.monotonic() > deadline:
                raise TimeoutError(f"kiosk {index} still issuing at the time limit")
            started = time.monotonic_ns()
            with session_scope(engine) as s:
                ticket, hall_seq = _issue_one(s, kiosk, service, priority)
            ended = time.monotonic_ns()
            issues.append(_issue_record(ticket, hall_seq, index, started, ended))
            if arrivals is not None:
                arrivals.issued()
    finally:
        if arrivals is not None:
            arrivals.kiosk_finished()
    return issues


@dataclass
class Shift:
    """What operators did: the tickets they got, and every press of the button (from
    pressing to the commit) including those that found nothing."""

    calls: list[Call] = field(default_factory=list)
    presses: list[tuple[int, int]] = field(default_factory=list)

    def add(self, other: Shift) -> Shift:
        self.calls += other.calls
        self.presses += other.presses
        return self


def operator_loop(
    engine: Engine, operator: Operator, arrivals: Arrivals | None, deadline: float
) -> Shift:
    """Press "call next" until nothing is waiting and no kiosk can issue more."""
    principal = operator.principal()
    rng = random.Random(operator.index)
    shift = Shift()
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"operator {operator.index} still calling at the time limit")
        seen, over = arrivals.mark() if arrivals is not None else (0, True)
        started = time.monotonic_ns()
        with session_scope(engine) as s:
            outcome = call_next(s, CLOCK, principal, operator.counter_id, close_current="served")
        ended = time.monotonic_ns()
        shift.presses.append((started, ended))
        if outcome.value is None:
            if over:
                return shift
            assert arrivals is not None
            arrivals.wait_for_more(seen)
            continue
        time.sleep(rng.uniform(0, THINK_SECONDS))
        seqs = [e.payload["seq"] for e in outcome.events if e.payload["type"] == "ticket.called"]
        assert len(seqs) == 1, outcome.events
        shift.calls.append(
            Call(
                ticket_id=int(outcome.value["id"]),
                number=str(outcome.value["number"]),
                operator=operator.index,
                counter_id=operator.counter_id,
                hall_seq=int(seqs[0]),
                started=started,
                ended=ended,
            )
        )


def run_threads(jobs: list[Callable[[], T]], deadline: float) -> list[T]:
    """Start the jobs together, one thread each; fail with every thread's traceback if
    any raised, or name the threads still running at the deadline."""
    results: list[Any] = [None] * len(jobs)
    failures: list[str] = []
    barrier = threading.Barrier(len(jobs))

    def body(index: int, job: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=60)
            results[index] = job()
        except BaseException:
            failures.append(f"--- thread {index} ---\n{traceback.format_exc()}")

    threads = [
        threading.Thread(target=body, args=(i, job), name=f"job-{i}", daemon=True)
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + 5)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} threads still running after the time limit: {stuck}"
    if failures:
        raise AssertionError(describe_failures(failures, len(jobs)))
    return results


def describe_failures(failures: list[str], total: int) -> str:
    locked = sum("database is locked" in f for f in failures)
    head = f"{len(failures)} of {total} workers failed"
    if locked:
        head += f" ({locked} with 'database is locked')"
    return head + ":\n" + "\n".join(failures[:5])


# --- separate processes ---------------------------------------------------------------


def operator_process(
    url: str,
    operators: list[Operator],
    deadline: float,
    go: Any,
    results: Any,
) -> None:
    """A process of its own (its own engine and SQLite connection) running operators."""
    try:
        engine = make_engine(url)
        try:
            with session_scope(engine) as s:
                queries.counter_by_id(s, operators[0].counter_id)
            results.put(("ready", None))
            if not go.wait(timeout=60):
                raise TimeoutError("no start signal")
            jobs = [(lambda op=op: operator_loop(engine, op, None, deadline)) for op in operators]
            shift = Shift()
            for done in run_threads(jobs, deadline):
                shift.add(done)
        finally:
            engine.dispose()
        results.put(("done", shift))
    except BaseException:
        results.put(("error", traceback.format_exc()))


def run_operator_processes(url: str, groups: list[list[Operator]], deadline: float) -> Shift:
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    results = context.Queue()
    processes = [
        context.Process(
            target=operator_process, args=(url, group, deadline, go, results), daemon=True
        )
        for group in groups
    ]
    shift = Shift()
    failures: list[str] = []
    try:
        for process in processes:
            process.start()
        ready = 0
        finished = 0
        while finished < len(processes):
            try:
                kind, value = results.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"{len(processes) - finished} operator processes still running "
                    "after the time limit"
                ) from None
            if kind == "ready":
                ready += 1
                if ready == len(processes):
                    go.set()
            elif kind == "done":
                shift.add(value)
                finished += 1
            else:
                failures.append(value)
                finished += 1
                go.set()
        for process in processes:
            process.join(timeout=30)
            assert process.exitcode == 0, f"operator process exit code {process.exitcode}"
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
            process.close()
        results.close()
        results.join_thread()
    if failures:
        raise AssertionError(describe_failures(failures, len(processes)))
    return shift


# --- what must hold afterwards ----------------------------------------------------------


def better(a: Issue, b: Issue) -> bool:
    """`a` is called before `b` when both wait for the same counter."""
    return (a.weight, -a.ticket_id) > (b.weight, -b.ticket_id)


def check_exactly_once(
    engine: Engine, floor: Floor, operators: list[Operator], issues: list[Issue], calls: list[Call]
) -> None:
    issued_ids = [i.ticket_id for i in issues]
    assert len(set(issued_ids)) == len(issued_ids)
    twice = {tid: n for tid, n in Tally(c.ticket_id for c in calls).items() if n > 1}
    assert not twice, f"tickets handed to more than one operator: {twice}"
    assert {c.ticket_id for c in calls} == set(issued_ids), (
        f"never called: {sorted(set(issued_ids) - {c.ticket_id for c in calls})[:20]}"
    )
    assert len({c.hall_seq for c in calls} | {i.hall_seq for i in issues}) == len(calls) + len(
        issues
    ), "two queue changes got the same display sequence number"

    by_operator = {op.index: op for op in operators}
    with session_scope(engine) as s:
        tickets = {
            t.id: t for t in s.exec(select(Ticket).where(Ticket.hall_id == floor.hall_id)).all()
        }
        audit = s.exec(
            select(AuditEntry.action, AuditEntry.entity_id).where(
                col(AuditEntry.action).in_(["ticket.call", "ticket.finish"])
            )
        ).all()
    assert set(tickets) == set(issued_ids)
    left = Tally(t.status for t in tickets.values())
    assert left == {TicketStatus.done: len(issued_ids)}, (
        f"after every operator found nothing to call, the tickets are {dict(left)}"
    )
    for call in calls:
        ticket = tickets[call.ticket_id]
        assert ticket.number == call.number
        assert ticket.counter_id == call.counter_id, (call, ticket.counter_id)
        assert ticket.called_by_id == by_operator[call.operator].user_id, (call, ticket)
        assert ticket.service_id in by_operator[call.operator].services, call
    calls_logged = Tally(int(e) for a, e in audit if a == "ticket.call")
    finishes_logged = Tally(int(e) for a, e in audit if a == "ticket.finish")
    assert calls_logged == Tally(issued_ids), "the audit trail shows a ticket called twice"
    assert finishes_logged == Tally(issued_ids), "the audit trail shows a ticket finished twice"


def check_order(operators: list[Operator], issues: list[Issue], calls: list[Call]) -> None:
    """No counter passed over a better ticket it could have had.

    Call c (ticket t, by an operator whose counter serves services S) is wrong if some
    ticket u of a service in S is better than t, was issued (committed) before c
    started, and was claimed by a call that started only after c had committed: then
    u sat in the queue, waiting and unclaimed, all the time c was looking. With
    SKIP LOCKED a better ticket may be passed over only while another operator's
    transaction holds it, and that transaction started before c ended."""
    services = {op.index: op.services for op in operators}
    issue_of = {i.ticket_id: i for i in issues}
    call_of = {c.ticket_id: c for c in calls}
    ranked: dict[int, list[Issue]] = defaultdict(list)
    for issue in issues:
        ranked[issue.service_id].append(issue)
    for entries in ranked.values():
        entries.sort(key=lambda i: (-i.weight, i.ticket_id))

    problems = []
    for c in calls:
        t = issue_of[c.ticket_id]
        for service_id in services[c.operator]:
            for u in ranked[service_id]:
                if not better(u, t):
                    break
                if u.ended < c.started and call_of[u.ticket_id].started > c.ended:
                    problems.append(
                        f"operator {c.operator} (counter {c.counter_id}) called {t.number} "
                        f"(weight {t.weight}) while {u.number} (weight {u.weight}) was waiting "
                        "unclaimed"
                    )
    assert not problems, f"{len(problems)} calls out of order:\n" + "\n".join(problems[:20])

    per_operator: dict[int, list[Call]] = defaultdict(list)
    for c in calls:
        per_operator[c.operator].append(c)
    for op_calls in per_operator.values():
        op_calls.sort(key=lambda c: c.started)
        for earlier, later in zip(op_calls, op_calls[1:], strict=False):
            first, second = issue_of[earlier.ticket_id], issue_of[later.ticket_id]
            assert not (better(second, first) and second.ended < earlier.started), (
                f"operator {earlier.operator} got {first.number} and then {second.number}, "
                "which was waiting before and is better"
            )


def check_serial_order(operators: list[Operator], issues: list[Issue], calls: list[Call]) -> None:
    """SQLite runs one writer at a time, so the display sequence numbers order every
    issue and call. Replaying that history, each call must take exactly the best
    ticket waiting for its counter's services at that point."""
    services = {op.index: op.services for op in operators}
    history: list[tuple[int, Issue | Call]] = [(i.hall_seq, i) for i in issues]
    history += [(c.hall_seq, c) for c in calls]
    history.sort(key=lambda item: item[0])
    issue_of = {i.ticket_id: i for i in issues}
    waiting: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for _, step in history:
        if isinstance(step, Issue):
            heapq.heappush(waiting[step.service_id], (-step.weight, step.ticket_id))
            continue
        heads = [waiting[s][0] for s in services[step.operator] if waiting[s]]
        expected = issue_of[min(heads)[1]] if heads else None
        assert expected is not None and expected.ticket_id == step.ticket_id, (
            f"seq {step.hall_seq}: operator {step.operator} got {step.number}, "
            f"the policy gives {expected.number if expected else 'nothing'}"
        )
        heapq.heappop(waiting[expected.service_id])


def peak_in_flight(shift: Shift) -> int:
    """The most presses under way at one moment: the operators really pressed at the
    same time."""
    edges = sorted([(a, 1) for a, _ in shift.presses] + [(b, -1) for _, b in shift.presses])
    peak = current = 0
    for _, step in edges:
        current += step
        peak = max(peak, current)
    return peak


def check_all(
    engine: Engine, floor: Floor, operators: list[Operator], issues: list[Issue], calls: list[Call]
) -> None:
    check_exactly_once(engine, floor, operators, issues, calls)
    check_order(operators, issues, calls)
    if is_sqlite(engine):
        check_serial_order(operators, issues, calls)


# --- the tests ----------------------------------------------------------------------------

OPERATORS = 24
PRE_ISSUED = 400
KIOSKS_WHILE_CALLING = 4
TICKETS_PER_KIOSK = 400


def test_operators_in_threads_call_each_ticket_exactly_once_in_order(
    engine: Engine, world: World
) -> None:
    """24 operators, each at a counter of their own, call 2,000 tickets (400 waiting
    at the start, 1,600 issued by four kiosks meanwhile): every ticket is called
    once, by one operator, in order."""
    floor = prepare_floor(engine, world, counters=OPERATORS, operators=OPERATORS)
    operators = floor.operators(OPERATORS)
    assert len({op.counter_id for op in operators}) == OPERATORS
    issues = issue_in_batches(engine, floor.kiosk, ticket_plan(PRE_ISSUED, seed=1))

    deadline = time.monotonic() + PHASE_LIMIT_SECONDS
    arrivals = Arrivals(KIOSKS_WHILE_CALLING)
    jobs: list[Callable[[], Any]] = [
        (
            lambda i=i: kiosk_loop(
                engine,
                floor.kiosk,
                i,
                ticket_plan(TICKETS_PER_KIOSK, seed=100 + i),
                deadline,
                arrivals,
            )
        )
        for i in range(KIOSKS_WHILE_CALLING)
    ]
    jobs += [(lambda op=op: operator_loop(engine, op, arrivals, deadline)) for op in operators]
    outputs = run_threads(jobs, deadline)
    for produced in outputs[:KIOSKS_WHILE_CALLING]:
        issues += produced
    shift = Shift()
    for produced in outputs[KIOSKS_WHILE_CALLING:]:
        shift.add(produced)

    assert len(issues) >= 2000
    assert sum(i.weight > 0 for i in issues) > 100
    assert peak_in_flight(shift) >= OPERATORS // 2, "the operators hardly overlapped"
    check_all(engine, floor, operators, issues, shift.calls)


PROCESSES = 4
PROCESS_TICKETS = 600
SHARED_COUNTERS = 12


def test_operators_in_processes_sharing_counters_call_each_ticket_exactly_once(
    engine: Engine, world: World, database_url: str
) -> None:
    """Four processes (each with its own engine, so on SQLite four connections that
    contend for the write lock) run six operators each; every counter is shared by
    two operators in two different processes, so a call also finishes the ticket the
    other operator called there."""
    floor = prepare_floor(engine, world, counters=SHARED_COUNTERS, operators=OPERATORS)
    operators = floor.operators(OPERATORS)
    issues = issue_in_batches(engine, floor.kiosk, ticket_plan(PROCESS_TICKETS, seed=2))

    per_process = OPERATORS // PROCESSES
    groups = [operators[p * per_process : (p + 1) * per_process] for p in range(PROCESSES)]
    for counter_id, _ in floor.counters:
        holders = {
            p for p, group in enumerate(groups) for op in group if op.counter_id == counter_id
        }
        assert len(holders) == 2, (counter_id, holders)

    shift = run_operator_processes(database_url, groups, time.monotonic() + PHASE_LIMIT_SECONDS)
    assert peak_in_flight(shift) >= OPERATORS // 2, "the operators hardly overlapped"
    check_all(engine, floor, operators, issues, shift.calls)


NUMBERING_KIOSKS = 24
NUMBERS_PER_KIOSK = 42


def test_concurrent_kiosks_never_print_the_same_number(engine: Engine, world: World) -> None:
    """24 kiosks issue 1,008 letter tickets in the men's hall at once: the numbers are
    M-001 … M-1008 without a gap or a repeat, each kiosk's own numbers rise, and
    the number order is the arrival order the queue uses."""
    floor = prepare_floor(engine, world, counters=4, operators=0)
    deadline = time.monotonic() + PHASE_LIMIT_SECONDS
    plan: list[tuple[str, str | None]] = [("letter", None)] * NUMBERS_PER_KIOSK
    jobs = [
        (lambda i=i: kiosk_loop(engine, floor.kiosk, i, plan, deadline))
        for i in range(NUMBERING_KIOSKS)
    ]
    per_kiosk = run_threads(jobs, deadline)
    issues = [i for produced in per_kiosk for i in produced]
    total = NUMBERING_KIOSKS * NUMBERS_PER_KIOSK

    numbers = [i.number for i in issues]
    repeated = {n: k for n, k in Tally(numbers).items() if k > 1}
    assert not repeated, f"numbers printed twice: {repeated}"
    assert sorted(i.seq for i in issues) == list(range(1, total + 1))
    for issue in issues:
        assert issue.number == f"M-{issue.seq:03d}"
    for produced in per_kiosk:
        seqs = [i.seq for i in produced]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    by_number = sorted(issues, key=lambda i: i.seq)
    ids = [i.ticket_id for i in by_number]
    assert ids == sorted(ids), "a later number was queued ahead of an earlier one"

    with session_scope(engine) as s:
        sequences = s.exec(
            select(TicketSequence).where(TicketSequence.hall_id == floor.hall_id)
        ).all()
        stored = s.exec(select(Ticket.number).where(Ticket.hall_id == floor.hall_id)).all()
    assert [(q.prefix, q.last_number) for q in sequences] == [("M", total)]
    assert sorted(stored) == sorted(numbers)


HTTP_TICKETS = 300
HTTP_CLIENTS = 24


def test_call_next_over_http_never_returns_a_number_twice(
    engine: Engine, world: World, database_url: str, tmp_path: Path
) -> None:
    """The real server, 24 clients pressing call-next at once on their own counters
    until the API answers 204: each of 300 tickets is returned exactly once."""
    floor = prepare_floor(engine, world, counters=HTTP_CLIENTS, operators=0)
    issues = issue_in_batches(engine, floor.kiosk, ticket_plan(HTTP_TICKETS, seed=3))
    token = world.tokens["operator-men"]
    env = {
        "DATABASE_URL": database_url,
        "BROADCAST_URL": "memory://",
        "SECRET_KEY": "concurrency-test-secret-key-0123456789abcdef",
        "SMS_BACKEND": "console",
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_LEVEL": "WARNING",
    }

    def press_until_empty(base: str, counter_id: int, deadline: float) -> list[dict[str, Any]]:
        got = []
        headers = {"Authorization": f"Bearer {token}"}
        served = {"close_current": "served"}  # each visitor is served before the next
        with httpx2.Client(base_url=base, timeout=60) as http:
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"counter {counter_id} still calling at the time limit")
                response = http.post(
                    f"/api/v1/counters/{counter_id}/call-next", json=served, headers=headers
                )
                if response.status_code == 204:
                    return got
                assert response.status_code == 200, (response.status_code, response.text)
                got.append(response.json())

    with reception_server(env, tmp_path / "server.log") as server:
        deadline = time.monotonic() + PHASE_LIMIT_SECONDS
        jobs = [
            (lambda cid=cid: press_until_empty(server.base, cid, deadline))
            for cid, _ in floor.counters
        ]
        try:
            per_client = run_threads(jobs, deadline)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nserver log:\n{server.output()[-4000:]}") from None
        log = server.output()

    assert "database is locked" not in log, log[-4000:]
    returned = [r["number"] for got in per_client for r in got]
    repeated = {n: k for n, k in Tally(returned).items() if k > 1}
    assert not repeated, f"numbers returned to two clients: {repeated}"
    assert set(returned) == {i.number for i in issues}
    for (counter_id, _), got in zip(floor.counters, per_client, strict=True):
        assert all(r["counter"] == floor.numbers[counter_id] for r in got), got[:3]
    with session_scope(engine) as s:
        statuses = Tally(s.exec(select(Ticket.status).where(Ticket.hall_id == floor.hall_id)).all())
    assert statuses == {TicketStatus.done: HTTP_TICKETS}, dict(statuses)
