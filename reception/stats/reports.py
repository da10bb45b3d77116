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
* **Wait** is called_at − issued_at of the visitors' tickets that were called (called_at
  set; a recalled or returned ticket keeps its last call).
* **Service** is finished_at − serving_at of the visitors' tickets that are `done` and
  were started (serving_at set).
* Both are measured in whole seconds (the two instants each truncated to the second)
  and published in minutes: the mean of the seconds / 60, and continuous percentiles
  (linear interpolation between neighbours, as `percentile_cont`).
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
* **Appointments** whose start time falls in the range: `booked` all but cancelled,
  `kept` checked in, `no_show` not come, `cancelled` cancelled.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, literal_column, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.appointments.models import Appointment, AppointmentStatus
from reception.auth.models import StaffUser
from reception.clock import utcnow
from reception.feedback.models import Rating
from reception.letters.models import (
    CallTopic,
    Category,
    Channel,
    Department,
    Enquiry,
    Letter,
    LetterStep,
)
from reception.letters.rules import OPEN, SLA_STAGES
from reception.notify.models import OutgoingSms
from reception.queue.models import (
    Branch,
    Counter,
    Hall,
    PriorityGroup,
    Service,
    Ticket,
    TicketStatus,
)
from reception.stats.breakdowns import SMS_BREAKDOWN, calls_by_topic, sms_figures, sms_rows
from reception.stats.hourly import (
    by_hour,
    phone_calls_by_hour,
    rolled_hour_tallies,
    ticket_hour_tallies,
)
from reception.stats.numbers import duration_figures, mean, share
from reception.stats.numbers import histogram_percentiles as histogram_percentiles
from reception.stats.periods import DateRange, local_bounds, offset_segments, roll_up
from reception.stats.rollup import (
    duration_rows,
    fold,
    fold_halls,
    hall_rows,
    rolled_durations,
    rolled_figures,
    rolled_through,
    rolled_visitors,
    ticket_rows,
)

CALL_KINDS = ("call_in", "call_out")


@dataclass(frozen=True)
class Window:
    """Branches that share a time zone and the UTC instants bounding the range there."""

    timezone: str
    branch_ids: tuple[int, ...]
    start: datetime
    end: datetime


def windows(session: Session, branch_ids: Sequence[int], span: DateRange) -> list[Window]:
    rows = session.execute(
        select(col(Branch.id), col(Branch.timezone))
        .where(col(Branch.id).in_(list(branch_ids)))
        .order_by(col(Branch.id))
    ).all()
    zones: dict[str, list[int]] = defaultdict(list)
    for branch_id, zone in rows:
        zones[zone].append(branch_id or 0)
    return [Window(z, tuple(ids), *local_bounds(z, span)) for z, ids in zones.items()]


def _within(found: list[Window], branch: Any, moment: Any) -> ColumnElement[bool]:
    if not found:
        return false()
    return or_(
        *[and_(col(branch).in_(w.branch_ids), moment >= w.start, moment < w.end) for w in found]
    )


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


_mean = mean


def _visitors_where(branch_ids: Sequence[int], span: DateRange) -> ColumnElement[bool]:
    return and_(
        col(Ticket.branch_id).in_(list(branch_ids)),
        col(Ticket.business_date) >= span.start,
        col(Ticket.business_date) <= span.end,
        col(Ticket.status) != TicketStatus.cancelled,
    )


def _fresh(
    branch_ids: Sequence[int], span: DateRange, through: dict[int, date]
) -> ColumnElement[bool]:
    """The visitors of the days not rolled up yet (see reception/stats/rollup.py): one
    date range per branch, so the (branch, business date) index serves each."""
    whole = [b for b in branch_ids if b not in through]
    parts = [_visitors_where(whole, span)] if whole else []
    for branch_id, day in through.items():
        if day < span.end:
            after = DateRange(max(span.start, day + timedelta(days=1)), span.end)
            parts.append(_visitors_where([branch_id], after))
    return or_(*parts) if parts else false()


