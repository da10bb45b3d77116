"""Writing to the SMS outbox (inside the caller's transaction)."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session, select

from reception import PACKAGE_DIR
from reception.clock import clock_of
from reception.i18n import translations
from reception.notify.models import OutgoingSms, SmsOptOut, SmsTemplate
from reception.notify.texts import fill
from reception.settings import RIGHT_TO_LEFT

log = logging.getLogger("reception.sms")
_JOINED_NUMBERS = re.compile(r"(?<![\w-])\d+(?:[-/.]\d+)+(?![\w-])")
"""Dates such as 2026-11-24: after Arabic words a phone would show their parts in the
opposite order (24-11-2026 read as another day), so they go out isolated."""


def isolate_joined_numbers(value: Any) -> Any:
    """In a right-to-left message, numbers joined by - / . are wrapped in LEFT-TO-RIGHT
    ISOLATE … POP DIRECTIONAL ISOLATE (U+2066, U+2069): the date reads as written."""
    if not isinstance(value, str) or value.startswith(("http://", "https://")):
        return value
    return _JOINED_NUMBERS.sub(lambda m: f"\u2066{m.group(0)}\u2069", value)


@cache
def _env(language: str) -> Environment:
    """One environment a language: its messages say counts with that language's
    plural forms (`ngettext`), like the screens do."""
    env = Environment(
        finalize=isolate_joined_numbers if language in RIGHT_TO_LEFT else None,
        loader=FileSystemLoader(PACKAGE_DIR / "templates" / "sms"),
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


def render_sms(purpose: str, language: str, **context: Any) -> str:
    body = _env(language).get_template(f"{language}/{purpose}.txt").render(**context)
    return " ".join(line.strip() for line in body.strip().splitlines() if line.strip())


def compose_sms(session: Session, purpose: str, language: str, **context: Any) -> str:
    """The message as it goes out: the administrator's text for this purpose and
    language if there is one, else the shipped template."""
    custom = session.get(SmsTemplate, (purpose, language))
    if custom is not None:
        finalize = isolate_joined_numbers if language in RIGHT_TO_LEFT else None
        try:
            return fill(custom.text, context, finalize)
        except KeyError:
            # A text kept from an older release may name a value messages no longer
            # carry: the shipped template still says it right.
            log.warning(
                "sms text %s/%s names an unknown value; shipped text used", purpose, language
            )
    return render_sms(purpose, language, **context)


ESSENTIAL = frozenset({"ticket_called", "remote_code"})
"""Sent even to a number that opted out: the visitor is standing in the hall, or has
just asked for a code on the join page."""


def enqueue_sms(
    session: Session,
    *,
    to: str,
    purpose: str,
    language: str,
    key: str,
    branch_id: int | None = None,
    now: datetime | None = None,
    **context: Any,
) -> OutgoingSms | None:
    """Add one message to the outbox. `key` makes it idempotent: the same key is one SMS.
    `now` is the action's time; without it, the time of the clock bound to the session.
    Reports count a message on the day it was written, and the worker sends it from then on.
    A number that sent STOP gets nothing but essential messages (None is returned)."""
    if purpose not in ESSENTIAL and session.get(SmsOptOut, to) is not None:
        return None
    idempotency_key = f"{purpose}:{key}"
    earlier = session.exec(
        select(OutgoingSms).where(OutgoingSms.idempotency_key == idempotency_key)
    ).first()
    if earlier is not None:
        return earlier  # the same message twice is one message
    if now is None:
        now = clock_of(session).now()
    sms = OutgoingSms(
        idempotency_key=idempotency_key,
        to=to,
        body=compose_sms(session, purpose, language, **context),
        language=language,
        purpose=purpose,
        branch_id=branch_id,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(sms)
    return sms
