"""Stories per day as a server-rendered SVG bar chart: no script, no CDN, no build step.

Colours are SVG presentation attributes, not `style`, so the charts draw under the review
UI's strict Content-Security-Policy (`style-src 'self'`) and in a standalone report file
alike. Every value written into the SVG is escaped; hovering a bar shows its day (a
native `<title>` tooltip).

Bars: stories per day, the part marked not relevant stacked in grey on top; a bar the
daily spike test flags is red; a triangle on the top edge marks the day a spike alert
went out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup, escape

from monitor.alerts.render import plural, usual_text
from monitor.trends.spikes import Assessment

BAR = "#2f6db5"
SPIKE = "#c62828"
REJECTED = "#b8c2cc"
AXIS = "#8a949e"
HIGHLIGHT = "#fff4d6"
NICE_STEPS = (1, 2, 3, 4, 5, 6, 8, 10)


@dataclass
class ChartData:
    name: str  # what is counted: the rule id
    days: list[date]
    stories: list[int]
    not_relevant: list[int]
    tests: list[Assessment | None]  # the daily spike test per day (None: cold)
    alert_days: set[int] = field(default_factory=set)  # indexes of days a spike alert opened
    highlight: tuple[int, int] | None = None  # indexes (first, last) of a period to shade

    @property
    def label(self) -> str:
        """What the chart shows, for screen readers and the tooltip of the whole chart."""
        span = f", {self.days[0]} to {self.days[-1]}" if self.days else ""
        return f"{self.name}: stories per day{span}"

    @property
    def spike_days(self) -> list[int]:
        return [i for i, t in enumerate(self.tests) if t is not None and t.spike]

    def last(self, n: int) -> ChartData:
        """The same chart over its last `n` days only."""
        cut = max(0, len(self.days) - n)
        highlight = None
        if self.highlight is not None and self.highlight[1] >= cut:
            highlight = (max(0, self.highlight[0] - cut), self.highlight[1] - cut)
        return ChartData(
            self.name,
            self.days[cut:],
            self.stories[cut:],
            self.not_relevant[cut:],
            self.tests[cut:],
            {i - cut for i in self.alert_days if i >= cut},
            highlight,
        )


def nice_ceiling(value: int) -> int:
    """The smallest 1-2-3-4-5-6-8-10 x 10^k at or above value (axis top)."""
    scale = 1
    while True:
        for step in NICE_STEPS:
            if step * scale >= value:
                return step * scale
        scale *= 10


def _tooltip(data: ChartData, i: int) -> str:
    count = data.stories[i]
    text = f"{data.days[i].isoformat()}: {plural(count, 'story', 'stories')}"
    if data.not_relevant[i]:
        text += f", {data.not_relevant[i]} marked not relevant"
    test = data.tests[i]
    if test is not None and test.spike:
        text += f" · spike ({usual_text(*test.usual)})"
    if i in data.alert_days:
        text += " · spike alert sent"
    return text


def svg_chart(
    data: ChartData, width: int = 720, height: int = 170, compact: bool = False
) -> Markup:
    """The chart as inline SVG markup (safe to place in an autoescaped template)."""
    left, right, top, bottom = (0, 0, 6, 0) if compact else (30, 6, 14, 20)
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(data.days))
    top_value = nice_ceiling(max([*data.stories, 1]))
    step = plot_w / n
    gap = 0.0 if step < 3 else step * 0.15
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart{" compact" if compact else ""}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(data.label)}"><title>{escape(data.label)}</title>'
    )
    parts = [opening]
    if data.highlight is not None:
        first, last = data.highlight
        parts.append(
            f'<rect class="period" x="{left + first * step:.1f}" y="{top}" '
            f'width="{(last - first + 1) * step:.1f}" height="{plot_h}" fill="{HIGHLIGHT}"/>'
        )
    if not compact:
        parts += _axes(data, left, top, plot_w, plot_h, top_value, step)
    spikes = set(data.spike_days)
    for i, count in enumerate(data.stories):
        if not count and i not in data.alert_days:
            continue
        x = left + i * step + gap / 2
        w = max(step - gap, 0.8)
        rejected = min(data.not_relevant[i], count)
        kept_h = (count - rejected) / top_value * plot_h
        rejected_h = rejected / top_value * plot_h
        base = top + plot_h
        parts.append(
            f'<g class="day{" spike" if i in spikes else ""}" data-day="{data.days[i]}" '
            f'data-stories="{count}"><title>{escape(_tooltip(data, i))}</title>'
        )
        if kept_h:
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{base - kept_h:.1f}" width="{w:.1f}" '
                f'height="{kept_h:.1f}" fill="{SPIKE if i in spikes else BAR}"/>'
            )
        if rejected_h:
            parts.append(
                f'<rect class="rejected" x="{x:.1f}" y="{base - kept_h - rejected_h:.1f}" '
                f'width="{w:.1f}" height="{rejected_h:.1f}" fill="{REJECTED}"/>'
            )
        if i in data.alert_days:  # along the top edge, where an empty day shows it too
            cx, size = x + w / 2, min(5.0, top - 1.0)
            parts.append(
                f'<path class="alert-mark" d="M{cx - size:.1f},0.5 L{cx + size:.1f},0.5 '
                f'L{cx:.1f},{size * 1.4 + 0.5:.1f} Z" fill="{SPIKE}"/>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def _axes(
    data: ChartData, left: int, top: int, plot_w: int, plot_h: int, top_value: int, step: float
) -> list[str]:
    base = top + plot_h
    parts = []
    for value in sorted({0, top_value // 2, top_value}):
        y = base - value / top_value * plot_h
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{AXIS}" stroke-width="{1 if value == 0 else 0.4}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="{AXIS}">{value}</text>'
        )
    for i, day in enumerate(data.days):
        if day.day == 1 or (i == 0 and day.day < 25):
            x = left + i * step
            anchor = "end" if x > left + plot_w - 30 else "start"
            parts.append(
                f'<text x="{x:.1f}" y="{base + 14}" font-size="10" text-anchor="{anchor}" '
                f'fill="{AXIS}">{day.day} {day:%b}</text>'
            )
    return parts


def legend() -> list[tuple[Markup, str]]:
    """(swatch, meaning) for a legend beside the charts."""
    return [
        (
            Markup(
                '<svg xmlns="http://www.w3.org/2000/svg" class="chart swatch" width="12" '
                f'height="12" aria-hidden="true"><rect width="12" height="12" fill="{colour}"/>'
                "</svg>"
            ),
            meaning,
        )
        for colour, meaning in (
            (BAR, "stories per day"),
            (REJECTED, "marked not relevant"),
            (SPIKE, "spike (daily test); ▼ spike alert sent"),
        )
    ]
