"""The letters and phone calls of the replayed day (tests/dayplan.py): letters handed
in at a counter (with the visitor's ticket number, which fills the ticket's residency
when the visitor did not state it), by phone or by post; triage classifies, rejects,
merges and closes them, departments accept, answer, return them or ask for more;
phone calls are logged on a letter's page or in the call log with a topic, a
direction, often a length in minutes, and sometimes the letter or ticket they
concern. Every action is kept in the ledger with the SMS it must send."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.dayledger import OPEN_LETTER, ROUTES, CallRecord, LetterRecord, TicketRecord
from tests.dayworld import Desk, PlanBase, luhn_id

TOPICS = ("letter_status", "appointments", "opening_hours", "documents", "complaint")
"""The call topics the administrator keeps (the demo list)."""


class LettersAndCalls(PlanBase):
    def register(
        self, token: str, body: dict[str, Any], branch: str, hall: str | None
    ) -> LetterRecord:
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
        return self.ledger.letters[made["reference"]]

    def letter_at_counter(self, desk: Desk, ticket: TicketRecord) -> None:
        """A letter handed in at the counter with the visitor's ticket number: the ID
        number shows the residency the visitor did not state."""
        body = {
            "hall": desk.hall,
            "channel": "counter",
            "ticket_number": ticket.number,
            "sex": "male" if desk.hall == "men" else "female",
        }
        letter = self.register(desk.token, body, desk.branch, desk.hall)
        if ticket.residency is None:
            ticket.residency = letter.residency
            self.ledger.happened["residency from a letter"] += 1

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
        """A call logged on a letter's own page: no topic, no length."""
        letters = [x for x in self.ledger.letters.values() if x.branch == branch]
        if not letters:
            return
        letter = self.rng.choice(letters)
        direction = self.rng.choice(("in", "out"))
        body = {"direction": direction, "note": "اتصال بشأن الخطاب"}
        self.move(token, letter, "calls", body)
        self.ledger.calls.append(
            CallRecord(branch, None, direction, self.clock.now(), letter=letter.reference)
        )

    def enquiry(self, branch: str, token: str) -> None:
        """A call of the call log: a topic, a direction, a length most of the time, and
        now and then the letter or today's ticket it concerns (by number or id)."""
        direction = self.rng.choices(("in", "out"), (0.8, 0.2))[0]
        topic = self.rng.choice(TOPICS)
        body: dict[str, Any] = {"direction": direction, "topic": topic, "note": "استفسار"}
        minutes = self.rng.randint(1, 25) if self.rng.random() < 0.7 else None
        if minutes is not None:
            body["duration_minutes"] = minutes
        letter: LetterRecord | None = None
        ticket: TicketRecord | None = None
        concerns = self.rng.random()
        letters = [x for x in self.ledger.letters.values() if x.branch == branch]
        tickets = [t for t in self.ledger.tickets.values() if t.branch == branch]
        if concerns < 0.2 and letters:
            letter = self.rng.choice(letters)
            body["letter"] = letter.reference
        elif concerns < 0.35 and tickets:
            ticket = self.rng.choice(tickets)
            body["ticket"] = ticket.number if self.rng.random() < 0.5 else ticket.id
        self.tick()
        self.api.post(token, "/api/v1/enquiries", body, 201)
        self.ledger.happened[
            "call about a " + ("letter" if letter else "ticket" if ticket else "topic")
        ] += 1
        self.ledger.calls.append(
            CallRecord(
                branch,
                topic,
                direction,
                self.clock.now(),
                minutes=minutes,
                letter=letter.reference if letter else None,
                ticket=ticket.id if ticket else None,
            )
        )
