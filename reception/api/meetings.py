"""JSON API v1 for meetings with the minister: a letter asks for one, the minister's
office decides, and a branch's day agenda as JSON or as an iCalendar file. The same
actions and queries as the staff screens."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.bodies import read_body
from reception.api.operations import DATE_OR_EMPTY, ID, Answer, ApiRoute, Operation, one_of, query
from reception.api.schemas import MeetingDecisionBody, MeetingRequestBody
from reception.appointments import meeting_queries, meetings
from reception.appointments.models import MeetingStatus
from reception.errors import N_, NotFound
from reception.i18n import translations
from reception.inputs import to_id
from reception.web import ctx, language_of, read, require_principal, run_action


def meeting_id_of(request: Request) -> int:
    raw = str(request.path_params.get("meeting", ""))
    value = to_id(raw)
    if value is None:
        raise NotFound("unknown_meeting", N_("There is no such meeting request."))
    return value


async def _answer(request: Request, meeting_id: int, status_code: int = 200) -> Response:
    view = await read(request, lambda s: meeting_queries.meeting_detail(s, meeting_id))
    return JSONResponse(view, status_code=status_code)


async def request_meeting(request: Request) -> Response:
    principal = await require_principal(request)
    key = str(request.path_params["letter"])
    body = await read_body(request, MeetingRequestBody)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)

    def change(s: Session) -> Any:
        return meetings.request_meeting(
            s, app.clock, principal, meeting_queries.letter_id_for(s, principal, key),
            body.mode, body.reason, public_base_url=app.settings.public_base_url,
        )  # fmt: skip

    row = await run_action(request, change)
    return await _answer(request, row.id or 0, 201)


async def letter_meetings(request: Request) -> Response:
    principal = await require_principal(request)
    key = str(request.path_params["letter"])

    def load(s: Session) -> list[dict[str, Any]]:
        return meeting_queries.meetings_of_letter(
            s, meeting_queries.letter_id_for(s, principal, key)
        )

    return JSONResponse({"meeting_requests": await read(request, load)})


async def queue(request: Request) -> Response:
    principal = await require_principal(request)
    given = request.query_params.get("status")  # given empty is a wrong state, not "all"
    status = None if given is None else given.strip()[:20]
    rows = await read(request, lambda s: meeting_queries.meeting_queue(s, principal, status))
    return JSONResponse({"meeting_requests": rows})


async def decide(request: Request) -> Response:
    principal = await require_principal(request)
    meeting_id = meeting_id_of(request)
    body = await read_body(request, MeetingDecisionBody)
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    row = await run_action(
        request,
        lambda s: meetings.decide_meeting(
            s, app.clock, principal, meeting_id, body.action, starts_at=body.starts_at,
            note=body.note, referred_to=body.referred_to, video_link=body.video_link,
            service=body.service, public_base_url=app.settings.public_base_url, mode=body.mode,
        ),
    )  # fmt: skip
    return await _answer(request, row.id or 0)


async def _agenda(request: Request) -> meeting_queries.Agenda:
    principal = await require_principal(request)
    q = request.query_params
    app = ctx(request)

    def load(s: Session) -> meeting_queries.Agenda:
        branch = meeting_queries.agenda_branch(s, principal, q.get("branch") or None)
        day = meeting_queries.parse_day(q.get("day"), app.clock.local_date(branch.timezone))
        return meeting_queries.agenda(s, principal, branch, day)

    return await read(request, load)


async def agenda(request: Request) -> Response:
    return JSONResponse((await _agenda(request)).as_dict())


def calendar_response(
    request: Request, agenda_day: meeting_queries.Agenda, now: datetime
) -> Response:
    """The agenda as a downloadable `.ics` file (shared with the staff screen)."""
    language = language_of(request)
    host = urlsplit(ctx(request).settings.public_base_url).hostname or "reception"
    text = meeting_queries.agenda_calendar(
        agenda_day, language, translations(language).gettext, now, host
    )
    filename = f"agenda-{agenda_day.branch.slug}-{agenda_day.day.isoformat()}.ics"
    return Response(
        text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def agenda_ics(request: Request) -> Response:
    agenda_day = await _agenda(request)
    return calendar_response(request, agenda_day, ctx(request).clock.now())


LETTER = {
    "type": "string",
    "description": "The letter's id or its reference (L-2026-000123).",
}
DAY = (
    query(
        "branch", "Branch slug (administrators; others get their own branch).", {"type": "string"}
    ),
    query("day", "Local day, YYYY-MM-DD; today when left out.", DATE_OR_EMPTY),
)

routes = [
    ApiRoute(
        "/api/v1/letters/{letter}/meeting-requests",
        request_meeting,
        post=Operation(
            "Ask the minister's office for a meeting about a letter (triage staff of its "
            "hall, or an officer of the department holding it); one open request per "
            "letter; the citizen gets an SMS",
            operation_id="requestMeeting",
            body=MeetingRequestBody,
            path={"letter": LETTER},
            answers={201: "The new meeting request"},
        ),
    ),
    ApiRoute(
        "/api/v1/letters/{letter}/meeting-requests",
        letter_meetings,
        get=Operation(
            "The meeting requests of a letter, the latest first",
            operation_id="listLetterMeetings",
            path={"letter": LETTER},
            answers={200: "`{meeting_requests: [...]}`"},
        ),
    ),
    ApiRoute(
        "/api/v1/meeting-requests",
        queue,
        get=Operation(
            "The minister's office's queue (supervisor or admin): open requests first; "
            "filter with status",
            operation_id="listMeetingRequests",
            parameters=(query("status", "Only requests in this state", one_of(MeetingStatus)),),
            answers={200: "`{meeting_requests: [...]}`"},
        ),
    ),
    ApiRoute(
        "/api/v1/meeting-requests/{meeting}/decision",
        decide,
        post=Operation(
            "The minister's office decides (supervisor or admin): approve (books an "
            "appointment of kind meeting), propose another date, decline (note required), "
            "refer (referred_to required), cancel, reschedule; an illegal step is 409",
            operation_id="decideMeeting",
            body=MeetingDecisionBody,
            path={"meeting": ID},
            answers={200: "The meeting request after the decision"},
        ),
    ),
    ApiRoute(
        "/api/v1/agenda",
        agenda,
        get=Operation(
            "A branch's agenda of one local day: meetings with the minister, then the "
            "other appointments (names masked)",
            operation_id="dayAgenda",
            parameters=DAY,
            answers={200: "`{branch, day, meetings, appointments}`"},
        ),
    ),
    ApiRoute(
        "/api/v1/agenda.ics",
        agenda_ics,
        get=Operation(
            "The same agenda as an iCalendar file (RFC 5545, times in UTC, no phone or ID numbers)",
            operation_id="dayAgendaCalendar",
            parameters=DAY,
            answers={
                200: Answer(
                    "One VEVENT per agenda entry",
                    media_type="text/calendar",
                    schema={"type": "string"},
                )
            },
        ),
    ),
]
