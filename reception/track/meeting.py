"""The citizen's answer to a proposed meeting date, from the letter's tracking page
`/l/<token>`: no login; the link is the proof, as for the SMS itself, and the form
carries the session's CSRF token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reception.appointments import meetings
from reception.errors import N_, Invalid, NotFound
from reception.forms import submit
from reception.track.routes import count_missed_link, guard_link
from reception.web import check_csrf, ctx, run_action

ANSWERS = {
    "accept": (meetings.accept_proposal, N_("Thank you. Your meeting is confirmed.")),
    "decline": (
        meetings.decline_proposal,
        N_("Thank you. The minister's office has been told that this date does not suit you."),
    ),
}


async def answer(request: Request) -> Response:
    token = str(request.path_params["token"])[:64]
    form = await check_csrf(request)
    checks = await guard_link(request)
    choice = ANSWERS.get(str(form.get("answer", "")))
    if choice is None:
        raise Invalid("bad_answer", N_("Choose to accept the date or to ask for another."))
    act, done = choice
    app = ctx(request)
    answered = run_action(
        request,
        lambda s: act(s, app.clock, token, public_base_url=app.settings.public_base_url),
    )
    try:
        return await submit(
            request,
            answered,
            back=f"/l/{token}",
            done=done,
            passes=lambda exc: isinstance(exc, NotFound),
        )
    except NotFound:
        await count_missed_link(request, checks)
        raise


routes = [Route("/l/{token}/meeting", answer, methods=["POST"])]
