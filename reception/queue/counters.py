"""Writers for a counter's own state: pause, resume, close, open."""

from __future__ import annotations

from sqlmodel import Session

from reception import audit
from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_, Conflict, Invalid
from reception.events import Event
from reception.events.messages import HallEvent
from reception.outcome import Outcome
from reception.queue import actions
from reception.queue.hall_events import hall_event
from reception.queue.models import Counter, CounterStatus
from reception.queue.rules import check_close_choice, check_counter_transition

MOVES = {
    "pause": CounterStatus.paused,
    "resume": CounterStatus.open,
    "close": CounterStatus.closed,
    "open": CounterStatus.open,
}


def set_counter_status(
    session: Session,
    clock: Clock,
    principal: Principal,
    counter_id: int,
    move: str,
    close_current: str | None = None,
    public_base_url: str = "",
) -> Outcome[Counter]:
    """Pause, resume, close or open a counter. Closing it with a ticket still open
    closes that ticket first as the operator says (`close_current`: served, no_show,
    return); without a word it is refused (`current_open`). Pausing keeps the ticket."""
    if move not in MOVES:
        raise Invalid("unknown_action", N_("Unknown action."))
    check_close_choice(close_current)
    counter, hall = actions.counter_for_operator(session, principal, counter_id)
    name = check_counter_transition(counter.status, MOVES[move])
    if name != move:
        raise Conflict(
            "illegal_counter_transition",
            N_("This is not possible for a counter that is {current}."),
            current=counter.status,
        )
    events: list[Event] = []
    current = None
    if MOVES[move] == CounterStatus.closed:
        current = actions.open_ticket_to_close(session, counter, close_current)
    if current is not None and close_current is not None:
        summary, kind = actions.close_ticket(
            session, clock, principal, counter, current, close_current, public_base_url
        )
        events.append(hall_event(session, hall, kind, ticket=summary))
    counter.status = MOVES[move]
    session.add(counter)
    audit.record(session, principal.actor, f"counter.{move}", "counter", counter.id)
    session.flush()
    event = hall_event(
        session,
        hall,
        HallEvent.COUNTER_STATUS,
        counter={"number": counter.number, "status": counter.status},
    )
    return Outcome(counter, [*events, event])
