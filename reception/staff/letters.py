"""Letter screens: the triage desk (register, classify, route, close), the department
inbox (accept, note, ask the citizen, answer, return), search, and phone calls."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from reception.appointments import meeting_queries
from reception.auth.fields import LETTER_FORM_FIELDS
from reception.auth.models import Role
from reception.errors import N_, Invalid, NotFound
from reception.forms import Refusal, attempt, submit
from reception.letters import actions, advice, attachments, calls, queries, suggest
from reception.letters.models import Letter
from reception.letters.rules import mask_id
from reception.queue.queries import allowed_halls, principal_branch
from reception.staff import letter_story, letter_suggestions, letters_live
from reception.web import (
    check_csrf,
    ctx,
    flash,
    language_of,
    path_id,
    read,
    render,
    require_principal,
    run_action,
    t,
)

TRIAGE = (Role.operator, Role.supervisor, Role.admin)
EVERYONE = (*TRIAGE, Role.department_officer)
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
FILTERS = ("q", "status", "category", "department", "sla", "sender_id", "phone", "from", "to")


def _desk_halls(session: Session, principal: Any) -> dict[str, Any]:
    """The operator's branch and the halls a letter can be registered in."""
    branch = principal_branch(session, principal, None)
    return {"branch": branch, "halls": allowed_halls(session, principal, branch)}


async def desk(request: Request) -> Response:
    """Triage: the letters waiting for a decision, and search across all of them."""
    principal = await require_principal(request)
    if principal.role == Role.department_officer:
        return RedirectResponse("/staff/inbox", status_code=303)
    principal.require_role(*TRIAGE)
    q = request.query_params
    filters = {k: q.get(k, "").strip()[:200] for k in FILTERS}
    searching = any(filters.values())
    now = ctx(request).clock.now()

    def load(s: Session) -> dict[str, Any]:
        data = queries.taxonomy(s)
        data["call_topics"] = calls.list_topics(s, active_only=True)
        data["queue"] = queries.triage_queue(s, principal, now)
        data["results"] = (
            queries.search(
                s,
                principal,
                now,
                q=filters["q"],
                status=filters["status"] or None,
                category=filters["category"] or None,
                department=filters["department"] or None,
                sla=filters["sla"] or None,
                sender_id=filters["sender_id"] or None,
                phone=filters["phone"] or None,
                date_from=filters["from"] or None,
                date_to=filters["to"] or None,
            )
            if searching
            else None
        )
        return data

    loaded = await attempt(request, read(request, load))
    if isinstance(loaded, Refusal):
        data = await read(
            request,
            lambda s: {
                **queries.taxonomy(s),
                "call_topics": calls.list_topics(s, active_only=True),
                "queue": [],
                "results": [],
            },
        )
        data["error"] = loaded.message
    else:
        data = loaded
        await letter_suggestions.rows_with_suggestions(request, data["queue"])
    live = letters_live.live_page(request, "triage")
    return render(
        request,
        "staff/letters.html",
        {**data, "filters": filters, "searching": searching, "live": live},
    )


