"""Alert messages, rendered for the phone: plain text, HTML or Markdown bodies.

No template engine: scraped text is only ever a value passed to an escaping function, so
`{{7*7}}` or `<a href>` in a title arrives as those characters. Arabic values are wrapped
in Unicode isolates (FSI…PDI) so they read right to left inside an English line without
reordering the punctuation around them; lines that are Arabic only start with RLM so a
phone right-aligns them. Bidi controls found in scraped text are dropped first, so an
article cannot unbalance our isolates or spoof a link (RLO tricks).

Every body stays under `BODY_LIMIT` characters (Telegram's limit is 4096): scraped fields
are cut *before* escaping, never inside an entity, and shrunk until the body fits.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

Format = Literal["text", "html", "markdown"]

BODY_LIMIT = 3900  # below Telegram's 4096, with room for apprise's own title line
DAMASCUS = ZoneInfo("Asia/Damascus")
FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


def severity_rank(severity: str | None) -> int:
    return SEVERITY_RANK.get((severity or "").lower(), 0)


@dataclass(frozen=True)
class Message:
    """One rendered alert; `title` is built from our own words only (never scraped text)."""

    title: str
    text: str
    html: str
    markdown: str

    def body(self, fmt: Format) -> str:
        return {"text": self.text, "html": self.html, "markdown": self.markdown}[fmt]


@dataclass(frozen=True)
class MatchView:
    """What a message shows about one matched rule."""

    rule: str
    name: str
    severity: str
    terms: Sequence[str]
    snippets: Sequence[str]


@dataclass(frozen=True)
class ItemView:
    """What a message shows about one article."""

    alert_id: int
    source: str
    title: str
    url: str
    published: datetime | None
    published_is_date: bool
    review_url: str
    matches: Sequence[MatchView]


def clean(value: str, limit: int) -> str:
    """One line of scraped text: no bidi or control characters, at most `limit` characters."""
    value = _BIDI_CONTROLS.sub("", value)
    value = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in value)
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def is_rtl(value: str) -> bool:
    """True when the first strong character is right-to-left (Arabic, Hebrew…)."""
    for char in value:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


@dataclass(frozen=True)
class _Style:
    escape: Callable[[str], str]
    bold: Callable[[str], str]
    # (our label, URL) -> markup; the URL stays visible, as e-mail's text part drops hrefs
    link: Callable[[str, str], str]
    line_break: str


def _markdown_escape(value: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


_STYLES: dict[Format, _Style] = {
    "text": _Style(str, str, lambda label, url: f"{label}: {url}", "\n"),
    "html": _Style(
        lambda v: html.escape(v, quote=True),
        lambda v: f"<b>{v}</b>",
        lambda label, url: f'{label}: <a href="{html.escape(url)}">{html.escape(url)}</a>',
        "<br>\n",
    ),
    "markdown": _Style(
        _markdown_escape,
        lambda v: f"**{v}**",
        lambda label, url: f"{label}: <{url.replace('>', '%3E')}>",
        "  \n",
    ),
}


def _safe_url(url: str) -> str | None:
    """Only http(s) links become links; anything else (javascript:, data:) is shown as text."""
    url = clean(url, 500)
    return url if re.match(r"(?i)^https?://[^\s]+$", url) else None


def _isolate(value: str) -> str:
    return f"{FSI}{value}{PDI}"


def format_time(published: datetime | None, is_date: bool) -> str:
    if published is None:
        return "unknown"
    if is_date:
        return published.date().isoformat()
    local = published.astimezone(DAMASCUS)
    return f"{published:%Y-%m-%d %H:%M} UTC · {local:%Y-%m-%d %H:%M} Damascus"


def _item_lines(item: ItemView, style: _Style, budget: int) -> list[str]:
    esc = style.escape
    rules = ", ".join(f"{m.name} ({m.severity})" for m in item.matches)
    title = clean(item.title, budget) or "(no title)"
    lines = [
        style.bold(esc(f"{_top_severity(item.matches).upper()} · {rules}")),
        f"Source: {esc(item.source)}",
        f"Title: {_isolate(esc(title))}",
        f"Published: {format_time(item.published, item.published_is_date)}",
    ]
    terms = sorted({clean(t, 60) for m in item.matches for t in m.terms} - {""})[:10]
    if terms:
        lines.append("Matched: " + ", ".join(_isolate(esc(t)) for t in terms))
    snippets = [s for m in item.matches for s in m.snippets][:3]
    for snippet in snippets:
        text = clean(snippet, budget)
        lines.append(f"{RLM if is_rtl(text) else ''}« {_isolate(esc(text))} »")
    url = _safe_url(item.url)
    lines.append(style.link("Article", url) if url else f"Article: {esc(clean(item.url, 300))}")
    lines.append(style.link("Review", item.review_url))
    lines.append(f"Alert #{item.alert_id}")
    return lines


def _top_severity(matches: Sequence[MatchView]) -> str:
    return max((m.severity for m in matches), key=severity_rank, default="info")


def _fit(build: Callable[[Format, int], str], fmt: Format) -> str:
    """Shrink the scraped-text budget until the body fits the channel limit."""
    budget = 400
    body = build(fmt, budget)
    while len(body) > BODY_LIMIT and budget > 20:
        budget //= 2
        body = build(fmt, budget)
    return body if len(body) <= BODY_LIMIT else body[: BODY_LIMIT - 1] + "…"


def _render(title: str, build: Callable[[Format, int], str]) -> Message:
    return Message(
        title=title,
        text=_fit(build, "text"),
        html=_fit(build, "html"),
        markdown=_fit(build, "markdown"),
    )


def render_item(item: ItemView) -> Message:
    """The message for one article that matched one or more rules."""
    severity = _top_severity(item.matches)
    rules = ", ".join(m.rule for m in item.matches)
    title = f"[{severity}] {rules} · {item.source} (alert #{item.alert_id})"

    def build(fmt: Format, budget: int) -> str:
        style = _STYLES[fmt]
        return style.line_break.join(_item_lines(item, style, budget))

    return _render(clean(title, 200), build)


def render_bundle(
    bundle_id: int, heading: str, items: Sequence[ItemView], queue_url: str, max_lines: int = 25
) -> Message:
    """One message listing many alerts (a digest, or the flood guard's summary)."""
    title = f"{heading}: {len(items)} alerts (message #{bundle_id})"

    def build(fmt: Format, budget: int) -> str:
        style = _STYLES[fmt]
        esc = style.escape
        shown = items[: max(1, min(max_lines, budget // 8))]
        lines = [style.bold(esc(title))]
        for item in shown:
            when = format_time(item.published, True)
            rules = ", ".join(m.rule for m in item.matches)
            text = clean(item.title, max(20, budget // 4)) or "(no title)"
            entry = f"• [{esc(_top_severity(item.matches))}] {esc(rules)} · {esc(item.source)} · {when} · "
            lines.append(entry + _isolate(esc(text)) + " " + style.link("review", item.review_url))
        if len(items) > len(shown):
            lines.append(f"… and {len(items) - len(shown)} more")
        lines.append(style.link("Review queue", queue_url))
        return style.line_break.join(lines)

    return _render(clean(title, 200), build)


def render_notice(notice_id: int, title: str, body: str, label: str = "Notice") -> Message:
    """A message composed when queued: an operator notice (delivery failures, source
    health) or a change to an item (`label` "Alert"); `body` may quote scraped text."""

    def build(fmt: Format, budget: int) -> str:
        style = _STYLES[fmt]
        lines = [style.escape(clean(line, budget * 4)) for line in body.splitlines()]
        return style.line_break.join([*lines, f"{label} #{notice_id}"])

    return _render(clean(title, 200), build)


# -- trend messages: a spike, the scheduled briefing ------------------------------------
# Their content is computed upstream (monitor/trends) and stored as JSON on the alert row
# (`Alert.payload`), so a message says what was true when the spike was found.


@dataclass(frozen=True)
class StoryLine:
    """One story in a trend message: its first item, how many copies and sources."""

    title: str
    source: str
    url: str
    item_id: int
    members: int
    sources: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoryLine:
        return cls(
            str(data["title"]),
            str(data["source"]),
            str(data["url"]),
            int(data["item_id"]),
            int(data["members"]),
            int(data["sources"]),
        )


def _story_line(story: StoryLine, style: _Style, budget: int, base_url: str) -> str:
    esc = style.escape
    title = clean(story.title, budget) or "(no title)"
    size = plural(story.members, "item")
    if story.sources > 1:
        size += f", {story.sources} sources"
    return f"• {_isolate(esc(title))} · {esc(story.source)} · {size} · " + style.link(
        "review", f"{base_url}/item/{story.item_id}"
    )


def usual_text(low: int, high: int) -> str:
    return f"usual {low}" if low == high else f"usual {low}–{high}"


def plural(count: int, noun: str, many: str | None = None) -> str:
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def spike_headline(
    rule: str,
    source: str | None,
    stories: int,
    window_hours: int,
    sources: int,
    usual: tuple[int, int],
) -> str:
    """"chlorine: 7 stories in 24 h from 3 sources, usual 0–1" (a source's own: "chlorine
    at rt_arabic: 5 stories in 24 h, usual 0")."""
    where = f" at {source}" if source else ""
    spread = "" if source else f" from {plural(sources, 'source')}"
    return (
        f"{rule}{where}: {plural(stories, 'story', 'stories')} "
        f"in {window_hours} h{spread}, {usual_text(*usual)}"
    )


@dataclass(frozen=True)
class SpikeView:
    """A spike: `stories` in `window_hours` where `usual` is the baseline's 10th-90th
    percentile; `source` is None for the rule over every source."""

    rule: str
    name: str
    severity: str
    source: str | None
    window_hours: int
    stories: int
    sources: dict[str, int]
    usual: tuple[int, int]
    expected: float
    p_value: float
    opened_at: datetime
    top: tuple[StoryLine, ...]

    @property
    def headline(self) -> str:
        return spike_headline(
            self.rule, self.source, self.stories, self.window_hours, len(self.sources), self.usual
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "severity": self.severity,
            "source": self.source,
            "window_hours": self.window_hours,
            "stories": self.stories,
            "sources": self.sources,
            "usual": list(self.usual),
            "expected": self.expected,
            "p_value": self.p_value,
            "opened_at": self.opened_at.isoformat(),
            "top": [vars(s) for s in self.top],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpikeView:
        low, high = data["usual"]
        return cls(
            rule=str(data["rule"]),
            name=str(data["name"]),
            severity=str(data["severity"]),
            source=data.get("source"),
            window_hours=int(data["window_hours"]),
            stories=int(data["stories"]),
            sources={str(k): int(v) for k, v in data["sources"].items()},
            usual=(int(low), int(high)),
            expected=float(data["expected"]),
            p_value=float(data["p_value"]),
            opened_at=datetime.fromisoformat(data["opened_at"]),
            top=tuple(StoryLine.from_json(s) for s in data["top"]),
        )


def render_spike(alert_id: int, spike: SpikeView, base_url: str) -> Message:
    """ "chlorine: 7 stories in 24 h from 3 sources, usual 0–1", with the top stories."""
    base_url = base_url.rstrip("/")
    title = f"[spike] {spike.headline} (alert #{alert_id})"
    since = (spike.opened_at - timedelta(hours=spike.window_hours)).date().isoformat()
    queue = f"{base_url}/?" + urlencode({"rule": spike.rule, "state": "all", "since": since})

    def build(fmt: Format, budget: int) -> str:
        style = _STYLES[fmt]
        esc = style.escape
        by_source = sorted(spike.sources.items(), key=lambda kv: (-kv[1], kv[0]))
        lines = [
            style.bold(esc(f"SPIKE · {spike.name} ({spike.severity})")),
            esc(spike.headline),
            "Sources: " + esc(", ".join(f"{s} {n}" for s, n in by_source)),
            esc(
                f"Expected about {spike.expected:.1f} per {spike.window_hours} h "
                f"(p = {spike.p_value:.1g})"
            ),
            "Top stories:" if spike.top else "",
            *(_story_line(s, style, budget, base_url) for s in spike.top),
            style.link("Queue", queue),
            style.link("Overview", f"{base_url}/overview#rule-{spike.rule}"),
            f"Alert #{alert_id}",
        ]
        return style.line_break.join(line for line in lines if line)

    return _render(clean(title, 200), build)


@dataclass(frozen=True)
class ConceptLine:
    rule: str
    name: str
    stories: int
    items: int
    sources: dict[str, int]
    spikes: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConceptLine:
        return cls(
            str(data["rule"]),
            str(data["name"]),
            int(data["stories"]),
            int(data["items"]),
            {str(k): int(v) for k, v in data["sources"].items()},
            int(data["spikes"]),
        )


@dataclass(frozen=True)
class BriefingView:
    """The scheduled briefing, short enough for a phone; `monitor report` has the rest."""

    since: datetime
    until: datetime
    concepts: tuple[ConceptLine, ...]
    top: tuple[StoryLine, ...]
    spikes: tuple[str, ...]  # headlines
    changes: int | None  # edits and removals in the period; None: not tracked

    def as_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "concepts": [vars(c) for c in self.concepts],
            "top": [vars(s) for s in self.top],
            "spikes": list(self.spikes),
            "changes": self.changes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BriefingView:
        return cls(
            since=datetime.fromisoformat(data["since"]),
            until=datetime.fromisoformat(data["until"]),
            concepts=tuple(ConceptLine.from_json(c) for c in data["concepts"]),
            top=tuple(StoryLine.from_json(s) for s in data["top"]),
            spikes=tuple(str(s) for s in data["spikes"]),
            changes=None if data.get("changes") is None else int(data["changes"]),
        )


def render_briefing(alert_id: int, briefing: BriefingView, base_url: str) -> Message:
    base_url = base_url.rstrip("/")
    period = f"{briefing.since:%Y-%m-%d} to {briefing.until:%Y-%m-%d}"
    title = f"Briefing {period} (message #{alert_id})"

    def build(fmt: Format, budget: int) -> str:
        style = _STYLES[fmt]
        esc = style.escape
        lines = [style.bold(esc(f"Briefing {period} (UTC)"))]
        for c in briefing.concepts:
            spikes = f", {plural(c.spikes, 'spike')}" if c.spikes else ""
            lines.append(
                esc(
                    f"• {c.name}: {plural(c.stories, 'story', 'stories')} "
                    f"({plural(c.items, 'item')}) from {plural(len(c.sources), 'source')}{spikes}"
                )
            )
        if briefing.spikes:
            lines.append(style.bold("Spikes"))
            lines += [esc(f"• {s}") for s in briefing.spikes]
        if briefing.top:
            lines.append(style.bold("Top stories"))
            lines += [_story_line(s, style, budget, base_url) for s in briefing.top]
        if briefing.changes is not None:
            lines.append(esc(f"Edits and removals: {briefing.changes}"))
        lines.append(style.link("Overview", f"{base_url}/overview"))
        lines.append(f"Message #{alert_id}")
        return style.line_break.join(lines)

    return _render(clean(title, 200), build)


def markdown_line(value: str, limit: int = 300) -> str:
    """One line of scraped text for a Markdown document: cleaned, cut, escaped."""
    return _markdown_escape(clean(value, limit))


def safe_url(url: str) -> str | None:
    """The URL, cleaned, if it is an http(s) link; None for anything a page must not link."""
    return _safe_url(url)
