"""Statistics a ministry can publish: what happened in a range of business dates in a
set of branches. Pure reads; every figure is an aggregate the database computes with
GROUP BY (only the groups travel to Python, never the rows). The ticket figures of
business days already rolled up (reception/stats/rollup.py) come from the daily
rollup, those of the other days (today, or days the end-of-day pass has not reached)
from the tickets, and the two are added up; the median and 90th percentile come from
exact histograms of whole seconds kept the same way, so both give identical numbers.

What counts, precisely:

* **Dates** are the branch's business dates. A ticket carries its business date; any
  other row (letter, call, rating, appointment) counts on the local calendar day of
  its time stamp in its branch's time zone, so a range is exactly those local days.
* **A visitor** is a ticket issued on a business date of the range, whatever became
  of it, except a ticket cancelled (status `cancelled`: taken back before it was
  called). A transferred ticket is one visitor; a ticket the end-of-day pass closed
  (`expired`) still was a visitor.
* **Wait** is called_at − issued_at (arrived_at for a ticket joined from a phone) of
  the visitors' tickets that were called (called_at set; a recalled or returned ticket
  keeps its last call).
* **Service** is finished_at − serving_at of the visitors' tickets that are `done` and
  were started (serving_at set).
* Both are measured in whole seconds (the two instants each truncated to the second)
  and published in minutes: the mean of the seconds / 60, and continuous percentiles
  (linear interpolation between neighbours, as `percentile_cont`).
* **A ticket joined from a phone** is a visitor only once it checked in; its wait
  runs from the check-in. Joins, check-ins, the check-in rate, cancellations, tickets
  never come and both waits of those joins are under `remote`
  (reception/stats/remote_figures.py).
* **No-shows** are visitors' tickets with status `no_show`.
* **Throughput** per counter and per operator (the one who called the ticket): tickets
  done (`served`) and no-shows, with the mean service minutes of the served ones.
* **Letters** are letters registered (created) in the range, duplicates later merged
  included (they show under `by_status.merged`). `sla`: of those still open now,
  `late` past the target hours of their current stage (reception/letters/rules.py
  `sla_state` == "late", judged at the report's `now`), `on_time` the others.
* **Calls** are phone calls logged in the range: about a letter (letter steps
  `call_in`/`call_out`, counted in the letter's branch, and calls of the call log
  that name a letter) plus general enquiries (the other calls of the call log).
* **SMS** rows of the outbox created in the range for the report's branches (each
  message records the branch of its ticket, letter or appointment); a report over
  every branch also counts messages of no branch, on the local days of the time zone
  most branches use. `sent`: accepted by the
  provider (sent, delivered or undelivered); `delivered`: confirmed delivered;
  `failed`: given up or reported undelivered; `pending`: not sent yet.
* **Ratings** given in the range, by the rated visit's service, counter and operator.
* **Mobile branches** (`mobile`): per day the stop the unit stood at and the
  visitors; `incomplete_days` are days whose data a mobile unit has not all sent yet
  (reception/edge/completeness.py): their figures may still grow.
* **Appointments** whose start time falls in the range: `booked` all but cancelled,
  `kept` checked in, `no_show` not come, `cancelled` cancelled.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, literal_column, select
from sqlmodel import Session, col

from reception.appointments.models import Appointment, AppointmentStatus
from reception.clock import utcnow
from reception.feedback.models import Rating
from reception.letters.models import CallTopic, Category, Department, Letter
from reception.notify.models import OutgoingSms
from reception.queue.models import Branch, PriorityGroup, Service, Ticket
from reception.stats.breakdowns import SMS_BREAKDOWN, calls_by_topic, sms_figures, sms_rows
from reception.stats.letter_figures import call_figures, letter_figures
from reception.stats.mobile_days import mobile_days
from reception.stats.numbers import histogram_percentiles as histogram_percentiles
from reception.stats.numbers import mean
from reception.stats.periods import DateRange, offset_segments, roll_up
from reception.stats.remote_figures import remote_figures
from reception.stats.rollup import rolled_through, rolled_visitors
from reception.stats.suggestion_figures import first_suggestion_figures
from reception.stats.visitor_figures import (
    counter_places,
    figures_by_hour,
    fresh_visitors,
    operator_names,
    visitor_figures,
)
from reception.stats.windows import Window, windows, within


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _sms(session: Session, found: list[Window], every_branch: bool) -> dict[str, Any]:
    """Messages written in the range for the branches' visitors, letters and
    appointments; a report over every branch also counts the few messages that belong
    to no branch, on the local days of the time zone most branches use (see
    reception/stats/breakdowns.py for the statuses)."""
    rows = []
    for w in found:
        rows += sms_rows(
            session,
            col(OutgoingSms.branch_id).in_(w.branch_ids),
            col(OutgoingSms.created_at) >= w.start,
            col(OutgoingSms.created_at) < w.end,
        )
    if every_branch and found:
        zone = max(found, key=lambda w: len(w.branch_ids))
        rows += sms_rows(
            session,
            col(OutgoingSms.branch_id).is_(None),
            col(OutgoingSms.created_at) >= zone.start,
            col(OutgoingSms.created_at) < zone.end,
        )
    return sms_figures(rows)


def _ratings(session: Session, found: list[Window], names: dict[str, Any]) -> dict[str, Any]:
    rows = session.execute(
        select(
            col(Rating.service_id),
            col(Rating.counter_id),
            col(Rating.operator_id),
            col(Rating.score),
            func.count(),
        )
        .where(within(found, col(Rating.branch_id), col(Rating.at)))
        .group_by(
            col(Rating.service_id),
            col(Rating.counter_id),
            col(Rating.operator_id),
            col(Rating.score),
        )
    ).all()
    distribution = {str(s): 0 for s in range(1, 6)}
    groups: dict[str, dict[Any, list[int]]] = {
        "service": defaultdict(lambda: [0, 0]),
        "counter": defaultdict(lambda: [0, 0]),
        "operator": defaultdict(lambda: [0, 0]),
    }
    for service_id, counter_id, operator_id, score, n in rows:
        distribution[str(score)] = distribution.get(str(score), 0) + n
        for key, value in (
            ("service", service_id),
            ("counter", counter_id),
            ("operator", operator_id),
        ):
            groups[key][value][0] += n
            groups[key][value][1] += n * score
    count = sum(distribution.values())
    total = sum(int(k) * v for k, v in distribution.items())

    def figures(tally: list[int]) -> dict[str, Any]:
        return {"count": tally[0], "mean": mean(tally[1], tally[0], 2)}

    places = counter_places(session, [c for c in groups["counter"] if c is not None])
    people = operator_names(session, [o for o in groups["operator"] if o is not None])
    by_service: dict[str, dict[str, Any]] = {}
    for service_id, tally in groups["service"].items():
        slug = names["service_slugs"].get(service_id, str(service_id))
        merged = by_service.setdefault(slug, {"count": 0, "sum": 0})
        merged["count"] += tally[0]
        merged["sum"] += tally[1]
    return {
        "count": count,
        "mean": mean(total, count, 2),
        "distribution": distribution,
        "by_service": {
            slug: figures([v["count"], v["sum"]])
            for slug, v in sorted(by_service.items(), key=lambda kv: -kv[1]["count"])
        },
        "by_counter": [
            {**places.get(c, {"id": c}), **figures(t)} for c, t in groups["counter"].items()
        ],
        "by_operator": [
            {**people.get(o, {"id": None, "username": None, "name": None}), **figures(t)}
            for o, t in groups["operator"].items()
        ],
    }


def _appointments(session: Session, found: list[Window]) -> dict[str, Any]:
    rows = session.execute(
        select(col(Appointment.kind), col(Appointment.status), func.count())
        .where(within(found, col(Appointment.branch_id), col(Appointment.starts_at)))
        .group_by(col(Appointment.kind), col(Appointment.status))
    ).all()
    by_status: Tally[str] = Tally()
    by_kind: Tally[str] = Tally()
    for kind, status, n in rows:
        by_status[status] += n
        if status != AppointmentStatus.cancelled:
            by_kind[kind] += n
    return {
        "booked": sum(n for s, n in by_status.items() if s != AppointmentStatus.cancelled),
        "kept": by_status[AppointmentStatus.checked_in],
        "no_show": by_status[AppointmentStatus.no_show],
        "cancelled": by_status[AppointmentStatus.cancelled],
        "by_kind": dict(by_kind.most_common()),
    }


def _names(session: Session, branch_ids: Sequence[int]) -> dict[str, Any]:
    """Slugs for ids and the two-language names behind each slug (a service slug
    is the same service in every branch, so the rollup adds them up)."""
    services = session.execute(
        select(
            col(Service.id), col(Service.slug), col(Service.name_ar), col(Service.name_en)
        ).where(col(Service.branch_id).in_(list(branch_ids)))
    ).all()
    priorities = session.execute(
        select(
            col(PriorityGroup.id),
            col(PriorityGroup.slug),
            col(PriorityGroup.name_ar),
            col(PriorityGroup.name_en),
        )
    ).all()
    categories = session.execute(
        select(col(Category.id), col(Category.slug), col(Category.name_ar), col(Category.name_en))
    ).all()
    departments = session.execute(
        select(
            col(Department.id),
            col(Department.slug),
            col(Department.name_ar),
            col(Department.name_en),
        )
    ).all()

    call_topics = session.execute(
        select(
            col(CallTopic.id), col(CallTopic.slug), col(CallTopic.name_ar), col(CallTopic.name_en)
        )
    ).all()

    def labels(rows: Sequence[Any]) -> dict[str, dict[str, str]]:
        return {slug: {"ar": ar, "en": en} for _, slug, ar, en in rows}

    return {
        "service_slugs": {i: s for i, s, _, _ in services},
        "priority_slugs": {i: s for i, s, _, _ in priorities},
        "category_slugs": {i: s for i, s, _, _ in categories},
        "department_slugs": {i: s for i, s, _, _ in departments},
        "labels": {
            "services": labels(services),
            "priorities": labels(priorities),
            "categories": labels(categories),
            "departments": labels(departments),
            "call_topics": labels(call_topics),
        },
    }


def summary(
    session: Session,
    date_from: date,
    date_to: date,
    branch_ids: Sequence[int],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every published figure for the branches over the business dates [date_from,
    date_to] (see the module's docstring for what counts). `now` judges the letters'
    service-level targets."""
    span = DateRange(date_from, date_to)
    now = now or utcnow()
    found = windows(session, branch_ids, span)
    branches = (
        session.execute(
            select(Branch).where(col(Branch.id).in_(list(branch_ids))).order_by(col(Branch.id))
        )
        .scalars()
        .all()
    )
    every_branch = (
        session.execute(
            select(func.count()).select_from(Branch).where(col(Branch.id).not_in(list(branch_ids)))
        ).scalar_one()
        == 0
    )
    names = _names(session, branch_ids)
    report: dict[str, Any] = {
        "date_from": span.start.isoformat(),
        "date_to": span.end.isoformat(),
        "days": span.days,
        "branches": [
            {"slug": b.slug, "name_ar": b.name_ar, "name_en": b.name_en} for b in branches
        ],
        "every_branch": every_branch,
    }
    report.update(visitor_figures(session, branch_ids, span, names))
    report["remote"] = remote_figures(session, branch_ids, span)
    report["letters"] = letter_figures(session, found, now, names)
    report["letters"]["first_suggestion"] = first_suggestion_figures(session, found)
    report["calls"] = call_figures(session, found)
    report["sms"] = _sms(session, found, every_branch)
    report["by_hour"] = figures_by_hour(session, branch_ids, span, found)
    report["sms_breakdown"] = {k: report["sms"].pop(k) for k in SMS_BREAKDOWN}
    report["cross_tabs"].update(report["letters"].pop("cross_tabs"))
    topics = calls_by_topic(session, lambda b, at: within(found, b, at))
    report["cross_tabs"].update({f"calls_{k}": v for k, v in topics.items()})
    report["ratings"] = _ratings(session, found, names)
    report["appointments"] = _appointments(session, found)
    report["labels"] = names["labels"]
    report.update(mobile_days(session, branches, span, now))
    return report


