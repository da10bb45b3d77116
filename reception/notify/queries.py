"""Reads of the SMS rules and texts an administrator sets."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from reception.errors import DomainError
from reception.notify import texts
from reception.notify.models import DEFAULT_QUIET_EXEMPT, SmsPurposeRule, SmsTemplate
from reception.notify.preview import Preview, preview_text, previews
from reception.settings import LANGUAGES


def quiet_exempt_purposes(session: Session) -> frozenset[str]:
    """The purposes sent even in the quiet hours, as the administrator set them."""
    rules = {r.purpose: r.quiet_exempt for r in session.exec(select(SmsPurposeRule)).all()}
    defaults = {p for p in DEFAULT_QUIET_EXEMPT if p not in rules}
    return frozenset({p for p, exempt in rules.items() if exempt} | defaults)


@dataclass(frozen=True)
class SmsText:
    """One message in one language as the administrator's screen shows it."""

    language: str
    custom: str | None
    """The administrator's text, or None: the shipped template is used."""
    editable: str
    """What the editor starts from: the custom text, else the shipped one with
    placeholders (empty where the shipped one has plural forms or conditions)."""
    preview: Preview


@dataclass(frozen=True)
class SmsPurposeView:
    purpose: str
    quiet_exempt: bool
    allowed: list[str]
    required: list[str]
    texts: list[SmsText]


def sms_texts(session: Session, public_base_url: str) -> list[SmsPurposeView]:
    custom = {(r.purpose, r.language): r.text for r in session.exec(select(SmsTemplate)).all()}
    exempt = quiet_exempt_purposes(session)
    shipped = {(p.purpose, p.language): p for p in previews(public_base_url)}
    out = []
    for purpose in texts.purposes():
        names = texts.placeholders(purpose)
        rows = []
        for language in LANGUAGES:
            own = custom.get((purpose, language))
            preview = shipped[(purpose, language)]
            if own is not None:
                try:
                    preview = preview_text(purpose, language, own, public_base_url)
                except (DomainError, KeyError):  # kept from an older release: shown as is
                    preview = Preview(purpose, language, own, preview.size)
            rows.append(
                SmsText(
                    language=language,
                    custom=own,
                    editable=texts.for_editing(
                        own if own is not None else texts.starting_text(purpose, language),
                        language,
                    ),
                    preview=preview,
                )
            )
        out.append(
            SmsPurposeView(
                purpose=purpose,
                quiet_exempt=purpose in exempt,
                allowed=sorted(names.allowed),
                required=sorted(names.required),
                texts=rows,
            )
        )
    return out
