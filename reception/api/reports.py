"""JSON API v1 for published statistics: a summary of a range of business dates,
visitors and letters over time, and the summary as CSV or XLSX. Supervisors read
their branch; administrators any branch or, without `branch`, every branch."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.operations import DATE, Answer, ApiRoute, Operation, one_of, query
from reception.api.schemas import ErrorBody
from reception.stats import export, read_models
from reception.stats.numbers import PERCENTILE_DEFINITION, ROUNDING_DEFINITION
from reception.stats.periods import MAX_YEARS, PERIODS
from reception.web import ctx, language_of, read, require_principal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {
        "date_from": q.get("date_from"),
        "date_to": q.get("date_to"),
        "branches": q.getlist("branch"),
    }


async def _summary(request: Request) -> read_models.Report:
    principal = await require_principal(request)
    clock = ctx(request).clock
    params = _params(request)
    return await read(request, lambda s: read_models.summary_for(s, clock, principal, **params))


def _attachment(name: str, report: read_models.Report, extension: str) -> dict[str, str]:
    span = report.span
    filename = f"{name}-{span.start.isoformat()}-{span.end.isoformat()}.{extension}"
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


async def summary(request: Request) -> Response:
    report = await _summary(request)
    return JSONResponse(report.figures)


async def summary_csv(request: Request) -> Response:
    report = await _summary(request)
    return Response(
        export.summary_csv(report.figures),
        media_type="text/csv; charset=utf-8",
        headers=_attachment("reception-summary", report, "csv"),
    )


async def summary_xlsx(request: Request) -> Response:
    principal = await require_principal(request)
    report = await _summary(request)
    params = _params(request)
    period = request.query_params.get("period") or read_models.auto_period(report.span)
    found = await read(
        request, lambda s: read_models.series_for(s, principal, period=period, **params)
    )
    body = export.summary_xlsx(report.figures, found, language_of(request))
    return Response(body, media_type=XLSX, headers=_attachment("reception-summary", report, "xlsx"))


async def series(request: Request) -> Response:
    principal = await require_principal(request)
    params = _params(request)
    period = request.query_params.get("period")
    found = await read(
        request, lambda s: read_models.series_for(s, principal, period=period, **params)
    )
    return JSONResponse(found)


RANGE = (
    query("date_from", "First business date, YYYY-MM-DD", DATE, required=True),
    query(
        "date_to",
        f"Last business date, YYYY-MM-DD (included; at most {MAX_YEARS} years after date_from)",
        DATE,
        required=True,
    ),
    query(
        "branch",
        "Branch slug, repeatable; none: every branch the token may see (a supervisor's own "
        "branch, all branches for an administrator)",
        {"type": "array", "items": {"type": "string", "maxLength": 40}},
    ),
)
PERIOD = query("period", "day, week (from Sunday), month or year", one_of(PERIODS))
REFUSALS = {
    403: Answer("Not a supervisor or administrator, or another branch", ErrorBody),
    422: Answer("Bad or missing dates, reversed or too long a range, unknown branch", ErrorBody),
}
DEFINITIONS = (
    "What counts is defined in reception/stats/reports.py and README (Report figures): "
    "a visitor is a ticket issued in the range and not cancelled; wait is called_at − "
    "issued_at; service is finished_at − serving_at of done tickets; dates are business "
    "dates; a ticket joined from a phone is a visitor once it checked in, its wait "
    "counted from the check-in. `remote`: tickets joined from a phone (`joined`, "
    "cancelled ones included), `arrived` (checked in), `checkin_rate` (arrived ÷ joined, "
    "percent), `cancelled`, `never_arrived` (closed at the end of the day without "
    "checking in) and the waits of those who came, from the check-in (`wait_minutes`) "
    "and from the join (`join_to_call_minutes`) to the call. `by_hour`: per local hour "
    "(0–23, the branch's time zone) the tickets issued "
    "(`arrivals`), called to a counter (`called`, hour of the last call), the waits of "
    "the tickets issued in the hour and the phone calls, for every branch together, per "
    "branch and per hall; `peak_hour` is the hour with the most arrivals (the earliest "
    "on a tie), null without any. `sms.sent`, the headline SMS figure, counts the "
    "messages accepted by the provider (statuses sent, delivered, undelivered); "
    "`sms_breakdown` splits the messages by purpose and delivery status (queued, sent, "
    "delivered, failed, opted_out). `cross_tabs`: visitors by hall × residency, "
    "visitors who left a mobile number (count, percent share), letters by hall × "
    "channel, phone calls by topic slug (`on_a_letter`: logged on a letter's page, no "
    "topic) and direction with the recorded minutes. `incomplete_days`: days (none after "
    "today) whose data a mobile unit has not all sent yet; `mobile`: per mobile branch its "
    "last sync, the records its units still hold and its days with the stop (place) the "
    "unit stood at, the visitors and whether the day is incomplete. Percentiles: "
    f"{PERCENTILE_DEFINITION}. Minutes, means and shares: {ROUNDING_DEFINITION}."
)


def _report(summary: str, operation_id: str, answer: Answer, *extra: dict[str, Any]) -> Operation:
    return Operation(
        summary,
        operation_id=operation_id,
        description=DEFINITIONS,
        parameters=(*RANGE, *extra),
        answers={200: answer, **REFUSALS},
        errors=(401, 503),
    )


routes = [
    ApiRoute(
        "/api/v1/reports/summary",
        summary,
        get=_report(
            "Visitors, waits, service times, figures by hour, letters, calls, SMS, "
            "cross-tabs, ratings, appointments and throughput of a range (supervisor or "
            "administrator token)",
            "reportSummary",
            Answer("The summary"),
        ),
    ),
    ApiRoute(
        "/api/v1/reports/summary.csv",
        summary_csv,
        get=_report(
            "The summary as CSV rows: metric, item, value (hours last: "
            "by_hour[.by_branch|.by_hall].figure, [branch/[hall/]]HH:00–HH:00)",
            "reportSummaryCsv",
            Answer("The summary as CSV", media_type="text/csv", schema={"type": "string"}),
        ),
    ),
    ApiRoute(
        "/api/v1/reports/summary.xlsx",
        summary_xlsx,
        get=_report(
            "The summary and the series as an Excel workbook",
            "reportSummaryXlsx",
            Answer(
                "The workbook",
                media_type=XLSX,
                schema={"type": "string", "format": "binary"},
            ),
            PERIOD,
        ),
    ),
    ApiRoute(
        "/api/v1/reports/series",
        series,
        get=_report(
            "Visitors and letters per day, week, month or year of the range",
            "reportSeries",
            Answer("Visitors and letters per period"),
            PERIOD,
        ),
    ),
]
