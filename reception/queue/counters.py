"""Writers for a counter's own state: pause, resume, close, open."""

from __future__ import annotations

from sqlmodel import Session

from reception import audit
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Invalid
from reception.queue import actions, queries
from reception.queue.actions import Outcome
from reception.queue.models import Counter, CounterStatus
from reception.queue.rules import check_counter_transition

MOVES = {
    "pause": CounterStatus.paused,
    "resume": CounterStatus.open,
    "close": CounterStatus.closed,
    "open": CounterStatus.open,
}


def set_counter_status(
    session: Session, clock: Clock, principal: Principal, counter_id: int, move: str
) -> Outcome[Counter]:
    if move not in MOVES:
        raise Invalid("unknown_action", N_("Unknown action."))
    counter, hall = actions.counter_for_operator(session, principal, counter_id)
    name = check_counter_transition(counter.status, MOVES[move])
    if name != move:
        raise Conflict(
            "illegal_counter_transition",
            N_("This is not possible for a counter that is {current}."),
            current=counter.status,
        )
    if MOVES[move] == CounterStatus.closed and queries.current_ticket_at(session, counter_id):
        raise Conflict("counter_busy", N_("Finish or return the current visitor first."))
    counter.status = MOVES[move]
    session.add(counter)
    audit.record(session, principal.actor, f"counter.{move}", "counter", counter.id)
    session.flush()
    event = actions.hall_event(
        session,
        hall,
        "counter.status",
        counter={"number": counter.number, "status": counter.status},
    )
    return Outcome(counter, [event])
