"""The screen sizes (CSS pixels) each kind of device must serve; every layout test of a
screen runs at each size of its row."""

from __future__ import annotations

from typing import NamedTuple


class Size(NamedTuple):
    width: int
    height: int

    @property
    def name(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def viewport(self) -> dict[str, int]:
        return {"width": self.width, "height": self.height}


HALL_DISPLAYS = (Size(1920, 1080), Size(1366, 768), Size(1080, 1920))
KIOSKS = (Size(1080, 1920), Size(1366, 768))
STAFF_DESKS = (Size(1366, 768), Size(1920, 1080))
CITIZEN_PHONES = (Size(360, 740), Size(390, 844))
RATING_TABLETS = (Size(800, 1280), Size(1280, 800))

DEVICES: dict[str, tuple[Size, ...]] = {
    "hall_display": HALL_DISPLAYS,
    "kiosk": KIOSKS,
    "staff_desk": STAFF_DESKS,
    "citizen_phone": CITIZEN_PHONES,
    "rating_tablet": RATING_TABLETS,
}
