"""A seeded day at a reception centre, played through the JSON API: visitors arrive in
both halls of the main branch and of a mobile unit, take tickets (with or without a
mobile number, a residency, a priority the kiosk offers), keep or miss appointments;
operators call, recall, serve, finish, mark no-shows, send visitors back to the queue
or on to another service, register letters; triage classifies and routes them,
departments work on them; calls are logged with a topic; visitors rate their visit.

The visitors and counters are played by tests/dayvisitors.py, letters and phone calls
by tests/dayletters.py, on the places of tests/dayworld.py. The generator keeps its
own ledger (tests/dayledger.py) of everything it did and of
every SMS those actions must send, so the figures a report publishes can be checked
against what really happened. It closes a counter's current ticket explicitly (finish,
no-show, return or transfer) before calling the next one."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.dayledger import ZONE, Ledger
from tests.dayvisitors import Visitors
from tests.dayworld import PEAK, local


class DayPlan(Visitors):
    """The day, minute by minute: arrivals and bookings by the hour's rate, check-ins
    and cancellations when due, each counter's next step, triage and the departments
    twice an hour, letters and calls, and the server's housekeeping every quarter."""

    def run(self) -> Ledger:
        minute, end = local(7, 58), local(14, 50)
        while minute < end:
            if self.clock.now() < minute:
                self.clock.at = minute
            self.one_minute(minute)
            minute += timedelta(minutes=1)
        return self.ledger

    def one_minute(self, minute: datetime) -> None:
        hour = minute.astimezone(ZONE).hour
        opening = local(8) <= minute < local(14)
        for hall in self.world.halls:
            booking = hall.appointments and local(8) <= minute < local(10, 30)
            if booking and self.rng.random() < 0.1:
                self.book(hall)
            if opening and self.rng.random() < hall.rate * PEAK.get(hour, 0):
                self.walk_in(hall)
        for when, row in [c for c in self.check_ins if c[0] <= self.clock.now()]:
            self.check_ins.remove((when, row))
            self.check_in(row)
        for when, row, token in [c for c in self.cancels if c[0] <= self.clock.now()]:
            self.cancels.remove((when, row, token))
            self.cancel(row, token)
        if local(8) <= minute < local(13, 58):
            for desk in self.world.desks:
                if desk.next_at is None or desk.next_at <= self.clock.now():
                    self.act(desk)
        if minute.minute in (10, 40) and minute < local(13, 30):
            self.triage()
        if minute.minute in (25, 55) and minute < local(13, 45):
            self.departments()
        for branch, token in self.world.triage.items():
            if local(8) <= minute < local(14, 30):
                if self.rng.random() < (0.04 if branch == "riyadh" else 0.015):
                    self.enquiry(branch, token)
                if self.rng.random() < (0.025 if branch == "riyadh" else 0.01):
                    self.letter_by(branch, token, self.rng.choice(("phone", "mail")))
                if self.rng.random() < 0.03:
                    self.letter_call(branch, token)
        if minute.minute % 15 == 0:
            self.tick()
            self.housekeeping()
            self.expect_housekeeping()
