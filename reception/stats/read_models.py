"""What the report screens and the report API show: one call each, from the raw
request values to the figures (and, for the pages, the charts and their tables)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from babel.dates import format_date
from sqlmodel import Session, col, select

from reception.auth.principal import Principal
from reception.clock import Clock
from reception.errors import N_
from reception.i18n import gettext
from reception.labels import STATUS_LABELS
from reception.queue.models import Branch
from reception.stats import reports
from reception.stats.charts import BarChart, ColumnChart, bar_chart, column_chart
from reception.stats.numbers import number_formatter as number_formatter
from reception.stats.periods import (
    PRESETS,
    DateRange,
    parse_month,
    parse_period,
    parse_range,
    preset_range,
)
from reception.stats.scope import Scope, report_scope, require_reader, today_in
from reception.stats.tables import detail_context


@dataclass(frozen=True)
class Report:
    scope: Scope
    span: DateRange
    figures: dict[str, Any]


def summary_for(
    session: Session,
    clock: Clock,
    principal: Principal,
    *,
    date_from: str | None,
    date_to: str | None,
    branches: Sequence[str],
) -> Report:
    require_reader(principal)
    span = parse_range(date_from, date_to)
    scope = report_scope(session, principal, branches)
    figures = reports.summary(session, span.start, span.end, scope.branch_ids, now=clock.now())
    return Report(scope, span, figures)


def series_for(
    session: Session,
    principal: Principal,
    *,
    date_from: str | None,
    date_to: str | None,
    branches: Sequence[str],
    period: str | None,
) -> dict[str, Any]:
    require_reader(principal)
    span = parse_range(date_from, date_to)
    chosen = parse_period(period)
    scope = report_scope(session, principal, branches)
    found = reports.series(session, span.start, span.end, scope.branch_ids, chosen)
    return {"branches": scope.slugs, **found}


def auto_period(span: DateRange) -> str:
    if span.days <= 62:
        return "day"
    if span.days <= 190:
        return "week"
    if span.days <= 1100:
        return "month"
    return "year"


@dataclass(frozen=True)
class Figure:
    """One chart with the table beside it and its text alternative."""

    key: str
    title: str
    rows: list[tuple[str, float]]
    chart: BarChart
    summary: str


def _figure(
    key: str, title: str, rows: list[tuple[str, float]], language: str, label_width: int = 170
) -> Figure:
    fmt = number_formatter(language)
    chart = bar_chart(rows, language == "ar", fmt, label_width=label_width)
    sep = "، " if language == "ar" else "; "
    text = sep.join(f"{label}: {fmt(value)}" for label, value in rows) or gettext(
        language, N_("Nothing in this period.")
    )
    return Figure(key, title, rows, chart, text)


def _label(labels: dict[str, dict[str, str]], slug: str, language: str) -> str:
    names = labels.get(slug)
    return names[language] if names else slug


def _status(language: str, code: str) -> str:
    return gettext(language, STATUS_LABELS[code]) if code in STATUS_LABELS else code


def figures_of(data: dict[str, Any], language: str) -> list[Figure]:
    """The charts of a summary, in the order the page shows them."""
    _ = lambda message: gettext(language, message)  # noqa: E731
    labels = data["labels"]
    visitors = data["visitors"]
    hall_names = {"men": _(N_("Men")), "women": _(N_("Women"))}
    residency_names = {
        "citizen": _(N_("Citizen")),
        "resident": _(N_("Resident")),
        "unknown": _(N_("unknown")),
    }
    letters = data["letters"]
    ratings = data["ratings"]
    return [
        _figure(
            "by-hall",
            _(N_("Visitors by hall")),
            [(hall_names.get(k, k), v) for k, v in visitors["by_hall"].items()],
            language,
        ),
        _figure(
            "by-residency",
            _(N_("Visitors by residency")),
            [(residency_names.get(k, k), v) for k, v in visitors["by_residency"].items()],
            language,
        ),
        _figure(
            "by-service",
            _(N_("Visitors by service")),
            [
                (_label(labels["services"], k, language), v)
                for k, v in visitors["by_service"].items()
            ],
            language,
        ),
        _figure(
            "by-priority",
            _(N_("Visitors by priority")),
            [
                (
                    _(N_("No priority"))
                    if k == "none"
                    else _label(labels["priorities"], k, language),
                    v,
                )
                for k, v in visitors["by_priority"].items()
            ],
            language,
        ),
        _figure(
            "ratings",
            _(N_("Ratings from 1 to 5")),
            [(f"{k} ★", v) for k, v in sorted(ratings["distribution"].items(), reverse=True)],
            language,
            label_width=80,
        ),
        _figure(
            "letters-category",
            _(N_("Letters by category")),
            [
                (
                    _(N_("Not classified yet"))
                    if k == "unclassified"
                    else _label(labels["categories"], k, language),
                    v,
                )
                for k, v in letters["by_category"].items()
            ],
            language,
            label_width=220,
        ),
        _figure(
            "letters-status",
            _(N_("Letters by status")),
            [(_status(language, k), v) for k, v in letters["by_status"].items()],
            language,
        ),
        _figure(
            "letters-department",
            _(N_("Letters by department")),
            [
                (
                    _(N_("Not routed yet"))
                    if k == "unassigned"
                    else _label(labels["departments"], k, language),
                    v,
                )
                for k, v in letters["by_department"].items()
            ],
            language,
            label_width=220,
        ),
    ]


@dataclass(frozen=True)
class SeriesFigure:
    title: str
    period: str
    points: list[dict[str, Any]]
    chart: ColumnChart
    summary: str


def series_figure(found: dict[str, Any], language: str) -> SeriesFigure:
    fmt = number_formatter(language)
    points = [(p["period"], p["visitors"], p["letters"]) for p in found["points"]]
    chart = column_chart(points, language == "ar", fmt)
    total_visitors = sum(p[1] for p in points)
    total_letters = sum(p[2] for p in points)
    text = gettext(
        language,
        N_("{visitors} visitors and {letters} letters from {first} to {last}."),
        visitors=fmt(total_visitors),
        letters=fmt(total_letters),
        first=chart.first_label,
        last=chart.last_label,
    )
    return SeriesFigure(
        gettext(language, N_("Visitors and letters over time")),
        found["period"],
        found["points"],
        chart,
        text,
    )


def _choices(session: Session, principal: Principal) -> list[Branch]:
    stmt = select(Branch).order_by(col(Branch.id))
    if principal.branch_id is not None:
        stmt = stmt.where(Branch.id == principal.branch_id)
    return list(session.exec(stmt).all())


def report_page(
    session: Session,
    clock: Clock,
    principal: Principal,
    language: str,
    *,
    preset: str | None,
    date_from: str | None,
    date_to: str | None,
    branches: Sequence[str],
    period: str | None,
) -> dict[str, Any]:
    """The context of /staff/reports: a preset, or both dates, or this month."""
    require_reader(principal)
    scope = report_scope(session, principal, branches)
    today = today_in(scope, clock)
    if preset in PRESETS:
        span = preset_range(preset, today)
    elif date_from or date_to:
        span = parse_range(date_from, date_to)
    else:
        span = preset_range("month", today)
    chosen_period = parse_period(period) if period else auto_period(span)
    data = reports.summary(session, span.start, span.end, scope.branch_ids, now=clock.now())
    found = reports.series(session, span.start, span.end, scope.branch_ids, chosen_period)
    return {
        "report": data,
        "span": span,
        "scope": scope,
        "figures": figures_of(data, language),
        "series": series_figure(found, language),
        **detail_context(data, language),
        "period": chosen_period,
        "choices": _choices(session, principal),
        "fmt": number_formatter(language),
        "query": _query(span, scope, branches, chosen_period),
        "month": span.start.strftime("%Y-%m"),
        "selected": [slug for slug in branches if slug],
    }


def monthly_page(
    session: Session,
    clock: Clock,
    principal: Principal,
    language: str,
    *,
    month: str | None,
    branches: Sequence[str],
) -> dict[str, Any]:
    """The context of the printable monthly report (the current month by default)."""
    require_reader(principal)
    scope = report_scope(session, principal, branches)
    span = parse_month(month, today_in(scope, clock))
    data = reports.summary(session, span.start, span.end, scope.branch_ids, now=clock.now())
    found = reports.series(session, span.start, span.end, scope.branch_ids, "day")
    return {
        "report": data,
        "span": span,
        "scope": scope,
        "figures": figures_of(data, language),
        "series": series_figure(found, language),
        **detail_context(data, language),
        "fmt": number_formatter(language),
        "month_name": format_date(span.start, "LLLL y", locale=language),
        "generated": clock.now(),
        "query": _query(span, scope, branches, "day"),
    }


def _query(span: DateRange, scope: Scope, branches: Sequence[str], period: str) -> str:
    from urllib.parse import urlencode

    pairs = [("date_from", span.start.isoformat()), ("date_to", span.end.isoformat())]
    pairs += [("branch", slug) for slug in branches if slug]
    pairs.append(("period", period))
    return urlencode(pairs)
