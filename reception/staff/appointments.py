"""Appointment screens for staff: book a visitor who phones in, hand over or read out
the booking slip, and see how full the coming days are."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.appointments import actions, read_models
from reception.auth.models import Role
from reception.errors import N_, Invalid
from reception.forms import Refusal, attempt, submit
from reception.inputs import check_moment, parse_day
from reception.qr import qr_data_uri
from reception.queue.queries import principal_branch
from reception.settings import LANGUAGES
from reception.web import (
    check_csrf,
    ctx,
    flash,
    path_id,
    read,
    render,
    require_principal,
    run_action,
    t,
)

STAFF = (Role.operator, Role.supervisor, Role.admin)
BOOKING_FIELDS = ("hall", "service", "day", "starts_at", "name", "phone", "language", "residency")


def _day(text: str | None) -> date | None:
    return parse_day(text)


def _starts_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text[:40])
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid("no_time_chosen", N_("Please choose one of the free times."))
    return check_moment(moment)


def _back(target: str | None, default: str = "/staff/calendar") -> str:
    if target and target.startswith("/staff/") and not target.startswith("//"):
        return target
    return default


async def _booking_page(
    request: Request, form: dict[str, str], error: str | None = None, status_code: int = 200
) -> Response:
    principal = await require_principal(request)
    principal.require_role(*STAFF)
    clock = ctx(request).clock
    view = await read(
        request,
        lambda s: read_models.booking_view(
            s,
            clock,
            principal,
            hall=form.get("hall") or None,
            service=form.get("service") or None,
            day=_day(form.get("day")),
        ),
    )
    free = {s.starts_at.isoformat() for s in view.slots if s.free > 0}
    if form.get("starts_at") not in free:
        form["starts_at"] = ""
    context = {"view": view, "form": form, "error": error}
    return render(request, "staff/appointments.html", context, status_code=status_code)


async def booking_desk(request: Request) -> Response:
    q = request.query_params
    form = {k: str(q.get(k, ""))[:200] for k in BOOKING_FIELDS}
    form["language"] = form["language"] if form["language"] == "en" else "ar"
    return await _booking_page(request, form)


async def book(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*STAFF)
    posted = await check_csrf(request)
    form = {k: str(posted.get(k, "")).strip()[:200] for k in BOOKING_FIELDS}
    app = ctx(request)

    def change(s: Any) -> Any:
        branch = principal_branch(s, principal, None)
        return actions.book_appointment(
            s,
            app.clock,
            principal,
            branch=branch.slug,
            hall=form["hall"],
            service=form["service"],
            starts_at=_starts_at(form["starts_at"]),
            phone=form["phone"] or None,
            name=form["name"],
            language=form["language"] if form["language"] in LANGUAGES else LANGUAGES[0],
            residency=form["residency"] or None,
            public_base_url=app.settings.public_base_url,
        )

    booked = await attempt(
        request,
        run_action(request, change),
        passes=lambda exc: exc.status_code == 401 or exc.code == "wrong_role",
    )
    if isinstance(booked, Refusal):
        return await _booking_page(request, form, booked.message, booked.status_code)
    flash(request, t(request, N_("The appointment is booked.")), "info")
    return RedirectResponse(f"/staff/appointments/{booked.id}", status_code=303)


async def slip(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*STAFF)
    appointment_id = path_id(request, "appointment_id", "appointment")
    base_url = ctx(request).settings.public_base_url
    view = await read(
        request, lambda s: read_models.appointment_slip(s, principal, appointment_id, base_url)
    )
    context = {"v": view, "qr": qr_data_uri(view.appointment.code)}
    return render(request, "staff/appointment_slip.html", context)


async def confirm_cancel(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*STAFF)
    appointment_id = path_id(request, "appointment_id", "appointment")
    base_url = ctx(request).settings.public_base_url
    view = await read(
        request, lambda s: read_models.appointment_slip(s, principal, appointment_id, base_url)
    )
    back = _back(request.query_params.get("back"))
    return render(request, "staff/appointment_cancel.html", {"v": view, "back": back})


async def cancel(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*STAFF)
    form = await check_csrf(request)
    appointment_id = path_id(request, "appointment_id", "appointment")
    back = _back(str(form.get("back", "")))
    base_url = ctx(request).settings.public_base_url
    cancelled = run_action(
        request,
        lambda s: actions.cancel_appointment(
            s, principal, appointment_id, public_base_url=base_url, clock=ctx(request).clock
        ),
    )
    return await submit(
        request,
        cancelled,
        back=back,
        done=N_("The appointment was cancelled."),
        passes=lambda exc: exc.status_code in (401, 403, 404),
    )


async def calendar(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*STAFF)
    q = request.query_params
    clock = ctx(request).clock
    view = await read(
        request,
        lambda s: read_models.calendar_view(
            s,
            clock,
            principal,
            mode=str(q.get("view", "day")),
            day=_day(q.get("day")),
            hall=q.get("hall") or None,
            service=q.get("service") or None,
        ),
    )
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context = {"view": view, "here": here, "weekday": read_models.weekday_key}
    return render(request, "staff/calendar.html", context)


routes = [
    Route("/staff/appointments", booking_desk, methods=["GET"]),
    Route("/staff/appointments", book, methods=["POST"]),
    Route("/staff/appointments/{appointment_id}", slip, methods=["GET"]),
    Route("/staff/appointments/{appointment_id}/cancel", confirm_cancel, methods=["GET"]),
    Route("/staff/appointments/{appointment_id}/cancel", cancel, methods=["POST"]),
    Route("/staff/calendar", calendar, methods=["GET"]),
]
