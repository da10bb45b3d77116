"""What the report screens show of the figures by hour, the SMS breakdown and the
cross-tabs: charts and tables with their labels in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reception.errors import N_
from reception.i18n import gettext
from reception.stats.breakdowns import ON_A_LETTER
from reception.stats.charts import HourChart, hour_chart
from reception.stats.export import hour_label
from reception.stats.numbers import number_formatter

SMS_PURPOSES: dict[str, str] = {
    "ticket_issued": N_("Ticket taken"),
    "ticket_called": N_("Called to a counter"),
    "ticket_next": N_("Turn coming soon"),
    "ticket_feedback": N_("Rating request"),
    "letter_received": N_("Letter received"),
    "letter_routed": N_("Letter sent to the department"),
    "letter_info_needed": N_("Letter needs more information"),
    "letter_answered": N_("Letter answered"),
    "letter_closed": N_("Letter closed"),
    "letter_rejected": N_("Letter not accepted"),
    "appointment_booked": N_("Appointment booked"),
    "appointment_changed": N_("Appointment changed"),
    "appointment_cancelled": N_("Appointment cancelled"),
    "appointment_reminder_day": N_("Reminder the day before"),
    "appointment_reminder_soon": N_("Reminder shortly before"),
    "meeting_requested": N_("Meeting requested"),
    "meeting_proposed": N_("Meeting time proposed"),
    "meeting_approved": N_("Meeting approved"),
    "meeting_declined": N_("Meeting declined"),
    "meeting_referred": N_("Meeting referred"),
    "meeting_cancelled": N_("Meeting cancelled"),
    "remote_code": N_("Code to join from a phone"),
    "remote_joined": N_("Ticket joined from a phone"),
    "remote_near": N_("Near the front: come now"),
}
SMS_DELIVERY: dict[str, str] = {
    "queued": N_("Queued, not sent yet"),
    "sent": N_("Accepted by the provider, no delivery report yet"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed or not delivered"),
    "opted_out": N_("Refused: the recipient opted out"),
}
CHANNELS: dict[str, str] = {
    "counter": N_("At the counter"),
    "phone": N_("By phone"),
    "mail": N_("By post"),
    "online": N_("Online"),
}
SECTIONS: dict[str, str] = {"men": N_("Men"), "women": N_("Women"), "none": N_("No hall")}
RESIDENCY: dict[str, str] = {
    "citizen": N_("Citizen"),
    "resident": N_("Resident"),
    "unknown": N_("unknown"),
}


def isolated_hour_label(hour: int) -> str:
    """The hour as "09:00–10:00", isolated left to right so that it reads the same
    inside Arabic text (in HTML and in an SVG description alike)."""
    return f"\u2066{hour_label(hour)}\u2069"


@dataclass(frozen=True)
class HourFigure:
    """The hours of one place: chart, table rows and the text alternative."""

    key: str
    title: str
    peak_text: str
    rows: list[dict[str, Any]]
    chart: HourChart
    summary: str
    phone: bool
    peak: int | None


def hour_figure(
    key: str, title: str, found: dict[str, Any], language: str, phone: bool = True
) -> HourFigure:
    """A place's `by_hour` figures (every branch, a branch or a hall) for the page."""
    fmt = number_formatter(language)
    hours = found["hours"]
    chart = hour_chart(
        [(h["hour"], h["arrivals"], h["called"]) for h in hours],
        language == "ar",
        fmt,
        found["peak_hour"],
    )
    rows = [{**h, "label": hour_label(h["hour"])} for h in hours]
    peak = found["peak_hour"]
    if peak is None:
        peak_text = gettext(language, N_("Nothing in this period."))
    else:
        arrivals = next(h["arrivals"] for h in hours if h["hour"] == peak)
        peak_text = gettext(
            language,
            N_("Busiest hour: {hour}, {arrivals} visitors arrived."),
            hour=isolated_hour_label(peak),
            arrivals=fmt(arrivals),
        )
    sep = "، " if language == "ar" else "; "
    summary = sep.join(
        gettext(
            language,
            N_("{hour}: {arrivals} arrived, {called} called"),
            hour=isolated_hour_label(r["hour"]),
            arrivals=fmt(r["arrivals"]),
            called=fmt(r["called"]),
        )
        for r in rows
    )
    return HourFigure(
        key,
        title,
        peak_text,
        rows,
        chart,
        f"{peak_text} {summary}".strip(),
        phone,
        peak,
    )


def hour_figures(data: dict[str, Any], language: str) -> dict[str, Any]:
    """Every branch together, then each branch (when there are several), then each
    hall."""
    _ = lambda message: gettext(language, message)  # noqa: E731
    by_hour = data["by_hour"]
    names = {b["slug"]: b["name_ar" if language == "ar" else "name_en"] for b in data["branches"]}
    several = len(by_hour["by_branch"]) > 1
    branches = [
        hour_figure(f"hours-{b['branch']}", names.get(b["branch"], b["branch"]), b, language)
        for b in by_hour["by_branch"]
        if several
    ]
    halls = []
    for hall in by_hour["by_hall"]:
        place = _(SECTIONS[hall["section"]]) if hall["section"] in SECTIONS else hall["hall"]
        if several:
            place = f"{names.get(hall['branch'], hall['branch'])} — {place}"
        halls.append(
            hour_figure(f"hours-{hall['branch']}-{hall['hall']}", place, hall, language, False)
        )
    return {
        "all": hour_figure("hours", _(N_("Visitors by hour of the day")), by_hour, language),
        "branches": branches,
        "halls": halls,
    }


def labelled(language: str, names: dict[str, str]) -> Callable[[str], str]:
    """The translated name of a stored code, the code itself when it has none."""

    def name(code: str) -> str:
        return gettext(language, names[code]) if code in names else code

    return name


CALLS_ON_A_LETTER = N_("Logged on a letter's page (no topic)")


def topic_namer(data: dict[str, Any], language: str) -> Callable[[str], str]:
    """A call topic's name in the reader's language (the administered list), never
    its slug; the calls logged on a letter's page have a name of their own."""
    names = data.get("labels", {}).get("call_topics", {})

    def name(slug: str) -> str:
        if slug == ON_A_LETTER:
            return gettext(language, CALLS_ON_A_LETTER)
        found = names.get(slug)
        return found[language] if found else gettext(language, N_("Other"))

    return name


def detail_context(data: dict[str, Any], language: str) -> dict[str, Any]:
    """What the report page needs for the hours, the SMS and the cross-tabs."""
    return {
        "topic_name": topic_namer(data, language),
        "hours": hour_figures(data, language),
        "purpose_name": labelled(language, SMS_PURPOSES),
        "delivery_name": labelled(language, SMS_DELIVERY),
        "channel_name": labelled(language, CHANNELS),
        "section_name": labelled(language, SECTIONS),
        "residency_name": labelled(language, RESIDENCY),
    }
