"""The visitors of the replayed day (tests/dayplan.py) and the counters that serve
them: walk-ins at the kiosk (with or without a mobile number, a residency, a priority
the kiosk offers); appointments booked (with a residency or not), checked in (the
visitor restating it now and then) or cancelled; operators call, recall, serve,
finish, mark no-shows, send visitors back to the queue or on to another service,
correct the residency a visitor stated (or did not state), and take letters; visitors
rate their visit. The current ticket is always closed explicitly before a call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.dayledger import AppointmentRecord, RatingRecord, TicketRecord
from tests.dayletters import LettersAndCalls
from tests.dayworld import (
    KIOSK_PRIORITIES,
    LATE_CHECKIN,
    MAX_WAIT,
    SCORE_WEIGHTS,
    SCORES,
    Desk,
    HallPlan,
    local,
)


class Visitors(LettersAndCalls):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.slots_taken: dict[tuple[str, str, datetime], int] = {}
        self.check_ins: list[tuple[datetime, AppointmentRecord]] = []
        self.cancels: list[tuple[datetime, AppointmentRecord, str]] = []

    def walk_in(self, hall: HallPlan) -> None:
        services, shares = zip(*hall.services.items(), strict=True)
        service = self.rng.choices(services, shares)[0]
        residency = self.rng.choices(("citizen", "resident", None), (0.6, 0.27, 0.13))[0]
        priority = None
        if self.rng.random() < 0.12:
            priority = self.rng.choice(sorted(KIOSK_PRIORITIES))
        phone = self.phone()
        body: dict[str, Any] = {"branch": hall.branch, "hall": hall.hall, "service": service}
        body.update(
            {
                k: v
                for k, v in (("residency", residency), ("phone", phone), ("priority", priority))
                if v
            }
        )
        if self.rng.random() < 0.1:
            body["language"] = "en"
        self.tick()
        issued = self.api.post(hall.kiosk, "/api/v1/tickets", body, 201)
        self.ledger.tickets[issued["id"]] = TicketRecord(
            id=issued["id"],
            number=issued["number"],
            branch=hall.branch,
            hall=hall.hall,
            service=service,
            residency=residency,
            phone=phone,
            priority=priority,
            weight=KIOSK_PRIORITIES.get(priority or "", 0),
            issued=self.clock.now(),
        )
        if phone:
            self.ledger.text("ticket_issued", hall.branch, self.clock.now(), phone)

    def book(self, hall: HallPlan) -> None:
        assert hall.appointments is not None
        service, first, last, step = hall.appointments
        now = self.clock.now()
        starts = [
            local(first) + timedelta(minutes=m)
            for m in range(0, (last - first) * 60, step)
            if local(first) + timedelta(minutes=m) >= now + timedelta(minutes=40)
        ]
        starts = [s for s in starts if self.slots_taken.get((hall.branch, hall.hall, s), 0) < 2]
        if not starts:
            return
        start = self.rng.choice(starts)
        phone = self.phone(0.8)
        residency = self.rng.choices(("citizen", "resident", None), (0.5, 0.25, 0.25))[0]
        body = {
            "branch": hall.branch,
            "hall": hall.hall,
            "service": service,
            "starts_at": start.isoformat(),
            "name": "عبدالله محمد",
            "phone": phone,
            "residency": residency,
        }
        body = {k: v for k, v in body.items() if v is not None}
        self.tick()
        made = self.api.post(hall.operator, "/api/v1/appointments", body, 201)
        key = (hall.branch, hall.hall, start)
        self.slots_taken[key] = self.slots_taken.get(key, 0) + 1
        row = AppointmentRecord(
            id=made["id"],
            code=made["code"],
            branch=hall.branch,
            hall=hall.hall,
            service=service,
            starts=start,
            phone=phone,
            residency=residency,
            booked_at=self.clock.now(),
        )
        self.ledger.appointments[row.id] = row
        if phone:
            self.ledger.text("appointment_booked", hall.branch, self.clock.now(), phone)
        fate = self.rng.random()
        if fate < 0.72:
            early = timedelta(minutes=self.rng.uniform(1, 25))
            self.check_ins.append((start - early, row))
        elif fate < 0.84:
            later = self.clock.now() + timedelta(minutes=self.rng.uniform(5, 30))
            self.cancels.append((later, row, hall.operator))
        # the others do not come: the housekeeping marks them once the window closes

    def check_in(self, row: AppointmentRecord) -> None:
        kiosk = next(h.kiosk for h in self.world.halls if h.branch == row.branch)
        body = {"code": row.code}
        stated = None
        if self.rng.random() < 0.3:  # the visitor states it again (or for the first time)
            stated = self.rng.choice(("citizen", "resident"))
            body["residency"] = stated
            self.ledger.happened["residency stated at check-in"] += 1
        elif row.residency:
            self.ledger.happened["residency of the booking"] += 1
        self.tick()
        issued = self.api.post(kiosk, "/api/v1/appointments/check-in", body, 201)
        row.status = "checked_in"
        self.ledger.tickets[issued["id"]] = TicketRecord(
            id=issued["id"],
            number=issued["number"],
            branch=row.branch,
            hall=row.hall,
            service=row.service,
            residency=stated or row.residency,
            phone=row.phone,
            priority="appointment",
            weight=4,
            issued=self.clock.now(),
            by_appointment=True,
        )
        if row.phone:
            self.ledger.text("ticket_issued", row.branch, self.clock.now(), row.phone)

    def cancel(self, row: AppointmentRecord, token: str) -> None:
        self.tick()
        self.api.post(token, f"/api/v1/appointments/{row.id}/cancel", {}, 200)
        row.status = "cancelled"
        if row.phone:
            self.ledger.text("appointment_cancelled", row.branch, self.clock.now(), row.phone)

    def expect_housekeeping(self) -> None:
        """What the server's pass must have done: reminders (two hours before, or the
        day before), then appointments whose check-in window closed are not come."""
        now = self.clock.now()
        for row in self.ledger.appointments.values():
            if row.status != "booked":
                continue
            ahead = row.starts - now
            if row.phone and ahead > timedelta(0):
                if ahead <= timedelta(hours=2) and not row.reminded_soon:
                    row.reminded_soon = row.reminded_day = True
                    self.ledger.text("appointment_reminder_soon", row.branch, now, row.phone)
                elif timedelta(hours=2) < ahead <= timedelta(hours=24) and not row.reminded_day:
                    row.reminded_day = True
                    self.ledger.text("appointment_reminder_day", row.branch, now, row.phone)
            if now > row.starts + LATE_CHECKIN:
                row.status = "no_show"

    # --- counters ------------------------------------------------------------------------

    def line(self, desk: Desk, starving: bool = True) -> TicketRecord | None:
        """Who this counter must call next: a ticket waiting past the branch's maximum
        first (oldest first), else the highest priority, then arrival."""
        now = self.clock.now()
        waiting = [
            t
            for t in self.ledger.tickets.values()
            if t.status == "waiting"
            and (t.branch, t.hall) == (desk.branch, desk.hall)
            and t.service in desk.services
            and t.assigned_counter in (None, desk.id)
        ]
        if starving:
            old = [t for t in waiting if t.issued <= now - MAX_WAIT]
            if old:
                return min(old, key=lambda t: t.id)
        return min(waiting, key=lambda t: (-t.weight, t.id), default=None)

    def at_counter(self, desk: Desk, action: str, body: dict[str, Any] | None = None) -> Any:
        """An operator's action: the staff form for a signed-in operator, otherwise the
        API with the counter's device token."""
        if desk.operator is not None:
            return self.api.form(f"/staff/counters/{desk.id}/{action}", body)
        path = f"/api/v1/counters/{desk.id}/" + (
            action if action == "call-next" else f"current/{action}"
        )
        return self.api.post(desk.token, path, body, 200, 204)

    def act(self, desk: Desk) -> None:
        """One step of a counter: call when idle; then recall, no-show, return or start;
        then finish or transfer. The current ticket is always closed before a call."""
        later = self.clock.now() + timedelta(minutes=self.rng.uniform(0.5, 2.5))
        if desk.state == "idle":
            self.call_next(desk)
        elif desk.state == "called":
            self.called(desk)
        else:
            self.serving(desk)
        if desk.next_at is None or desk.next_at <= self.clock.now():
            desk.next_at = later

    def call_next(self, desk: Desk) -> None:
        self.tick()
        expected = self.line(desk)
        found = self.at_counter(desk, "call-next")
        if desk.operator is not None:  # the form shows the call; the line says whom
            found = None if expected is None else {"id": expected.id}
        if found is None:
            assert expected is None, f"counter {desk.id} found nobody, {expected} was waiting"
            return
        ticket = self.ledger.tickets[found["id"]]
        assert ticket is expected, f"counter {desk.id} called {ticket.number}, not {expected}"
        now = self.clock.now()
        ticket.status, ticket.called = "called", now
        ticket.counter, ticket.counter_id = (desk.branch, desk.hall, desk.number), desk.id
        ticket.operator = desk.operator
        ticket.serving = None  # a visit at this counter starts when the operator starts it
        ticket.assigned_counter = None
        if ticket.phone and desk.id not in ticket.called_at:
            self.ledger.text("ticket_called", ticket.branch, now, ticket.phone)
        ticket.called_at.add(desk.id)
        upcoming = self.line(desk, starving=False)
        if upcoming is not None and upcoming.phone and upcoming.id not in self.ledger.told_next:
            self.ledger.told_next.add(upcoming.id)
            self.ledger.text("ticket_next", upcoming.branch, now, upcoming.phone)
        desk.state, desk.current = "called", ticket

    def called(self, desk: Desk) -> None:
        ticket = desk.current
        assert ticket is not None
        self.correct_residency(desk, ticket)
        fate = self.rng.random()
        self.tick()
        if ticket.recalls == 0 and fate < 0.1:
            self.at_counter(desk, "recall")
            ticket.recalls += 1
            ticket.called = self.clock.now()
            return
        if fate < (0.5 if ticket.recalls else 0.16):
            self.at_counter(desk, "no-show")
            ticket.status, ticket.finished = "no_show", self.clock.now()
        elif fate < (0.6 if ticket.recalls else 0.2) and ticket.returns == 0:
            self.at_counter(desk, "return")
            ticket.status, ticket.counter, ticket.counter_id = "waiting", None, None
            ticket.returns += 1
        elif fate > (0.6 if ticket.transfers else 0.93):  # done there and then, never started
            self.finish(desk, ticket)
        else:
            self.at_counter(desk, "start")
            ticket.status, ticket.serving = "serving", self.clock.now()
            desk.state = "serving"
            minutes = self.rng.uniform(2, 10) * (1.5 if ticket.service == "complaint" else 1)
            desk.next_at = self.clock.now() + timedelta(minutes=minutes)
            if ticket.service == "letter" and self.rng.random() < 0.75:
                self.letter_at_counter(desk, ticket)
            return
        desk.state, desk.current = "idle", None

    def correct_residency(self, desk: Desk, ticket: TicketRecord) -> None:
        """The operator asks the visitor called: half of those who stated nothing
        answer, and now and then a stated residency was wrong."""
        unknown = ticket.residency is None
        if self.rng.random() >= (0.5 if unknown else 0.06):
            return
        other = {"citizen": "resident", "resident": "citizen"}
        value = other[ticket.residency] if ticket.residency else self.rng.choice(tuple(other))
        self.tick()
        self.at_counter(desk, "residency", {"residency": value})
        ticket.residency = value
        self.ledger.happened["residency corrected" if not unknown else "residency asked"] += 1

    def serving(self, desk: Desk) -> None:
        ticket = desk.current
        assert ticket is not None
        others = sorted(
            {
                s
                for d in self.world.desks
                if (d.branch, d.hall) == (desk.branch, desk.hall)
                for s in d.services
            }
            - {ticket.service}
        )
        self.tick()
        if others and not ticket.transfers and self.rng.random() < 0.1:
            service = self.rng.choice(others)
            self.at_counter(desk, "transfer", {"service": service})
            ticket.transfers.append((ticket.service, service))
            ticket.service, ticket.status = service, "waiting"
            ticket.counter, ticket.counter_id = None, None
        else:
            self.finish(desk, ticket)
        desk.state, desk.current = "idle", None

    def finish(self, desk: Desk, ticket: TicketRecord) -> None:
        self.at_counter(desk, "finish")
        ticket.status, ticket.finished = "done", self.clock.now()
        if ticket.phone:
            self.ledger.text("ticket_feedback", ticket.branch, self.clock.now(), ticket.phone)
        if self.rng.random() < 0.35:
            self.rate(desk, ticket)

    def rate(self, desk: Desk, ticket: TicketRecord) -> None:
        score = self.rng.choices(SCORES, SCORE_WEIGHTS)[0]
        self.tick(20)
        body = {"ticket": ticket.id, "score": score}
        self.api.post(self.world.rater[ticket.branch], "/api/v1/ratings", body, 201)
        assert ticket.counter is not None
        self.ledger.ratings.append(
            RatingRecord(
                ticket.id,
                ticket.branch,
                ticket.hall,
                ticket.service,
                ticket.counter,
                ticket.operator,
                score,
                self.clock.now(),
            )
        )
