"""Every SMS template rendered with realistic values, with its length in segments,
for the administrator's preview and for the tests that keep messages short."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reception.notify import texts
from reception.notify.outbox import isolate_joined_numbers, render_sms
from reception.notify.segments import Segments, count_segments
from reception.settings import LANGUAGES, RIGHT_TO_LEFT

SAMPLE = {
    "number": "M-012",
    "counter": 4,
    "service": {"ar": "تسليم خطاب لمعالي الوزير", "en": "Hand in a letter to the minister"},
    "hall": {"ar": "قاعة الرجال", "en": "Men's hall"},
    "branch": {"ar": "مركز الاستقبال – الرياض", "en": "Reception Centre – Riyadh"},
    "ahead": 7,
    "eta": 25,
    "eta_low": 20,
    "eta_high": 30,
    "reference": "L-2026-004217",
    "code": "40213377",
    "day": "2026-11-24",
    "time": "10:30",
}


@dataclass(frozen=True)
class Preview:
    purpose: str
    language: str
    body: str
    size: Segments


def purposes() -> list[str]:
    return texts.purposes()


def sample_values(purpose: str, language: str, public_base_url: str) -> dict[str, Any]:
    """Realistic values for one message; its link as long as a real one (the base URL
    and a 32-character token)."""
    values = {k: (v[language] if isinstance(v, dict) else v) for k, v in SAMPLE.items()}
    kind = (
        "l"
        if purpose.startswith(("letter", "meeting"))
        else "a"
        if purpose.startswith("appointment")
        else "r"
        if purpose.startswith("ticket_feedback")
        else "t"
    )
    values["link"] = f"{public_base_url}/{kind}/" + "x" * 32
    return values


def previews(public_base_url: str) -> list[Preview]:
    """Every shipped template in every language, with sample values."""
    out = []
    for purpose in purposes():
        for language in LANGUAGES:
            body = render_sms(
                purpose, language, **sample_values(purpose, language, public_base_url)
            )
            out.append(Preview(purpose, language, body, count_segments(body)))
    return out


def preview_text(purpose: str, language: str, text: str, public_base_url: str) -> Preview:
    """An administrator's text (checked first: a bad one raises `Invalid`) as the
    citizen would receive it."""
    text = texts.check_text(purpose, language, text)
    values = sample_values(purpose, language, public_base_url)
    finalize = isolate_joined_numbers if language in RIGHT_TO_LEFT else None
    body = texts.fill(text, values, finalize)
    return Preview(purpose, language, body, count_segments(body))
