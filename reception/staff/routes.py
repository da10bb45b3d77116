"""Staff console: sign in, pick a counter, call the next visitor."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth.models import Role
from reception.auth.queries import check_password, user_by_username
from reception.auth.sessions import end_session, start_session
from reception.auth.throttle import LoginThrottle
from reception.errors import N_, Conflict, DomainError, NotFound
from reception.labels import OUTCOME_LABELS
from reception.queue import actions, counters, display, setup, views
from reception.web import (
    check_csrf,
    ctx,
    error_text,
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
    by_user: LoginThrottle = request.app.state.login_throttle_user
    by_address: LoginThrottle = request.app.state.login_throttle_address
    user_key = username.lower()
    address_key = request.client.host if request.client else "-"
    wait = max(by_user.locked_for(user_key), by_address.locked_for(address_key))
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
        by_user.failed(user_key)
        by_address.failed(address_key)
        return render(
            request,
            "staff/login.html",
            {"error": t(request, N_("Wrong username or password.")), "username": username},
            status_code=401,
        )
    by_user.succeeded(user_key)
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
    rows = await read(request, lambda s: views.operator_counters(s, principal))
    return render(request, "staff/console.html", {"rows": rows})


async def supervise(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(Role.supervisor, Role.admin)
    clock = ctx(request).clock
    halls = await read(request, lambda s: views.supervisor_view(s, principal, clock))
    return render(request, "staff/supervise.html", {"halls": halls})


async def _supervise(request: Request, change: Any, done: str) -> Response:
    """Run one supervisor change from a form on the supervision page; show its result."""
    principal = await require_principal(request)
    principal.require_role(Role.supervisor, Role.admin)
    form = await check_csrf(request)
    try:
        await run_action(request, lambda s: change(s, principal, form))
        flash(request, t(request, done), "info")
    except DomainError as exc:
        if exc.status_code in (401, 403):
            raise
        flash(request, error_text(request, exc))
    return RedirectResponse("/staff/supervise", status_code=303)


async def counter_services(request: Request) -> Response:
    counter_id = path_id(request, "counter_id")
    form = await request.form()
    services = [str(v) for v in form.getlist("service")]
    return await _supervise(
        request,
        lambda s, principal, _: _reassign(s, principal, counter_id, services),
        N_("The counter's services were saved."),
    )


async def hall_display(request: Request) -> Response:
    hall_id = path_id(request, "hall_id", "hall")

    def change(s: Any, principal: Any, form: dict[str, Any]) -> actions.Outcome[Any]:
        volume = str(form.get("volume", "")).strip()
        return display.set_display(
            s,
            principal,
            hall_id=hall_id,
            notice_ar=str(form.get("notice_ar", "")),
            notice_en=str(form.get("notice_en", "")),
            layout=str(form.get("layout", "auto")),
            volume=int(volume) if volume.isdigit() and len(volume) <= 3 else -1,
        )

    return await _supervise(request, change, N_("The displays were updated."))


async def screen_counters(request: Request) -> Response:
    token_id = path_id(request, "token_id", "token")
    return await _supervise(
        request,
        lambda s, principal, form: display.set_screen_counters(
            s, principal, token_id=token_id, counters=str(form.get("counters", ""))[:200]
        ),
        N_("The displays were updated."),
    )


def _reassign(
    session: Any, principal: Any, counter_id: int, services: list[str]
) -> actions.Outcome[None]:
    from reception.queue.models import Counter, Hall

    counter = session.get(Counter, counter_id)
    hall = session.get(Hall, counter.hall_id) if counter else None
    if counter is None or hall is None:
        raise NotFound("unknown_counter", N_("There is no counter {id}."), id=counter_id)
    principal.require_hall(hall.branch_id, hall.id)
    setup.set_counter_services(
        session,
        counter_id=counter_id,
        services=services,
        actor=principal.actor,
        branch_id=hall.branch_id,
    )
    return actions.Outcome(None, [actions.hall_event(session, hall, "counter.services")])


async def counter_page(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(Role.operator, Role.supervisor, Role.admin)
    counter_id = path_id(request, "counter_id")
    clock = ctx(request).clock
    view = await read(request, lambda s: views.counter_view(s, principal, clock, counter_id))
    return render(request, "staff/counter.html", {"view": view, "outcomes": OUTCOME_LABELS})


async def counter_action(request: Request) -> Response:
    principal = await require_principal(request)
    form = await check_csrf(request)
    counter_id = path_id(request, "counter_id")
    action = str(request.path_params["action"])
    app = ctx(request)
    back_to = f"/staff/counters/{counter_id}"
    if form.get("back") == "supervise":
        back_to = "/staff/supervise"
    back = RedirectResponse(back_to, status_code=303)
    try:
        if action == "call-next":
            called = await run_action(
                request,
                lambda s: actions.call_next(
                    s, app.clock, principal, counter_id, app.settings.public_base_url
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
            await run_action(
                request,
                lambda s: counters.set_counter_status(s, app.clock, principal, counter_id, action),
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
        elif action.startswith("call-") and action[5:].isdigit():
            ticket_id = int(action[5:])
            await run_action(
                request,
                lambda s: actions.call_ticket(
                    s, app.clock, principal, counter_id, ticket_id, app.settings.public_base_url
                ),
            )
        else:
            raise Conflict("unknown_action", N_("Unknown action."))
    except DomainError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        flash(request, error_text(request, exc))
    return back


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) <= 9 else 0


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
    Route("/staff/counters/{counter_id}/{action}", counter_action, methods=["POST"]),
    Route("/start", whoami_redirect, methods=["GET"]),
]
