"""Staff console: sign in, pick a counter, call the next visitor."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth.guard import login_checks, login_failed, login_succeeded, login_wait
from reception.auth.models import Role
from reception.auth.principal import Principal
from reception.auth.queries import check_password, user_by_username
from reception.auth.sessions import end_session, start_session
from reception.errors import N_, Conflict, NotFound
from reception.forms import Refusal, attempt, submit
from reception.inputs import to_id, to_int
from reception.labels import OUTCOME_LABELS
from reception.outcome import Outcome
from reception.queue import actions, counters, display_settings, read_models, residency, setup
from reception.web import (
    check_csrf,
    ctx,
    flash,
    path_id,
    principal_of,
    read,
    render,
    require_principal,
    run_action,
    t,
)

TICKET_ACTIONS = {"recall", "start", "finish", "no-show", "return"}
COUNTER_MOVES = {"pause", "resume", "close", "open"}


def _safe_next(target: str | None, default: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


LANDING = {
    Role.kiosk: "/kiosk",
    Role.display: "/display",
    Role.department_officer: "/staff/inbox",
}


def _landing(role: str) -> str:
    return LANDING.get(Role(role), "/staff")


async def login_page(request: Request) -> Response:
    return render(request, "staff/login.html", {"next": request.query_params.get("next", "")})


async def login(request: Request) -> Response:
    form = await check_csrf(request)
    username = str(form.get("username", "")).strip()[:60]
    password = str(form.get("password", ""))[:200]
    checks = login_checks(request, username)
    wait = await login_wait(request, checks)
    if wait:
        message = t(
            request,
            N_("Too many wrong attempts. Please try again in {minutes} minutes."),
            minutes=max(1, -(-wait // 60)),
        )
        response = render(
            request, "staff/login.html", {"error": message, "username": username}, 429
        )
        response.headers["Retry-After"] = str(wait)
        return response
    row = await read(request, lambda s: user_by_username(s, username)) if username else None
    user = await run_in_threadpool(check_password, row, password)
    if user is None:
        await login_failed(request, checks, username)
        return render(
            request,
            "staff/login.html",
            {"error": t(request, N_("Wrong username or password.")), "username": username},
            status_code=401,
        )
    await login_succeeded(request, checks)
    secret = await _start_session(request, user.id)
    language = request.session.get("lang")
    request.session.clear()
    request.session["sid"] = secret
    if language:
        request.session["lang"] = language
    return RedirectResponse(_safe_next(str(form.get("next", "")), _landing(user.role)), 303)


async def _start_session(request: Request, user_id: int | None) -> str:
    assert user_id is not None
    app = ctx(request)
    now, max_age = app.clock.now(), app.settings.session_max_age_seconds
    return await run_action(
        request,
        lambda s: start_session(s, user_id=user_id, now=now, max_age_seconds=max_age),
    )


async def logout(request: Request) -> Response:
    """The session ends on the server: a copy of the cookie opens nothing any more,
    on any worker, and the pages it holds open over sockets close."""
    await check_csrf(request)
    secret = request.session.get("sid")
    if secret:
        principal = await principal_of(request)
        actor = principal.actor if principal else "anonymous"
        await run_action(request, lambda s: end_session(s, secret=str(secret), actor=actor))
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return RedirectResponse("/staff/login", status_code=303)


async def console(request: Request) -> Response:
    principal = await require_principal(request)
    if principal.role in (Role.kiosk, Role.display, Role.department_officer):
        return RedirectResponse(_landing(principal.role), status_code=303)
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    rows = await read(request, lambda s: read_models.operator_counters(s, principal))
    return render(request, "staff/console.html", {"rows": rows})


async def supervise(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(Role.supervisor, Role.admin)
    clock = ctx(request).clock
    halls = await read(request, lambda s: read_models.supervisor_view(s, principal, clock))
    return render(request, "staff/supervise.html", {"halls": halls})


async def _supervise(request: Request, change: Any, done: str) -> Response:
    """Run one supervisor change from a form on the supervision page; show its result."""
    principal = await require_principal(request)
    principal.require_role(Role.supervisor, Role.admin)
    form = await check_csrf(request)
    changed = run_action(request, lambda s: change(s, principal, form))
    return await submit(request, changed, back="/staff/supervise", done=done)


async def counter_services(request: Request) -> Response:
    counter_id = path_id(request, "counter_id")
    form = await request.form()
    services = [str(v) for v in form.getlist("service")]
    return await _supervise(
        request,
        lambda s, principal, _: setup.set_counter_services(
            s, principal, counter_id=counter_id, services=services
        ),
        N_("The counter's services were saved."),
    )


async def hall_display(request: Request) -> Response:
    hall_id = path_id(request, "hall_id", "hall")

    def change(s: Any, principal: Any, form: dict[str, Any]) -> Outcome[Any]:
        volume = to_int(str(form.get("volume", "")), high=100, typed=True)
        return display_settings.set_display(
            s,
            principal,
            hall_id=hall_id,
            notice_ar=str(form.get("notice_ar", "")),
            notice_en=str(form.get("notice_en", "")),
            layout=str(form.get("layout", "auto")),
            volume=-1 if volume is None else volume,
        )

    return await _supervise(request, change, N_("The displays were updated."))


async def screen_counters(request: Request) -> Response:
    token_id = path_id(request, "token_id", "token")
    return await _supervise(
        request,
        lambda s, principal, form: display_settings.set_screen_counters(
            s, principal, token_id=token_id, counters=str(form.get("counters", ""))[:200]
        ),
        N_("The displays were updated."),
    )


async def counter_page(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    counter_id = path_id(request, "counter_id")
    clock = ctx(request).clock
    view = await read(request, lambda s: read_models.counter_view(s, principal, clock, counter_id))
    return render(request, "staff/counter.html", {"view": view, "outcomes": OUTCOME_LABELS})


MOVING_ON = re.compile(r"call-next|close|call-[0-9]{1,9}")
"""What a counter may do only once its open ticket is closed: call the next, call one
chosen ticket, close the counter."""


async def close_current_page(request: Request) -> Response:
    """Ask how the counter's open ticket ended before the counter moves on (`then`)."""
    principal = await require_principal(request)
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    counter_id = path_id(request, "counter_id")
    then = request.query_params.get("then", "")
    if not MOVING_ON.fullmatch(then):
        raise NotFound("unknown_action", N_("Unknown action."))
    back = "supervise" if request.query_params.get("back") == "supervise" else ""
    back_url = "/staff/supervise" if back else f"/staff/counters/{counter_id}"
    clock = ctx(request).clock
    view = await read(request, lambda s: read_models.counter_view(s, principal, clock, counter_id))
    if view.current is None:  # closed meanwhile: nothing to ask
        return RedirectResponse(back_url, status_code=303)
    calling = None
    if then.startswith("call-") and then != "call-next":
        chosen = int(then[5:])
        calling = next((r.ticket.number for r in view.next_up if r.ticket.id == chosen), None)
        if calling is None:
            flash(request, t(request, N_("This ticket is no longer waiting for this counter.")))
            return RedirectResponse(back_url, status_code=303)
    return render(
        request,
        "staff/close_current.html",
        {"view": view, "then": then, "calling": calling, "back": back, "back_url": back_url},
    )


