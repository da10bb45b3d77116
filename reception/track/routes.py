"""Citizen tracking page: `/t/<token>`, no login.

The page follows its hall's live channel — the same one the displays and the consoles
use — through `/t/<token>/ws`: whenever the hall changes the socket says `changed` and
the page fetches its own fresh view. Nothing about other visitors is ever sent.

`/a/<token>` is a booked appointment behind its SMS link, `/l/<token>` a letter."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from reception.appointments import actions as appointment_actions
from reception.appointments import read_models as appointment_views
from reception.auth.guard import count_failure, refuse_link_guesses
from reception.auth.throttle import Check
from reception.errors import N_, DomainError, Invalid, NotFound, TooManyRequests
from reception.events.messages import CHANGED, HEARTBEAT, SOCKET_CLOSED
from reception.forms import Refusal, attempt, submit
from reception.inputs import check_moment, has_control
from reception.queue import read_models
from reception.queue.hall_events import hall_channel
from reception.remote import queries as remote_queries
from reception.web import check_csrf, ctx, flash, read, render, run_action, t

HEARTBEAT_SECONDS = 10.0
FINAL = {"done", "no_show", "cancelled", "expired"}
ON_WAY_CHOICES = (10, 20, 30, 45, 60)
"""The minutes a remote visitor on their way may choose with one touch."""


async def guard_link(request: Request) -> list[Check]:
    return await refuse_link_guesses(request)


async def count_missed_link(request: Request, checks: list[Check]) -> None:
    """Count a link that does not exist."""
    await count_failure(request, checks)


async def read_tracked(request: Request, load: Any) -> Any:
    checks = await guard_link(request)
    try:
        return await read(request, load)
    except NotFound:
        await count_missed_link(request, checks)
        raise


async def syncing_page(request: Request, token: str) -> Response | None:
    """The page for a link a mobile unit made that has not reached the centre yet."""
    from reception.edge.tracking import awaited

    found = await read(request, lambda s: awaited(s, token))
    if found is None:
        return None
    return render(request, "track/syncing.html", {"awaited": found})


async def track(request: Request) -> Response:
    token = str(request.path_params["token"])[:64]
    try:
        view, remote = await read_tracked(
            request, lambda s: remote_queries.tracked_with_remote(s, token)
        )
    except NotFound:
        page = await syncing_page(request, token)
        if page is None:
            raise
        return page
    context = {
        "t": view,
        "remote": remote,
        "heartbeat": HEARTBEAT_SECONDS,
        "on_way_choices": ON_WAY_CHOICES,
    }
    return render(request, "track/ticket.html", context)


async def track_socket(ws: WebSocket) -> None:
    token = str(ws.path_params["token"])[:64]
    try:
        if has_control(token):  # sockets skip the input guard
            raise NotFound("unknown_ticket", N_("This ticket does not exist."))
        view = await read(ws, lambda s: read_models.tracked_ticket(s, token))
    except DomainError:
        await ws.accept()
        await ws.close(code=4404)
        return
    await ws.accept()
    if view.ticket.status in FINAL:
        await ws.close(code=1000)  # nothing will change any more
        return
    async with ctx(ws).broadcaster.subscribe(hall_channel(view.hall.id or 0)) as sub:
        closed = asyncio.Event()

        async def receive() -> None:
            with contextlib.suppress(WebSocketDisconnect):
                async for _ in ws.iter_text():
                    pass
            closed.set()
            sub.offer(SOCKET_CLOSED)

        receiver = asyncio.create_task(receive())
        try:
            await ws.send_text(CHANGED)  # whatever happened between page and socket
            while not closed.is_set():
                try:
                    message = await asyncio.wait_for(sub.get(), timeout=HEARTBEAT_SECONDS)
                except TimeoutError:
                    await ws.send_text(HEARTBEAT)
                    continue
                if message == SOCKET_CLOSED:
                    break
                while not sub.queue.empty():  # one notice for a burst of changes
                    sub.queue.get_nowait()
                sub.overflowed = False
                await ws.send_text(CHANGED)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiver


async def track_letter(request: Request) -> Response:
    """A letter's public timeline: its steps in plain words, what is expected of the
    citizen, and nothing personal beyond a masked name."""
    from reception.appointments.meeting_queries import citizen_meeting
    from reception.letters.queries import public_timeline

    token = str(request.path_params["token"])[:64]

    def load(s: Any) -> dict[str, Any]:
        view = public_timeline(s, token)
        return {**view, "meeting": citizen_meeting(s, view["letter"])}

    try:
        view = await read_tracked(request, load)
    except NotFound:
        page = await syncing_page(request, token)
        if page is None:
            raise
        return page
    return render(request, "track/letter.html", view)


def _appointment_token(request: Request) -> str:
    return str(request.path_params["token"])[:64]


async def _appointment_view(request: Request, with_free_slots: bool = False) -> Any:
    token = _appointment_token(request)
    clock = ctx(request).clock
    return await read_tracked(
        request,
        lambda s: appointment_views.citizen_appointment(
            s, clock, token, with_free_slots=with_free_slots
        ),
    )


async def _appointment_change(request: Request, change: Any) -> None:
    """Run a citizen's change from a form; a link that does not exist counts as a guess
    like any other."""
    checks = await guard_link(request)
    form = await check_csrf(request)
    try:
        await run_action(request, lambda s: change(s, form))
    except NotFound:
        await count_missed_link(request, checks)
        raise


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text[:40])
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid("no_time_chosen", N_("Please choose one of the free times."))
    return check_moment(moment)


async def _appointment_page(
    request: Request, step: str, error: str | None = None, status_code: int = 200
) -> Response:
    view = await _appointment_view(request, with_free_slots=step == "reschedule")
    token = _appointment_token(request)
    if step != "show" and not view.may_change:
        return RedirectResponse(f"/a/{token}", status_code=303)
    context = {
        "v": view,
        "step": step,
        "token": token,
        "error": error,
        "weekday": appointment_views.weekday_key,
    }
    return render(request, "track/appointment.html", context, status_code=status_code)


async def track_appointment(request: Request) -> Response:
    """A booking behind its SMS link: when, where, the check-in code, and — for a
    booked visit — cancel or another time. Nothing personal beyond a masked name."""
    return await _appointment_page(request, "show")


async def confirm_cancel_appointment(request: Request) -> Response:
    return await _appointment_page(request, "cancel")


async def cancel_appointment(request: Request) -> Response:
    token = _appointment_token(request)
    app = ctx(request)
    cancelled = _appointment_change(
        request,
        lambda s, _: appointment_actions.cancel_by_citizen(
            s, app.clock, token, public_base_url=app.settings.public_base_url
        ),
    )
    return await submit(
        request,
        cancelled,
        back=f"/a/{token}",
        done=N_("Your appointment is cancelled."),
        passes=_not_the_forms,
    )


def _not_the_forms(exc: DomainError) -> bool:
    """A link that does not exist, too many guesses, an expired form: the error pages
    answer them, not the appointment's form."""
    return isinstance(exc, NotFound | TooManyRequests) or exc.code == "csrf"


