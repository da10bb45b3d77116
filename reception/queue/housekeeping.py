"""Housekeeping, once a minute: appointment reminders and no-shows, and at the end
of the day tickets left open when a branch's day is over are closed with the
status `expired` (visible in statistics and on the tracking page), so nothing from
yesterday is called today and nothing disappears silently."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reception import audit
from reception.clock import Clock
from reception.edge.guard import unit_branches
from reception.events.base import Event, HubBroadcaster
from reception.events.messages import HallEvent
from reception.outcome import Outcome
from reception.queue.hall_events import hall_event
from reception.queue.models import Branch, Hall, Ticket, TicketStatus
from reception.queue.rules import check_ticket_transition
from reception.runner import ActionRunner

log = logging.getLogger("reception.queue")
OPEN_STATUSES = (
    TicketStatus.remote,
    TicketStatus.waiting,
    TicketStatus.called,
    TicketStatus.serving,
    TicketStatus.transferred,
)


_ONE_AT_A_TIME = text("SELECT pg_try_advisory_xact_lock(7214305)")
"""Every worker runs the housekeeping: one at a time closes the past days. Two at once
would expire different tickets of the same halls and could lock the same waiting
counts (`waitingcount`) in opposite orders."""


def close_past_days(session: Session, clock: Clock, actor: str = "system") -> Outcome[int]:
    """Expire every open ticket of a business day that is over in its branch's time."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres and not session.execute(_ONE_AT_A_TIME).scalar_one():
        return Outcome(0, [])  # another worker is doing it right now
    closed = 0
    halls_touched: set[int] = set()
    owned_by_units = unit_branches(session)  # the unit closes its own days
    for branch in session.exec(select(Branch)):
        if branch.id in owned_by_units:
            continue
        today = clock.local_date(branch.timezone)
        stmt = select(Ticket).where(
            Ticket.branch_id == branch.id,
            Ticket.business_date < today,
            col(Ticket.status).in_(OPEN_STATUSES),
        )
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        for ticket in session.exec(stmt):
            check_ticket_transition(ticket.status, TicketStatus.expired)
            previous = ticket.status
            ticket.status = TicketStatus.expired
            ticket.finished_at = clock.now()
            session.add(ticket)
            audit.record(
                session,
                actor,
                "ticket.expire",
                "ticket",
                ticket.id,
                number=ticket.number,
                was=previous,
            )
            closed += 1
            halls_touched.add(ticket.hall_id)
    events: list[Event] = []
    session.flush()
    for hall_id in sorted(halls_touched):
        hall = session.get(Hall, hall_id)
        assert hall is not None
        events.append(hall_event(session, hall, HallEvent.DAY_CLOSED))
    return Outcome(closed, events)


async def run_housekeeping(
    engine: Engine,
    clock: Clock,
    broadcaster: HubBroadcaster,
    interval: float,
    stop: asyncio.Event,
    public_base_url: str = "",
    strike_max_age: int = 24 * 3600,
) -> None:
    from reception.appointments.reminders import mark_no_shows, send_due_reminders
    from reception.auth.throttle import forget_old_strikes
    from reception.letters.sla import announce_sla_breaches
    from reception.remote.joining import forget_old_joins
    from reception.stats.rollup import roll_up_closed_days

    runner = ActionRunner(engine, clock, broadcaster)

    def appointments(session: Session) -> tuple[int, int]:
        return send_due_reminders(session, clock, public_base_url), mark_no_shows(session, clock)

    while not stop.is_set():
        try:
            closed = await runner.run(lambda s: close_past_days(s, clock))
            if closed:
                log.info("closed %s tickets of past days", closed)
            await runner.write(lambda s: roll_up_closed_days(s, clock))
            reminded, missed = await runner.write(appointments)
            if reminded or missed:
                log.info("appointments: %s reminders, %s no-shows", reminded, missed)
            await runner.write(lambda s: forget_old_strikes(s, clock.now(), strike_max_age))
            await runner.write(lambda s: forget_old_joins(s, clock.now()))
            await runner.run(lambda s: announce_sla_breaches(s, clock))
        except Exception:
            log.exception("end-of-day pass failed; trying again")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
