"""How many SMS segments a text costs. A text in the GSM 7-bit alphabet fits 160
characters in one segment (153 each when split); anything else, Arabic included, is
sent as UCS-2: 70 characters in one segment, 67 each when split. Characters of the GSM
extension table (€ [ ] { } and a few more) count twice."""

from __future__ import annotations

import math
from dataclasses import dataclass

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "^{}\\[~]|€\f"


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int
    segments: int


def count_segments(text: str) -> Segments:
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        # UTF-16 code units: a character outside the basic plane takes two.
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else math.ceil(units / multi)
    return Segments(encoding=encoding, characters=units, segments=segments)
