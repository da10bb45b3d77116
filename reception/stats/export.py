"""A summary as rows of (metric, item, value): the CSV and the XLSX workbook give the
same figures as the JSON, one per line, with names a spreadsheet can filter on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from reception.errors import N_
from reception.i18n import gettext
from reception.timefmt import local_time

SKIPPED = {
    "labels",
    "branches",
    "every_branch",
    "date_from",
    "date_to",
    "by_hour",
    "incomplete_days",
    "mobile",
}
PLACE_KEYS = ("branch", "hall", "counter")
PERSON_KEYS = ("id", "username", "name")


def _entry_label(entry: dict[str, Any]) -> tuple[str, set[str]]:
    if "counter" in entry:
        label = "/".join(str(entry.get(k) or "") for k in PLACE_KEYS)
        return label, {"id", *PLACE_KEYS}
    if "username" in entry:
        return str(entry.get("username") or "-"), set(PERSON_KEYS)
    return "", set()


def hour_label(hour: int) -> str:
    """ "09:00–10:00" for hour 9 (local time)."""
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def _hour_rows(by_hour: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """The hours as (by_hour[.by_branch|.by_hall].figure, [branch/[hall/]]hour, value)."""

    def one(metric: str, place: str, found: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
        yield f"{metric}.peak_hour", place.rstrip("/"), found["peak_hour"]
        for entry in found["hours"]:
            item = place + hour_label(entry["hour"])
            for key, value in entry.items():
                if key == "hour":
                    continue
                if isinstance(value, dict):
                    for stat, figure in value.items():
                        yield f"{metric}.{key}.{stat}", item, figure
                else:
                    yield f"{metric}.{key}", item, value

    yield from one("by_hour", "", by_hour)
    for branch in by_hour["by_branch"]:
        yield from one("by_hour.by_branch", f"{branch['branch']}/", branch)
    for hall in by_hour["by_hall"]:
        yield from one("by_hour.by_hall", f"{hall['branch']}/{hall['hall']}/", hall)


def rows_of(report: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """Every figure with a dotted metric name: ("visitors.by_hall", "men", 7). The
    hours come last: ("by_hour.arrivals", "09:00–10:00", 12)."""
    yield "report", "date_from", report["date_from"]
    yield "report", "date_to", report["date_to"]
    yield "report", "branches", " ".join(b["slug"] for b in report["branches"])
    if "sms_breakdown" in report:
        yield "report", "sms_headline", report["sms_breakdown"]["headline"]

    def walk(prefix: str, value: Any) -> Iterator[tuple[str, str, Any]]:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict | list):
                    yield from walk(f"{prefix}.{key}" if prefix else key, item)
                else:
                    yield (prefix, key, item) if prefix else (key, "", item)
        elif isinstance(value, list):
            for entry in value:
                label, skip = _entry_label(entry)
                for key, item in entry.items():
                    if key not in skip:
                        yield f"{prefix}.{key}", label, item

    for key, value in report.items():
        if key in SKIPPED:
            continue
        if value is None:
            yield key, "", None
            continue
        yield from walk(key, value) if isinstance(value, dict | list) else iter([(key, "", value)])
    yield from _mobile_rows(report)
    if "by_hour" in report:
        yield from _hour_rows(report["by_hour"])


def _mobile_rows(report: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """The days of mobile branches: ("mobile.stop_en", "branch/2026-12-01", place),
    and the days whose data is still arriving from a unit."""
    for day in report.get("incomplete_days", []):
        yield "report", "incomplete_day", day
    for branch in report.get("mobile", []):
        slug = branch["branch"]
        yield "mobile.last_synced_at", slug, branch["last_synced_at"]
        yield "mobile.pending", slug, branch["pending"]
        for day in branch["days"]:
            item = f"{slug}/{day['date']}"
            stop = day["stop"] or {}
            yield "mobile.stop_ar", item, stop.get("place_ar")
            yield "mobile.stop_en", item, stop.get("place_en")
            yield "mobile.visitors", item, day["visitors"]
            yield "mobile.incomplete", item, day["incomplete"]


def summary_csv(report: dict[str, Any]) -> bytes:
    """UTF-8 with a byte order mark, so spreadsheet programs read the Arabic right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["metric", "item", "value"])
    for metric, item, value in rows_of(report):
        writer.writerow([metric, item, "" if value is None else value])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def summary_xlsx(report: dict[str, Any], series: dict[str, Any], language: str) -> bytes:
    """Two sheets: every figure, and visitors and letters per period."""
    buffer = io.BytesIO()
    import xlsxwriter  # loaded on the first export: most workers never write a workbook

    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    figures = book.add_worksheet("summary")
    over_time = book.add_worksheet("series")
    for sheet in (figures, over_time):
        if language == "ar":
            sheet.right_to_left()
    headers = [
        gettext(language, N_("Figure")),
        gettext(language, N_("Item")),
        gettext(language, N_("Value")),
    ]
    figures.write_row(0, 0, headers, bold)
    for row, (metric, item, value) in enumerate(rows_of(report), start=1):
        figures.write_string(row, 0, metric)
        figures.write_string(row, 1, item)
        if isinstance(value, bool) or value is None:
            figures.write_string(row, 2, "" if value is None else str(value).lower())
        elif isinstance(value, int | float):
            figures.write_number(row, 2, value)
        else:
            figures.write_string(row, 2, str(value))
    figures.set_column(0, 0, 34)
    figures.set_column(1, 1, 24)
    figures.set_column(2, 2, 14)
    over_time.write_row(
        0,
        0,
        [
            gettext(language, N_("Period")),
            gettext(language, N_("Visitors")),
            gettext(language, N_("Letters")),
        ],
        bold,
    )
    for row, point in enumerate(series["points"], start=1):
        over_time.write_string(row, 0, point["period"])
        over_time.write_number(row, 1, point["visitors"])
        over_time.write_number(row, 2, point["letters"])
    over_time.set_column(0, 2, 14)
    if report.get("mobile"):
        _mobile_sheet(book, report, language, bold)
    book.close()
    return buffer.getvalue()


