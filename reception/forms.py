"""What every screen's form does when the action it runs is refused.

A domain error (`reception.errors`) raised by an action is the visitor's or the
operator's to read: the form shows it, translated, beside the form (`attempt`, for a
page that is drawn again with the error and the error's status) or as a message on
the page the form goes back to (`submit`). Errors that are not the form's to show
(sign in first, not allowed here...) pass through to the application's error pages;
which ones is each form's `passes`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from reception.errors import DomainError
from reception.web import error_text, flash, t

T = TypeVar("T")


def signed_out_or_forbidden(exc: DomainError) -> bool:
    """The usual errors a form does not show itself: sign in first (401) and not
    allowed (403), which the application's own pages answer."""
    return exc.status_code in (401, 403)


def shows_every_error(exc: DomainError) -> bool:
    """For a form that shows whatever went wrong itself."""
    return False


@dataclass(frozen=True)
class Refusal:
    """An action's domain error as the form shows it."""

    error: DomainError
    message: str
    """The error's message in the visitor's language."""

    @property
    def status_code(self) -> int:
        return self.error.status_code


async def attempt(
    request: Request,
    step: Awaitable[T],
    *,
    passes: Callable[[DomainError], bool] = signed_out_or_forbidden,
) -> T | Refusal:
    """Await `step` (usually `run_action(request, ...)`): its value, or the `Refusal`
    the form shows when it raised a domain error that does not `pass`."""
    try:
        return await step
    except DomainError as exc:
        if passes(exc):
            raise
        return Refusal(exc, error_text(request, exc))


async def submit(
    request: Request,
    step: Awaitable[object],
    *,
    back: str,
    done: str | None = None,
    passes: Callable[[DomainError], bool] = signed_out_or_forbidden,
) -> Response:
    """Await `step`, then go `back` (303) with its result as a message on that page:
    `done` (translated) when it succeeded, the error when it was refused."""
    result = await attempt(request, step, passes=passes)
    if isinstance(result, Refusal):
        flash(request, result.message)
    elif done is not None:
        flash(request, t(request, done), "info")
    return RedirectResponse(back, status_code=303)
