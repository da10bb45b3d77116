"""Letters and phone calls of a report (see reception/stats/reports.py for what
counts): letters by category, department, status and stage target; calls about a
letter and general enquiries."""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlmodel import Session, col

from reception.letters.models import Channel, Enquiry, Letter, LetterStep
from reception.letters.rules import OPEN
from reception.letters.sla import late_letters
from reception.queue.models import Hall
from reception.stats.windows import Window, within

CALL_KINDS = ("call_in", "call_out")


def letter_figures(
    session: Session, found: list[Window], now: datetime, names: dict[str, Any]
) -> dict[str, Any]:
    late = late_letters(session, now)
    is_open = col(Letter.status).in_([s.value for s in OPEN])
    rows = session.execute(
        select(
            col(Letter.category_id),
            col(Letter.department_id),
            col(Letter.status),
            col(Letter.residency),
            col(Letter.sex),
            col(Letter.hall_id),
            col(Letter.channel),
            func.count(),
            func.sum(case((is_open, 1), else_=0)),
            func.sum(case((and_(is_open, late), 1), else_=0)),
        )
        .where(within(found, col(Letter.branch_id), col(Letter.created_at)))
        .group_by(
            col(Letter.category_id),
            col(Letter.department_id),
            col(Letter.status),
            col(Letter.residency),
            col(Letter.sex),
            col(Letter.hall_id),
            col(Letter.channel),
        )
    ).all()
    halls = dict(session.execute(select(col(Hall.id), col(Hall.section))).all())
    by_category: Tally[str] = Tally()
    by_department: Tally[str] = Tally()
    by_status: Tally[str] = Tally()
    by_residency: Tally[str] = Tally()
    by_sex: Tally[str] = Tally()
    still_open = late_count = 0
    by_hall: Tally[str] = Tally({"men": 0, "women": 0, "none": 0})
    by_channel: Tally[str] = Tally({c.value: 0 for c in Channel})
    by_hall_channel: dict[str, Tally[str]] = defaultdict(Tally)
    for (
        category_id,
        department_id,
        status,
        residency,
        sex,
        hall,
        channel,
        n,
        opened,
        late_n,
    ) in rows:
        section = halls.get(hall, "other") if hall is not None else "none"
        by_hall[section] += n
        by_channel[channel] += n
        by_hall_channel[section][channel] += n
        by_category[names["category_slugs"].get(category_id, "unclassified")] += n
        by_department[names["department_slugs"].get(department_id, "unassigned")] += n
        by_status[status] += n
        by_residency[residency or "unknown"] += n
        by_sex[sex or "unknown"] += n
        still_open += int(opened or 0)
        late_count += int(late_n or 0)
    return {
        "total": sum(by_status.values()),
        "by_category": dict(by_category.most_common()),
        "by_department": dict(by_department.most_common()),
        "by_status": dict(by_status.most_common()),
        "by_residency": dict(by_residency.most_common()),
        "by_sex": dict(by_sex.most_common()),
        "cross_tabs": {
            "letters_by_hall": dict(by_hall),
            "letters_by_channel": dict(by_channel),
            "letters_by_hall_channel": {
                section: {c: by_hall_channel[section][c] for c in by_channel} for section in by_hall
            },
        },
        "sla": {"open": still_open, "on_time": still_open - late_count, "late": late_count},
    }


def call_figures(session: Session, found: list[Window]) -> dict[str, Any]:
    """Calls about a letter: those logged on the letter's page (letter steps) and
    those of the call log that name a letter; the other calls of the log are
    general enquiries."""
    about_letters = dict(
        session.execute(
            select(col(LetterStep.kind), func.count())
            .join(Letter, col(Letter.id) == col(LetterStep.letter_id))
            .where(
                col(LetterStep.kind).in_(CALL_KINDS),
                within(found, col(Letter.branch_id), col(LetterStep.at)),
            )
            .group_by(col(LetterStep.kind))
        ).all()
    )
    named = case((col(Enquiry.letter_id).is_not(None), 1), else_=0)
    logged: Tally[tuple[str, bool]] = Tally()
    for direction, on_letter, n in session.execute(
        select(col(Enquiry.direction), named, func.count())
        .where(within(found, col(Enquiry.branch_id), col(Enquiry.at)))
        .group_by(literal_column("1"), literal_column("2"))
    ).all():
        logged[(str(direction), bool(on_letter))] += int(n)
    letters_in = about_letters.get("call_in", 0) + logged[("in", True)]
    letters_out = about_letters.get("call_out", 0) + logged[("out", True)]
    general_in, general_out = logged[("in", False)], logged[("out", False)]
    return {
        "incoming": letters_in + general_in,
        "outgoing": letters_out + general_out,
        "about_letters": {"incoming": letters_in, "outgoing": letters_out},
        "enquiries": {"incoming": general_in, "outgoing": general_out},
    }
