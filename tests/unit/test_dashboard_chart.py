"""The seat chart is well-formed SVG that a screen reader announces with a description, draws
the seats in use and the limit as steps at the right heights, and escapes what it is given."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from tenantry.adapters.web.dashboard_chart import (
    HEIGHT,
    WIDTH,
    Scale,
    nice_ticks,
    seat_chart,
    time_label,
)
from tenantry.application.seat_history import SeatPoint

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def point(hours: float, in_use: int, limit: int | None = None, cause: str = "X") -> SeatPoint:
    return SeatPoint(
        time=T0 + timedelta(hours=hours), version=1, seats_in_use=in_use, limit=limit, cause=cause
    )


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def path_of(svg: ET.Element, cls: str) -> str | None:
    for p in svg.iter(f"{SVG}path"):
        if p.get("class") == cls:
            return p.get("d")
    return None


def test_the_chart_is_an_image_with_a_title_and_a_description() -> None:
    svg = parse(seat_chart([point(0, 0), point(5, 3, 4), point(10, 2, 4)], title="Acme seats"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "seat-chart-title seat-chart-desc"
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Acme seats"
    assert desc is not None
    assert desc.text is not None
    assert "between 0 and 3" in desc.text
    assert "2 in use of a limit of 4" in desc.text
    assert svg.get("viewBox") == f"0 0 {WIDTH} {HEIGHT}"


def test_the_seats_in_use_are_steps_at_their_heights() -> None:
    points = [point(0, 0), point(2, 3), point(4, 1), point(8, 1, cause="Now")]
    svg = parse(seat_chart(points, title="t"))
    d = path_of(svg, "in-use")
    assert d is not None
    scale = Scale(points[0].time, points[-1].time, nice_ticks(3)[-1])
    ys = [float(v) for v in re.findall(r"V([\d.]+)", d)]
    assert ys == [scale.y(3), scale.y(1), scale.y(1)]
    xs = [float(v) for v in re.findall(r"H([\d.]+)", d)]
    assert xs == [scale.x(p.time) for p in points[1:]]
    assert xs == sorted(xs)
    assert d.startswith(f"M{scale.x(points[0].time)},{scale.y(0)}")


def test_the_limit_is_dashed_and_absent_where_there_was_none() -> None:
    points = [point(0, 0), point(1, 1, 5), point(2, 1), point(3, 2, 2), point(4, 2, 2)]
    svg = parse(seat_chart(points, title="t"))
    d = path_of(svg, "limit")
    assert d is not None
    assert d.count("M") == 2  # two stretches with a limit, a gap between them
    limit = next(p for p in svg.iter(f"{SVG}path") if p.get("class") == "limit")
    assert limit.get("stroke-dasharray")
    assert path_of(parse(seat_chart([point(0, 0), point(1, 2)], title="t")), "limit") is None


def test_the_axis_reaches_the_highest_count_or_limit() -> None:
    svg = parse(seat_chart([point(0, 3, 20), point(1, 7, 20)], title="t"))
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert "20" in labels


def test_what_the_chart_is_given_is_escaped() -> None:
    markup = seat_chart([point(0, 1), point(1, 2)], title='<script>alert("x")</script>')
    assert "<script>" not in markup
    assert parse(markup).find(f"{SVG}title") is not None


def test_a_single_instant_and_no_points_draw_without_dividing_by_zero() -> None:
    assert parse(seat_chart([point(0, 0)], title="t")).get("role") == "img"
    assert seat_chart([], title="t") == ""


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (20, [0, 5, 10, 15, 20]),
        (95, [0, 50, 100]),
        (1000, [0, 500, 1000]),
    ],
)
def test_ticks_are_round_numbers_reaching_the_largest(largest: int, ticks: list[int]) -> None:
    got = nice_ticks(largest)
    assert got[0] == 0
    assert got[-1] >= largest
    assert got == ticks


@pytest.mark.parametrize(
    ("span", "label"),
    [
        (timedelta(days=30), "2026-01-01"),
        (timedelta(hours=12), "01-01 00:00"),
        (timedelta(hours=1), "00:00"),
        (timedelta(minutes=2), "00:00:00"),
    ],
)
def test_axis_times_are_as_precise_as_the_span_needs(span: timedelta, label: str) -> None:
    assert time_label(T0, span) == label
