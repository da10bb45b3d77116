"""The administration form of a branch's rules for joining the line from a phone.
It calls the same checked, audited writer as the API; a refused form comes back as
it was typed, with the refusal beside it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reception.errors import N_, Invalid
from reception.forms import Refusal, attempt
from reception.inputs import digits_only, to_int, typed_time
from reception.outcome import Outcome
from reception.queue.rules import parse_hours
from reception.remote import setup
from reception.staff.admin import BACK, _page
from reception.staff.weekdays import days_from_form
from reception.web import check_csrf, flash, require_admin, run_action, t

_ARABIC_POINT = str.maketrans({"٫": ".", "،": ".", "−": "-"})


def _whole(name: str, raw: object) -> int | None:
    text = str(raw or "").strip()
    if not text:
        return None
    value = to_int(text, high=999_999, typed=True)
    if value is None:
        low, high, message = setup.NUMBERS[name]
        raise Invalid(f"bad_{name}", message, low=low, high=high)
    return value


def _decimal(raw: object, message: str) -> float | None:
    text = str(raw or "").strip().translate(_ARABIC_POINT)
    if not text:
        return None
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, fraction = body.partition(".")
    if (
        not digits_only(whole)
        or len(digits_only(whole)) != len(whole)
        or (fraction and len(digits_only(fraction)) != len(fraction))
    ):
        raise Invalid("bad_coordinates", message)
    return float(f"{sign}{digits_only(whole)}.{digits_only(fraction) or '0'}")


def _hours(form: Any) -> dict[str, list[list[str]]]:
    """The days ticked with their hours; none ticked: the branch's own hours."""
    days = days_from_form(form)
    if not days:
        return {}
    return parse_hours(
        days, typed_time(form.get("start") or "08:00"), typed_time(form.get("end") or "15:00")
    )


def _typed(form: Any) -> dict[str, Any]:
    """The form as it was typed, in the shape of a policy, to draw it again."""
    return {
        "enabled": form.get("enabled") == "yes",
        "days": [str(v) for v in form.getlist("weekday")],
        "start": str(form.get("start") or ""),
        "end": str(form.get("end") or ""),
        "halls": [str(v) for v in form.getlist("remote_hall")],
        "services": [str(v) for v in form.getlist("remote_service")],
        "priorities": [str(v) for v in form.getlist("remote_priority")],
        **{name: str(form.get(name) or "") for name in setup.NUMBERS},
        "geo_checkin": form.get("geo_checkin") == "yes",
        "latitude": str(form.get("latitude") or ""),
        "longitude": str(form.get("longitude") or ""),
    }


async def set_remote_policy(request: Request) -> Response:
    principal = await require_admin(request)
    form = await request.form()
    await check_csrf(request)
    branch = str(form.get("branch", ""))[:40]

    def change(s: Any) -> Outcome[Any]:
        numbers = {
            name: value
            for name in setup.NUMBERS
            if (value := _whole(name, form.get(name))) is not None
        }
        return Outcome(
            setup.set_remote_policy(
                s,
                branch=branch,
                enabled=form.get("enabled") == "yes",
                hours=_hours(form),
                halls=[str(v) for v in form.getlist("remote_hall")],
                services=[str(v) for v in form.getlist("remote_service")],
                priorities=[str(v) for v in form.getlist("remote_priority")],
                numbers=numbers,
                geo_checkin=form.get("geo_checkin") == "yes",
                latitude=_decimal(
                    form.get("latitude"),
                    N_("The latitude is a number from -90 to 90, like 24.7136."),
                ),
                longitude=_decimal(
                    form.get("longitude"),
                    N_("The longitude is a number from -180 to 180, like 46.6753."),
                ),
                actor=principal.actor,
            )
        )

    result = await attempt(request, run_action(request, change))
    if isinstance(result, Refusal):
        kept = {"remote_typed": _typed(form), "remote_error": result.message}
        return await _page(request, principal, branch or None, result.status_code, **kept)
    flash(request, t(request, N_("The rules for joining from a phone were saved.")), "info")
    return RedirectResponse(f"{BACK}?branch={branch}#sec-remote", status_code=303)


routes = [Route("/staff/admin/remote-policy", set_remote_policy, methods=["POST"])]
