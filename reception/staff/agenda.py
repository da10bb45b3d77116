"""Meetings with the minister on the staff side: the office's queue with its
decisions, a letter's "request a meeting" form, and the printable day agenda (also
as an .ics file)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reception.api.meetings import calendar_response
from reception.appointments import meeting_queries, meetings
from reception.errors import N_, Invalid, NotFound
from reception.forms import submit
from reception.inputs import check_moment, to_id, typed_date, typed_time
from reception.queue.queries import principal_branch
from reception.web import (
    check_csrf,
    ctx,
    path_id,
    read,
    render,
    require_principal,
    run_action,
)

STATUSES = ("requested", "proposed", "approved", "declined", "referred", "cancelled")
DONE = {
    "approve": N_("The meeting is approved and booked. The citizen gets an SMS."),
    "propose": N_("The proposed date was sent to the citizen."),
    "decline": N_("The request was declined. The citizen gets an SMS."),
    "refer": N_("The request was referred. The citizen gets an SMS."),
    "cancel": N_("The meeting was cancelled. The citizen gets an SMS."),
    "reschedule": N_("The meeting was moved. The citizen gets an SMS."),
}


def _form_time(form: Any) -> datetime | None:
    """The meeting's local time: the date and time fields (`starts_at_day`,
    `starts_at_time`) or one `starts_at` like `2026-11-25T10:30`."""
    day, hour = str(form.get("starts_at_day", "")), str(form.get("starts_at_time", ""))
    if day.strip() or hour.strip():
        value = f"{typed_date(day)}T{typed_time(hour)}"
    else:
        value = str(form.get("starts_at", "")).strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Invalid("bad_time", N_("Write the date and time like 2026-12-01 10:30.")) from None
    return check_moment(moment)


def _meeting_id(request: Request) -> int:
    raw = str(request.path_params.get("meeting_id", ""))
    value = to_id(raw)
    if value is None:
        raise NotFound("unknown_meeting", N_("There is no such meeting request."))
    return value


async def office_queue(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*meetings.OFFICE_ROLES)
    status = request.query_params.get("status", "")
    status = status if status in STATUSES else ""
    rows = await read(
        request, lambda s: meeting_queries.meeting_queue(s, principal, status or None)
    )
    zone = await read(request, lambda s: principal_branch(s, principal, None).timezone)
    return render(
        request,
        "staff/meetings.html",
        {
            "rows": rows,
            "status": status,
            "statuses": STATUSES,
            "today": ctx(request).clock.local_date(zone),
        },
    )


async def decide(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*meetings.OFFICE_ROLES)
    form = await check_csrf(request)
    meeting_id = _meeting_id(request)
    action = str(form.get("action", ""))
    app = ctx(request)

    def change(s: Session) -> Any:
        return meetings.decide_meeting(
            s,
            app.clock,
            principal,
            meeting_id,
            action,
            starts_at=_form_time(form),
            note=str(form.get("note", "")),
            referred_to=str(form.get("referred_to", "")),
            video_link=str(form.get("video_link", "")),
            mode=str(form.get("mode", "")) or None,
            public_base_url=app.settings.public_base_url,
        )

    return await submit(
        request,
        run_action(request, change),
        back=f"/staff/meetings#meeting-{meeting_id}",
        done=DONE.get(action, N_("Saved.")),
    )


async def request_for_letter(request: Request) -> Response:
    """The "request a meeting with the minister" form of the staff letter page."""
    principal = await require_principal(request)
    principal.require_role(*meetings.REQUEST_ROLES)
    form = await check_csrf(request)
    letter_id = path_id(request, "letter_id", "letter")
    app = ctx(request)
    requested = run_action(
        request,
        lambda s: meetings.request_meeting(
            s,
            app.clock,
            principal,
            letter_id,
            str(form.get("mode", "")),
            str(form.get("reason", "")),
            public_base_url=app.settings.public_base_url,
        ),
    )
    return await submit(
        request,
        requested,
        back=f"/staff/letters/{letter_id}#meetings",
        done=N_("The request was sent to the minister's office. The citizen gets an SMS."),
    )


async def _agenda(request: Request) -> meeting_queries.Agenda:
    principal = await require_principal(request)
    principal.require_role(*meeting_queries.AGENDA_ROLES)
    q = request.query_params
    app = ctx(request)

    def load(s: Session) -> meeting_queries.Agenda:
        branch = meeting_queries.agenda_branch(s, principal, q.get("branch") or None)
        today = app.clock.local_date(branch.timezone)
        return meeting_queries.agenda(
            s, principal, branch, meeting_queries.parse_day(typed_date(q.get("day")) or None, today)
        )

    return await read(request, load)


async def agenda_page(request: Request) -> Response:
    agenda_day = await _agenda(request)
    return render(
        request,
        "staff/agenda.html",
        {
            "agenda": agenda_day,
            "branch_query": (
                f"&branch={agenda_day.branch.slug}" if request.query_params.get("branch") else ""
            ),
        },
    )


async def agenda_file(request: Request) -> Response:
    agenda_day = await _agenda(request)
    return calendar_response(request, agenda_day, ctx(request).clock.now())


routes = [
    Route("/staff/meetings", office_queue, methods=["GET"]),
    Route("/staff/meetings/{meeting_id}/decision", decide, methods=["POST"]),
    Route("/staff/letters/{letter_id}/meeting", request_for_letter, methods=["POST"]),
    Route("/staff/agenda", agenda_page, methods=["GET"]),
    Route("/staff/agenda.ics", agenda_file, methods=["GET"]),
]
