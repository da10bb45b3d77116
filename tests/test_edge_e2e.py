"""A day at a mobile unit, end to end, with two real instances on loopback: the centre
(`reception serve` on PostgreSQL) and the unit (`reception serve` on its own SQLite
file, set up by `reception edge init`).

The centre is stopped (its port closed) for most of the day; the unit keeps serving:
kiosk tickets in both halls, operators calling, serving, finishing and marking
no-shows, letters registered with a scanned attachment, phone calls logged, ratings
given, SMS queued. The unit is killed with SIGKILL in the middle of the day, after
writes it acknowledged, and started again on the same file. Then the centre comes back:
every ticket, letter, attachment (bytes equal), call, rating, message and audit entry
must arrive exactly once and in the unit's order, the SMS must go out once (from the
centre, `sms_via=centre`, never from the unit's own account), and the centre's report
of the unit's branch for the day must equal the unit's own."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from reception.audit import AuditEntry
from reception.demo import luhn_id
from reception.letters.models import Attachment, Enquiry, Letter
from reception.letters.rules import MAX_ATTACHMENT_BYTES
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch, Counter, Hall, Ticket
from tests.edge_compare import branch_count, check_arrived_once
from tests.edge_nodes import BRANCH, EdgePair, edge_pair, pending_of, today, twilio_env, wait_for
from tests.fake_twilio import FakeTwilio, serve_fake_twilio

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(420)]

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
REPORT_VOLATILE = ("generated_at", "every_branch")
"""Fields of the summary report that legitimately differ between the two instances:
when the report was made, and whether the branch asked for is every branch there is
(at the unit it is: the unit holds its own branch only)."""
SYNC_STATE = ("units", "last_synced_at", "pending", "incomplete_days")
"""Of a mobile branch's entry (`mobile`): the centre's view of the unit's link, which
the unit itself does not have. So is each day's `incomplete` flag, and the report's
own `incomplete_days`; the test checks them at the centre on their own."""
SMS_SECTIONS = ("sms", "sms_breakdown")
"""With `sms_via=centre` the centre sends the unit's messages: the unit never learns
how each went, so of its SMS figures only the counts of messages (by purpose) agree,
not their delivery states."""


def only_totals(section: Any) -> Any:
    """An SMS section with every delivery state left out, only the totals kept."""
    if isinstance(section, dict):
        if "total" in section:
            return {"total": section["total"]}
        return {
            k: sum(v.values()) if k == "by_delivery" else only_totals(v)
            for k, v in section.items()
            if k != "headline"
        }
    return section


BIG_SCAN = 3
"""The letter whose scan is as large as an attachment may be (10 MiB): one record
larger than a whole batch."""


def scan(n: int) -> bytes:
    """A distinct PDF per letter (the bytes are compared at the centre)."""
    small = PDF.replace(b"endobj", f"endobj % page {n} {'x' * n}".encode())
    if n != BIG_SCAN:
        return small
    noise = random.Random(n).randbytes(MAX_ATTACHMENT_BYTES - len(small))
    return small + noise


@dataclass
class Desk:
    """The unit's kiosk, counters and letters desk, through its HTTP API."""

    pair: EdgePair
    counters: dict[str, list[int]]
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # number → answer
    letters: list[str] = field(default_factory=list)  # references
    scans: dict[str, bytes] = field(default_factory=dict)  # sha256 → bytes
    calls: list[str] = field(default_factory=list)  # notes
    rated: list[str] = field(default_factory=list)  # ticket numbers

    def post(self, who: str, path: str, body: dict[str, Any] | None = None, **kw: Any) -> Any:
        with self.pair.unit.http(self.pair.unit_tokens[who]) as http:
            r = (
                http.post(path, json=body, **kw)
                if body is not None or not kw
                else http.post(path, **kw)
            )
        assert r.status_code in (200, 201, 204), (path, r.status_code, r.text)
        return r.json() if r.status_code != 204 else None

    def ticket(self, hall: str, service: str, phone: str | None = None) -> str:
        body: dict[str, Any] = {"branch": BRANCH, "hall": hall, "service": service}
        if phone:
            body["phone"] = phone
        answer = self.post("kiosk", "/api/v1/tickets", body)
        self.tickets[answer["number"]] = answer
        return str(answer["number"])

    def call_next(self, hall: str, desk: int = 0) -> str | None:
        counter = self.counters[hall][desk]
        answer = self.post(
            f"operator-{hall}",
            f"/api/v1/counters/{counter}/call-next",
            {"close_current": "served"},
        )
        return None if answer is None else str(answer["number"])

    def act(self, hall: str, action: str, desk: int = 0) -> str:
        counter = self.counters[hall][desk]
        answer = self.post(f"operator-{hall}", f"/api/v1/counters/{counter}/current/{action}")
        return str(answer["number"])

    def letter(self, hall: str, n: int, phone: str | None = None) -> str:
        sex = "male" if hall == "men" else "female"
        body: dict[str, Any] = {
            "branch": BRANCH,
            "hall": hall,
            "sender_name": f"مراجع رقم {n}",
            "sender_id_number": luhn_id(f"10000{n:04d}"),
            "sex": sex,
            "subject": f"طلب رقم {n}",
            "body": f"نص الطلب رقم {n} من الوحدة المتنقلة",
        }
        if phone:
            body["phone"] = phone
        made = self.post(f"operator-{hall}", "/api/v1/letters", body)
        reference = str(made["reference"])
        self.letters.append(reference)
        data = scan(n)
        attached = self.post(
            f"operator-{hall}",
            f"/api/v1/letters/{reference}/attachments",
            files={"file": (f"scan-{n}.pdf", data, "application/pdf")},
        )
        self.scans[attached["sha256"]] = data
        return reference

    def call(self, hall: str, note: str, **about: Any) -> None:
        body = {"direction": "in", "topic": "appointments", "note": note, **about}
        self.post(f"operator-{hall}", "/api/v1/enquiries", body)
        self.calls.append(note)

    def rate(self, number: str, score: int) -> None:
        self.post("kiosk", "/api/v1/ratings", {"ticket": number, "score": score})
        self.rated.append(number)


