"""JSON API v1 for appointments: free slots, booking, cancelling and moving (staff
or portal token), the list of a day, check-in (kiosk token), and slot templates
(administrators)."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reception.api.answers import FreeSlotList, SlotTemplateList, SlotTemplateOut
from reception.api.bodies import read_body
from reception.api.operations import DATE_OR_EMPTY, ID, Answer, ApiRoute, Operation, query
from reception.api.schemas import (
    AppointmentCreate,
    AppointmentOut,
    CheckInBody,
    RescheduleBody,
    SlotTemplateIn,
    SlotTemplatePatch,
    TicketOut,
)
from reception.appointments import actions, setup
from reception.appointments import queries as aq
from reception.appointments.models import Appointment, SlotTemplate
from reception.auth.guard import code_checks, code_failed, refuse_codes_while_waiting
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.errors import N_, Invalid, NotFound
from reception.inputs import check_day
from reception.letters.rules import mask_name
from reception.outcome import Outcome
from reception.qr import qr_data_uri
from reception.web import ctx, path_id, read, require_admin, require_principal, run_action

STAFF = (Role.admin, Role.supervisor, Role.operator)


def _day(request: Request, name: str, default: date | None = None) -> date:
    text = request.query_params.get(name)
    if not text:
        if default is None:
            raise Invalid("missing_day", N_("Give the day, like 2026-12-01."))
        return default
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        raise Invalid("bad_date", N_("Dates are written like 2026-12-01.")) from None
    return check_day(day, ctx(request).clock.now().date())


def appointment_json(row: Appointment, base_url: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "kind": row.kind,
        "starts_at": row.starts_at.isoformat(),
        "status": row.status,
        "residency": row.residency,
        "tracking_url": actions.tracking_link(base_url, row),
        "qr": qr_data_uri(row.code),
    }


def template_json(row: SlotTemplate) -> dict[str, Any]:
    return {
        "id": row.id,
        "weekdays": row.weekdays,
        "start": row.start,
        "end": row.end,
        "slot_minutes": row.slot_minutes,
        "capacity": row.capacity,
        "valid_from": row.valid_from.isoformat() if row.valid_from else None,
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "blackout_dates": row.blackout_dates,
        "active": row.active,
    }


async def _staff(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_role(*STAFF)
    return principal


async def book(request: Request) -> Response:
    principal = await _staff(request)
    body = await read_body(request, AppointmentCreate, principal, "appointment.book")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    base = app.settings.public_base_url
    row = await run_action(
        request,
        lambda s: actions.book_appointment(
            s, app.clock, principal, public_base_url=base, **body.model_dump()
        ),
    )
    return JSONResponse(appointment_json(row, base), status_code=201)


async def free_slots(request: Request) -> Response:
    """`GET /api/v1/slots?branch=&hall=&service=&date_from=&date_to=`"""
    principal = await _staff(request)
    app = ctx(request)
    q = request.query_params
    first = _day(request, "date_from", app.clock.now().date())
    last = _day(request, "date_to", first)

    def load(s: Any) -> list[dict[str, Any]]:
        branch, hall, service = aq.resolve(
            s, principal, q.get("branch", ""), q.get("hall", ""), q.get("service", "")
        )
        return [
            {
                "starts_at": v.starts_at.isoformat(),
                "local_time": v.local.strftime("%Y-%m-%dT%H:%M"),
                "capacity": v.capacity,
                "taken": v.taken,
                "free": v.free,
            }
            for v in aq.free_slots(s, app.clock, branch, hall, service, first, last)
        ]

    return JSONResponse({"slots": await read(request, load)})


async def list_day(request: Request) -> Response:
    """`GET /api/v1/appointments?branch=&day=[&hall=]`: a day's appointments; phone
    numbers are not listed, but supervisors see how often each has not come."""
    principal = await _staff(request)
    app = ctx(request)
    day = _day(request, "day", app.clock.now().date())
    q = request.query_params
    rows = await read(
        request,
        lambda s: aq.day_list(s, principal, q.get("branch", ""), day, hall=q.get("hall") or None),
    )
    show_no_shows = principal.has_role(Role.admin, Role.supervisor)
    return JSONResponse(
        {
            "day": day.isoformat(),
            "appointments": [
                {
                    **appointment_json(row, app.settings.public_base_url),
                    "name": mask_name(row.name),
                    **({"no_shows": misses} if show_no_shows else {}),
                }
                for row, misses in rows
            ],
        }
    )


async def cancel(request: Request) -> Response:
    principal = await _staff(request)
    app = ctx(request)
    appointment_id = path_id(request, "appointment", "appointment")
    row = await run_action(
        request,
        lambda s: actions.cancel_appointment(
            s,
            principal,
            appointment_id,
            public_base_url=app.settings.public_base_url,
            clock=app.clock,
        ),
    )
    return JSONResponse(appointment_json(row, app.settings.public_base_url))


async def reschedule(request: Request) -> Response:
    principal = await _staff(request)
    body = await read_body(request, RescheduleBody, principal, "appointment.reschedule")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    appointment_id = path_id(request, "appointment", "appointment")
    row = await run_action(
        request,
        lambda s: actions.reschedule_appointment(
            s,
            app.clock,
            principal,
            appointment_id,
            starts_at=body.starts_at,
            public_base_url=app.settings.public_base_url,
        ),
    )
    return JSONResponse(appointment_json(row, app.settings.public_base_url))


async def check_in(request: Request) -> Response:
    principal = await require_principal(request)
    body = await read_body(request, CheckInBody, principal, "appointment.check_in")
    if isinstance(body, JSONResponse):
        return body
    app = ctx(request)
    checks = code_checks(request, principal, body.code)
    await refuse_codes_while_waiting(request, checks)
    try:
        issued = await run_action(
            request,
            lambda s: actions.check_in(
                s,
                app.clock,
                principal,
                code=body.code,
                public_base_url=app.settings.public_base_url,
                language=body.language,
                residency=body.residency,
            ),
        )
    except NotFound:
        await code_failed(request, principal, checks)
        raise
    return JSONResponse(issued.as_dict(), status_code=200 if issued.replayed else 201)


async def templates(request: Request) -> Response:
    """GET lists a branch's slot templates; POST adds one (administrators)."""
    principal = await require_admin(request)
    branch = str(request.path_params["branch"])[:40]
    if request.method == "GET":
        rows = await read(request, lambda s: setup.list_templates(s, branch))
        return JSONResponse({"templates": [template_json(r) for r in rows]})
    body = await read_body(request, SlotTemplateIn)
    if isinstance(body, JSONResponse):
        return body
    row = await run_action(
        request,
        lambda s: Outcome(
            setup.add_slot_template(s, branch=branch, actor=principal.actor, **body.model_dump())
        ),
    )
    return JSONResponse(template_json(row), status_code=201)