def _visitors(
    session: Session, branch_ids: Sequence[int], span: DateRange, names: dict[str, Any]
) -> dict:
    """Visitors, waits, service times and throughput: the rollup of the days already
    rolled up plus one grouped pass over the tickets of the others, and the exact
    histograms of waits and service times the same way."""
    through = rolled_through(session, branch_ids)
    fresh = _fresh(branch_ids, span, through)
    figures = fold(ticket_rows(session, fresh))
    fold_halls(hall_rows(session, fresh), into=figures)
    durations = {m: Tally(dict(duration_rows(session, fresh, m))) for m in ("wait", "service")}
    if through:
        last = min(max(through.values()), span.end)
        rolled_figures(session, list(through), span.start, last, into=figures)
        for measure, histogram in durations.items():
            histogram.update(rolled_durations(session, list(through), span.start, last, measure))
    by_dimension: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for (dimension, key), tally in figures.items():
        by_dimension[dimension][key] = tally
    halls = dict(session.execute(select(col(Hall.id), col(Hall.section))).all())
    by_hall: Tally[str] = Tally({"men": 0, "women": 0})
    by_residency: Tally[str] = Tally({"citizen": 0, "resident": 0, "unknown": 0})
    by_service: Tally[str] = Tally()
    by_priority: Tally[str] = Tally()
    by_status: Tally[str] = Tally()
    for key, t in by_dimension["hall"].items():
        by_hall[halls.get(_id(key), "other")] += t[0]
    for key, t in by_dimension["residency"].items():
        by_residency[key if key in ("citizen", "resident") else "unknown"] += t[0]
    for key, t in by_dimension["service"].items():
        by_service[names["service_slugs"].get(_id(key), key)] += t[0]
    for key, t in by_dimension["priority"].items():
        by_priority[names["priority_slugs"].get(_id(key), "none")] += t[0]
    waits, services = _Sum(), _Sum()
    for key, t in by_dimension["status"].items():
        by_status[key] += t[0]
        waits.add(t[3], t[4])
        services.add(t[5], t[6])
    cross = _hall_cross(by_dimension, halls, sum(by_status.values()), by_hall)
    counters = {_id(k) or 0: _Work(t) for k, t in by_dimension["counter"].items()}
    operators = {_id(k): _Work(t) for k, t in by_dimension["operator"].items()}
    return {
        "visitors": {
            "total": sum(by_status.values()),
            "by_hall": dict(by_hall),
            "by_residency": dict(by_residency),
            "by_service": _ranked(by_service),
            "by_priority": _ranked(by_priority),
            "by_status": _ranked(by_status),
        },
        "cross_tabs": cross,
        "no_shows": by_status[TicketStatus.no_show],
        "wait_minutes": waits.figures(durations["wait"]),
        "service_minutes": services.figures(durations["service"]),
        "throughput": _throughput(session, counters, operators),
    }


def _hall_cross(
    by_dimension: dict[str, dict[str, list[int]]],
    halls: dict[Any, str],
    visitors: int,
    by_hall: Tally[str],
) -> dict[str, Any]:
    """Hall × residency, and the visitors who left a mobile number (count and share
    of the visitors, in percent) in all and per hall."""
    residency: dict[str, Tally[str]] = {
        section: Tally({"citizen": 0, "resident": 0, "unknown": 0}) for section in by_hall
    }
    for key, t in by_dimension["hall_residency"].items():
        hall, _, known = key.partition("|")
        section = halls.get(_id(hall), "other")
        residency.setdefault(section, Tally({"citizen": 0, "resident": 0, "unknown": 0}))
        residency[section][known] += t[0]
    mobile: Tally[str] = Tally(dict.fromkeys(by_hall, 0))
    for key, t in by_dimension["hall_mobile"].items():
        mobile[halls.get(_id(key), "other")] += t[0]
    left = sum(mobile.values())
    return {
        "visitors_by_hall_residency": {section: dict(t) for section, t in residency.items()},
        "visitors_with_mobile": {
            "count": left,
            "share": share(left, visitors),
            "by_hall": {
                section: {"count": n, "share": share(n, by_hall[section])}
                for section, n in mobile.items()
            },
        },
    }


