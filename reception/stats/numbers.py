"""How every published figure is rounded and how percentiles are taken: one place, so
the API, the screens and the exports can never disagree.

* **Rounding**: halves go up (12.25 → 12.3, 12.35 → 12.4), on the decimal value a
  person reads. Python's `round()` rounds halves to even and works on the binary
  float (round(12.25, 1) == 12.2), so it is used nowhere for a published figure:
  `half_up` takes the float's shortest decimal spelling into `Decimal` and rounds
  there with ROUND_HALF_UP.
* **Percentiles**: linear interpolation between the two nearest ranks, as
  PostgreSQL's `percentile_cont` (the "type 7" of the statistics books): for n sorted
  values v₁…vₙ the p-th percentile is v at rank 1 + p·(n − 1), interpolated. Every
  percentile of the reports (overall, per hour, per hall) comes from
  `histogram_percentiles`.
"""

from __future__ import annotations

import math
from collections import Counter as Tally
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_decimal

PERCENTILE_DEFINITION = (
    "linear interpolation between the nearest ranks (as percentile_cont): "
    "the value at rank 1 + p × (n − 1) of the n sorted values"
)
ROUNDING_DEFINITION = "one decimal, halves rounded up (12.25 → 12.3)"


def half_up_decimal(value: float | int, digits: int = 1) -> Decimal:
    """`value` rounded to `digits` decimals, halves up, as a Decimal."""
    exact = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def half_up(value: float | int | None, digits: int = 1) -> float | None:
    """`value` rounded to `digits` decimals, halves up; None stays None."""
    return None if value is None else float(half_up_decimal(value, digits))


def mean(total: float | None, count: int, digits: int = 1) -> float | None:
    return half_up((total or 0.0) / count, digits) if count else None


def share(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, one decimal; None when `whole` is zero."""
    return half_up(100.0 * part / whole) if whole else None


def number_formatter(language: str) -> Callable[[float | None], str]:
    """How a figure is written on a screen or printed: one decimal at most, halves
    up, digits and separators of the language; "—" for no figure."""

    def fmt(value: float | None) -> str:
        if value is None:
            return "—"
        return format_decimal(half_up_decimal(value, 1), format="#,##0.#", locale=language)

    return fmt


def histogram_percentiles(
    histogram: Tally[int], fractions: Sequence[float] = (0.5, 0.9)
) -> list[float | None]:
    """Percentiles in minutes (see the module's docstring) of the durations
    `histogram` counts (seconds → how many); None without any."""
    total = sum(histogram.values())
    if total == 0:
        return [None for _ in fractions]
    values = sorted(s for s, n in histogram.items() if n)

    def ranked(rank: int) -> float:
        seen = 0
        for seconds in values:
            seen += histogram[seconds]
            if seen >= rank:
                return seconds / 60.0
        raise AssertionError("rank beyond the histogram")

    result: list[float | None] = []
    for f in fractions:
        p = f * (total - 1)
        low, high = ranked(math.floor(p) + 1), ranked(math.ceil(p) + 1)
        result.append(low + (p - math.floor(p)) * (high - low))
    return result


def duration_figures(count: int, seconds: int, histogram: Tally[int]) -> dict[str, Any]:
    """count, mean, median and 90th percentile in minutes of some durations."""
    found = histogram_percentiles(histogram)
    return {
        "count": count,
        "mean": mean(seconds / 60.0, count),
        "median": half_up(found[0]),
        "p90": half_up(found[1]),
    }


def histogram_figures(histogram: Tally[int]) -> dict[str, Any]:
    """`duration_figures` of a histogram alone (its count and sum are in it)."""
    count = sum(histogram.values())
    return duration_figures(count, sum(s * n for s, n in histogram.items()), histogram)
