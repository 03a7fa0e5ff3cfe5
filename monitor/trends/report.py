"""`monitor report`: a briefing of a period, as JSON, Markdown or a self-contained HTML file.

Contents: stories and items per concept and per source, the top stories with their
members (copies and translations, Arabic and English together), spikes (alert episodes
opened in the period and days the daily test flags), edits and removals (through a
`ChangeReader`, see changes.py), and per concept a chart of the 90 days up to the end of
the period (of the whole period when longer, up to a year) with the period shaded. The
HTML file has no script and loads nothing: its own Content-Security-Policy forbids both,
and scraped text is escaped.

JSON shape (`Report.as_json`, a stable interface):

    {"since": iso, "until": iso, "generated": iso,
     "concepts": [{"rule", "name", "severity", "stories", "items", "judged",
                   "not_relevant", "share_not_relevant": float | null,
                   "sources": {source: stories}, "spike_days": ["YYYY-MM-DD", ...],
                   "daily": [{"day", "stories", "not_relevant"}, ...]}],
     "top_stories": [{"story", "rules", "sources", "languages",
                      "members": [{"id", "source", "language", "title", "url",
                                   "published", "state"}]}],
     "spikes": [{"id", "rule", "source", "opened_at", "closed_at", "window_hours",
                 "stories", "peak", "usual": [low, high], "sources", "stories_listed",
                 "headline"}],
     "changes": {"records": [{"article_id", "kind", "at", "source", "title", "url",
                              "rules", "detail"}]}}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from monitor.alerts.channels import load_channels
from monitor.alerts.outbox import BRIEFING, enqueue_payload
from monitor.alerts.render import (
    BriefingView,
    ConceptLine,
    clean,
    markdown_line,
    plural,
    safe_url,
)
from monitor.config import Settings
from monitor.review.queries import iso_published
from monitor.store.db import Database
from monitor.trends.changes import ChangeLog, ChangeReader, recorded_changes
from monitor.trends.chart import legend, svg_chart
from monitor.trends.check import story_line
from monitor.trends.counts import (
    Member,
    StoryView,
    midnight,
    ranked,
    source_counts,
    stories,
    top_story_keys,
)
from monitor.trends.overview import CHART_DAYS, Concept, Episode, concepts, episodes
from monitor.trends.spikes import SpikeParams

TEMPLATES = Path(__file__).parent / "templates"
TOP_STORIES = 10
MAX_CHART_DAYS = 366  # a longer period is charted over its last year


@dataclass
class Report:
    since: datetime
    until: datetime
    generated: datetime
    concepts: list[Concept]
    sources: dict[str, dict[str, int]]  # rule -> source -> stories in the period
    top: list[StoryView]
    spikes: list[Episode]
    changes: ChangeLog

    @property
    def days(self) -> tuple[date, date]:
        return self.since.date(), self.until.date()

    @property
    def source_columns(self) -> list[str]:
        return sorted({s for per_rule in self.sources.values() for s in per_rule})

    def spike_days(self, concept: Concept) -> list[date]:
        first, last = self.days
        return [d for d in concept.spike_days if first <= d <= last]

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "generated": self.generated.isoformat(),
            "concepts": [self._concept_json(c) for c in self.concepts],
            "top_stories": [_story_json(s) for s in self.top],
            "spikes": [e.as_json() for e in self.spikes],
            "changes": {
                "records": [r.as_json() for r in self.changes.records],
            },
        }

    def _concept_json(self, concept: Concept) -> dict[str, Any]:
        totals = concept.totals(*self.days)
        first, last = self.days
        return {
            "rule": concept.rule,
            "name": concept.name,
            "severity": concept.severity,
            "stories": totals.stories,
            "items": totals.items,
            "judged": totals.decided,
            "not_relevant": totals.not_relevant,
            "share_not_relevant": totals.share_not_relevant,
            "sources": self.sources.get(concept.rule, {}),
            "spike_days": [d.isoformat() for d in self.spike_days(concept)],
            "daily": [
                {"day": d.isoformat(), "stories": n, "not_relevant": r}
                for d, n, r in zip(
                    concept.daily.days,
                    concept.daily.stories,
                    concept.daily.not_relevant,
                    strict=True,
                )
                if first <= d <= last
            ],
        }


def _member_json(m: Member) -> dict[str, Any]:
    return {
        "id": m.id,
        "source": m.source,
        "language": m.language,
        "title": m.title,
        "url": m.url,
        "published": iso_published(m.published, m.published_is_date),
        "state": m.state,
    }


def _story_json(view: StoryView) -> dict[str, Any]:
    return {
        "story": view.key,
        "rules": view.rules,
        "sources": view.sources,
        "languages": view.languages,
        "members": [_member_json(m) for m in view.members],
    }


def build_report(
    session: Session,
    since: datetime,
    until: datetime,
    params: SpikeParams | None = None,
    changes: ChangeReader = recorded_changes,
    top: int = TOP_STORIES,
    now: datetime | None = None,
) -> Report:
    """The briefing for [since, until] (aware UTC datetimes)."""
    first, last = since.astimezone(UTC).date(), until.astimezone(UTC).date()
    found = concepts(
        session, last, max(CHART_DAYS, (last - first).days + 1), params, highlight=(first, last)
    )
    for concept in found:
        concept.chart = concept.chart.last(MAX_CHART_DAYS)
    keys = top_story_keys(session, since, until, top)
    return Report(
        since=since,
        until=until,
        generated=now or datetime.now(UTC),
        concepts=found,
        sources=source_counts(session, since, until),
        top=ranked(list(stories(session, keys).values())),
        spikes=episodes(session, since, until),
        changes=changes(session, since, until),
    )


# -- Markdown -----------------------------------------------------------------------------


def _when(value: datetime | None, is_date: bool = False) -> str:
    if value is None:
        return "undated"
    return value.date().isoformat() if is_date else f"{value:%Y-%m-%d %H:%M} UTC"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def render_markdown(report: Report) -> str:
    first, last = report.days
    columns = report.source_columns
    lines = [
        f"# Briefing {first} to {last}",
        "",
        (
            f"Generated {_when(report.generated)}. Stories: copies and translations of one "
            "statement count once; by publication date (UTC), undated items left out."
        ),
        "",
        "## Stories per concept and source",
        "",
        "| Concept | Stories | Items | "
        + "".join(f"{markdown_line(s)} | " for s in columns)
        + "Judged not relevant | Spike days |",
        "|---|---:|---:|" + "---:|" * len(columns) + "---:|---:|",
    ]
    for c in report.concepts:
        totals = c.totals(first, last)
        per_source = report.sources.get(c.rule, {})
        lines.append(
            f"| {markdown_line(c.name)} (`{c.rule}`) | {totals.stories} | {totals.items} | "
            + "".join(f"{per_source.get(s, 0)} | " for s in columns)
            + f"{_share(totals.share_not_relevant)} | {len(report.spike_days(c))} |"
        )
    lines += ["", "## Top stories", ""]
    for n, story in enumerate(report.top, 1):
        lines.append(
            f"{n}. **{markdown_line(story.lead.title) or '(no title)'}** — "
            f"{', '.join(story.rules)}; {plural(len(story.members), 'item')} from "
            f"{', '.join(story.sources)}"
        )
        for m in story.members:
            lines.append(
                f"   - [{m.language}] {markdown_line(m.title) or '(no title)'} · {m.source} · "
                f"{_when(m.published, m.published_is_date)} · <{m.url.replace('>', '%3E')}>"
            )
    if not report.top:
        lines.append("No story in this period.")
    lines += ["", "## Spikes", ""]
    lines += [
        f"- {_when(e.opened_at)}: {markdown_line(e.headline)}"
        + (f" (peak {e.peak})" if e.peak > e.stories else "")
        for e in report.spikes
    ] or ["No spike alert in this period."]
    flagged = [(c, d) for c in report.concepts for d in report.spike_days(c)]
    if flagged:
        lines += [
            "",
            "Days the daily test flags: " + ", ".join(f"{c.rule} {d}" for c, d in flagged),
        ]
    lines += ["", "## Edits and removals", ""]
    lines += _changes_markdown(report.changes)
    return "\n".join(lines) + "\n"


def _changes_markdown(log: ChangeLog) -> list[str]:
    return [
        f"- {_when(r.at)} {r.kind}: {markdown_line(r.title) or '(no title)'} · {r.source} · "
        f"<{r.url.replace('>', '%3E')}>" + (f" ({markdown_line(r.detail)})" if r.detail else "")
        for r in log.records
    ] or [log.nothing]


# -- HTML ---------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=_when, share=_share, line=lambda v: clean(v or "", 300), short_url=short_url
    )
    env.globals.update(chart=svg_chart, plural=plural, safe_url=safe_url)
    return env


def short_url(url: str) -> str:
    """A link's text: readable (percent-escapes decoded, scheme dropped) and short."""
    readable = unquote(url).split("://", 1)[-1]
    return clean(readable, 70)


