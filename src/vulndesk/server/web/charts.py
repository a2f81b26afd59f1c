"""The dashboard's risk-over-time chart, laid out on the server as inline SVG: no chart library,
nothing to download, readable without JavaScript. This module computes the geometry; the
template (``web/_risk_chart.html``) draws it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats

# The drawing area inside the SVG's viewBox, in its units; the SVG scales to its box.
WIDTH = 640
HEIGHT = 200
LEFT = 44  # room for the count labels
RIGHT = 12
TOP = 10
BOTTOM = 26  # room for the date labels
X_TICKS = 5


@dataclass(frozen=True, slots=True)
class Line:
    """One severity's line: its key (CSS class ``line-<key>``), points, and latest count."""

    key: str
    points: str  # "x,y x,y ..." for <polyline points=...>
    last_x: float
    last_y: float
    last: int


@dataclass(frozen=True, slots=True)
class Tick:
    """A labelled gridline at ``at`` (x for dates, y for counts)."""

    at: float
    label: str


@dataclass(frozen=True, slots=True)
class LineChart:
    """What the template draws: lines, gridlines, and the plot's frame."""

    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    lines: list[Line]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def nice_ceiling(value: int) -> int:
    """Return the smallest of 1, 2, 5, 10, 20, 50... that is at least ``value`` (5 for 0)."""
    if value <= 0:
        return 5
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    raise AssertionError("unreachable: 10 * magnitude > value")


def line_chart(
    points: Sequence[tuple[datetime, dict[str, int]]], keys: Sequence[str]
) -> LineChart | None:
    """Return the chart of ``points`` (moment, count per key), one line per key, or None with
    fewer than two points (no line to draw). Dates are labelled in the reader's language."""
    if len(points) < 2:
        return None
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds() or 1.0
    top_value = nice_ceiling(max(max((c.get(k, 0) for k in keys), default=0) for _, c in points))

    def x(moment: datetime) -> float:
        return round(LEFT + (right - LEFT) * (moment - start).total_seconds() / span, 1)

    def y(count: int) -> float:
        return round(bottom - (bottom - TOP) * count / top_value, 1)

    lines = []
    for key in keys:
        coords = [(x(moment), y(counts.get(key, 0))) for moment, counts in points]
        lines.append(
            Line(
                key=key,
                points=" ".join(f"{cx},{cy}" for cx, cy in coords),
                last_x=coords[-1][0],
                last_y=coords[-1][1],
                last=points[-1][1].get(key, 0),
            )
        )
    ticks = min(X_TICKS, len(points))
    x_ticks = []
    for i in range(ticks):
        moment = points[round(i * (len(points) - 1) / (ticks - 1))][0]
        x_ticks.append(Tick(x(moment), formats.date_format(moment, "MONTH_DAY_FORMAT")))
    y_ticks = [
        Tick(y(value), formats.number_format(value, force_grouping=True))
        for value in sorted({0, top_value // 2, top_value})
    ]
    return LineChart(WIDTH, HEIGHT, LEFT, right, TOP, bottom, lines, x_ticks, y_ticks)
