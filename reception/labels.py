"""Human labels for stored codes, marked for translation."""

from __future__ import annotations

from reception.errors import N_

STATUS_LABELS: dict[str, str] = {
    "waiting": N_("waiting"),
    "called": N_("called"),
    "serving": N_("being served"),
    "done": N_("done"),
    "no_show": N_("missed"),
    "transferred": N_("transferred"),
    "cancelled": N_("cancelled"),
    "expired": N_("closed at the end of the day"),
}

COUNTER_STATUS_LABELS: dict[str, str] = {
    "open": N_("open"),
    "paused": N_("paused"),
    "closed": N_("closed"),
}
STATUS_LABELS.update(COUNTER_STATUS_LABELS)
