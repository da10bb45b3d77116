"""Report screens for supervisors and administrators: the report of a range with
charts and tables, its CSV and XLSX downloads, and the printable monthly report."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reception.inputs import typed_date
from reception.stats import export, read_models
from reception.web import ctx, language_of, read, render, require_principal

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(request: Request, name: str) -> str | None:
    """A date field of the report form as typed (Arabic digits, `/`), read as YYYY-MM-DD."""
    raw = request.query_params.get(name)
    return typed_date(raw) if raw else raw


def _branches(request: Request) -> list[str]:
    return [b for b in request.query_params.getlist("branch") if b]


async def report(request: Request) -> Response:
    principal = await require_principal(request)
    q = request.query_params
    clock = ctx(request).clock
    language = language_of(request)
    context = await read(
        request,
        lambda s: read_models.report_page(
            s,
            clock,
            principal,
            language,
            preset=q.get("preset"),
            date_from=_day(request, "date_from"),
            date_to=_day(request, "date_to"),
            branches=_branches(request),
            period=q.get("period"),
        ),
    )
    return render(request, "stats/report.html", context)


async def monthly(request: Request) -> Response:
    principal = await require_principal(request)
    clock = ctx(request).clock
    language = language_of(request)
    month = request.query_params.get("month")
    context = await read(
        request,
        lambda s: read_models.monthly_page(
            s, clock, principal, language, month=month, branches=_branches(request)
        ),
    )
    return render(request, "stats/monthly.html", context)


async def _download(request: Request, extension: str) -> Response:
    principal = await require_principal(request)
    q = request.query_params
    clock = ctx(request).clock
    params = {"date_from": _day(request, "date_from"), "date_to": _day(request, "date_to")}
    branches = _branches(request)
    found = await read(
        request,
        lambda s: read_models.summary_for(s, clock, principal, branches=branches, **params),
    )
    name = f"reception-summary-{found.span.start.isoformat()}-{found.span.end.isoformat()}"
    headers = {"Content-Disposition": f'attachment; filename="{name}.{extension}"'}
    if extension == "csv":
        body = export.summary_csv(found.figures)
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
    period = q.get("period") or read_models.auto_period(found.span)
    series = await read(
        request,
        lambda s: read_models.series_for(
            s, principal, branches=_branches(request), period=period, **params
        ),
    )
    body = export.summary_xlsx(found.figures, series, language_of(request))
    return Response(body, media_type=XLSX, headers=headers)


async def summary_csv(request: Request) -> Response:
    return await _download(request, "csv")


async def summary_xlsx(request: Request) -> Response:
    return await _download(request, "xlsx")


routes = [
    Route("/staff/reports", report, methods=["GET"]),
    Route("/staff/reports/monthly", monthly, methods=["GET"]),
    Route("/staff/reports/summary.csv", summary_csv, methods=["GET"]),
    Route("/staff/reports/summary.xlsx", summary_xlsx, methods=["GET"]),
]
