"""Seat usage over time drawn on the server as SVG: no chart library, no script, nothing the
page's content security policy would block (no inline style: classes, styled by
``dashboard.css``, over presentation attributes that keep it legible without the stylesheet).

The chart is an image to assistive technology (``role="img"`` with a title and a description
that says what it shows); the page puts the same points in a table beside it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

from markupsafe import Markup, escape

from tenantry.application.seat_history import SeatPoint

WIDTH: Final = 520
HEIGHT: Final = 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 14, 14, 34
_FONT: Final = 14
"""Large for the width: the chart is scaled down on a phone and stays legible."""
_IN_USE_COLOR: Final = "#3b5bdb"
_LIMIT_COLOR: Final = "#b42318"
_GRID_COLOR: Final = "#d0d7de"
_TEXT_COLOR: Final = "#57606a"


@dataclass(frozen=True)
class Scale:
    """Maps the points' times and seat counts to the plot area of the chart."""

    start: datetime
    end: datetime
    top: int
    """The largest count on the axis (a tick)."""
    width: int = WIDTH
    height: int = HEIGHT

    def x(self, t: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        inner = self.width - _LEFT - _RIGHT
        return round(_LEFT + inner * (t - self.start).total_seconds() / span, 2)

    def y(self, n: int) -> float:
        inner = self.height - _TOP - _BOTTOM
        return round(self.height - _BOTTOM - inner * n / (self.top or 1), 2)


def nice_ticks(largest: int, count: int = 4) -> list[int]:
    """Whole-number ticks from 0 reaching at least ``largest``, about ``count`` steps of 1, 2,
    5 or 10 times a power of ten."""
    if largest <= 0:
        return [0, 1]
    raw = largest / count
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    top = -(-largest // step) * step
    return list(range(0, top + 1, step))


def time_label(t: datetime, span: timedelta) -> str:
    """A time on the axis: the day for a long history, the hour too for a short one."""
    if span >= timedelta(days=3):
        return t.strftime("%Y-%m-%d")
    if span >= timedelta(hours=6):
        return t.strftime("%m-%d %H:%M")
    return t.strftime("%H:%M" if span >= timedelta(minutes=10) else "%H:%M:%S")


def in_use_path(points: Sequence[SeatPoint], scale: Scale) -> str:
    """The seats in use as steps: each count holds until the next point."""
    first = points[0]
    d = [f"M{scale.x(first.time)},{scale.y(first.seats_in_use)}"]
    for p in points[1:]:
        d.append(f"H{scale.x(p.time)}V{scale.y(p.seats_in_use)}")
    return "".join(d)


def limit_path(points: Sequence[SeatPoint], scale: Scale) -> str:
    """The limit as steps, with gaps where there was none."""
    d: list[str] = []
    drawing = False
    for here, after in pairwise(points):
        if here.limit is None:
            drawing = False
            continue
        y, end = scale.y(here.limit), scale.x(after.time)
        d.append(f"V{y}H{end}" if drawing else f"M{scale.x(here.time)},{y}H{end}")
        drawing = True
    return "".join(d)


def describe(points: Sequence[SeatPoint]) -> str:
    """What the chart shows, in a sentence (its accessible description)."""
    low = min(p.seats_in_use for p in points)
    high = max(p.seats_in_use for p in points)
    last = points[-1]
    now = f"{last.seats_in_use} in use" + (
        f" of a limit of {last.limit}" if last.limit is not None else ", no limit"
    )
    return (
        f"Seats in use from {points[0].time:%Y-%m-%d %H:%M} to {last.time:%Y-%m-%d %H:%M} UTC: "
        f"between {low} and {high}; at the end {now}."
    )


def seat_chart(
    points: Sequence[SeatPoint], *, title: str, width: int = WIDTH, height: int = HEIGHT
) -> Markup:
    """An SVG chart of ``points`` (oldest first, as :meth:`list_seat_history` gives them):
    the seats in use as a solid step line, the limit as a dashed one."""
    if not points:
        return Markup("")
    largest = max(max(p.seats_in_use for p in points), max((p.limit or 0) for p in points))
    ticks = nice_ticks(largest)
    scale = Scale(points[0].time, points[-1].time, ticks[-1], width, height)
    span = scale.end - scale.start
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="seat-chart-title seat-chart-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="seat-chart-title">{escape(title)}</title>',
        f'<desc id="seat-chart-desc">{escape(describe(points))}</desc>',
    ]
    left, right = _LEFT, width - _RIGHT
    for n in ticks:
        y = scale.y(n)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{right}" y1="{y}" y2="{y}" '
            f'stroke="{_GRID_COLOR}" stroke-width="1"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 5}" text-anchor="end" '
            f'font-size="{_FONT}" fill="{_TEXT_COLOR}">{n}</text>'
        )
    steps = 2 if span > timedelta(0) else 0
    for i in range(steps + 1):
        t = scale.start + span * i / (steps or 1)
        anchor = "start" if i == 0 else "end" if i == steps else "middle"
        parts.append(
            f'<text class="axis" x="{scale.x(t)}" y="{height - 10}" text-anchor="{anchor}" '
            f'font-size="{_FONT}" fill="{_TEXT_COLOR}">{escape(time_label(t, span))}</text>'
        )
    limits = limit_path(points, scale)
    if limits:
        parts.append(
            f'<path class="limit" d="{limits}" fill="none" stroke="{_LIMIT_COLOR}" '
            f'stroke-width="2" stroke-dasharray="6 4"/>'
        )
    parts.append(
        f'<path class="in-use" d="{in_use_path(points, scale)}" fill="none" '
        f'stroke="{_IN_USE_COLOR}" stroke-width="2.5"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
