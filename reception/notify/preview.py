"""Every SMS template rendered with realistic values, with its length in segments,
for the administrator's preview and for the tests that keep messages short."""

from __future__ import annotations

from dataclasses import dataclass

from reception import PACKAGE_DIR
from reception.notify.outbox import render_sms
from reception.notify.segments import Segments, count_segments

SAMPLE = {
    "number": "M-012",
    "counter": 4,
    "service": {"ar": "تسليم خطاب لمعالي الوزير", "en": "Hand in a letter to the minister"},
    "hall": {"ar": "قاعة الرجال", "en": "Men's hall"},
    "branch": {"ar": "مركز الاستقبال – الرياض", "en": "Reception Centre – Riyadh"},
    "ahead": 7,
    "eta": 25,
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
    return sorted(p.stem for p in (PACKAGE_DIR / "templates" / "sms" / "ar").glob("*.txt"))


def previews(public_base_url: str) -> list[Preview]:
    """Links as long as real ones: the base URL and a 32-character token."""
    out = []
    for purpose in purposes():
        for language in ("ar", "en"):
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
            body = render_sms(purpose, language, **values)
            out.append(Preview(purpose, language, body, count_segments(body)))
    return out
