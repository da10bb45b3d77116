"""A seeded day at a reception centre, played through the JSON API: visitors arrive in
both halls of the main branch and of a mobile unit, take tickets (with or without a
mobile number, a residency, a priority the kiosk offers), keep or miss appointments;
operators call, recall, serve, finish, mark no-shows, send visitors back to the queue
or on to another service, register letters; triage classifies and routes them,
departments work on them; calls are logged; visitors rate their visit.

The generator keeps its own ledger (tests/dayledger.py) of everything it did and of
every SMS those actions must send, so the figures a report publishes can be checked
against what really happened. It closes a counter's current ticket explicitly (finish,
no-show, return or transfer) before calling the next one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from reception.clock import FrozenClock
from tests.dayledger import (
    OPEN_LETTER,
    ROUTES,
    ZONE,
    AppointmentRecord,
    CallRecord,
    Ledger,
    LetterRecord,
    RatingRecord,
    TicketRecord,
)
from tests.dayworld import (
    KIOSK_PRIORITIES,
    LATE_CHECKIN,
    MAX_WAIT,
    PEAK,
    SCORE_WEIGHTS,
    SCORES,
    Api,
    Desk,
    HallPlan,
    World,
    local,
    luhn_id,
)


@dataclass
class DayPlan:
    seed: int
    api: Api
    clock: FrozenClock
    world: World
    housekeeping: Callable[[], None]  # the server's periodic pass, run at the plan's times
    ledger: Ledger = field(default_factory=Ledger)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.slots_taken: dict[tuple[str, str, datetime], int] = {}
        self.check_ins: list[tuple[datetime, AppointmentRecord]] = []
        self.cancels: list[tuple[datetime, AppointmentRecord, str]] = []

    # --- time ----------------------------------------------------------------------------

    def tick(self, most: float = 8.0) -> datetime:
        """A few seconds (and a fraction) pass between two things happening."""
        self.clock.advance(seconds=self.rng.uniform(0.3, most))
        return self.clock.now()

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

    # --- visitors ------------------------------------------------------------------------

    def phone(self, share: float = 0.55) -> str | None:
        """A mobile number or none; each handset confirms delivery, reports it failed, or
        stays silent, always the same way."""
        if self.rng.random() < share:
            number = self.mobile_number()
            fate = self.rng.choices(("delivered", "undelivered", "silent"), (0.75, 0.08, 0.17))
            self.ledger.handsets.setdefault(number, fate[0])
            return number
        return None

    def mobile_number(self) -> str:
        digits = "".join(self.rng.choice("0123456789") for _ in range(7))
        return "+9665" + self.rng.choice("0456") + digits

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
        body = {
            "branch": hall.branch,
            "hall": hall.hall,
            "service": service,
            "starts_at": start.isoformat(),
            "name": "عبدالله محمد",
            "phone": phone,
        }
        if phone is None:
            del body["phone"]
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
            residency=self.rng.choice(("citizen", "resident")),
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
        self.tick()
        issued = self.api.post(kiosk, "/api/v1/appointments/check-in", {"code": row.code}, 201)
        row.status = "checked_in"
        self.ledger.tickets[issued["id"]] = TicketRecord(
            id=issued["id"],
            number=issued["number"],
            branch=row.branch,
            hall=row.hall,
            service=row.service,
            residency=None,
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

    # --- letters and calls -------------------------------------------------------------------

    def register(self, token: str, body: dict[str, Any], branch: str, hall: str | None) -> None:
        residency = self.rng.choice(("citizen", "resident"))
        phone = self.phone(0.6)
        body = {
            "branch": branch,
            "sender_name": "محمد عبدالله الأحمد",
            "sender_id_number": luhn_id("1" if residency == "citizen" else "2", self.rng),
            "subject": "طلب إصدار هوية وطنية بدل فاقد",
            "body": "فقدت بطاقة الهوية الوطنية وأرجو إصدار بدل فاقد.",
            **body,
        }
        if phone:
            body["phone"] = phone
        self.tick()
        made = self.api.post(token, "/api/v1/letters", body, 201)
        now = self.clock.now()
        self.ledger.letters[made["reference"]] = LetterRecord(
            reference=made["reference"],
            branch=branch,
            hall=hall,
            channel=body.get("channel", "counter"),
            residency=residency,
            sex=body["sex"],
            phone=phone,
            created=now,
            status_since=now,
        )
        if phone:
            self.ledger.text("letter_received", branch, now, phone)

    def letter_at_counter(self, desk: Desk, ticket: TicketRecord) -> None:
        body = {
            "hall": desk.hall,
            "channel": "counter",
            "ticket_number": ticket.number,
            "sex": "male" if desk.hall == "men" else "female",
        }
        self.register(desk.token, body, desk.branch, desk.hall)

    def letter_by(self, branch: str, token: str, channel: str) -> None:
        body = {"channel": channel, "sex": self.rng.choice(("male", "female"))}
        self.register(token, body, branch, None)

    def move(self, token: str, letter: LetterRecord, name: str, body: dict[str, Any]) -> None:
        self.tick()
        self.api.post(token, f"/api/v1/letters/{letter.reference}/{name}", body, 200)

    def triage(self) -> None:
        """Each branch's triage desk classifies (the routing rules choose the
        department), classifies again what a department returned, rejects a few,
        merges a duplicate now and then, and closes answered letters."""
        for branch, token in self.world.triage.items():
            mine = [x for x in self.ledger.letters.values() if x.branch == branch]
            for letter in mine:
                fate = self.rng.random()
                young = self.clock.now() - letter.created < timedelta(minutes=20)
                if letter.status == "answered" and fate < 0.4:
                    self.move(token, letter, "close", {})
                    self.set_status(letter, "closed", "letter_closed")
                elif letter.status == "returned" and fate < 0.5:
                    self.classify(token, letter)
                elif letter.status != "received" or young:
                    continue
                elif fate < 0.05:
                    self.move(token, letter, "reject", {"note": "خارج الاختصاص"})
                    self.set_status(letter, "rejected", "letter_rejected")
                elif fate < 0.1:
                    into = [x for x in mine if x is not letter and x.status in OPEN_LETTER]
                    if into:
                        other = self.rng.choice(into)
                        self.move(token, letter, "merge", {"merge_into": other.reference})
                        self.set_status(letter, "merged", None)
                elif fate < 0.85:
                    self.classify(token, letter)

    def classify(self, token: str, letter: LetterRecord) -> None:
        category = self.rng.choice(sorted(ROUTES))
        self.move(token, letter, "classify", {"category": category})
        letter.category, letter.department = category, ROUTES[category]
        self.set_status(letter, "routed", "letter_routed")

    def departments(self) -> None:
        for department, token in self.world.officers.items():
            for letter in self.ledger.letters.values():
                if letter.department != department or letter.branch != "riyadh":
                    continue
                fate = self.rng.random()
                if letter.status == "routed" and fate < 0.6:
                    self.move(token, letter, "accept", {})
                    self.set_status(letter, "in_progress", None)
                elif letter.status in ("routed", "in_progress") and fate > 0.9:
                    self.move(token, letter, "return", {"note": "ليس من اختصاص الإدارة"})
                    self.set_status(letter, "returned", None)
                elif letter.status == "in_progress" and fate < 0.4:
                    self.move(token, letter, "answer", {"note": "تمت معالجة الطلب"})
                    self.set_status(letter, "answered", "letter_answered")
                elif letter.status == "in_progress" and fate < 0.55:
                    self.move(token, letter, "request-info", {"note": "نرجو إرفاق صورة الهوية"})
                    if letter.phone:
                        now = self.clock.now()
                        self.ledger.text("letter_info_needed", letter.branch, now, letter.phone)

    def set_status(self, letter: LetterRecord, status: str, purpose: str | None) -> None:
        letter.status, letter.status_since = status, self.clock.now()
        if purpose and letter.phone:
            self.ledger.text(purpose, letter.branch, self.clock.now(), letter.phone)

    def letter_call(self, branch: str, token: str) -> None:
        letters = [x for x in self.ledger.letters.values() if x.branch == branch]
        if not letters:
            return
        letter = self.rng.choice(letters)
        direction = self.rng.choice(("in", "out"))
        body = {"direction": direction, "note": "اتصال بشأن الخطاب"}
        self.move(token, letter, "calls", body)
        self.ledger.calls.append(CallRecord(branch, "letter", direction, self.clock.now()))

    def enquiry(self, branch: str, token: str) -> None:
        direction = self.rng.choices(("in", "out"), (0.8, 0.2))[0]
        self.tick()
        self.api.post(
            token, "/api/v1/enquiries", {"direction": direction, "note": "استفسار عن موعد"}, 201
        )
        self.ledger.calls.append(CallRecord(branch, "general", direction, self.clock.now()))
