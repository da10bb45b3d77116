"""JSON API v1 for meetings with the minister: a letter asks for one, the minister's
office decides, and a branch's day agenda as JSON or as an iCalendar file. The same
actions and queries as the staff screens."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reception.api.routes import _body
from reception.appointments import meeting_queries, meetings
from reception.errors import N_, NotFound
from reception.i18n import translations
from reception.inputs import AwareMoment, to_id
from reception.web import ctx, language_of, read, require_principal, run_action


class MeetingRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["in_person", "remote"] = "in_person"
    reason: str = Field(
        min_length=1,
        max_length=4000,
        description="Why the citizen should meet the minister; the office reads it.",
        examples=["يطلب المواطن عرض تظلمه على معالي الوزير شخصياً."],
    )


class MeetingDecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "propose", "decline", "refer", "cancel", "reschedule"]
    starts_at: AwareMoment | None = Field(
        default=None,
        description="approve, propose, reschedule: when the meeting is.",
        examples=["2026-11-25T10:30:00+03:00"],
    )
    note: str = Field(default="", max_length=4000, description="decline: the reason (required).")
    referred_to: str = Field(
        default="", max_length=160, description="refer: a deputy minister or a department."
    )
    video_link: str = Field(
        default="", max_length=300, description="Remote meetings: an https:// link."
    )
    mode: Literal["in_person", "remote"] | None = Field(
        default=None, description="Change how the meeting is held (approve, propose)."
    )
    service: str = Field(
        default=meetings.DEFAULT_SERVICE,
        min_length=1,
        max_length=40,
        description="The service the meeting is booked under; without such a service, "
        "the hall's first service that takes appointments.",
    )


MEETING_MODELS: list[type[BaseModel]] = [MeetingRequestBody, MeetingDecisionBody]


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
    body = await _body(request, MeetingRequestBody)
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
    status = request.query_params.get("status", "").strip()[:20] or None
    rows = await read(request, lambda s: meeting_queries.meeting_queue(s, principal, status))
    return JSONResponse({"meeting_requests": rows})


async def decide(request: Request) -> Response:
    principal = await require_principal(request)
    meeting_id = meeting_id_of(request)
    body = await _body(request, MeetingDecisionBody)
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


routes = [
    Route("/api/v1/letters/{letter}/meeting-requests", request_meeting, methods=["POST"]),
    Route("/api/v1/letters/{letter}/meeting-requests", letter_meetings, methods=["GET"]),
    Route("/api/v1/meeting-requests", queue, methods=["GET"]),
    Route("/api/v1/meeting-requests/{meeting}/decision", decide, methods=["POST"]),
    Route("/api/v1/agenda", agenda, methods=["GET"]),
    Route("/api/v1/agenda.ics", agenda_ics, methods=["GET"]),
]