def _ticket_id(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


async def _letter_form(
    request: Request, form: dict[str, Any], ticket_id: int | None, number: str
) -> Response:
    """The new-letter form, filled from the visitor's ticket when one is named: the
    counter's current ticket (by id) or a number the operator typed. The ticket is read
    here, on the server, so its mobile number never travels in an address."""
    principal = await require_principal(request)
    principal.require_role(*TRIAGE)
    app = ctx(request)
    data = await read(request, lambda s: _desk_halls(s, principal))
    error = ""
    status = 200
    if ticket_id is not None or number.strip():
        branch = data["branch"]
        found = await attempt(
            request,
            read(
                request,
                lambda s: queries.visitor_ticket(
                    s,
                    principal,
                    branch,
                    app.clock.local_date(branch.timezone),
                    ticket_id=ticket_id,
                    number=number,
                    hall=str(form.get("hall") or ""),
                ),
            ),
            passes=lambda exc: exc.status_code == 401,
        )
        if isinstance(found, Refusal):
            error, status = found.message, found.status_code
        else:
            # The ticket's hall and sex stand; a mobile typed on the form is kept.
            form = {
                **form,
                **{
                    k: v for k, v in found.items() if v and not (k == "phone" and form.get("phone"))
                },
            }
            data["from_ticket"] = found["ticket_number"]
    data["suggest"] = await letter_suggestions.form_config(request)
    return render(
        request,
        "staff/letter_new.html",
        {**data, "form": form, "error": error},
        status_code=status,
    )


async def new_letter(request: Request) -> Response:
    q = request.query_params
    form = {
        "ticket_number": q.get("ticket", "")[:12],
        "hall": q.get("hall", "")[:40],
        "channel": "counter",
        "language": "ar",
    }
    return await _letter_form(request, form, _ticket_id(q.get("ticket_id")), form["ticket_number"])


async def fill_from_ticket(request: Request) -> Response:
    """The form's "fill from the ticket" button: what was typed stays, the ticket adds
    the sex and the mobile it knows (a POST, so nothing typed lands in an address)."""
    principal = await require_principal(request)
    principal.require_role(*TRIAGE)
    posted = await check_csrf(request)
    form = {k: str(posted.get(k, "")) for k in LETTER_FORM_FIELDS}
    return await _letter_form(request, form, None, form.get("ticket_number", ""))


async def register(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*TRIAGE)
    form = await check_csrf(request)
    app = ctx(request)
    fields = {k: str(form.get(k, "")) for k in LETTER_FORM_FIELDS}

    def change(s: Session) -> Any:
        branch = principal_branch(s, principal, None)
        return actions.register_letter(
            s,
            app.clock,
            principal,
            branch=branch.slug,
            hall=fields["hall"] or None,
            channel=fields["channel"] or "counter",
            ticket_number=fields["ticket_number"] or None,
            sender_name=fields["sender_name"],
            sender_id_number=fields["sender_id_number"],
            sex=fields["sex"],
            phone=fields["phone"] or None,
            language=fields["language"] or "ar",
            subject=fields["subject"],
            body=fields["body"],
            public_base_url=app.settings.public_base_url,
        )

    done = await attempt(request, run_action(request, change))
    if isinstance(done, Refusal):
        data = await read(request, lambda s: _desk_halls(s, principal))
        data["suggest"] = await letter_suggestions.form_config(request)
        context = {**data, "form": fields, "error": done.message}
        return render(request, "staff/letter_new.html", context, status_code=done.status_code)
    flash(
        request,
        t(request, N_("Letter {reference} registered."), reference=done.letter.reference),
        "info",
    )
    return RedirectResponse(f"/staff/letters/{done.letter.id}", status_code=303)


async def letter_page(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*EVERYONE)
    letter_id = path_id(request, "letter_id", "letter")
    now = ctx(request).clock.now()

    def load(s: Session) -> dict[str, Any]:
        letter = actions.letter_for(s, principal, letter_id)
        merged = s.get(Letter, letter.merged_into_id) if letter.merged_into_id else None
        return {
            **queries.taxonomy(s),
            "letter": letter,
            "hall": queries.hall_of(s, letter),
            "detail": queries.detail(s, letter, now),
            "trail": queries.trail(s, letter),
            "department": queries.department_of_letter(s, letter),
            "merged_into": merged,
            "masked_id": mask_id(letter.sender_id_number),
            "duplicates": actions.duplicates_of(s, letter),
            "attachments": attachments.attachments_of(s, letter_id),
            "meetings": meeting_queries.meetings_of_letter(s, letter_id),
        }

    data = await read(request, load)
    letter = data["letter"]
    data["suggestions"] = []
    data["careful_look"] = False
    data["suggestion_status"] = None
    if letter.status in advice.AWAITING and principal.role in TRIAGE:
        model = request.app.state.suggestions
        ranked = await run_in_threadpool(model.suggest, letter.subject, letter.body)
        data["suggestion_status"] = model.status()
        names = {c.slug: c for _, children in data["groups"] for c in children}
        names.update({p.slug: p for p, _ in data["groups"]})
        data["suggestions"] = [(names[c], p) for c, p in ranked if c in names and p >= 0.05]
        data["careful_look"] = suggest.careful_look(
            ranked, ctx(request).settings.suggestion_confident_at
        )
    leaves = {c.slug for _, children in data["groups"] for c in children}
    leaves.update(p.slug for p, children in data["groups"] if not children)
    first = data["suggestions"][0][0].slug if data["suggestions"] else None
    confident = first in leaves and not data["careful_look"] and not letter.category_id
    data["preselected"] = first if confident else None
    language = language_of(request)
    merged = data["merged_into"]
    data["next_step"] = letter_story.next_step(
        language,
        letter.status,
        principal.role,
        data["department"],
        merged.reference if merged else None,
    )
    data["history"] = letter_story.history(language, data["trail"])
    return render(request, "staff/letter.html", data)


async def _change(
    request: Request, make: Any, done: str, letter: bool = True, roles: tuple[Role, ...] = EVERYONE
) -> Response:
    """Run one change from a form, flash its result or its error, and go back to the
    letter's page (or to the desk for a change that is not about one letter)."""
    principal = await require_principal(request)
    principal.require_role(*roles)
    form = await check_csrf(request)
    letter_id = path_id(request, "letter_id", "letter") if letter else 0
    app = ctx(request)
    back = f"/staff/letters/{letter_id}" if letter else "/staff/letters"
    step = run_action(request, lambda s: make(s, principal, letter_id, form, app))
    return await submit(request, step, back=back, done=done)


async def classify(request: Request) -> Response:
    principal = await require_principal(request)
    letter_id = path_id(request, "letter_id", "letter")
    model = request.app.state.suggestions
    first = await read(request, lambda s: advice.first_for_letter(s, model, principal, letter_id))
    return await _change(
        request,
        lambda s, p, letter_id, f, app: actions.classify_and_route(
            s,
            app.clock,
            p,
            letter_id=letter_id,
            category=str(f.get("category", "")),
            department=str(f.get("department") or "") or None,
            note=str(f.get("note", "")),
            public_base_url=app.settings.public_base_url,
            suggested=first,
        ),
        N_("The letter was classified and sent to the department."),
    )


async def move(request: Request) -> Response:
    return await _change(
        request,
        lambda s, p, letter_id, f, app: actions.move_letter(
            s,
            app.clock,
            p,
            letter_id=letter_id,
            move=str(f.get("move", "")),
            note=str(f.get("note", "")),
            merge_into=str(f.get("merge_into", "")) or None,
            public_base_url=app.settings.public_base_url,
        ),
        N_("Saved."),
    )


async def call(request: Request) -> Response:
    return await _change(
        request,
        lambda s, p, letter_id, f, app: actions.log_call(
            s,
            app.clock,
            p,
            letter_id=letter_id,
            direction=str(f.get("direction", "")),
            note=str(f.get("note", "")),
        ),
        N_("The call was noted."),
    )


async def upload(request: Request) -> Response:
    """Attach a scan; the file arrives as multipart form data (≤ 10 MB)."""
    principal = await require_principal(request)
    principal.require_role(*EVERYONE)
    letter_id = path_id(request, "letter_id", "letter")
    app = ctx(request)
    async with request.form(max_files=1) as form:
        await check_csrf(request)
        upload_file = form.get("file")
        data = await upload_file.read() if isinstance(upload_file, UploadFile) else b""
        name = upload_file.filename or "" if isinstance(upload_file, UploadFile) else ""
    root = app.settings.attachments_dir
    assert root is not None
    step = run_action(
        request,
        lambda s: attachments.add_attachment(
            s, app.clock, principal, letter_id=letter_id, filename=name, data=data, root=root
        ),
    )
    back = f"/staff/letters/{letter_id}"
    return await submit(request, step, back=back, done=N_("The scan was attached."))


async def download(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(*EVERYONE)
    letter_id = path_id(request, "letter_id", "letter")
    attachment_id = path_id(request, "attachment_id", "letter")
    row = await read(
        request, lambda s: attachments.attachment_for(s, principal, letter_id, attachment_id)
    )
    root = ctx(request).settings.attachments_dir
    assert root is not None
    path = root / row.stored_as
    if not path.is_file():
        raise NotFound("missing_file", N_("The file of this attachment is missing."))
    return FileResponse(
        path,
        media_type=row.content_type,
        filename=row.filename,
        content_disposition_type="attachment",
    )


def _call_minutes(value: object) -> int | None:
    """The length typed in the call form: empty (not timed) or whole minutes."""
    text = str(value or "").strip().translate(ARABIC_DIGITS)
    if not text:
        return None
    if not text.isdigit() or len(text) > 4:
        raise Invalid(
            "bad_duration",
            N_("The length of a call is a whole number of minutes from 1 to {max}."),
            max=calls.MAX_CALL_MINUTES,
        )
    return calls.check_duration(int(text))


async def enquiry(request: Request) -> Response:
    """A phone call for the call log, from the desk's form."""
    return await _change(
        request,
        lambda s, p, _, f, app: calls.log_enquiry(
            s,
            app.clock,
            p,
            direction=str(f.get("direction", "")),
            topic=str(f.get("topic", "")),
            duration_minutes=_call_minutes(f.get("duration_minutes")),
            note=str(f.get("note", "")),
            letter=str(f.get("letter", "")).strip() or None,
            ticket=str(f.get("ticket", "")).strip() or None,
        ),
        N_("The call was noted."),
        letter=False,
        roles=TRIAGE,
    )


async def inbox(request: Request) -> Response:
    principal = await require_principal(request)
    principal.require_role(Role.department_officer, Role.supervisor, Role.admin)
    now = ctx(request).clock.now()

    def load(s: Session) -> dict[str, Any]:
        return {
            "rows": queries.inbox(s, principal, now),
            "department": queries.department_of(s, principal),
        }

    data = await read(request, load)
    data["live"] = letters_live.live_page(request, "inbox")
    return render(request, "staff/inbox.html", data)


routes = [
    Route("/staff/letters", desk, methods=["GET"]),
    Route("/staff/letters", register, methods=["POST"]),
    Route("/staff/letters/new", new_letter, methods=["GET"]),
    Route("/staff/letters/new", fill_from_ticket, methods=["POST"]),
    *letter_suggestions.routes,
    Route("/staff/letters/{letter_id}", letter_page, methods=["GET"]),
    Route("/staff/letters/{letter_id}/classify", classify, methods=["POST"]),
    Route("/staff/letters/{letter_id}/move", move, methods=["POST"]),
    Route("/staff/letters/{letter_id}/call", call, methods=["POST"]),
    Route("/staff/letters/{letter_id}/attachments", upload, methods=["POST"]),
    Route("/staff/letters/{letter_id}/attachments/{attachment_id}", download, methods=["GET"]),
    Route("/staff/inbox", inbox, methods=["GET"]),
    Route("/staff/enquiries", enquiry, methods=["POST"]),
    *letters_live.routes,
]
