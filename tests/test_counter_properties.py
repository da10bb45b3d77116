"""Any sequence of counter actions over two counters of a hall, on a real SQLite
database: every ticket ends (once what is open is closed and the day is over) with
exactly one final outcome, and a ticket counts as served only when an operator said
so (finish, or close_current=served). Refused actions change nothing."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception.audit import AuditEntry
from reception.auth.principal import Principal
from reception.clock import FrozenClock
from reception.errors import DomainError
from reception.outcome import Outcome
from reception.queue import actions, checkin, counters, queries
from reception.queue.housekeeping import close_past_days
from reception.queue.models import Branch, Ticket, TicketStatus
from reception.stats.reports import summary
from tests.factories import World

ADMIN = Principal("user", 1, "admin", "admin", None, frozenset())
CHOICES = (None, "served", "no_show", "return")
FINAL = {TicketStatus.done, TicketStatus.no_show, TicketStatus.expired, TicketStatus.cancelled}
TERMINAL_MOVES = {"ticket.finish", "ticket.no_show", "ticket.expire", "ticket.cancel"}

KINDS = (
    ["issue"] * 7
    + ["call_next"] * 5
    + ["call_chosen", "start"] * 2
    + ["reopen"] * 4  # a counter closed or paused opens again soon
    + ["recall", "finish", "no_show", "return", "transfer", "close", "pause"]
)
STEP = st.tuples(
    st.sampled_from(KINDS),
    st.integers(0, 1),  # which counter
    st.sampled_from(CHOICES),  # close_current
    st.integers(0, 9),  # which waiting ticket, for call_chosen
    st.sampled_from(["letter", "enquiry"]),  # the service, to issue or transfer to
)


class Floor:
    """One example's run: every action in its own savepoint of one outer transaction
    (rolled back at the end), as an action is one transaction in the product."""

    def __init__(self, conn: Connection, counter_ids: list[int]) -> None:
        self.conn = conn
        self.counters = counter_ids
        self.clock = FrozenClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
        self.issued: list[int] = []
        self.finished_by_operator: set[int] = set()

    def run(self, action: Callable[[Session], Any]) -> bool:
        """True when the action was done, False when it was refused (and undone)."""
        self.clock.advance(minutes=1)
        with Session(
            bind=self.conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            try:
                outcome = action(session)
                session.commit()
            except DomainError:
                session.rollback()
                return False
        if isinstance(outcome, Outcome) and isinstance(outcome.value, checkin.IssuedTicket):
            self.issued.append(outcome.value.ticket.id or 0)
        return True

    def open_ticket(self, counter_id: int) -> Ticket | None:
        with Session(bind=self.conn, join_transaction_mode="create_savepoint") as session:
            return queries.current_ticket_at(session, counter_id)

    def waiting(self) -> list[int]:
        with Session(bind=self.conn, join_transaction_mode="create_savepoint") as session:
            return list(
                session.exec(
                    select(Ticket.id)
                    .where(Ticket.status == TicketStatus.waiting)
                    .order_by(col(Ticket.id))
                ).all()
            )

    def step(self, step: tuple[Any, ...]) -> None:
        kind = step[0]
        clock = self.clock
        if kind == "issue":
            self.run(
                lambda s: checkin.issue_ticket(
                    s,
                    clock,
                    ADMIN,
                    branch="riyadh",
                    hall="men",
                    service=step[4],
                    public_base_url="http://x",
                )
            )
            return
        counter = self.counters[step[1]]
        before = self.open_ticket(counter)
        if kind in ("call_next", "call_chosen", "close"):
            choice = step[2]
            if kind == "call_next":
                done = self.run(
                    lambda s: actions.call_next(s, clock, ADMIN, counter, close_current=choice)
                )
            elif kind == "call_chosen":
                waiting = self.waiting()
                chosen = waiting[step[3] % len(waiting)] if waiting else 999_999
                done = self.run(
                    lambda s: actions.call_ticket(
                        s, clock, ADMIN, counter, chosen, close_current=choice
                    )
                )
            else:
                done = self.run(
                    lambda s: counters.set_counter_status(
                        s, clock, ADMIN, counter, "close", close_current=choice
                    )
                )
            if before is not None and done:
                assert choice is not None, "a ticket open at the counter was closed unasked"
                if choice == "served":
                    self.finished_by_operator.add(before.id or 0)
        elif kind in ("recall", "start", "finish", "no_show", "return"):
            done = self.run(lambda s: actions.act_on_current(s, clock, ADMIN, counter, kind))
            if done and kind == "finish":
                assert before is not None
                self.finished_by_operator.add(before.id or 0)
        elif kind == "transfer":
            self.run(lambda s: actions.transfer_ticket(s, clock, ADMIN, counter, service=step[4]))
        elif kind == "reopen":
            for move in ("resume", "open"):
                self.run(lambda s, m=move: counters.set_counter_status(s, clock, ADMIN, counter, m))
        else:
            self.run(lambda s: counters.set_counter_status(s, clock, ADMIN, counter, kind))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    steps=st.lists(STEP, min_size=8, max_size=40),
    closing=st.tuples(st.sampled_from(CHOICES[1:]), st.sampled_from(CHOICES[1:])),
)
def test_every_ticket_ends_once_and_is_served_only_when_said(
    line_engine: tuple[Engine, World],
    steps: list[tuple[Any, ...]],
    closing: tuple[str, str],
) -> None:
    engine, world = line_engine
    counter_ids = world.counters["men"][:2]
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            floor = Floor(conn, counter_ids)
            for step in steps:
                floor.step(step)
            # The end of the day: each counter closes, saying how its visitor ended
            # (a visitor being served came: only "served" is possible then)…
            for index, counter in enumerate(counter_ids):
                open_before = floor.open_ticket(counter)
                for move in ("resume", "open"):
                    floor.run(
                        lambda s, c=counter, m=move: counters.set_counter_status(
                            s, floor.clock, ADMIN, c, m
                        )
                    )
                choice = closing[index]
                if open_before is not None and open_before.status == TicketStatus.serving:
                    choice = "served"
                closed = floor.run(
                    lambda s, c=counter, k=choice: counters.set_counter_status(
                        s, floor.clock, ADMIN, c, "close", close_current=k
                    )
                )
                if open_before is not None:
                    assert closed, "a counter with a visitor can be closed with a choice"
                    if choice == "served":
                        floor.finished_by_operator.add(open_before.id or 0)
            # …and the end-of-day pass expires whoever still waits.
            floor.clock.advance(days=1)
            floor.run(lambda s: close_past_days(s, floor.clock))
            check_endings(conn, floor)
        finally:
            outer.rollback()


def check_endings(conn: Connection, floor: Floor) -> None:
    with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
        tickets = {
            t.id: t for t in session.exec(select(Ticket).where(col(Ticket.id).in_(floor.issued)))
        }
        assert set(tickets) == set(floor.issued)
        endings = Tally(
            int(entry.entity_id)
            for entry in session.exec(
                select(AuditEntry).where(
                    AuditEntry.entity == "ticket",
                    col(AuditEntry.action).in_(TERMINAL_MOVES),
                )
            )
            if int(entry.entity_id) in tickets
        )
        for ticket_id, ticket in tickets.items():
            assert ticket.status in FINAL, (ticket.number, ticket.status)
            assert endings[ticket_id or 0] == 1, (ticket.number, endings[ticket_id or 0])
            assert (ticket.outcome is not None) == (ticket.status == TicketStatus.done)
            assert ticket.finished_at is not None
        done = {i for i, t in tickets.items() if t.status == TicketStatus.done}
        assert done == floor.finished_by_operator
        assert all(tickets[i].outcome == "served" for i in done)

        branch = session.exec(select(Branch).where(Branch.slug == "riyadh")).one()
        report = summary(session, date(2026, 11, 23), date(2026, 11, 23), [branch.id or 0])
        by_status = report["visitors"]["by_status"]
        assert by_status.get("done", 0) == len(done)
        assert report["no_shows"] == sum(t.status == "no_show" for t in tickets.values())
        served_at_counters = sum(c["served"] for c in report["throughput"]["by_counter"])
        assert served_at_counters == len(done)