def render_html(report: Report) -> str:
    return _environment().get_template("report.html").render(report=report, legend=legend())


# -- the scheduled briefing ---------------------------------------------------------------


def briefing_view(report: Report, top: int = 5) -> BriefingView:
    """The short form of a report, sent through a channel (`trends.briefing`)."""
    first, last = report.days
    concepts_ = []
    for c in report.concepts:
        totals = c.totals(first, last)
        if totals.stories:
            concepts_.append(
                ConceptLine(
                    c.rule,
                    c.name,
                    totals.stories,
                    totals.items,
                    report.sources.get(c.rule, {}),
                    sum(1 for e in report.spikes if e.rule == c.rule),
                )
            )
    return BriefingView(
        since=report.since,
        until=report.until,
        concepts=tuple(concepts_),
        top=tuple(story_line(s) for s in report.top[:top]),
        spikes=tuple(e.headline for e in report.spikes),
        changes=len(report.changes.records),
    )


def end_of_day(day: date) -> datetime:
    return midnight(day + timedelta(days=1)) - timedelta(microseconds=1)


def queue_briefing(db: Database, settings: Settings, now: datetime) -> int:
    """Queue the briefing of the last `trends.briefing.days` to the channels tagged with
    `trends.briefing.tags` (strictly: `always` channels do not get it); once per day."""
    briefing = settings.trends.briefing
    channels = [c for c in load_channels(settings.notify).values() if c.tagged(briefing.tags)]
    if not channels:
        return 0
    with db.session() as session:
        report = build_report(
            session,
            now - timedelta(days=briefing.days),
            now,
            SpikeParams.from_settings(settings.trends),
            now=now,
        )
        view = briefing_view(report)
        queued = enqueue_payload(
            session, channels, BRIEFING, now.date().isoformat(), view.as_json(), now
        )
    return len(queued)
