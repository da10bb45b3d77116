"""What a citizen can text back: `STATUS L-2026-000123` / `حالة L-2026-000123` for the
status of their letter, `STOP` / `إيقاف` to stop messages, `START` / `تشغيل` to have
them again. Answers go back in the language of the keyword."""

from __future__ import annotations

from sqlmodel import Session, select

from reception import audit
from reception.clock import Clock
from reception.i18n import translations
from reception.labels import STATUS_LABELS
from reception.letters.models import Letter
from reception.letters.rules import normalise_arabic
from reception.notify.models import InboundSms, SmsOptOut
from reception.queue.rules import normalise_phone

STOP_WORDS = {"stop": "en", "unsubscribe": "en", "ايقاف": "ar", "الغاء": "ar"}
START_WORDS = {"start": "en", "unstop": "en", "تشغيل": "ar"}
STATUS_WORDS = {"status": "en", "حاله": "ar"}


def _t(language: str, message: str, **params: object) -> str:
    text = translations(language).gettext(message)
    return text.format(**params) if params else text


def answer_inbound(
    session: Session,
    clock: Clock,
    sender: str,
    body: str,
    base_url: str,
    message_sid: str = "",
) -> str | None:
    """The reply to one inbound message (changes are made in the caller's transaction).

    A message the provider already delivered (its `message_sid` is kept) is a replay
    of a captured request: it changes nothing and gets no reply (None)."""
    from reception.errors import N_, DomainError

    if message_sid:
        if session.get(InboundSms, message_sid[:64]) is not None:
            audit.record(session, "sms", "sms.inbound_replayed", "inboundsms", message_sid[:40])
            return None
        session.add(InboundSms(message_sid=message_sid[:64], at=clock.now()))

    words = normalise_arabic(body).split()
    keyword = words[0] if words else ""
    try:
        phone = normalise_phone(sender)
    except DomainError:
        phone = ""
    if keyword in STOP_WORDS:
        language = STOP_WORDS[keyword]
        if phone and session.get(SmsOptOut, phone) is None:
            session.add(SmsOptOut(phone=phone, at=clock.now()))
            audit.record(session, "sms", "sms.opt_out", "smsoptout", "-")
        return _t(
            language, N_("You will receive no more messages. Send START to receive them again.")
        )
    if keyword in START_WORDS:
        language = START_WORDS[keyword]
        row = session.get(SmsOptOut, phone) if phone else None
        if row is not None:
            session.delete(row)
            audit.record(session, "sms", "sms.opt_in", "smsoptout", "-")
        return _t(language, N_("Messages are on again."))
    if keyword in STATUS_WORDS:
        language = STATUS_WORDS[keyword]
        reference = words[1].upper() if len(words) > 1 else ""
        letter = session.exec(
            select(Letter).where(Letter.reference == reference[:20], Letter.phone == phone)
        ).first()
        if letter is None:
            return _t(
                language,
                N_("We found no letter {reference} sent from this number."),
                reference=reference[:20] or "?",
            )
        status = _t(language, STATUS_LABELS.get(letter.status, letter.status))
        return _t(
            language,
            N_("Letter {reference}: {status}. Details: {link}"),
            reference=letter.reference,
            status=status,
            link=f"{base_url}/l/{letter.tracking_token}",
        )
    language = "ar" if any("\u0600" <= ch <= "\u06ff" for ch in body) else "en"
    return _t(
        language,
        N_("Send STATUS and your letter's reference number, or STOP to receive no more messages."),
    )