def _id(key: str) -> int | None:
    return int(key) if key else None


def _ranked(tally: Tally[str]) -> dict[str, int]:
    """Largest first; equal counts in the order of their names."""
    return dict(sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])))


class _Sum:
    """Count and total seconds of some durations."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0

    def add(self, count: int, seconds: int) -> None:
        self.count += count
        self.seconds += seconds

    def mean(self) -> float | None:
        return _mean(self.seconds / 60.0, self.count)

    def figures(self, histogram: Tally[int]) -> dict[str, Any]:
        return duration_figures(self.count, self.seconds, histogram)


class _Work:
    """Tickets done and not come at one counter or by one operator (a figure's
    MEASURES)."""

    def __init__(self, tally: list[int]) -> None:
        self.served = tally[1]
        self.no_shows = tally[2]
        self.minutes = _Sum()
        self.minutes.add(tally[5], tally[6])

    def figures(self) -> dict[str, Any]:
        return {
            "served": self.served,
            "no_shows": self.no_shows,
            "service_minutes_mean": self.minutes.mean(),
        }


def _throughput(
    session: Session, counters: dict[int, _Work], operators: dict[int | None, _Work]
) -> dict[str, list[dict[str, Any]]]:
    places = _counter_places(session, counters)
    people = _operator_names(session, [o for o in operators if o is not None])
    nobody = {"id": None, "username": None, "name": None}
    by_counter = [{**places.get(c, {"id": c}), **w.figures()} for c, w in counters.items()]
    by_operator = [{**people.get(o, nobody), **w.figures()} for o, w in operators.items()]
    by_counter.sort(
        key=lambda r: (r.get("branch") or "", r.get("hall") or "", r.get("counter") or 0)
    )
    by_operator.sort(key=lambda r: (-r["served"], r["username"] or ""))
    return {"by_counter": by_counter, "by_operator": by_operator}


def _counter_places(session: Session, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(col(Counter.id), col(Counter.number), col(Hall.slug), col(Branch.slug))
        .join(Hall, col(Hall.id) == col(Counter.hall_id))
        .join(Branch, col(Branch.id) == col(Hall.branch_id))
        .where(col(Counter.id).in_(list(ids)))
    ).all()
    return {
        cid or 0: {"id": cid, "branch": branch, "hall": hall, "counter": number}
        for cid, number, hall, branch in rows
    }


def _operator_names(session: Session, ids: Iterable[int]) -> dict[int | None, dict[str, Any]]:
    rows = session.execute(
        select(col(StaffUser.id), col(StaffUser.username), col(StaffUser.full_name)).where(
            col(StaffUser.id).in_(list(ids))
        )
    ).all()
    return {uid: {"id": uid, "username": u, "name": name or u} for uid, u, name in rows}


def late_letters(session: Session, now: datetime) -> ColumnElement[bool]:
    """Open letters past the target of their current stage, as `sla_state` judges:
    late when now − status_since > the stage's target hours (a returned letter is
    held to the classification target; no positive target: never late)."""
    targets: dict[tuple[str, float], list[int]] = defaultdict(list)
    for category_id, hours in session.execute(
        select(col(Category.id), col(Category.sla_hours))
    ).all():
        for stage in SLA_STAGES:
            target = (hours or {}).get("classified" if stage == "returned" else stage)
            if isinstance(target, int | float) and not isinstance(target, bool) and target > 0:
                targets[(stage, float(target))].append(category_id or 0)
    if not targets:
        return false()
    return or_(
        *[
            and_(
                col(Letter.status) == stage,
                col(Letter.category_id).in_(ids),
                col(Letter.status_since) < now - timedelta(hours=hours),
            )
            for (stage, hours), ids in targets.items()
        ]
    )


def _letters(
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
        .where(_within(found, col(Letter.branch_id), col(Letter.created_at)))
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


def _calls(session: Session, found: list[Window]) -> dict[str, Any]:
    """Calls about a letter: those logged on the letter's page (letter steps) and
    those of the call log that name a letter; the other calls of the log are
    general enquiries."""
    about_letters = dict(
        session.execute(
            select(col(LetterStep.kind), func.count())
            .join(Letter, col(Letter.id) == col(LetterStep.letter_id))
            .where(
                col(LetterStep.kind).in_(CALL_KINDS),
                _within(found, col(Letter.branch_id), col(LetterStep.at)),
            )
            .group_by(col(LetterStep.kind))
        ).all()
    )
    named = case((col(Enquiry.letter_id).is_not(None), 1), else_=0)
    logged: Tally[tuple[str, bool]] = Tally()
    for direction, on_letter, n in session.execute(
        select(col(Enquiry.direction), named, func.count())
        .where(_within(found, col(Enquiry.branch_id), col(Enquiry.at)))
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


def _by_hour(
    session: Session, branch_ids: Sequence[int], span: DateRange, found: list[Window]
) -> dict[str, Any]:
    """Figures per local hour (reception/stats/hourly.py): the tickets of the days not
    rolled up plus the rollup of the others, as `_visitors` does."""
    through = rolled_through(session, branch_ids)
    zones = {b: w.timezone for w in found for b in w.branch_ids}
    tallies = ticket_hour_tallies(session, _fresh(branch_ids, span, through), zones)
    if through:
        last = min(max(through.values()), span.end)
        rolled_hour_tallies(session, list(through), span.start, last, into=tallies)
    phone = phone_calls_by_hour(session, found, CALL_KINDS)
    return by_hour(session, branch_ids, tallies, phone)


def _ratings(session: Session, found: list[Window], names: dict[str, Any]) -> dict[str, Any]:
    rows = session.execute(
        select(
            col(Rating.service_id),
            col(Rating.counter_id),
            col(Rating.operator_id),
            col(Rating.score),
            func.count(),
        )
        .where(_within(found, col(Rating.branch_id), col(Rating.at)))
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
        return {"count": tally[0], "mean": _mean(tally[1], tally[0], 2)}

    places = _counter_places(session, [c for c in groups["counter"] if c is not None])
    people = _operator_names(session, [o for o in groups["operator"] if o is not None])
    by_service: dict[str, dict[str, Any]] = {}
    for service_id, tally in groups["service"].items():
        slug = names["service_slugs"].get(service_id, str(service_id))
        merged = by_service.setdefault(slug, {"count": 0, "sum": 0})
        merged["count"] += tally[0]
        merged["sum"] += tally[1]
    return {
        "count": count,
        "mean": _mean(total, count, 2),
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
        .where(_within(found, col(Appointment.branch_id), col(Appointment.starts_at)))
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
    report.update(_visitors(session, branch_ids, span, names))
    report["letters"] = _letters(session, found, now, names)
    report["calls"] = _calls(session, found)
    report["sms"] = _sms(session, found, every_branch)
    report["by_hour"] = _by_hour(session, branch_ids, span, found)
    report["sms_breakdown"] = {k: report["sms"].pop(k) for k in SMS_BREAKDOWN}
    report["cross_tabs"].update(report["letters"].pop("cross_tabs"))
    topics = calls_by_topic(session, lambda b, at: _within(found, b, at))
    report["cross_tabs"].update({f"calls_{k}": v for k, v in topics.items()})
    report["ratings"] = _ratings(session, found, names)
    report["appointments"] = _appointments(session, found)
    report["labels"] = names["labels"]
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
                .where(_fresh(branch_ids, span, through))
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
