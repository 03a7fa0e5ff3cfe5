"""The SVG chart: one group per day with stories, spike days red, alert marks, escaped text."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from monitor.trends.chart import BAR, REJECTED, SPIKE, ChartData, nice_ceiling, svg_chart
from monitor.trends.spikes import SpikeParams, daily_spikes


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(svg: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(svg)
    return parser.tags


def chart(counts: list[int], rejected: list[int] | None = None, name: str = "chlorine") -> ChartData:
    start = date(2026, 9, 1)
    n = len(counts)
    tests = daily_spikes([0] * 28 + counts, 28, 0, SpikeParams())
    return ChartData(
        name=name,
        days=[start + timedelta(days=i) for i in range(n)],
        stories=counts,
        not_relevant=rejected or [0] * n,
        tests=tests,
    )


def test_days_with_stories_are_bars_and_the_burst_is_red() -> None:
    counts = [0] * 40 + [1, 0, 1, 0, 0, 6] + [0] * 44
    data = chart(counts, rejected=[0] * 42 + [1] + [0] * 47)
    data.alert_days = {45}
    tags = parse(svg_chart(data))
    days = [a for t, a in tags if t == "g"]
    assert [d["data-day"] for d in days] == ["2026-10-11", "2026-10-13", "2026-10-16"]
    assert [d["data-stories"] for d in days] == ["1", "1", "6"]
    fills = [a["fill"] for t, a in tags if t == "rect" and a.get("class") in ("bar", "rejected")]
    assert fills == [BAR, REJECTED, SPIKE]  # the 13th is marked not relevant, the 16th a spike
    assert sum(1 for t, a in tags if a.get("class") == "alert-mark") == 1
    heights = [float(a["height"] or 0) for t, a in tags if t == "rect" and a.get("class") == "bar"]
    assert len(heights) == 2 and heights[1] == pytest.approx(6 * heights[0], abs=0.5)
    assert not any(name == "style" or name.startswith("on") for _, a in tags for name in a)


def test_tooltips_and_labels_are_escaped() -> None:
    data = chart([2, 0, 0], name='<script>alert(1)</script> & "x"')
    svg = str(svg_chart(data))
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;" in svg
    assert "<title>2026-09-01: 2 stories</title>" in svg
    assert "stories per day, 2026-09-01 to 2026-09-03" in svg


def test_a_long_chart_is_cut_to_its_last_days() -> None:
    data = chart([1] + [0] * 8 + [6])
    data.alert_days, data.highlight = {0, 9}, (2, 9)
    short = data.last(4)
    assert short.days[0] == date(2026, 9, 7) and short.stories == [0, 0, 0, 6]
    assert short.alert_days == {3} and short.highlight == (0, 3)
    assert short.spike_days == [3] and "2026-09-07 to 2026-09-10" in short.label


def test_axis_and_compact_form() -> None:
    full = str(svg_chart(chart([0] * 29 + [7] + [0] * 10)))
    assert re.search(r">8</text>", full) and ">1 Oct</text>" in full  # axis top: 8
    compact = str(svg_chart(chart([1, 2, 3]), 180, 34, compact=True))
    assert "<text" not in compact and 'width="180"' in compact


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 7, 9, 11, 37, 95, 101)] == [1, 1, 8, 10, 20, 40, 100, 200]