def branch_counters(pair: EdgePair) -> tuple[int, dict[str, list[int]]]:
    """The mobile branch's id and its counters by hall (the same ids at both nodes)."""
    with Session(pair.centre_engine()) as s:
        branch = s.exec(select(Branch).where(Branch.slug == BRANCH)).one()
        counters: dict[str, list[int]] = {}
        rows = s.exec(
            select(Hall.slug, Counter.id)
            .join(Counter, Counter.hall_id == Hall.id)  # type: ignore[arg-type]
            .where(Hall.branch_id == branch.id)
            .order_by(Counter.number)
        )
        for hall, counter in rows:
            counters.setdefault(hall, []).append(counter)
        assert branch.id is not None
        return branch.id, counters


def centre_activity(pair: EdgePair) -> None:
    """The centre's own visitors of the morning, with mobile numbers: their rows and
    messages take the centre's first ids and keys, so the unit's must not collide."""
    kiosk = pair.world.tokens["kiosk"]
    with pair.centre.http(kiosk) as http:
        for n, hall in enumerate(("men", "women", "men")):
            body = {"branch": "riyadh", "hall": hall, "service": "letter", "phone": f"050111000{n}"}
            r = http.post("/api/v1/tickets", json=body)
            assert r.status_code == 201, r.text


def report(base_http: Any) -> dict[str, Any]:
    day = today().isoformat()
    r = base_http.get(
        "/api/v1/reports/summary", params={"branch": BRANCH, "date_from": day, "date_to": day}
    )
    assert r.status_code == 200, r.text
    data = dict(r.json())
    for key in REPORT_VOLATILE:
        data.pop(key, None)
    for key in SMS_SECTIONS:
        data[key] = only_totals(data.get(key))
    data["sync"] = {"incomplete_days": data.pop("incomplete_days", None), "mobile": []}
    for branch in data.get("mobile", []):
        data["sync"]["mobile"].append({k: branch.pop(k, None) for k in SYNC_STATE})
        data["sync"]["mobile"][-1]["days"] = [
            {"date": day["date"], "incomplete": day.pop("incomplete", None)}
            for day in branch["days"]
        ]
    return data


def the_day_before_the_crash(desk: Desk) -> None:
    for phone, (hall, service) in zip(
        ("0551230001", None, "0551230002", None, None, "0551230003"),
        [("men", "letter"), ("men", "enquiry"), ("women", "letter"), ("women", "enquiry"),
         ("men", "letter"), ("women", "letter")],
        strict=True,
    ):  # fmt: skip
        desk.ticket(hall, service, phone)
    first_men = desk.call_next("men")
    assert first_men == "M-001"  # the morning's visitor, issued while the link was up
    desk.act("men", "start")
    desk.letter("men", 1, phone="0551230004")
    desk.call("men", "سأل عن موعد الوحدة القادم", ticket=first_men)
    desk.act("men", "finish")
    assert first_men is not None
    desk.rate(first_men, 5)
    first_women = desk.call_next("women")
    desk.act("women", "no_show")
    second_women = desk.call_next("women")
    desk.letter("women", 2)
    desk.act("women", "finish")
    assert second_women is not None
    desk.rate(second_women, 3)
    assert first_women == "W-001"
    desk.call("women", "اتصال عن خطاب مسجل", letter=desk.letters[-1])


def the_day_after_the_crash(desk: Desk) -> None:
    desk.ticket("men", "enquiry", "0551230005")
    desk.ticket("women", "letter")
    for hall in ("men", "women"):
        while desk.call_next(hall) is not None:
            pass
    desk.letter("men", 3)
    desk.call("men", "اتصال بعد انقطاع الكهرباء")
    desk.rate("M-002", 4)  # served after the crash
    desk.rate("W-003", 2)