async def change_template(request: Request) -> Response:
    principal = await require_admin(request)
    body = await read_body(request, SlotTemplatePatch)
    if isinstance(body, JSONResponse):
        return body
    template_id = path_id(request, "template", "template")
    row = await run_action(
        request,
        lambda s: Outcome(
            setup.set_template(s, template_id, actor=principal.actor, **body.model_dump())
        ),
    )
    return JSONResponse(template_json(row))


APPOINTMENT = {"appointment": ID}
DONE = "Done"

routes = [
    ApiRoute(
        "/api/v1/slots",
        free_slots,
        get=Operation(
            "Free slots of a hall and service between two days (staff or portal token)",
            operation_id="listFreeSlots",
            parameters=(
                query("branch", "Branch slug"),
                query("hall", "Hall slug"),
                query("service", "Service slug"),
                query("date_from", "First day (branch local), default today", DATE_OR_EMPTY),
                query("date_to", "Last day, default date_from; at most 62 days", DATE_OR_EMPTY),
            ),
            answers={200: Answer("The free slots", FreeSlotList)},
            errors=(400, 401, 403, 404, 422, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/appointments",
        book,
        post=Operation(
            "Book a visit (operator, supervisor or admin token); the answer carries the "
            "code the visitor types at the kiosk",
            operation_id="bookAppointment",
            body=AppointmentCreate,
            answers={201: Answer("The booked appointment", AppointmentOut)},
        ),
    ),
    ApiRoute(
        "/api/v1/appointments",
        list_day,
        get=Operation(
            "A day's appointments in the halls the token may use; supervisors also see "
            "each number's count of appointments not come to",
            operation_id="listAppointmentsOfDay",
            parameters=(
                query("branch", "Branch slug"),
                query("day", "The day (branch local), default today", DATE_OR_EMPTY),
                query("hall", "Only this hall"),
            ),
            answers={200: DONE},
            errors=(400, 401, 403, 404, 422, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/appointments/check-in",
        check_in,
        post=Operation(
            "Check in with an appointment code (kiosk token): a ticket with the "
            "appointment priority; the same ticket again on a retry (200)",
            operation_id="checkInAppointment",
            body=CheckInBody,
            answers={
                201: Answer("The new ticket", TicketOut),
                200: Answer("The ticket of an earlier check-in", TicketOut),
            },
            errors=(400, 401, 403, 404, 409, 422, 429, 503),
        ),
    ),
    ApiRoute(
        "/api/v1/appointments/{appointment}/cancel",
        cancel,
        post=Operation(
            "Cancel an appointment (staff token); its seat is free again and the visitor "
            "gets an SMS",
            operation_id="cancelAppointment",
            path=APPOINTMENT,
            answers={200: DONE},
        ),
    ),
    ApiRoute(
        "/api/v1/appointments/{appointment}/reschedule",
        reschedule,
        post=Operation(
            "Move an appointment to another free slot (staff token)",
            operation_id="rescheduleAppointment",
            body=RescheduleBody,
            path=APPOINTMENT,
            answers={200: DONE},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/branches/{branch}/slot-templates",
        templates,
        get=Operation(
            "List the slot templates of a branch (admin)",
            operation_id="listSlotTemplates",
            answers={200: Answer("The templates", SlotTemplateList)},
        ),
        post=Operation(
            "Add a slot template: days, hours, slot length and capacity for a hall and "
            "service (admin)",
            operation_id="addSlotTemplate",
            body=SlotTemplateIn,
            answers={201: Answer("The new template", SlotTemplateOut)},
        ),
    ),
    ApiRoute(
        "/api/v1/admin/slot-templates/{template}",
        change_template,
        patch=Operation(
            "Change a slot template's capacity, blackout dates or whether it is active (admin)",
            operation_id="changeSlotTemplate",
            body=SlotTemplatePatch,
            path={"template": ID},
            answers={200: Answer("The template", SlotTemplateOut)},
        ),
    ),
]
