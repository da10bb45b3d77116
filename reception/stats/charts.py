"""Geometry of the report's charts, drawn by the templates as inline SVG (no script,
no style attribute: the page's content security policy allows neither). Right to
left: horizontal bars grow from the right and time runs from right to left."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 560
BAR = 26
GAP = 10
PAD = 8
VALUE_ROOM = 72


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    value_x: float
    text_y: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars with their labels and values."""

    width: int
    height: int
    bars: list[Bar]
    label_anchor: str
    value_anchor: str
    axis_x: float


@dataclass(frozen=True)
class Column:
    label: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class ColumnChart:
    """Columns over time (the first series) with a line for the second series."""

    width: int
    height: int
    columns: list[Column]
    line: str
    dots: list[tuple[float, float, str]] = field(default_factory=list)
    top_text: str = ""
    baseline: float = 0.0
    first_label: str = ""
    last_label: str = ""
    first_x: float = 0.0
    last_x: float = 0.0
    start_anchor: str = "start"
    end_anchor: str = "end"


def bar_chart(
    rows: Sequence[tuple[str, float]],
    rtl: bool,
    fmt: Callable[[float], str],
    width: int = WIDTH,
    label_width: int = 170,
) -> BarChart:
    """Bars for (label, value) rows. The longest bar fills the space left after the
    label column and the room for the value."""
    top = max((v for _, v in rows), default=0) or 1
    room = width - label_width - VALUE_ROOM - 2 * PAD
    axis = width - PAD - label_width if rtl else PAD + label_width
    bars = []
    for index, (label, value) in enumerate(rows):
        size = room * value / top
        y = PAD + index * (BAR + GAP)
        bars.append(
            Bar(
                label=label,
                value=value,
                text=fmt(value),
                x=round(axis - size if rtl else axis, 1),
                y=y,
                width=round(size, 1),
                height=BAR,
                label_x=width - PAD if rtl else PAD,
                value_x=round(axis - size - 6 if rtl else axis + size + 6, 1),
                text_y=y + BAR * 0.7,
            )
        )
    height = PAD * 2 + max(1, len(rows)) * (BAR + GAP) - GAP
    return BarChart(
        width=width,
        height=height,
        bars=bars,
        label_anchor="end" if rtl else "start",
        value_anchor="end" if rtl else "start",
        axis_x=axis,
    )


def column_chart(
    points: Sequence[tuple[str, float, float]],
    rtl: bool,
    fmt: Callable[[float], str],
    width: int = 720,
    height: int = 240,
) -> ColumnChart:
    """Columns for the first value of each (label, first, second) point and a line
    through the second; the earliest point stands at the inline start."""
    top = max((max(a, b) for _, a, b in points), default=0) or 1
    plot_top, plot_bottom = 24.0, height - 28.0
    plot_height = plot_bottom - plot_top
    slot = (width - 2 * PAD) / max(1, len(points))
    gap = min(4.0, slot * 0.2)
    columns: list[Column] = []
    dots: list[tuple[float, float, str]] = []
    for index, (label, first, second) in enumerate(points):
        place = len(points) - 1 - index if rtl else index
        x = PAD + place * slot
        size = plot_height * first / top
        columns.append(
            Column(
                label=label,
                value=first,
                text=fmt(first),
                x=round(x + gap / 2, 2),
                y=round(plot_bottom - size, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(size, 2),
            )
        )
        dots.append(
            (round(x + slot / 2, 2), round(plot_bottom - plot_height * second / top, 2), label)
        )
    line = " ".join(f"{x},{y}" for x, y, _ in dots)
    first_x = columns[0].x + columns[0].width / 2 if columns else PAD
    last_x = columns[-1].x + columns[-1].width / 2 if columns else width - PAD
    return ColumnChart(
        width=width,
        height=height,
        columns=columns,
        line=line,
        dots=dots if len(dots) <= 62 else [],
        top_text=fmt(top),
        baseline=plot_bottom,
        first_label=points[0][0] if points else "",
        last_label=points[-1][0] if points else "",
        first_x=round(first_x, 2),
        last_x=round(last_x, 2),
        start_anchor="end" if rtl else "start",
        end_anchor="start" if rtl else "end",
    )


@dataclass(frozen=True)
class HourColumn:
    hour: int
    label: str
    value: float
    text: str
    x: float
    y: float
    width: float
    height: float
    middle: float
    peak: bool


@dataclass(frozen=True)
class HourChart:
    """Arrivals per hour as columns, each hour named under its column, with a line
    through the calls to counters; the earliest hour at the inline start (the right
    end in Arabic)."""

    width: int
    height: int
    columns: list[HourColumn]
    line: str
    baseline: float
    label_y: float


def hour_chart(
    hours: Sequence[tuple[int, float, float]],
    rtl: bool,
    fmt: Callable[[float], str],
    peak: int | None,
    width: int = 720,
    height: int = 240,
) -> HourChart:
    """Columns for (hour, arrivals, called) rows, every hour from the first to the
    last present (an hour without anything stands as an empty slot)."""
    present = {h: (a, c) for h, a, c in hours}
    span = list(range(min(present), max(present) + 1)) if present else []
    width = min(width, 2 * PAD + max(4, len(span)) * 72)
    top = max((max(a, c) for a, c in present.values()), default=0) or 1
    plot_top, plot_bottom = 24.0, height - 30.0
    plot_height = plot_bottom - plot_top
    slot = (width - 2 * PAD) / max(1, len(span))
    gap = min(8.0, slot * 0.25)
    columns: list[HourColumn] = []
    points: list[str] = []
    for index, hour in enumerate(span):
        arrivals, called = present.get(hour, (0, 0))
        place = len(span) - 1 - index if rtl else index
        x = PAD + place * slot
        size = plot_height * arrivals / top
        middle = round(x + slot / 2, 2)
        columns.append(
            HourColumn(
                hour=hour,
                label=f"{hour:02d}",
                value=arrivals,
                text=fmt(arrivals),
                x=round(x + gap / 2, 2),
                y=round(plot_bottom - size, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(size, 2),
                middle=middle,
                peak=hour == peak,
            )
        )
        points.append(f"{middle},{round(plot_bottom - plot_height * called / top, 2)}")
    ordered = sorted(points, key=lambda p: float(p.split(",")[0]))
    return HourChart(
        width=width,
        height=height,
        columns=columns,
        line=" ".join(ordered) if len(ordered) > 1 else "",
        baseline=plot_bottom,
        label_y=height - 10,
    )