async def counter_action(request: Request) -> Response:
    principal = await require_principal(request)
    form = await check_csrf(request)
    counter_id = path_id(request, "counter_id")
    action = str(request.path_params["action"])
    back_to = f"/staff/counters/{counter_id}"
    if form.get("back") == "supervise":
        back_to = "/staff/supervise"
    back = RedirectResponse(back_to, status_code=303)
    moved = await attempt(
        request,
        _move_at_counter(request, principal, counter_id, action, form),
        passes=lambda exc: exc.status_code in (401, 403, 404),
    )
    if isinstance(moved, Refusal):
        flash(request, moved.message)
        if moved.error.code == "current_open" and MOVING_ON.fullmatch(action):
            query = {"then": action}
            if form.get("back") == "supervise":
                query["back"] = "supervise"
            return RedirectResponse(
                f"/staff/counters/{counter_id}/close-current?{urlencode(query)}", status_code=303
            )
    return back


async def _move_at_counter(
    request: Request, principal: Principal, counter_id: int, action: str, form: dict[str, Any]
) -> None:
    """The counter's button `action`: one action, with its message when it has one."""
    app = ctx(request)
    close_current = str(form.get("close_current") or "")[:20] or None
    if action == "call-next":
        called = await run_action(
            request,
            lambda s: actions.call_next(
                s, app.clock, principal, counter_id, app.settings.public_base_url, close_current
            ),
        )
        if called is None:
            flash(request, t(request, N_("Nobody is waiting for this counter.")), "info")
    elif action in TICKET_ACTIONS:
        name = action.replace("-", "_")
        outcome = str(form.get("outcome") or "") or None
        await run_action(
            request,
            lambda s: actions.act_on_current(
                s, app.clock, principal, counter_id, name, outcome, app.settings.public_base_url
            ),
        )
    elif action in COUNTER_MOVES:
        close = close_current if action == "close" else None
        await run_action(
            request,
            lambda s: counters.set_counter_status(
                s, app.clock, principal, counter_id, action, close, app.settings.public_base_url
            ),
        )
    elif action == "transfer":
        service = str(form.get("service", ""))
        to_counter = _int(str(form.get("to_counter") or "0")) or None
        to_back = form.get("to_back") == "yes"
        await run_action(
            request,
            lambda s: actions.transfer_ticket(
                s,
                app.clock,
                principal,
                counter_id,
                service=service,
                to_counter=to_counter,
                to_back=to_back,
            ),
        )
        flash(request, t(request, N_("The visitor was sent on.")), "info")
    elif action == "residency":
        stated = str(form.get("residency", ""))[:16]
        await run_action(
            request, lambda s: residency.correct_residency(s, principal, counter_id, stated)
        )
        flash(request, t(request, N_("The residency of the visitor was corrected.")), "info")
    elif action.startswith("call-") and (ticket_id := to_id(action[5:])) is not None:
        await run_action(
            request,
            lambda s: actions.call_ticket(
                s,
                app.clock,
                principal,
                counter_id,
                ticket_id,
                app.settings.public_base_url,
                close_current,
            ),
        )
    else:
        raise Conflict("unknown_action", N_("Unknown action."))


def _int(value: str) -> int:
    return to_int(value, typed=True) or 0


async def whoami_redirect(request: Request) -> Response:
    principal = await principal_of(request)
    return RedirectResponse(_landing(principal.role) if principal else "/staff/login", 303)


routes = [
    Route("/staff/login", login_page, methods=["GET"]),
    Route("/staff/login", login, methods=["POST"]),
    Route("/staff/logout", logout, methods=["POST"]),
    Route("/staff", console, methods=["GET"]),
    Route("/staff/supervise", supervise, methods=["GET"]),
    Route("/staff/counters/{counter_id}/services", counter_services, methods=["POST"]),
    Route("/staff/halls/{hall_id}/display", hall_display, methods=["POST"]),
    Route("/staff/screens/{token_id}/counters", screen_counters, methods=["POST"]),
    Route("/staff/counters/{counter_id}", counter_page, methods=["GET"]),
    Route("/staff/counters/{counter_id}/close-current", close_current_page, methods=["GET"]),
    Route("/staff/counters/{counter_id}/{action}", counter_action, methods=["POST"]),
    Route("/start", whoami_redirect, methods=["GET"]),
]
