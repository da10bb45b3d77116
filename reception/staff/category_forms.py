"""What the administration page's category forms send, in the set-up's terms: the
targets in hours per stage, and what a category says about itself (a description and
example phrases per language, typed one phrase per line)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reception.errors import N_, Invalid
from reception.inputs import to_int

SLA_FIELDS = ("received", "routed", "in_progress")


def _hours(value: object) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    hours = to_int(text, high=99_999, typed=True)
    if hours is None:
        raise Invalid("bad_sla_hours", N_("A target is a whole number of hours, 1 or more."))
    return hours


def sla_targets(form: Mapping[str, Any]) -> dict[str, int]:
    """The targets typed in (`sla_<stage>`); a blank field sets none for its stage."""
    return {
        stage: hours
        for stage in SLA_FIELDS
        if (hours := _hours(form.get(f"sla_{stage}"))) is not None
    }


def phrases(value: object) -> list[str]:
    """One phrase per line; the set-up drops the blank lines and the repeats."""
    return str(value or "").splitlines()


def description(form: Mapping[str, Any]) -> dict[str, Any]:
    """The four fields of a category's description, as `describe_category` takes them."""
    return {
        "description_ar": str(form.get("description_ar") or ""),
        "description_en": str(form.get("description_en") or ""),
        "examples_ar": phrases(form.get("examples_ar")),
        "examples_en": phrases(form.get("examples_en")),
    }