def _per_local_day(
    session: Session, found: list[Window], branch: Any, moment: Any
) -> dict[date, int]:
    """Rows per local calendar day of `moment` in each branch's time zone. PostgreSQL
    converts with the zone itself; SQLite adds each stretch's constant UTC offset."""
    counts: Tally[date] = Tally()
    postgres = _dialect(session) == "postgresql"
    for w in found:
        stretches = (
            [(w.start, w.end, None)] if postgres else offset_segments(w.timezone, w.start, w.end)
        )
        for start, end, offset in stretches:
            if offset is None:
                day: Any = func.date(func.timezone(w.timezone, moment))
            else:
                day = func.date(moment, f"{int(offset.total_seconds()):+d} seconds")
            rows = session.execute(
                select(day, func.count())
                .where(col(branch).in_(w.branch_ids), moment >= start, moment < end)
                .group_by(literal_column("1"))
            ).all()
            for value, n in rows:
                counts[date.fromisoformat(str(value)[:10])] += n
    return dict(counts)


def series(
    session: Session, date_from: date, date_to: date, branch_ids: Sequence[int], period: str
) -> dict[str, Any]:
    """Visitors and letters per day, week (starting Sunday, named by that Sunday),
    month or year of the range, every period present (zero when nothing happened);
    the counts follow the definitions of `summary`."""
    span = DateRange(date_from, date_to)
    through = rolled_through(session, branch_ids)
    visitors: Tally[date] = Tally(
        dict(
            session.execute(
                select(col(Ticket.business_date), func.count())
                .where(fresh_visitors(branch_ids, span, through))
                .group_by(col(Ticket.business_date))
            ).all()
        )
    )
    if through:
        visitors.update(rolled_visitors(session, list(through), span.start, span.end))
    letters = _per_local_day(
        session, windows(session, branch_ids, span), col(Letter.branch_id), col(Letter.created_at)
    )
    per_visitors = roll_up(visitors, span, period)
    per_letters = roll_up(letters, span, period)
    return {
        "period": period,
        "date_from": span.start.isoformat(),
        "date_to": span.end.isoformat(),
        "points": [
            {"period": label, "visitors": per_visitors[label], "letters": per_letters[label]}
            for label in per_visitors
        ],
    }
