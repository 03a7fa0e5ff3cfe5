"""The spike check, run once per daemon cycle: test every rule, keep episodes, alert once.

Each rule is one series over all sources and, with `trends.per_source`, one series per
source; every window length in `trends.windows_hours` is tested on each (spikes.py). A
rule is spiking when any of its series is. Its episode opens at the first spiking check,
with the series that found it (often a quiet source that a burst stands out in first,
an hour before the rule as a whole), stays open while checks keep finding a spike in any
of its series and closes after `trends.quiet_hours` without one. The alert goes out
when the episode opens, never again: a burst that stays in the 24-hour window for a day,
or that spreads from one source to all of them, is one alert.

Alerts go through the outbox to the channels the rule's `notify` tags route to, like
item alerts. Run it from one process at a time (the daemon takes the `trends` lease).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.channels import load_channels
from monitor.alerts.outbox import SPIKE, enqueue_payload
from monitor.alerts.render import SpikeView, StoryLine
from monitor.config import Settings, TrendsSettings
from monitor.store.db import Database
from monitor.store.models import SpikeEpisode, TrendRule, utcnow
from monitor.trends.counts import (
    StoryEvent,
    StoryView,
    older_than,
    ranked,
    stories,
    story_events,
)
from monitor.trends.spikes import Assessment, SpikeParams, assess_window

log = logging.getLogger(__name__)

LEASE = "trends"
SeriesKey = tuple[str, str | None]  # (rule, source); source None: every source


@dataclass(frozen=True)
class RuleInfo:
    """What the check needs of a rule: its names and where its alerts go."""

    id: str
    name: str
    severity: str
    notify: tuple[str, ...] = ()

    @classmethod
    def of(cls, rule: Any) -> RuleInfo:
        """From a `monitor.rules.Rule`."""
        return cls(rule.id, rule.name, rule.severity, tuple(rule.notify))


@dataclass
class CheckReport:
    at: datetime
    series: int = 0
    cold: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)  # headlines
    closed: int = 0
    alerts: int = 0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


def label(key: SeriesKey) -> str:
    return key[0] if key[1] is None else f"{key[0]}@{key[1]}"


def check_spikes(
    db: Database, settings: Settings, rules: Iterable[RuleInfo], now: datetime | None = None
) -> CheckReport:
    now = now or utcnow()
    known = {rule.id: rule for rule in rules}
    trends = settings.trends
    params = SpikeParams.from_settings(trends)
    windows = sorted(set(trends.windows_hours))
    since = now - timedelta(hours=windows[-1], days=params.baseline_days)
    report = CheckReport(now)
    # the counting reads in a read-only transaction; the write lock (SQLite's BEGIN
    # IMMEDIATE) is taken only for the few rows the check changes
    with db.session(readonly=True) as session:
        seen = {r.rule_id: r.first_checked_at for r in session.scalars(select(TrendRule))}
        checked = {**dict.fromkeys(known, now), **seen}
        events = [e for e in story_events(session, since, now) if e.rule in known]
        series = _series(events, trends.per_source)
        starts = _history_starts(session, since, events, checked)
    found: dict[str, dict[SeriesKey, list[Assessment]]] = defaultdict(dict)
    for key, times in series.items():
        start = _history_start(key, starts)
        results = [
            a for w in windows if (a := assess_window(list(times.values()), now, w, start, params))
        ]
        found[key[0]][key] = results
        report.series += 1
        if not results:
            report.cold.append(label(key))
    with db.session() as session:
        session.add_all(TrendRule(rule_id=r, first_checked_at=now) for r in known.keys() - seen)
        open_episodes = {
            e.rule_id: e
            for e in session.scalars(select(SpikeEpisode).where(SpikeEpisode.closed_at.is_(None)))
        }
        for rule_id in sorted(set(found) | set(open_episodes)):
            carried_on = rule_id in open_episodes
            episode = _step(session, rule_id, found.get(rule_id, {}), open_episodes, trends, now)
            if carried_on or episode is None:
                report.closed += carried_on and episode is None
                continue
            rule = known[rule_id]
            key = (rule_id, episode.source_key)
            spike = _spike_view(session, episode, rule, series[key], series, trends.top_stories)
            episode.sources, episode.story_ids = spike.sources, [s.key for s in spike.stories]
            report.opened.append(spike.view.headline)
            log.info("spike: %s", spike.view.headline)
            report.alerts += _enqueue(session, episode, rule, spike.view, settings, now)
    return report


def _series(events: Sequence[StoryEvent], per_source: bool) -> dict[SeriesKey, dict[int, datetime]]:
    """story -> when it counts, per series."""
    out: dict[SeriesKey, dict[int, datetime]] = defaultdict(dict)
    for event in events:
        whole = out[(event.rule, None)]
        if event.story not in whole or event.first < whole[event.story]:
            whole[event.story] = event.first
        if per_source:
            out[(event.rule, event.source)][event.story] = event.first
    return out


@dataclass(frozen=True)
class _Starts:
    rules: dict[str, datetime]
    sources: dict[str, datetime]


def _history_starts(
    session: Session, since: datetime, events: Sequence[StoryEvent], checked: dict[str, datetime]
) -> _Starts:
    """When each rule's and source's history starts, as far as the check needs to know:
    `since` for anything older (the baseline is covered), else the earliest story in range;
    a rule's history also starts no later than the check first saw it."""
    rules: dict[str, datetime] = {}
    sources: dict[str, datetime] = {}
    for event in events:
        rules[event.rule] = min(event.first, rules.get(event.rule, event.first))
        sources[event.source] = min(event.first, sources.get(event.source, event.first))
    old_rules, old_sources = older_than(session, since, rules, sources)
    for rule, first in rules.items():
        rules[rule] = min(since if rule in old_rules else first, checked[rule])
    for source in old_sources:
        sources[source] = since
    return _Starts(rules, sources)


