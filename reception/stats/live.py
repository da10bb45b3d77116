"""Live figures for the supervisor dashboard: what is happening in one branch right now
and so far today. Pure reads, a handful of grouped statements per call, because the
page asks again after every queue change in the branch.

What counts:

* **Waiting now**: tickets with status `waiting`, whatever their business date; the
  longest wait is now − the oldest one's arrival (issued_at, or arrived_at for a
  ticket joined from a phone), in whole minutes. Tickets joined from a phone and not
  arrived are not waiting: they are listed apart (reception/stats/remote_live.py).
* **Open counters**: counters of the hall with status `open` (of all its counters).
* **Today** is the business date in the branch's time zone. Served: tickets `done`;
  no-shows: `no_show`; mean wait and mean service follow reception/stats/reports.py
  (wait = called_at − arrival of the called visitors' tickets;
  service = finished_at − serving_at of the tickets done).
* **Letters**: registered in the branch on today's local calendar day; routed today:
  distinct letters of the branch with a `route` step today; late: the branch's open
  letters past the target of their current stage (as `sla_state` judges it now).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, extract, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from reception.auth.principal import Principal
from reception.clock import Clock
from reception.edge.completeness import branch_sync_of_slug
from reception.errors import N_, Forbidden
from reception.letters.models import Letter, LetterStep
from reception.letters.rules import OPEN
from reception.letters.sla import late_letters
from reception.queue import queries
from reception.queue.models import Branch, Counter, CounterStatus, Ticket, TicketStatus
from reception.queue.queries import allowed_halls, principal_branch
from reception.stats.durations import arrival, is_visitor
from reception.stats.numbers import half_up
from reception.stats.periods import DateRange, local_bounds
from reception.stats.read_models import number_formatter
from reception.stats.remote_live import remote_by_hall
from reception.stats.scope import require_reader

ROUTE_STEP = "route"


def dashboard_branch(session: Session, principal: Principal, slug: str | None) -> Branch:
    """A supervisor's own branch; an administrator's chosen one (default: the first)."""
    require_reader(principal)
    wanted = (slug or "").strip()[:40] or None
    if principal.branch_id is None:
        if wanted:
            return queries.branch_by_slug(session, wanted)
        return principal_branch(session, principal, None)
    branch = principal_branch(session, principal, None)
    if wanted and wanted != branch.slug:
        raise Forbidden(
            "other_branch", N_("Your account may only read the reports of its own branch.")
        )
    return branch


def dashboard_hall_ids(session: Session, principal: Principal, slug: str | None) -> list[int]:
    """The halls whose changes the dashboard follows."""
    branch = dashboard_branch(session, principal, slug)
    return [h.id or 0 for h in allowed_halls(session, principal, branch)]


def _minutes_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """end − start in minutes, NULL when either is NULL."""
    if dialect == "postgresql":
        return cast(extract("epoch", end - start), Float) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _minutes_since(now: datetime, moment: datetime | None) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds() // 60))


def _mean(total: Any, count: int) -> float | None:
    return half_up(float(total or 0) / count) if count else None


def _waiting(session: Session, hall_ids: list[int]) -> dict[tuple[int, int], tuple[int, Any]]:
    rows = session.execute(
        select(col(Ticket.hall_id), col(Ticket.service_id), func.count(), func.min(arrival()))
        .where(col(Ticket.hall_id).in_(hall_ids), col(Ticket.status) == TicketStatus.waiting)
        .group_by(col(Ticket.hall_id), col(Ticket.service_id))
    ).all()
    return {(h, s): (int(n), oldest) for h, s, n, oldest in rows}


def _today(session: Session, branch: Branch, hall_ids: list[int], today: Any) -> list[Any]:
    dialect = session.get_bind().dialect.name
    wait = _minutes_between(dialect, arrival(), col(Ticket.called_at))
    service = case(
        (
            col(Ticket.status) == TicketStatus.done,
            _minutes_between(dialect, col(Ticket.serving_at), col(Ticket.finished_at)),
        )
    )
    return list(
        session.execute(
            select(
                col(Ticket.hall_id),
                col(Ticket.service_id),
                col(Ticket.status),
                func.count(),
                func.count(wait),
                func.sum(wait),
                func.count(service),
                func.sum(service),
            )
            .where(
                col(Ticket.branch_id) == branch.id,
                col(Ticket.hall_id).in_(hall_ids),
                col(Ticket.business_date) == today,
                is_visitor(),
            )
            .group_by(col(Ticket.hall_id), col(Ticket.service_id), col(Ticket.status))
        ).all()
    )


def _counters(session: Session, hall_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = defaultdict(lambda: {"open": 0, "total": 0})
    for hall_id, status, n in session.execute(
        select(col(Counter.hall_id), col(Counter.status), func.count())
        .where(col(Counter.hall_id).in_(hall_ids))
        .group_by(col(Counter.hall_id), col(Counter.status))
    ).all():
        found[hall_id]["total"] += int(n)
        if status == CounterStatus.open:
            found[hall_id]["open"] += int(n)
    return found


def _letters(session: Session, branch: Branch, today: Any, now: datetime) -> dict[str, int]:
    start, end = local_bounds(branch.timezone, DateRange(today, today))
    received = session.execute(
        select(func.count())
        .select_from(Letter)
        .where(
            col(Letter.branch_id) == branch.id,
            col(Letter.created_at) >= start,
            col(Letter.created_at) < end,
        )
    ).scalar_one()
    routed = session.execute(
        select(func.count(func.distinct(col(LetterStep.letter_id))))
        .join(Letter, col(Letter.id) == col(LetterStep.letter_id))
        .where(
            col(Letter.branch_id) == branch.id,
            col(LetterStep.kind) == ROUTE_STEP,
            col(LetterStep.at) >= start,
            col(LetterStep.at) < end,
        )
    ).scalar_one()
    is_open = and_(col(Letter.branch_id) == branch.id, col(Letter.status).in_([*OPEN]))
    still_open, late = session.execute(
        select(
            func.count(),
            func.sum(case((late_letters(session, now), 1), else_=0)),
        ).where(is_open)
    ).one()
    return {
        "received": int(received or 0),
        "routed": int(routed or 0),
        "open": int(still_open or 0),
        "late": int(late or 0),
    }


def live_figures(
    session: Session, clock: Clock, principal: Principal, branch_slug: str | None = None
) -> dict[str, Any]:
    """Every figure of the dashboard for the principal's branch (see the module's
    docstring for what counts), ready to be sent as JSON."""
    branch = dashboard_branch(session, principal, branch_slug)
    halls = allowed_halls(session, principal, branch)
    hall_ids = [h.id or 0 for h in halls]
    now = clock.now()
    today = clock.local_date(branch.timezone)
    waiting = _waiting(session, hall_ids)
    counters = _counters(session, hall_ids)
    remote = remote_by_hall(session, hall_ids, today, now)
    per_hall: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    per_service: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for hall_id, service_id, status, n, wait_n, wait_sum, service_n, service_sum in _today(
        session, branch, hall_ids, today
    ):
        figures = per_hall[hall_id]
        figures["wait_n"] += int(wait_n)
        figures["wait_sum"] += float(wait_sum or 0)
        figures["service_n"] += int(service_n)
        figures["service_sum"] += float(service_sum or 0)
        if status == TicketStatus.done:
            figures["served"] += int(n)
            per_service[(hall_id, service_id)]["served"] += int(n)
        elif status == TicketStatus.no_show:
            figures["no_shows"] += int(n)
            per_service[(hall_id, service_id)]["no_shows"] += int(n)
    result_halls = []
    for hall in halls:
        hall_id = hall.id or 0
        rows = []
        seen: set[int] = set()
        for service in queries.hall_services(session, hall):
            sid = service.id or 0
            seen.add(sid)
            count, oldest = waiting.get((hall_id, sid), (0, None))
            rows.append(_service_row(service, count, oldest, per_service[(hall_id, sid)], now))
        # Tickets of a service no counter offers any more still wait in the hall.
        for (h, sid), (count, oldest) in waiting.items():
            if h == hall_id and sid not in seen:
                rows.append(_service_row(None, count, oldest, per_service[(h, sid)], now, sid))
        oldest_in_hall = min(
            (o for (h, _), (_, o) in waiting.items() if h == hall_id and o is not None),
            default=None,
        )
        longest = _minutes_since(now, oldest_in_hall)
        figures = per_hall[hall_id]
        result_halls.append(
            {
                "slug": hall.slug,
                "section": hall.section,
                "name_ar": hall.name_ar,
                "name_en": hall.name_en,
                "waiting": sum(c for (h, _), (c, _) in waiting.items() if h == hall_id),
                "longest_wait_minutes": longest,
                "over_max_wait": bool(
                    longest is not None
                    and branch.max_wait_minutes
                    and longest >= branch.max_wait_minutes
                ),
                "open_counters": counters[hall_id]["open"],
                "counters": counters[hall_id]["total"],
                "served": int(figures["served"]),
                "no_shows": int(figures["no_shows"]),
                "wait_minutes_mean": _mean(figures["wait_sum"], int(figures["wait_n"])),
                "service_minutes_mean": _mean(figures["service_sum"], int(figures["service_n"])),
                "services": rows,
                "remote": remote[hall_id],
            }
        )
    zone = ZoneInfo(branch.timezone)
    return {
        "branch": {"slug": branch.slug, "name_ar": branch.name_ar, "name_en": branch.name_en},
        "date": today.isoformat(),
        "at": now.isoformat(),
        "updated": now.astimezone(zone).strftime("%H:%M:%S"),
        "max_wait_minutes": branch.max_wait_minutes,
        "halls": result_halls,
        "letters": _letters(session, branch, today, now),
    }


def _service_row(
    service: Any,
    waiting: int,
    oldest: datetime | None,
    today: dict[str, int],
    now: datetime,
    service_id: int | None = None,
) -> dict[str, Any]:
    return {
        "slug": service.slug if service else str(service_id),
        "name_ar": service.name_ar if service else str(service_id),
        "name_en": service.name_en if service else str(service_id),
        "waiting": waiting,
        "longest_wait_minutes": _minutes_since(now, oldest),
        "served": int(today.get("served", 0)),
        "no_shows": int(today.get("no_shows", 0)),
    }


def figure_texts(figures: dict[str, Any], fmt: Callable[[float | None], str]) -> dict[str, str]:
    """Each number of the page as it is shown, by the key the page marks it with
    (`data-fig`), so the page's script only swaps text."""
    texts: dict[str, str] = {}
    for hall in figures["halls"]:
        h = hall["slug"]
        for key in (
            "waiting",
            "longest_wait_minutes",
            "open_counters",
            "counters",
            "served",
            "no_shows",
            "wait_minutes_mean",
            "service_minutes_mean",
        ):
            texts[f"{h}.{key}"] = fmt(hall[key])
        for key in ("away", "arrived_today", "joined_today"):
            texts[f"{h}.remote.{key}"] = fmt(hall["remote"][key])
        for row in hall["services"]:
            for key in ("waiting", "longest_wait_minutes", "served", "no_shows"):
                texts[f"{h}.{row['slug']}.{key}"] = fmt(row[key])
    for key, value in figures["letters"].items():
        texts[f"letters.{key}"] = fmt(value)
    texts["updated"] = figures["updated"]
    return texts


