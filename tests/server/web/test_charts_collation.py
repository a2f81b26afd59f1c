"""The risk chart's geometry and the name order, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from vulndesk.server.web.charts import BOTTOM, HEIGHT, LEFT, TOP, line_chart, nice_ceiling
from vulndesk.server.web.collation import name_sort_key, sorted_by_name


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 5), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (480, 500)]
)
def test_nice_ceiling(value: int, expected: int) -> None:
    assert nice_ceiling(value) == expected


def test_the_chart_scales_lines_to_the_plot() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    points = [
        (start, {"critical": 0, "high": 10}),
        (start + timedelta(days=1), {"critical": 5, "high": 10}),
        (start + timedelta(days=2), {"critical": 10}),
    ]
    with translation.override("en"):
        chart = line_chart(points, ["critical", "high"])
    assert chart is not None
    bottom = HEIGHT - BOTTOM
    critical, high = chart.lines
    assert critical.points.split()[0] == f"{LEFT}.0,{bottom}.0"  # 0 at the bottom left
    assert critical.points.split()[-1].endswith(f",{TOP}.0")  # the top of the scale
    assert (critical.last, high.last) == (10, 0)  # a missing count is 0
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10"]
    assert [t.label for t in chart.x_ticks] == ["November 1", "November 2", "November 3"]
    with translation.override("ja"):
        chart = line_chart(points, ["critical"])
    assert chart is not None and chart.x_ticks[0].label == "11月1日"


def test_one_point_draws_no_chart() -> None:
    assert line_chart([(datetime(2026, 1, 1, tzinfo=UTC), {"high": 1})], ["high"]) is None


def test_names_sort_as_readers_expect() -> None:
    names = ["zebra", "Apple", "ｶﾀﾛｸﾞ", "あぷり", "アプリ", "apple", "\uff22eta", "かたろぐ"]
    assert sorted_by_name(names) == [
        "Apple", "apple", "\uff22eta", "zebra", "あぷり", "アプリ", "かたろぐ", "ｶﾀﾛｸﾞ"
    ]  # fmt: skip
    assert name_sort_key("\uff21")[0] == "a"
