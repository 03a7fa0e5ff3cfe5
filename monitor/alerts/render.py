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
from datetime import datetime
from typing import Literal
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
