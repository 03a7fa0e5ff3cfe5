"""Per concept (rule): stories per day with the daily spike test, spike episodes, sources
and the share marked not relevant. Shared by the overview and rules pages and the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.render import spike_headline
from monitor.store.models import SpikeEpisode
from monitor.trends.chart import ChartData
from monitor.trends.counts import DailySeries, daily_series, midnight, older_than, rule_names
from monitor.trends.spikes import SpikeParams, daily_spikes

CHART_DAYS = 90


@dataclass(frozen=True)
class Episode:
    """A stored spike episode, as pages and reports show it."""

    id: int
    rule: str
    source: str | None
    opened_at: datetime
    closed_at: datetime | None
    window_hours: int
    stories: int
    peak: int
    usual: tuple[int, int]
    sources: dict[str, int]
    story_ids: list[int]

    @classmethod
    def of(cls, row: SpikeEpisode) -> Episode:
        return cls(
            row.id,
            row.rule_id,
            row.source_key,
            row.opened_at,
            row.closed_at,
            row.window_hours,
            row.stories,
            row.peak,
            (row.usual_low, row.usual_high),
            dict(row.sources or {}),
            list(row.story_ids or []),
        )

    @property
    def headline(self) -> str:
        return spike_headline(
            self.rule, self.source, self.stories, self.window_hours, len(self.sources), self.usual
        )

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "rule": self.rule,
            "source": self.source,
            "opened_at": self.opened_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "window_hours": self.window_hours,
            "stories": self.stories,
            "peak": self.peak,
            "usual": list(self.usual),
            "sources": self.sources,
            "stories_listed": self.story_ids,
            "headline": self.headline,
        }


def episodes(session: Session, since: datetime, until: datetime | None = None) -> list[Episode]:
    """Episodes opened in [since, until] or still open, oldest first."""
    stmt = select(SpikeEpisode).where(
        (SpikeEpisode.opened_at >= since) | SpikeEpisode.closed_at.is_(None)
    )
    if until is not None:
        stmt = stmt.where(SpikeEpisode.opened_at <= until)
    return [Episode.of(row) for row in session.scalars(stmt.order_by(SpikeEpisode.opened_at))]


@dataclass(frozen=True)
class Totals:
    stories: int
    items: int  # members of those stories (copies and translations included)
    decided: int  # stories with at least one judged item
    not_relevant: int  # stories whose judged items were all marked not relevant

    @property
    def share_not_relevant(self) -> float | None:
        """None until anyone judged a story."""
        return self.not_relevant / self.decided if self.decided else None


@dataclass
class Concept:
    rule: str
    name: str
    severity: str
    daily: DailySeries  # the charted days only
    chart: ChartData
    episodes: list[Episode] = field(default_factory=list)

    def totals(self, first: date | None = None, last: date | None = None) -> Totals:
        """Sums over the charted days from `first` to `last` (default: all of them)."""
        lo = 0 if first is None else max(0, (first - self.daily.start).days)
        hi = len(self.daily.stories) if last is None else (last - self.daily.start).days + 1
        return Totals(
            sum(self.daily.stories[lo:hi]),
            sum(self.daily.items[lo:hi]),
            sum(self.daily.decided[lo:hi]),
            sum(self.daily.not_relevant[lo:hi]),
        )

    @property
    def spike_days(self) -> list[date]:
        return [self.chart.days[i] for i in self.chart.spike_days]


def concepts(
    session: Session,
    end: date,
    days: int = CHART_DAYS,
    params: SpikeParams | None = None,
    highlight: tuple[date, date] | None = None,
) -> list[Concept]:
    """One concept per rule that matched anything in the `days` days up to `end`."""
    params = params or SpikeParams()
    first = end - timedelta(days=days - 1)
    baseline_start = first - timedelta(days=params.baseline_days)
    series = daily_series(session, baseline_start, end)
    old, _ = older_than(session, midnight(baseline_start), series)
    names = rule_names(session, series)
    until = midnight(end + timedelta(days=1)) - timedelta(microseconds=1)
    found = episodes(session, midnight(first), until)
    out = []
    for rule in sorted(series, key=lambda r: (names.get(r, (r, ""))[0].lower(), r)):
        daily = series[rule]
        offset = (first - baseline_start).days
        if not any(daily.stories[offset:]):
            continue
        name, severity = names.get(rule, (rule, ""))
        chart = _chart(rule, daily, offset, first, rule in old, params, highlight)
        chart.alert_days = {
            (e.opened_at.date() - first).days
            for e in found
            if e.rule == rule and e.opened_at.date() >= first
        }
        out.append(
            Concept(
                rule,
                name,
                severity,
                daily.since(first),
                chart,
                episodes=[e for e in found if e.rule == rule],
            )
        )
    return out


def _chart(
    rule: str,
    daily: DailySeries,
    offset: int,
    first: date,
    older: bool,
    params: SpikeParams,
    highlight: tuple[date, date] | None,
) -> ChartData:
    """The charted days with the daily test; history starts with the series when nothing
    older exists (negative: days after the series' start), else no later than it."""
    stories = daily.stories
    history_days = 0 if older else -next((i for i, n in enumerate(stories) if n), len(stories))
    tests = daily_spikes(stories, offset, history_days, params)
    shade = None
    if highlight is not None:
        shade = (max(0, (highlight[0] - first).days), (highlight[1] - first).days)
    return ChartData(
        name=rule,
        days=daily.days[offset:],
        stories=stories[offset:],
        not_relevant=daily.not_relevant[offset:],
        tests=tests,
        highlight=shade,
    )
