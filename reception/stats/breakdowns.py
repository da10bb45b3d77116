"""The SMS of a report by purpose and delivery status, and the phone calls by topic
and direction with their minutes. Pure reads, grouped by the database.

Phone calls by topic (`calls_by_topic`) come from the call log (`enquiry`: its topic,
direction and length in minutes) and from the calls logged on a letter's own page
(letter steps, no topic, no length: the group `on_a_letter`).

SMS delivery statuses, from the outbox's own statuses and the provider's reports:

* `queued`: written to the outbox, not accepted by the provider yet (`pending`,
  `sending`, waiting for a retry included);
* `sent`: accepted by the provider, no final delivery report yet (`sent`);
* `delivered`: the provider reported it delivered (`delivered`);
* `failed`: given up after the retries, refused by the provider, or reported
  undelivered (`failed`, `undelivered`), except the opted-out ones;
* `opted_out`: refused by the provider because the recipient unsubscribed there
  (provider error 21610). A number that sent STOP to us gets no message at all but
  the call to the counter: those messages are never written, so they count nowhere.

The headline `sms.sent` is the **messages accepted by the provider**: `sent` +
`delivered` + reported undelivered (status `sent`, `delivered` or `undelivered`).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal_column, null, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.letters.models import CallTopic, Enquiry, Letter, LetterStep
from reception.notify.models import OutgoingSms, SmsStatus

DELIVERY = ("queued", "sent", "delivered", "failed", "opted_out")
HEADLINE = (
    "sent: messages accepted by the provider (provider statuses sent, delivered or undelivered)"
)
OPTED_OUT_ERROR = "21610"
"""The provider's error code for a recipient who unsubscribed."""

_DELIVERY_OF: dict[str, str] = {
    SmsStatus.pending: "queued",
    SmsStatus.sending: "queued",
    SmsStatus.sent: "sent",
    SmsStatus.delivered: "delivered",
    SmsStatus.undelivered: "failed",
    SmsStatus.failed: "failed",
}
PROVIDER_HAS_IT = (SmsStatus.sent, SmsStatus.delivered, SmsStatus.undelivered)
SMS_BREAKDOWN = ("headline", "by_delivery", "by_purpose")
"""The keys of `sms_figures` published apart, as the report's `sms_breakdown`."""


def _opted_out() -> ColumnElement[Any]:
    refused = col(OutgoingSms.status).in_([SmsStatus.failed, SmsStatus.undelivered])
    return case((refused & col(OutgoingSms.last_error).like(f"%{OPTED_OUT_ERROR}%"), 1), else_=0)


def sms_rows(session: Session, *where: Any) -> list[tuple[str, str, bool, int]]:
    """(purpose, outbox status, opted out, messages) of the outbox rows matching `where`."""
    opted = _opted_out()
    rows = session.execute(
        select(col(OutgoingSms.purpose), col(OutgoingSms.status), opted, func.count())
        .where(*where)
        .group_by(literal_column("1"), literal_column("2"), literal_column("3"))
    ).all()
    return [(str(p), str(s), bool(o), int(n)) for p, s, o, n in rows]


def sms_figures(rows: Sequence[tuple[str, str, bool, int]]) -> dict[str, Any]:
    """The report's `sms`: the headline counts, then by delivery status and by
    purpose (each purpose split by delivery status)."""
    statuses: Tally[str] = Tally()
    delivery: Tally[str] = Tally(dict.fromkeys(DELIVERY, 0))
    purposes: dict[str, Tally[str]] = defaultdict(lambda: Tally(dict.fromkeys(DELIVERY, 0)))
    for purpose, status, opted_out, n in rows:
        statuses[status] += n
        state = "opted_out" if opted_out else _DELIVERY_OF.get(status, "failed")
        delivery[state] += n
        purposes[purpose][state] += n
    return {
        "headline": HEADLINE,
        "total": sum(statuses.values()),
        "sent": sum(statuses.get(s, 0) for s in PROVIDER_HAS_IT),
        "delivered": statuses.get(SmsStatus.delivered, 0),
        "failed": statuses.get(SmsStatus.failed, 0) + statuses.get(SmsStatus.undelivered, 0),
        "pending": statuses.get(SmsStatus.pending, 0) + statuses.get(SmsStatus.sending, 0),
        "by_delivery": dict(delivery),
        "by_purpose": {
            purpose: {"total": sum(t.values()), **t}
            for purpose, t in sorted(purposes.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        },
    }


# --- phone calls by topic --------------------------------------------------------------

ON_A_LETTER = "on_a_letter"
"""The group of the calls logged on a letter's own page (letter steps `call_in` and
`call_out`): they carry no topic from the list and no length."""


def _call_sources(within: Any) -> list[Any]:
    """One query per kind of phone call: (topic id, direction "in"/"out", calls,
    calls with a length, their minutes). Calls logged on a letter's page have no
    topic (None) and no length."""
    step_direction = case((col(LetterStep.kind) == "call_in", "in"), else_="out")
    about_letters = (
        select(
            cast(null(), Integer).label("topic"),
            step_direction,
            func.count(),
            literal_column("0"),
            cast(null(), Integer),
        )
        .join(Letter, col(Letter.id) == col(LetterStep.letter_id))
        .where(
            col(LetterStep.kind).in_(["call_in", "call_out"]),
            within(col(Letter.branch_id), col(LetterStep.at)),
        )
        .group_by(literal_column("1"), literal_column("2"))
    )
    minutes = col(Enquiry.duration_minutes)
    logged = (
        select(
            col(Enquiry.topic_id),
            col(Enquiry.direction),
            func.count(),
            func.count(minutes),
            func.sum(minutes),
        )
        .where(within(col(Enquiry.branch_id), col(Enquiry.at)))
        .group_by(col(Enquiry.topic_id), col(Enquiry.direction))
    )
    return [about_letters, logged]


def topic_slugs(session: Session) -> dict[int, str]:
    return {i: s for i, s in session.execute(select(col(CallTopic.id), col(CallTopic.slug)))}


def calls_by_topic(session: Session, within: Any) -> dict[str, Any]:
    """Phone calls per topic (its slug; `on_a_letter` for the calls logged on a
    letter's page) and direction, with the total minutes of those timed (None while
    no call of the group has a length); then all minutes and how many calls had one."""
    names = topic_slugs(session)
    topics: dict[str, dict[str, Any]] = {}
    timed = 0
    total_minutes: int | None = None
    for query in _call_sources(within):
        for topic, direction, n, with_length, minutes in session.execute(query).all():
            slug = ON_A_LETTER if topic is None else names.get(int(topic), str(topic))
            entry = topics.setdefault(slug, {"incoming": 0, "outgoing": 0, "minutes": None})
            entry["incoming" if direction == "in" else "outgoing"] += int(n)
            if with_length:
                entry["minutes"] = (entry["minutes"] or 0) + int(minutes)
                total_minutes = (total_minutes or 0) + int(minutes)
                timed += int(with_length)
    return {
        "by_topic": dict(
            sorted(topics.items(), key=lambda kv: (-(kv[1]["incoming"] + kv[1]["outgoing"]), kv[0]))
        ),
        "minutes": total_minutes,
        "timed_calls": timed,
    }