async def reschedule_page(request: Request) -> Response:
    return await _appointment_page(request, "reschedule")


async def reschedule_appointment(request: Request) -> Response:
    token = _appointment_token(request)
    app = ctx(request)
    moved = await attempt(
        request,
        _appointment_change(
            request,
            lambda s, form: appointment_actions.reschedule_by_citizen(
                s,
                app.clock,
                token,
                starts_at=_moment(str(form.get("starts_at", ""))),
                public_base_url=app.settings.public_base_url,
            ),
        ),
        passes=_not_the_forms,
    )
    if isinstance(moved, Refusal):
        return await _appointment_page(request, "reschedule", moved.message, moved.status_code)
    flash(request, t(request, N_("The time of your appointment was changed.")), "info")
    return RedirectResponse(f"/a/{token}", status_code=303)


routes = [
    Route("/t/{token}", track, methods=["GET"]),
    Route("/l/{token}", track_letter, methods=["GET"]),
    Route("/a/{token}", track_appointment, methods=["GET"]),
    Route("/a/{token}/cancel", confirm_cancel_appointment, methods=["GET"]),
    Route("/a/{token}/cancel", cancel_appointment, methods=["POST"]),
    Route("/a/{token}/reschedule", reschedule_page, methods=["GET"]),
    Route("/a/{token}/reschedule", reschedule_appointment, methods=["POST"]),
    WebSocketRoute("/t/{token}/ws", track_socket),
]