def still_arriving(language: str, branch: dict[str, Any]) -> str:
    """The flag of a day whose data a mobile unit has not all sent yet."""
    if branch["last_synced_at"] is None:
        return gettext(language, N_("Data still arriving from the unit — never synced yet"))
    return gettext(
        language,
        N_("Data still arriving from the unit — last synced at {time}"),
        time=local_time(branch["last_synced_at"], branch["timezone"], language=language),
    )


def _mobile_sheet(book: Any, report: dict[str, Any], language: str, bold: Any) -> None:
    """A sheet of the mobile branches' days: the stop, the visitors and the flag of
    days whose data is still arriving, in the report's language."""
    sheet = book.add_worksheet("mobile")
    if language == "ar":
        sheet.right_to_left()
    headers = [N_("Branch"), N_("Day"), N_("Stop"), N_("Visitors"), N_("Data")]
    sheet.write_row(0, 0, [gettext(language, h) for h in headers], bold)
    row = 1
    for branch in report["mobile"]:
        name = branch["name_ar"] if language == "ar" else branch["name_en"]
        for day in branch["days"]:
            stop = day["stop"] or {}
            place = stop.get("place_ar" if language == "ar" else "place_en") or ""
            flag = still_arriving(language, branch) if day["incomplete"] else ""
            sheet.write_string(row, 0, name)
            sheet.write_string(row, 1, day["date"])
            sheet.write_string(row, 2, place)
            sheet.write_number(row, 3, day["visitors"])
            sheet.write_string(row, 4, flag)
            row += 1
    sheet.set_column(0, 2, 24)
    sheet.set_column(3, 3, 10)
    sheet.set_column(4, 4, 52)
