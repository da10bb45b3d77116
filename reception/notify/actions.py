"""Writers for delivery reports from the SMS provider."""

from __future__ import annotations

from sqlmodel import Session, select

from reception.notify.models import OutgoingSms, SmsStatus

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
