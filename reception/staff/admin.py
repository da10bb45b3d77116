"""Administration screens (admin role): services, counters, the queue policy,
priority groups, accounts and device tokens. Every form calls the same set-up
actions as the command line and the API; every change is audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.auth import actions as auth_actions
from reception.auth.passwords import MIN_PASSWORD_LENGTH
from reception.auth.sessions import sign_out_everywhere
from reception.errors import N_, Invalid
from reception.forms import Refusal, attempt
from reception.inputs import check_day, to_int, typed_date, typed_time
from reception.labels import ROLE_LABELS
from reception.letters import calls
from reception.letters import setup as letter_setup
from reception.outcome import Outcome
from reception.queue import setup
from reception.queue.read_models import admin_view
from reception.remote.queries import branch_policy
from reception.settings import DEFAULT_TIMEZONE
from reception.staff import category_forms
from reception.staff.sms_texts import routes as sms_text_routes
from reception.staff.weekdays import days_from_form, weekdays_label
from reception.web import (
    check_csrf,
    flash,
    path_id,
    read,
    render,
    require_admin,
    run_action,
    t,
)

BACK = "/staff/admin"


async def page(request: Request) -> Response:
    principal = await require_admin(request)
    branch = request.query_params.get("branch") or None
    return await _page(request, principal, branch)


async def _page(
    request: Request, principal: Any, branch: str | None, status: int = 200, **extra: Any
) -> Response:
    view = await read(request, lambda s: admin_view(s, principal, branch))
    topics = await read(request, calls.list_topics)
    if "remote" not in extra:
        extra["remote"] = await read(request, lambda s: branch_policy(s, view.branch.slug))
    context = {
        "view": view,
        "branches": view.branches,
        "roles": ROLE_LABELS,
        "call_topics": topics,
        "min_password_length": MIN_PASSWORD_LENGTH,
        "weekdays_label": lambda text: weekdays_label(text, lambda m: t(request, m)),
        **extra,
    }
    return render(request, "staff/admin.html", context, status_code=status)


def _minutes(value: object) -> int:
    minutes = to_int(value, high=9999, typed=True)
    if minutes is None:
        raise Invalid("bad_minutes", N_("The expected service time is 1 to 480 minutes."))
    return minutes


async def _apply(request: Request, change: Any, done: str) -> Response:
    """Run one set-up change from a form; show its result or its error in the page."""
    principal = await require_admin(request)
    form = await request.form()
    await check_csrf(request)
    branch = str(form.get("branch", ""))

    def run(s: Session) -> Outcome[Any]:
        result = change(s, form, principal.actor, branch)
        return result if isinstance(result, Outcome) else Outcome(result)

    result = await attempt(request, run_action(request, run))
    if isinstance(result, Refusal):
        flash(request, result.message)
    else:
        flash(request, t(request, done, **(result if isinstance(result, dict) else {})), "info")
    return RedirectResponse(f"{BACK}?branch={branch}" if branch else BACK, status_code=303)


async def add_service(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.add_service(
            s,
            branch=branch,
            slug=str(f.get("slug", "")),
            name_ar=str(f.get("name_ar", "")),
            name_en=str(f.get("name_en", "")),
            expected_minutes=_minutes(f.get("minutes")),
            ticket_prefix=str(f.get("prefix", "")),
            mode=str(f.get("mode") or "both"),
            actor=actor,
        )

    return await _apply(request, change, N_("The service was added."))


async def add_branch(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.add_branch(
            s,
            slug=str(f.get("new_slug", "")),
            name_ar=str(f.get("name_ar", "")),
            name_en=str(f.get("name_en", "")),
            kind=str(f.get("kind") or "centre"),
            timezone=str(f.get("timezone") or DEFAULT_TIMEZONE),
            actor=actor,
        )

    return await _apply(request, change, N_("The branch was added."))


async def add_hall(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.add_hall(
            s,
            branch=branch,
            slug=str(f.get("slug", "")),
            section=str(f.get("section", "")),
            name_ar=str(f.get("name_ar", "")),
            name_en=str(f.get("name_en", "")),
            ticket_prefix=str(f.get("prefix", "")).upper(),
            actor=actor,
        )

    return await _apply(request, change, N_("The hall was added."))


async def add_counter(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.add_counter(
            s,
            branch=branch,
            hall=str(f.get("hall", "")),
            number=to_int(f.get("number", ""), high=9999, typed=True) or 0,
            services=[str(v) for v in f.getlist("service")],
            actor=actor,
        )

    return await _apply(request, change, N_("The counter was added."))


async def set_policy(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        raw = str(f.get("max_wait", "")).strip()
        limit = None if raw in ("", "0") else _minutes(raw)
        setup.set_branch_policy(s, branch=branch, max_wait_minutes=limit, actor=actor)

    return await _apply(request, change, N_("The queue policy was saved."))


def _day(value: object) -> date:
    try:
        day = date.fromisoformat(typed_date(value))
    except ValueError:
        raise Invalid("bad_date", N_("Dates are written like 2026-12-18.")) from None
    return check_day(day)


async def set_hours(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.set_opening_hours(
            s,
            branch=branch,
            days=days_from_form(f),
            start=typed_time(f.get("start") or "08:00"),
            end=typed_time(f.get("end") or "15:00"),
            closed=f.get("closed") == "yes",
            actor=actor,
        )

    return await _apply(request, change, N_("The opening hours were saved."))


async def set_holiday(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.set_holiday(
            s, branch=branch, day=_day(f.get("day")), closed=f.get("open") != "yes", actor=actor
        )

    return await _apply(request, change, N_("The holidays were saved."))


async def add_slot_template(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        from reception.appointments.setup import add_slot_template as add

        blackout = [
            typed_date(d)
            for d in str(f.get("blackout", "")).replace("،", ",").split(",")
            if d.strip()
        ]
        add(
            s,
            branch=branch,
            hall=str(f.get("hall", "")),
            service=str(f.get("service", "")),
            weekdays=days_from_form(f),
            start=typed_time(f.get("start", "")),
            end=typed_time(f.get("end", "")),
            slot_minutes=_number(f.get("minutes"), 15),
            capacity=_number(f.get("capacity"), 1),
            blackout_dates=blackout,
            actor=actor,
        )

    return await _apply(request, change, N_("The appointment times were added."))


async def set_slot_template(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        from reception.appointments.setup import set_template

        set_template(
            s,
            _number(f.get("template"), 0),
            active=str(f.get("active", "")) == "yes",
            actor=actor,
        )

    return await _apply(request, change, N_("The appointment times were changed."))


def _number(value: object, default: int) -> int:
    """A whole number from a form field; the domain rules check its range."""
    text = str(value or "").strip()
    if not text:
        return default
    number = to_int(text, high=999_999, typed=True)
    if number is None:
        raise Invalid("bad_number", N_("Please type a whole number."))
    return number


async def add_stop(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.add_stop(
            s,
            branch=branch,
            place_ar=str(f.get("place_ar", "")),
            place_en=str(f.get("place_en", "")),
            starts_on=_day(f.get("starts_on")),
            ends_on=_day(f.get("ends_on")),
            actor=actor,
        )

    return await _apply(request, change, N_("The stop was added."))


async def add_department(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        letter_setup.add_department(
            s,
            slug=str(f.get("slug", "")),
            name_ar=str(f.get("name_ar", "")),
            name_en=str(f.get("name_en", "")),
            actor=actor,
        )

    return await _apply(request, change, N_("The department was added."))


async def _apply_or_redraw(request: Request, change: Any, done: str, keep: str) -> Response:
    """Like `_apply`, but a refused form comes back in the page as it was typed (under
    `keep`), with the error: long lists of phrases are not typed twice."""
    principal = await require_admin(request)
    form = await check_csrf(request)
    branch = str(form.get("branch", ""))
    result = await attempt(
        request, run_action(request, lambda s: Outcome(change(s, form, principal.actor)))
    )
    if isinstance(result, Refusal):
        typed = {**form, **request.path_params, "error": result.message}
        kept = {keep: typed, "error": result.message}
        return await _page(request, principal, branch or None, result.status_code, **kept)
    flash(request, t(request, done), "info")
    return RedirectResponse(f"{BACK}?branch={branch}" if branch else BACK, status_code=303)


async def add_category(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str) -> None:
        letter_setup.add_category(
            s,
            slug=str(f.get("slug", "")),
            name_ar=str(f.get("name_ar", "")),
            name_en=str(f.get("name_en", "")),
            parent=str(f.get("parent") or "") or None,
            sla_hours=category_forms.sla_targets(f),
            **category_forms.description(f),
            actor=actor,
        )

    return await _apply_or_redraw(request, change, N_("The category was added."), "new_category")


async def describe_category(request: Request) -> Response:
    """A category's description and example phrases, replaced as typed."""
    slug = str(request.path_params["slug"])[:40]

    def change(s: Session, f: Any, actor: str) -> None:
        letter_setup.describe_category(s, slug=slug, **category_forms.description(f), actor=actor)

    done = N_("The category's description and examples were saved.")
    return await _apply_or_redraw(request, change, done, "describing")


