"""Names people type are shown isolated (`<bdi>`) on every screen, so an Arabic name
next to Latin text or digits keeps its order. The explicit direction overrides
(U+202D LEFT-TO-RIGHT OVERRIDE, U+202E RIGHT-TO-LEFT OVERRIDE) have no place in a
name: they exist to make text read differently from what it is, so a name carrying
one is refused with a message, here, where every typed name passes."""

from __future__ import annotations

from reception.errors import N_, Invalid

DIRECTION_OVERRIDES = frozenset("\u202d\u202e")


def refuse_direction_overrides(name: str) -> str:
    """`name` unchanged, or `Invalid` when it holds a direction override."""
    if any(ch in DIRECTION_OVERRIDES for ch in name):
        raise Invalid(
            "direction_override",
            N_(
                "A name may not contain hidden characters that reverse the text. "
                "Please type the name again."
            ),
        )
    return name
