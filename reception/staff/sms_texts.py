"""The administrator's SMS screen: every message in both languages as a citizen
receives it, its text editable with a live preview (sample values, length in SMS
segments), a reset to the shipped text, and whether it may go out in the quiet hours."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reception.errors import N_, DomainError
from reception.forms import Refusal, attempt, submit
from reception.notify import actions, queries, texts
from reception.notify.preview import Preview, preview_text
from reception.outcome import Outcome
from reception.stats.tables import SMS_PURPOSES
from reception.web import (
    check_csrf,
    ctx,
    flash,
    read,
    render,
    require_admin,
    run_action,
    t,
)

PAGE = "/staff/admin/sms"


def _passes(exc: DomainError) -> bool:
    """Not this form's to show: sign in, not allowed, no such message."""
    return exc.status_code in (401, 403, 404)


async def _preview(purpose: str, language: str, text: str, base_url: str) -> Preview:
    return preview_text(purpose, language, text, base_url)


async def _page(
    request: Request,
    editing: dict[tuple[str, str], dict[str, Any]] | None = None,
    status: int = 200,
) -> Response:
    base_url = ctx(request).settings.public_base_url
    rows = await read(request, lambda s: queries.sms_texts(s, base_url))
    context = {
        "rows": rows,
        "purposes": SMS_PURPOSES,
        "editing": editing or {},
        "value_labels": texts.VALUE_LABELS,
    }
    return render(request, "staff/sms_preview.html", context, status_code=status)


async def page(request: Request) -> Response:
    """Every message as a citizen receives it, with its length in SMS segments."""
    await require_admin(request)
    return await _page(request)


def _fields(form: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(form.get("purpose", ""))[:40],
        str(form.get("language", ""))[:2],
        str(form.get("text", "")),
    )


def _back_url(purpose: str) -> str:
    return PAGE + (f"#sms-{purpose}" if purpose in SMS_PURPOSES else "")


def _back(purpose: str) -> RedirectResponse:
    return RedirectResponse(_back_url(purpose), status_code=303)


async def save_text(request: Request) -> Response:
    """Save, preview (without saving) or reset one message's text in one language."""
    principal = await require_admin(request)
    form = await check_csrf(request)
    purpose, language, text = _fields(form)
    what = str(form.get("action", "save"))
    base_url = ctx(request).settings.public_base_url
    if what == "preview":
        shown = await attempt(request, _preview(purpose, language, text, base_url), passes=_passes)
        if not isinstance(shown, Refusal):
            return await _page(request, {(purpose, language): {"text": text, "preview": shown}})
        refused: Refusal | None = shown
    elif what == "reset":

        def reset(s: Session) -> Outcome[bool]:
            return Outcome(
                actions.reset_sms_text(s, purpose=purpose, language=language, actor=principal.actor)
            )

        step = run_action(request, reset)
        return await submit(
            request,
            step,
            back=_back_url(purpose),
            done=N_("The shipped text is used again."),
            passes=_passes,
        )
    else:

        def save(s: Session) -> Outcome[Any]:
            return Outcome(
                actions.set_sms_text(
                    s, purpose=purpose, language=language, text=text, actor=principal.actor
                )
            )

        saved = await attempt(request, run_action(request, save), passes=_passes)
        refused = saved if isinstance(saved, Refusal) else None
    if refused is not None:
        editing = {(purpose, language): {"text": text, "error": refused.message}}
        return await _page(request, editing, status=refused.status_code)
    flash(request, t(request, N_("The text was saved; new messages use it.")), "info")
    return _back(purpose)


async def live_preview(request: Request) -> Response:
    """The preview as the administrator types: JSON for the page's script."""
    await require_admin(request)
    form = await check_csrf(request)
    purpose, language, text = _fields(form)
    shown = await attempt(
        request,
        _preview(purpose, language, text, ctx(request).settings.public_base_url),
        passes=_passes,
    )
    if isinstance(shown, Refusal):
        return JSONResponse({"ok": False, "message": shown.message}, status_code=422)
    return JSONResponse(
        {
            "ok": True,
            "body": shown.body,
            "characters": shown.size.characters,
            "segments": shown.size.segments,
        }
    )


async def set_rule(request: Request) -> Response:
    """Whether one kind of message may go out in the quiet hours."""
    principal = await require_admin(request)
    form = await check_csrf(request)
    purpose = str(form.get("purpose", ""))[:40]
    exempt = form.get("quiet_exempt") == "yes"

    def change(s: Session) -> Outcome[bool]:
        return Outcome(
            actions.set_quiet_exempt(s, purpose=purpose, exempt=exempt, actor=principal.actor)
        )

    await run_action(request, change)
    flash(
        request,
        t(
            request,
            N_("Sent in the quiet hours too.") if exempt else N_("Held back in the quiet hours."),
        ),
        "info",
    )
    return _back(purpose)


routes = [
    Route(PAGE, page, methods=["GET"]),
    Route(PAGE + "/texts", save_text, methods=["POST"]),
    Route(PAGE + "/preview", live_preview, methods=["POST"]),
    Route(PAGE + "/rules", set_rule, methods=["POST"]),
]