def _order(value: object) -> int:
    text = str(value or "").strip()
    number = text[1:] if text.startswith("-") else text
    if not text:
        return 0
    if not number.isdigit() or len(number) > 4:
        raise Invalid("bad_order", N_("The order is a whole number from -1000 to 1000."))
    return int(text)


async def add_call_topic(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        calls.add_topic(
            s,
            slug=str(f.get("slug", "")),
            name_ar=str(f.get("name_ar", "")),
            name_en=str(f.get("name_en", "")),
            sort_order=_order(f.get("sort_order")),
            actor=actor,
        )

    return await _apply(request, change, N_("The call topic was added."))


async def set_call_topic(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        calls.change_topic(
            s,
            str(f.get("topic", ""))[:40],
            name_ar=str(f.get("name_ar") or "") or None,
            name_en=str(f.get("name_en") or "") or None,
            sort_order=_order(f.get("sort_order")) if f.get("sort_order") else None,
            active=str(f.get("active", "")) == "yes",
            actor=actor,
        )

    return await _apply(request, change, N_("The call topic was saved."))


async def set_routing_rule(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        letter_setup.add_routing_rule(
            s,
            category=str(f.get("category", "")),
            department=str(f.get("department", "")),
            branch=str(f.get("rule_branch") or "") or None,
            residency=str(f.get("residency") or "") or None,
            actor=actor,
        )

    return await _apply(request, change, N_("The routing rule was saved."))


async def set_priority(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        setup.set_priority_group(
            s,
            slug=str(f.get("slug", "")),
            name_ar=str(f.get("name_ar") or "") or None,
            name_en=str(f.get("name_en") or "") or None,
            weight=to_int(f.get("weight", ""), high=999, typed=True),
            at_kiosk=f.get("at_kiosk") == "yes",
            actor=actor,
        )

    return await _apply(request, change, N_("The priority group was saved."))


async def add_user(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> None:
        auth_actions.create_user(
            s,
            username=str(f.get("username", "")).strip(),
            password=str(f.get("password", "")),
            role=str(f.get("role", "")),
            branch_slug=str(f.get("user_branch") or "") or None,
            hall_slugs=tuple(str(v) for v in f.getlist("hall")),
            full_name=str(f.get("full_name", "")),
            actor=actor,
        )

    return await _apply(request, change, N_("The account was created."))


async def set_user_active(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> Outcome[Any]:
        return auth_actions.set_user_active(
            s, username=str(f.get("username", "")), active=f.get("active") == "yes", actor=actor
        )

    return await _apply(request, change, N_("The account was updated."))


async def set_user_access(request: Request) -> Response:
    """Another role or other halls for an account; its open screens load again."""

    def change(s: Session, f: Any, actor: str, branch: str) -> Outcome[Any]:
        return auth_actions.change_user_access(
            s,
            username=str(f.get("username", "")),
            role=str(f.get("role") or "") or None,
            hall_slugs=tuple(str(v) for v in f.getlist("hall")),
            actor=actor,
        )

    return await _apply(request, change, N_("The account was updated."))


async def sign_out_user(request: Request) -> Response:
    def change(s: Session, f: Any, actor: str, branch: str) -> Outcome[Any]:
        return sign_out_everywhere(s, username=str(f.get("username", "")), actor=actor)

    return await _apply(request, change, N_("The account was signed out everywhere."))


async def add_token(request: Request) -> Response:
    """The new token is shown once, in this answer only (never kept in a cookie)."""
    principal = await require_admin(request)
    form = await check_csrf(request)

    def change(s: Session) -> Outcome[str]:
        _, clear = auth_actions.create_token(
            s,
            name=str(form.get("name", "")),
            role=str(form.get("role", "")),
            branch_slug=str(form.get("token_branch") or "") or None,
            hall_slug=str(form.get("hall") or "") or None,
            actor=principal.actor,
        )
        return Outcome(clear)

    context: dict[str, Any] = {}
    made = await attempt(request, run_action(request, change))
    if isinstance(made, Refusal):
        context["error"] = made.message
    else:
        context["new_token"] = made
    return await _page(request, principal, str(form.get("token_branch") or "") or None, **context)


async def revoke_token(request: Request) -> Response:
    token_id = path_id(request, "token", "token")

    def change(s: Session, f: Any, actor: str, branch: str) -> Outcome[Any]:
        return auth_actions.revoke_token(s, token_id=token_id, actor=actor)

    return await _apply(request, change, N_("The token was revoked."))


routes = [
    *sms_text_routes,
    Route("/staff/admin", page, methods=["GET"]),
    Route("/staff/admin/branches", add_branch, methods=["POST"]),
    Route("/staff/admin/halls", add_hall, methods=["POST"]),
    Route("/staff/admin/services", add_service, methods=["POST"]),
    Route("/staff/admin/counters", add_counter, methods=["POST"]),
    Route("/staff/admin/policy", set_policy, methods=["POST"]),
    Route("/staff/admin/priorities", set_priority, methods=["POST"]),
    Route("/staff/admin/hours", set_hours, methods=["POST"]),
    Route("/staff/admin/holidays", set_holiday, methods=["POST"]),
    Route("/staff/admin/stops", add_stop, methods=["POST"]),
    Route("/staff/admin/slot-templates", add_slot_template, methods=["POST"]),
    Route("/staff/admin/slot-templates/active", set_slot_template, methods=["POST"]),
    Route("/staff/admin/departments", add_department, methods=["POST"]),
    Route("/staff/admin/categories", add_category, methods=["POST"]),
    Route("/staff/admin/categories/{slug}/describe", describe_category, methods=["POST"]),
    Route("/staff/admin/routing", set_routing_rule, methods=["POST"]),
    Route("/staff/admin/call-topics", add_call_topic, methods=["POST"]),
    Route("/staff/admin/call-topics/set", set_call_topic, methods=["POST"]),
    Route("/staff/admin/users", add_user, methods=["POST"]),
    Route("/staff/admin/users/active", set_user_active, methods=["POST"]),
    Route("/staff/admin/users/access", set_user_access, methods=["POST"]),
    Route("/staff/admin/users/sign-out", sign_out_user, methods=["POST"]),
    Route("/staff/admin/tokens", add_token, methods=["POST"]),
    Route("/staff/admin/tokens/{token}/revoke", revoke_token, methods=["POST"]),
]