def sms_sent_once(centre_sms: FakeTwilio, unit_sms: FakeTwilio, pair: EdgePair) -> None:
    """Each message the unit queued went out once, from the centre's account."""
    with Session(pair.unit_engine()) as s:
        queued = sorted((m.to, m.body) for m in s.exec(select(OutgoingSms)).all())
    assert queued, "the day queued no SMS at the unit"
    unit_numbers = {to for to, _ in queued}
    wait_for(
        lambda: len([m for m in centre_sms.messages if m["to"] in unit_numbers]) >= len(queued),
        "the unit's messages sent by the centre",
    )
    sent = sorted((m["to"], m["body"]) for m in centre_sms.messages if m["to"] in unit_numbers)
    assert sent == queued
    assert unit_sms.requests == [], "the unit sent SMS itself although sms_via=centre"


def test_a_day_offline_arrives_once_in_order_and_reports_agree(
    postgres_url: str, tmp_path: Path
) -> None:
    with (
        serve_fake_twilio() as centre_sms,
        serve_fake_twilio() as unit_sms,
        edge_pair(
            postgres_url,
            tmp_path,
            centre_env=twilio_env(centre_sms),
            unit_env={**twilio_env(unit_sms), "EDGE_PUSH_INTERVAL_SECONDS": "0.5"},
        ) as pair,
    ):
        branch_id, counters = branch_counters(pair)
        desk = Desk(pair, counters)
        centre_activity(pair)
        # Morning, link up: the first visitor reaches the centre within moments.
        desk.ticket("men", "letter")
        pair.wait_synced()

        pair.centre.stop()  # the link is cut for most of the day
        the_day_before_the_crash(desk)
        pair.unit.kill()  # power cut after acknowledged writes
        pair.unit.start()
        offline = pair.edge_status()
        assert pending_of(offline) > 0, offline
        the_day_after_the_crash(desk)
        assert pending_of(pair.edge_status()) > pending_of(offline)
        assert unit_sms.requests == [], "the unit sent SMS itself although sms_via=centre"

        pair.centre.start()  # the link is back
        pair.sync_now()  # `reception edge sync`: push now, without the back-off wait

        unit_files = tmp_path / "unit" / "attachments"
        centre_files = tmp_path / "centre-var" / "attachments"
        counts = check_arrived_once(
            pair.unit_engine(), pair.centre_engine(), unit_files, centre_files
        )
        assert counts["ticket"] == len(desk.tickets) == 9
        assert counts["letter"] == len(desk.letters) == 3
        assert counts["attachment"] == len(desk.scans) == 3
        assert counts["enquiry"] == len(desk.calls) == 3
        assert counts["rating"] == len(desk.rated) == 4
        assert counts["outgoingsms"] > 0 and counts["auditentry"] > counts["ticket"]
        centre = pair.centre_engine()
        for model in (Ticket, Letter, Enquiry):
            assert branch_count(centre, model, branch_id) == counts[model.__tablename__]  # type: ignore[attr-defined]
        with Session(centre) as s:
            tracked = {
                t.number: t for t in s.exec(select(Ticket).where(Ticket.branch_id == branch_id))
            }
            assert set(tracked) == set(desk.tickets)
            for number, answer in desk.tickets.items():
                assert answer["tracking_url"].endswith(tracked[number].tracking_token)
            references = s.exec(select(Letter.reference).where(Letter.branch_id == branch_id))
            assert sorted(references) == sorted(desk.letters)
            sums = s.exec(
                select(Attachment.sha256).join(Letter).where(Letter.branch_id == branch_id)
            )
            assert sorted(sums) == sorted(desk.scans)
            notes = s.exec(select(Enquiry.note).where(Enquiry.branch_id == branch_id))
            assert sorted(notes) == sorted(desk.calls)
            issued = s.exec(select(AuditEntry.entity_id).where(AuditEntry.action == "ticket.issue"))
            assert {int(i) for i in issued} >= {t.id for t in tracked.values()}

        sms_sent_once(centre_sms, unit_sms, pair)

        with (
            pair.unit.http(pair.unit_tokens["supervisor"]) as at_unit,
            pair.centre.http(pair.world.tokens["centre-caravan-supervisor"]) as at_centre,
        ):
            own, seen = report(at_unit), report(at_centre)
        assert own["visitors"]["total"] == len(desk.tickets), own["visitors"]
        day = today().isoformat()
        (stop,) = [d["stop"] for d in seen["mobile"][0]["days"] if d["date"] == day]
        assert stop == {"place_ar": "قرية الهدا", "place_en": "Al Hada village"}
        # At the centre the day is still flagged: it has not ended where the unit is.
        sync = seen.pop("sync")
        assert sync["incomplete_days"] == [day], sync
        (unit_state,) = sync["mobile"]
        assert unit_state["pending"] == 0 and unit_state["last_synced_at"], unit_state
        assert unit_state["days"] == [{"date": day, "incomplete": True}], unit_state
        own.pop("sync")
        differing = {k for k in own.keys() | seen.keys() if own.get(k) != seen.get(k)}
        assert seen == own, {k: (own.get(k), seen.get(k)) for k in differing}
