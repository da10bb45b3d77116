"""Group commit on SQLite: actions that queue for the writer are committed together,
each in a savepoint of its own. A failing action is undone alone; a failed commit fails
every action of the batch; nothing is answered before it is on disk."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from reception.audit import AuditEntry
from reception.auth.queries import principal_for_token
from reception.clock import Clock
from reception.db import make_engine, run_batch, session_scope
from reception.errors import Invalid
from reception.queue.checkin import issue_ticket
from reception.queue.models import Ticket, TicketSequence
from reception.runner import GroupCommit
from tests.factories import World, build_world
from tests.helpers import eventually


@pytest.fixture
def sqlite_world(sqlite_url: str) -> tuple[Any, World]:
    engine = make_engine(sqlite_url)
    world = build_world(engine)
    yield engine, world
    engine.dispose()


def _kiosk(engine: Any, world: World) -> Any:
    with session_scope(engine) as s:
        principal = principal_for_token(s, world.tokens["kiosk"])
    assert principal is not None
    return principal


def _issue(principal: Any) -> Any:
    def action(session: Session) -> str:
        outcome = issue_ticket(
            session,
            Clock(),
            principal,
            branch="riyadh",
            hall="men",
            service="letter",
            public_base_url="http://x",
        )
        return outcome.value.ticket.number

    return action


def _numbers(engine: Any) -> list[str]:
    with session_scope(engine) as s:
        return list(s.exec(select(Ticket.number).order_by(col(Ticket.id))))


def _counted(principal: Any, runs: list[str]) -> Any:
    """`_issue` that notes each time it runs."""

    def action(session: Session) -> str:
        runs.append("issue")
        number: str = _issue(principal)(session)
        return number

    return action


def _issue_then_fail(principal: Any) -> Any:
    def action(session: Session) -> None:
        _issue(principal)(session)  # takes a number and writes a ticket, then…
        raise Invalid("bad", "refused after writing")

    return action


def test_a_failing_action_is_undone_alone(sqlite_world: tuple[Any, World]) -> None:
    engine, world = sqlite_world
    principal = _kiosk(engine, world)

    results = run_batch(engine, [_issue(principal), _issue_then_fail(principal), _issue(principal)])

    assert [ok for ok, _ in results] == [True, False, True]
    assert isinstance(results[1][1], Invalid)
    first, third = results[0][1], results[2][1]
    # The failed action's number was given back with its savepoint: no gap.
    assert int(third.split("-")[1]) == int(first.split("-")[1]) + 1
    assert _numbers(engine)[-2:] == [first, third]
    with session_scope(engine) as s:
        issued = s.exec(select(AuditEntry).where(AuditEntry.action == "ticket.issue")).all()
    assert len(issued) == 2


def test_a_failing_action_is_undone_without_running_the_batch_again(
    sqlite_world: tuple[Any, World],
) -> None:
    """Each action sits between a plain SAVEPOINT and RELEASE: one that fails is rolled
    back to it, and the batch goes on (nothing runs twice)."""
    engine, world = sqlite_world
    principal = _kiosk(engine, world)
    runs: list[str] = []
    counted = _counted(principal, runs)

    results = run_batch(engine, [counted, _issue_then_fail(principal), counted])
    assert [ok for ok, _ in results] == [True, False, True]
    assert runs == ["issue", "issue"]
    first, third = results[0][1], results[2][1]
    assert int(third.split("-")[1]) == int(first.split("-")[1]) + 1  # no number lost


def test_check_ins_after_a_failed_one_still_get_their_place(
    sqlite_world: tuple[Any, World],
) -> None:
    """The first check-in of a batch reads the place and then fails: the place it read
    is forgotten with it, and the check-ins after it read their own."""
    engine, world = sqlite_world
    principal = _kiosk(engine, world)

    results = run_batch(engine, [_issue_then_fail(principal), _issue(principal), _issue(principal)])
    assert [ok for ok, _ in results] == [False, True, True]


def test_a_session_that_rolls_everything_back_makes_the_batch_run_again(
    sqlite_world: tuple[Any, World],
) -> None:
    """A failed ORM flush rolls back the session's whole transaction: the batch then
    runs again with a savepoint per action, and still only the failed action is lost."""
    from datetime import date

    engine, world = sqlite_world
    principal = _kiosk(engine, world)
    runs: list[str] = []
    counted = _counted(principal, runs)

    def broken_flush(session: Session) -> None:
        session.add(TicketSequence(hall_id=999999, prefix="Z", business_date=date(2026, 1, 1)))
        session.flush()  # the hall does not exist: the foreign key fails in the flush

    results = run_batch(engine, [counted, broken_flush, counted])
    assert [ok for ok, _ in results] == [True, False, True]
    assert runs == ["issue", "issue", "issue"]  # the first one ran again
    first, third = results[0][1], results[2][1]
    assert int(third.split("-")[1]) == int(first.split("-")[1]) + 1
    assert _numbers(engine)[-2:] == [first, third]


def test_a_failed_commit_fails_the_whole_batch(sqlite_world: tuple[Any, World]) -> None:
    engine, world = sqlite_world
    principal = _kiosk(engine, world)
    before = _numbers(engine)
    with session_scope(engine) as s:
        sequences_before = len(s.exec(select(TicketSequence)).all())

    def break_the_commit(session: Session) -> None:
        # Foreign keys checked at COMMIT, and a row that breaks one: the savepoint is
        # released, the commit of the whole batch fails.
        session.connection().exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        session.connection().execute(
            text(
                "INSERT INTO ticketsequence (hall_id, prefix, business_date, last_number) "
                "VALUES (999999, 'Z', '2026-01-01', 1)"
            )
        )

    with pytest.raises(Exception, match="FOREIGN KEY"):
        run_batch(engine, [_issue(principal), break_the_commit, _issue(principal)])

    assert _numbers(engine) == before  # the good actions were not committed either
    with session_scope(engine) as s:
        assert len(s.exec(select(TicketSequence)).all()) == sequences_before
    # The writer connection is usable again: the failed commit's transaction was ended.
    [(ok, number)] = run_batch(engine, [_issue(principal)])
    assert ok and _numbers(engine)[-1] == number


def test_requests_that_queue_are_committed_together(
    sqlite_world: tuple[Any, World], tmp_path: Path
) -> None:
    engine, world = sqlite_world
    principal = _kiosk(engine, world)
    group = GroupCommit(engine, anyio.CapacityLimiter(1))

    async def burst() -> list[Any]:
        return await asyncio.gather(
            *(group.run(_issue(principal)) for _ in range(30)),
            group.run(lambda s: (_ for _ in ()).throw(Invalid("bad", "no"))),
            return_exceptions=True,
        )

    results = asyncio.run(burst())

    numbers = results[:30]
    assert all(isinstance(n, str) for n in numbers)
    assert isinstance(results[30], Invalid)
    seqs = [int(n.split("-")[1]) for n in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 30))  # in the order they were sent
    assert sorted(_numbers(engine)[-30:]) == sorted(numbers)
    # All 31 were queued before the writer took its first batch (gather starts them
    # in turn, before the drainer the first one created): one commit for all of them.
    assert group.batches == 1


def test_check_ins_in_a_batch_share_the_hall_setting_until_something_else_changes(
    sqlite_world: tuple[Any, World],
) -> None:
    """The check-ins of a batch read the hall's setting once; any other action in
    between (here a counter closing) makes the next check-in read it again."""
    from reception.queue.models import Hall
    from reception.queue.waiting_line import setting_for_checkin

    engine, world = sqlite_world
    with session_scope(engine) as s:
        men = s.exec(select(Hall.id).where(Hall.slug == "men")).first()
    assert men is not None
    closing = world.counters["men"][0]

    def close_counter(session: Session) -> None:
        session.connection().execute(
            text("UPDATE counter SET status = 'closed' WHERE id = :id"), {"id": closing}
        )

    def setting(session: Session) -> Any:
        return setting_for_checkin(session, men)

    results = run_batch(
        engine, [setting, setting, close_counter, setting, _issue(_kiosk(engine, world))]
    )
    assert all(ok for ok, _ in results)
    first, second, _, third, _ = (value for _, value in results)
    assert second is first  # one read for both
    assert closing in first.counters
    assert third is not first and closing not in third.counters  # read again


def test_check_ins_in_a_batch_share_their_place_until_something_else_changes(
    sqlite_world: tuple[Any, World],
) -> None:
    """Branch, hall and service are read once per batch; a service switched off in
    between is seen by the next check-in, which is then refused."""
    from reception.queue.queries import place_for_checkin

    engine, _ = sqlite_world

    def switch_off(session: Session) -> None:
        session.connection().execute(
            text("UPDATE service SET active = false WHERE slug = 'letter'")
        )

    def place(session: Session) -> Any:
        return place_for_checkin(session, "riyadh", "men", "letter")

    results = run_batch(engine, [place, place, switch_off, place])
    assert all(ok for ok, _ in results)
    first, second, _, third = (value for _, value in results)
    assert first is not None and second is first
    assert third is None


def test_a_request_that_goes_away_is_not_run_or_its_committed_events_still_go_out(
    sqlite_world: tuple[Any, World],
) -> None:
    """Cancelled while queued: its action never runs. Cancelled while its batch is
    being committed: the action stands, and its result goes to `orphaned` (which
    publishes the events displays need)."""
    import threading

    engine, _ = sqlite_world
    ran: list[str] = []
    orphans: list[str] = []
    release = threading.Event()
    started = threading.Event()

    def job(tag: str, block: bool = False) -> Any:
        def action(session: Session) -> str:
            if block:
                started.set()
                assert release.wait(10)
            ran.append(tag)
            return tag

        return action

    async def orphaned(value: Any) -> None:
        orphans.append(value)

    async def scenario() -> None:
        writer = GroupCommit(engine, anyio.CapacityLimiter(1), orphaned)
        running = asyncio.create_task(writer.run(job("running", block=True)))
        # the first batch is in the writer thread now
        await eventually(started.is_set, "the first batch to start")
        queued = asyncio.create_task(writer.run(job("queued")))
        after = asyncio.create_task(writer.run(job("after")))
        await eventually(lambda: len(writer.pending) == 2, "two requests to queue")
        queued.cancel()  # waiting for the writer: must not run
        running.cancel()  # being committed: stands
        await eventually(lambda: queued.done() and running.done(), "the cancellations")
        release.set()
        assert await after == "after"
        for task in (queued, running):
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    assert ran == ["running", "after"]
    assert orphans == ["running"]