def _history_start(key: SeriesKey, starts: _Starts) -> datetime | None:
    rule, source = key
    start = starts.rules.get(rule)
    if source is None or start is None:
        return start
    source_start = starts.sources.get(source)
    return None if source_start is None else max(start, source_start)


def _step(
    session: Session,
    rule_id: str,
    found: dict[SeriesKey, list[Assessment]],
    open_episodes: dict[str, SpikeEpisode],
    trends: TrendsSettings,
    now: datetime,
) -> SpikeEpisode | None:
    """Advance the rule's episode by one check: the episode open after it, or None when
    there is none or it just closed."""
    spiking = {key: [a for a in results if a.spike] for key, results in found.items()}
    spiking = {key: hits for key, hits in spiking.items() if hits}
    episode = open_episodes.get(rule_id)
    if episode is not None:
        own = found.get((rule_id, episode.source_key), [])
        counts = [a.count for a in own if a.window_hours == episode.window_hours]
        episode.peak = max([episode.peak, *counts])
        if spiking:
            episode.last_spike_at = now
        elif now - episode.last_spike_at >= timedelta(hours=trends.quiet_hours):
            episode.closed_at = now
            del open_episodes[rule_id]
            return None
        return episode
    if not spiking:
        return None
    # the rule as a whole when it is spiking (its message names every source), else the
    # source that stands out; then the strongest finding, the longer window on a tie
    whole = (rule_id, None)
    candidates = {whole: spiking[whole]} if whole in spiking else spiking
    key, best = min(
        ((k, a) for k, hits in candidates.items() for a in hits),
        key=lambda ka: (ka[1].p_value, -ka[1].window_hours),
    )
    episode = SpikeEpisode(
        rule_id=rule_id,
        source_key=key[1],
        opened_at=now,
        last_spike_at=now,
        window_hours=best.window_hours,
        stories=best.count,
        peak=best.count,
        expected=best.expected,
        usual_low=best.usual[0],
        usual_high=best.usual[1],
        p_value=best.p_value,
    )
    session.add(episode)
    open_episodes[rule_id] = episode
    return episode


@dataclass
class _Spike:
    view: SpikeView
    stories: list[StoryView]
    sources: dict[str, int]


def _spike_view(
    session: Session,
    episode: SpikeEpisode,
    rule: RuleInfo,
    times: dict[int, datetime],
    series: dict[SeriesKey, dict[int, datetime]],
    top: int,
) -> _Spike:
    start = episode.opened_at - timedelta(hours=episode.window_hours)
    in_window = {story for story, when in times.items() if start < when <= episode.opened_at}
    if episode.source_key is not None:
        per_source = {episode.source_key: len(in_window)}
    else:
        per_source = dict(
            Counter(
                source
                for (rule_id, source), members in series.items()
                if rule_id == rule.id and source is not None
                for story, when in members.items()
                if story in in_window and start < when <= episode.opened_at
            )
        )
    views = ranked(list(stories(session, in_window).values()))[:top]
    view = SpikeView(
        rule=rule.id,
        name=rule.name,
        severity=rule.severity,
        source=episode.source_key,
        window_hours=episode.window_hours,
        stories=episode.stories,
        sources=per_source,
        usual=(episode.usual_low, episode.usual_high),
        expected=episode.expected,
        p_value=episode.p_value,
        opened_at=episode.opened_at,
        top=tuple(story_line(v) for v in views),
    )
    return _Spike(view, views, per_source)


def story_line(view: StoryView) -> StoryLine:
    lead = view.lead
    return StoryLine(
        lead.title, lead.source, lead.url, lead.id, len(view.members), len(view.sources)
    )


def _enqueue(
    session: Session,
    episode: SpikeEpisode,
    rule: RuleInfo,
    view: SpikeView,
    settings: Settings,
    now: datetime,
) -> int:
    session.flush()  # the episode's id is the alert's key
    channels = [c for c in load_channels(settings.notify).values() if c.receives(rule.notify)]
    alerts = enqueue_payload(
        session,
        channels,
        SPIKE,
        str(episode.id),
        view.as_json(),
        now,
        rules=[rule.id],
        severity=rule.severity,
    )
    return len(alerts)
