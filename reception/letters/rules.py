"""Pure policy of letters: the workflow, identity numbers, Arabic text for search and
suggestions, routing and service-level targets. No database here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reception.errors import N_, Conflict, Invalid
from reception.letters.models import LetterStatus as S

# (from, to) → the name of the action; anything else is refused with a 409.
TRANSITIONS: dict[tuple[S, S], str] = {
    (S.received, S.classified): "classify",
    (S.returned, S.classified): "classify",
    (S.classified, S.classified): "classify",
    (S.classified, S.routed): "route",
    (S.routed, S.in_progress): "accept",
    (S.routed, S.returned): "return",
    (S.in_progress, S.returned): "return",
    (S.in_progress, S.answered): "answer",
    (S.answered, S.closed): "close",
    (S.answered, S.in_progress): "reopen",
    (S.received, S.rejected): "reject",
    (S.classified, S.rejected): "reject",
    (S.returned, S.rejected): "reject",
    (S.received, S.merged): "merge",
    (S.classified, S.merged): "merge",
    (S.returned, S.merged): "merge",
}
OPEN = frozenset({S.received, S.classified, S.routed, S.in_progress, S.returned})
AT_TRIAGE = frozenset({S.received, S.classified, S.returned})


def check_letter_transition(current: str, target: S) -> str:
    try:
        return TRANSITIONS[(S(current), target)]
    except (KeyError, ValueError):
        raise Conflict(
            "illegal_letter_transition",
            N_("This is not possible for a letter that is {current}."),
            current=current,
        ) from None


def check_id_number(raw: str) -> tuple[str, str]:
    """A Saudi national ID (starts with 1) or iqama number (starts with 2): ten digits
    with a Luhn check digit. Returns the digits and the residency they imply."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if not ch.isspace())
    digits = digits.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789"))
    if not re.fullmatch(r"[12][0-9]{9}", digits):  # \d would let other scripts' digits in
        raise Invalid(
            "bad_id_number",
            N_("A national ID or iqama number has 10 digits and starts with 1 or 2."),
        )
    total = 0
    for index, ch in enumerate(digits):
        value = int(ch)
        if index % 2 == 0:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    if total % 10:
        raise Invalid(
            "bad_id_number_checksum",
            N_("This national ID or iqama number is not valid. Please check the digits."),
        )
    return digits, "citizen" if digits[0] == "1" else "resident"


def mask_id(number: str) -> str:
    """What lists and logs show of an identity number: its first and last two digits."""
    if len(number) < 4:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 3) + number[-2:]


def mask_name(name: str) -> str:
    """What the tracking page shows of a name: the first name and initials."""
    parts = name.split()
    if not parts:
        return ""
    return " ".join([parts[0], *[p[0] + "." for p in parts[1:]]])


_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "٠": "0",
        "١": "1",
        "٢": "2",
        "٣": "3",
        "٤": "4",
        "٥": "5",
        "٦": "6",
        "٧": "7",
        "٨": "8",
        "٩": "9",
    }
)


def normalise_arabic(text: str) -> str:
    """Fold the spellings people mix up (hamza forms of alef, alef maqsura, ta marbuta),
    drop diacritics and tatweel, lower-case Latin letters, squeeze spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _DIACRITICS.sub("", text).translate(_FOLD).lower()
    return " ".join(text.split())


@dataclass(frozen=True)
class Rule:
    department_id: int
    branch_id: int | None
    residency: str | None


def choose_department(rules: Iterable[Rule], branch_id: int, residency: str) -> int | None:
    """The most specific rule that matches wins: branch and residency, then branch,
    then residency, then the category's general rule."""
    best: tuple[int, int] | None = None
    for rule in rules:
        if rule.branch_id is not None and rule.branch_id != branch_id:
            continue
        if rule.residency is not None and rule.residency != residency:
            continue
        score = (2 if rule.branch_id is not None else 0) + (1 if rule.residency else 0)
        if best is None or score > best[0]:
            best = (score, rule.department_id)
    return best[1] if best else None


SLA_STAGES = ("received", "classified", "routed", "in_progress", "returned")
NEAR_SHARE = 0.8


def sla_state(sla_hours: dict[str, Any] | None, status: str, since: datetime, now: datetime) -> str:
    """`late` past the stage's target, `near` in its last fifth, otherwise `ok`
    (also for stages without a target)."""
    target = (sla_hours or {}).get("classified" if status == "returned" else status)
    if not isinstance(target, int | float) or target <= 0:
        return "ok"
    spent = now - since
    if spent > timedelta(hours=target):
        return "late"
    if spent > timedelta(hours=target * NEAR_SHARE):
        return "near"
    return "ok"


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff_attachment(head: bytes, size: int) -> str:
    """The content type from the file's first bytes (never from its name); only scanned
    documents are taken: PDF, PNG, JPEG, up to 10 MiB."""
    if size == 0:
        raise Invalid("empty_file", N_("The file is empty."))
    if size > MAX_ATTACHMENT_BYTES:
        raise Invalid("file_too_large", N_("A file may be at most 10 MB."))
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    raise Invalid("bad_file_type", N_("Only PDF, PNG and JPEG scans can be attached."))
