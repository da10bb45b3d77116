"""Writers of the SMS domain: delivery reports from the provider, and the texts and
sending rules an administrator sets per kind of message."""

from __future__ import annotations

from sqlmodel import Session, select

from reception import audit
from reception.clock import clock_of
from reception.notify import texts
from reception.notify.models import OutgoingSms, SmsPurposeRule, SmsStatus, SmsTemplate

# Provider statuses, in the order a message moves through them.
_PROGRESS = {
    "accepted": 0,
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
}
_OURS = {
    "sent": SmsStatus.sent,
    "delivered": SmsStatus.delivered,
    "undelivered": SmsStatus.undelivered,
    "failed": SmsStatus.failed,
}


def record_delivery(
    session: Session, provider_sid: str, provider_status: str, error_code: str | None
) -> bool:
    """Apply a delivery report; reports arriving late or out of order never move a
    message backwards. Returns whether the message is known."""
    row = session.exec(select(OutgoingSms).where(OutgoingSms.provider_sid == provider_sid)).first()
    if row is None:
        return False
    target = _OURS.get(provider_status)
    if target is None:
        return True
    current_rank = _PROGRESS.get(row.status, 2)
    if _PROGRESS[provider_status] < current_rank:
        return True
    row.status = target
    if error_code:
        row.last_error = f"provider error {error_code}"[:300]
    session.add(row)
    return True


def set_sms_text(
    session: Session, *, purpose: str, language: str, text: str, actor: str
) -> SmsTemplate:
    """Messages of this purpose and language are written with `text` from now on
    (the outbox keeps each message as it was composed)."""
    text = texts.check_text(purpose, language, text)
    row = session.get(SmsTemplate, (purpose, language))
    before = row.text if row is not None else None
    if row is None:
        row = SmsTemplate(purpose=purpose, language=language, text=text, updated_by=actor)
    row.text = text
    row.updated_by = actor
    row.updated_at = clock_of(session).now()
    session.add(row)
    audit.record(
        session,
        actor,
        "sms_text.set",
        "sms_text",
        f"{purpose}:{language}",
        text=text,
        before=before,
    )
    return row


def reset_sms_text(session: Session, *, purpose: str, language: str, actor: str) -> bool:
    """Back to the shipped text; False if there was no text of the administrator's."""
    texts.check_purpose(purpose, language)
    row = session.get(SmsTemplate, (purpose, language))
    if row is None:
        return False
    audit.record(
        session, actor, "sms_text.reset", "sms_text", f"{purpose}:{language}", before=row.text
    )
    session.delete(row)
    return True


def set_quiet_exempt(session: Session, *, purpose: str, exempt: bool, actor: str) -> bool:
    """Whether messages of this purpose go out in the quiet hours too."""
    texts.check_purpose(purpose)
    row = session.get(SmsPurposeRule, purpose)
    if row is None:
        row = SmsPurposeRule(purpose=purpose)
    row.quiet_exempt = exempt
    session.add(row)
    audit.record(session, actor, "sms_rule.set", "sms_rule", purpose, quiet_exempt=exempt)
    return exempt
