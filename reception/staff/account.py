"""A signed-in person's own account: change the password, sign out everywhere.

Both end sessions on the server: a new password signs out every other browser of the
account (this one stays signed in); signing out everywhere ends this one as well."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth.actions import change_password
from reception.auth.guard import login_checks, login_failed, login_succeeded, login_wait, minutes
from reception.auth.passwords import MIN_PASSWORD_LENGTH
from reception.auth.principal import Principal
from reception.auth.queries import check_password, user_by_id
from reception.auth.sessions import sign_out_everywhere
from reception.errors import N_, Forbidden
from reception.forms import shows_every_error, submit
from reception.web import (
    check_csrf,
    flash,
    read,
    render,
    require_principal,
    run_action,
    t,
)

PAGE = "/staff/account"


async def _person(request: Request) -> Principal:
    principal = await require_principal(request)
    if principal.kind != "user":
        raise Forbidden("accounts_only", N_("Only a signed-in account has this page."))
    return principal


async def page(request: Request) -> Response:
    await _person(request)
    return render(request, "staff/account.html", {"min_password_length": MIN_PASSWORD_LENGTH})


async def set_password(request: Request) -> Response:
    principal = await _person(request)
    form = await check_csrf(request)
    current = str(form.get("current", ""))[:200]
    new = str(form.get("password", ""))[:200]
    if new != str(form.get("repeat", ""))[:200]:
        flash(request, t(request, N_("The two new passwords are not the same.")))
        return RedirectResponse(PAGE, status_code=303)
    row = await read(request, lambda s: user_by_id(s, principal.id))
    username = row.username if row else "-"
    checks = login_checks(request, username)
    wait = await login_wait(request, checks)
    if wait:
        message = N_("Too many wrong attempts. Please try again in {minutes} minutes.")
        flash(request, t(request, message, minutes=minutes(wait)))
        return RedirectResponse(PAGE, status_code=303)
    if await run_in_threadpool(check_password, row, current) is None:
        await login_failed(request, checks, username)
        flash(request, t(request, N_("The current password is not right.")))
        return RedirectResponse(PAGE, status_code=303)
    await login_succeeded(request, checks)
    keep = request.scope.get("staff_session_id")
    changed = run_action(
        request,
        lambda s: change_password(
            s, user_id=principal.id, password=new, actor=principal.actor, keep_session=keep
        ),
    )
    message = N_("Your password was changed. Every other browser signed in to it is signed out.")
    return await submit(request, changed, back=PAGE, done=message, passes=shows_every_error)


async def sign_out_all(request: Request) -> Response:
    principal = await _person(request)
    await check_csrf(request)
    await run_action(
        request, lambda s: sign_out_everywhere(s, user_id=principal.id, actor=principal.actor)
    )
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    flash(request, t(request, N_("You were signed out everywhere.")), "info")
    return RedirectResponse("/staff/login", status_code=303)


routes = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE + "/password", set_password, methods=["POST"]),
    Route(PAGE + "/sign-out-everywhere", sign_out_all, methods=["POST"]),
]