def figure_alerts(figures: dict[str, Any]) -> dict[str, bool]:
    """Tiles to draw attention to (a hall whose oldest ticket waits past the branch's
    maximum wait, letters past their target) and whether the day is still empty."""
    alerts = {f"{h['slug']}.longest": bool(h["over_max_wait"]) for h in figures["halls"]}
    alerts["letters.late"] = figures["letters"]["late"] > 0
    alerts["empty"] = not any(
        h["waiting"] or h["served"] or h["no_shows"] for h in figures["halls"]
    )
    return alerts


def branch_choices(session: Session, principal: Principal) -> list[Branch]:
    """The branches an administrator may switch between (none for a supervisor)."""
    if principal.branch_id is not None:
        return []
    return list(session.execute(select(Branch).order_by(col(Branch.id))).scalars().all())


def dashboard_view(
    session: Session,
    clock: Clock,
    principal: Principal,
    language: str,
    branch_slug: str | None = None,
) -> dict[str, Any]:
    """The figures with their shown texts and alerts, for the page and its JSON."""
    figures = live_figures(session, clock, principal, branch_slug)
    return {
        "figures": figures,
        "text": figure_texts(figures, number_formatter(language)),
        "alert": figure_alerts(figures),
        "choices": branch_choices(session, principal),
        "unit": branch_sync_of_slug(session, figures["branch"]["slug"]),
    }
