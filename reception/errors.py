"""Domain errors. Screens turn them into a readable message (HTTP 4xx), never a 500.

Messages are English message ids marked with `N_` so Babel extracts them; they are
translated into the visitor's language when shown."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    return message


class DomainError(Exception):
    status_code = 400

    def __init__(
        self, code: str, message: str, *, details: dict[str, Any] | None = None, **params: Any
    ) -> None:
        super().__init__(message.format(**params) if params else message)
        self.code = code
        self.message = message
        self.params = params
        self.details = details or {}
        """Further fields of the API's error answer, next to `error` (e.g. the ticket a
        conflict is about), so a client can act without asking again."""


class Invalid(DomainError):
    status_code = 422


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class Unavailable(DomainError):
    status_code = 503


class TooManyRequests(DomainError):
    """Wait before trying again: the answer carries `Retry-After: retry_after`."""

    status_code = 429

    def __init__(self, code: str, message: str, retry_after: int = 60, **params: Any) -> None:
        super().__init__(code, message, **params)
        self.retry_after = max(1, retry_after)
