"""Plain data passed between the stages of the pipeline.

source definition -> spider -> RawPage -> extraction -> ExtractedArticle -> store
-> rules (RuleMatch) -> alert outbox -> notifier. Each stage takes and returns these
types, so no stage needs to import the one before or after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class SourceHints:
    """What the generic extraction path gets wrong for one source (declared per source).

    Selectors are CSS. Empty values mean "use the generic path".
    """

    title_css: tuple[str, ...] = ()
    date_css: tuple[str, ...] = ()  # visible publication date, tried in order
    date_meta: tuple[str, ...] = ()  # extra <meta name|property> keys carrying the date
    body_css: tuple[str, ...] = ()  # article body container(s)
    drop_css: tuple[str, ...] = ()  # boilerplate inside or around the body
    author_css: tuple[str, ...] = ()
    blocked_markers: tuple[str, ...] = ()  # text of a decoy/anti-bot page served with 200
    default_language: str | None = None
    date_order: str = "DMY"  # how to read ambiguous numeric dates on this site
    summary_fallback: bool = False  # body missing -> use the meta description, flag it
    # IANA zone of the source: local times given without an offset are read in it, and the
    # review shows times in it. A plain string so YAML-declared sources can set it.
    timezone: str = "UTC"
    founded: date | None = None  # a date before this is not this source's publication date


@dataclass(frozen=True)
class FeedEntry:
    """Values a feed already carries for an article; extraction prefers them when present."""

    title: str | None = None
    published: str | None = None  # raw pubDate / updated string
    summary: str | None = None
    content_html: str | None = None  # content:encoded
    author: str | None = None
    guid: str | None = None


@dataclass(frozen=True)
class Capture:
    """One HTTP exchange as received, kept as evidence (see `monitor.crawl.capture`).

    `body` is the entity body before any Content-Encoding is undone: the bytes the server
    sent, once the connection's own framing (TLS, chunked transfer) is removed.
    """

    url: str  # public URL
    fetched_url: str  # what was requested (may be a loopback copy)
    method: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    protocol: str
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime  # UTC, when the response arrived
    ip_address: str | None = None


@dataclass
class RawPage:
    """One fetched response, kept as evidence and re-extractable later."""

    url: str  # canonical public URL of the article
    source: str  # source key
    body: bytes
    fetched_at: datetime  # UTC
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fetched_url: str | None = None  # what was actually requested (may be a loopback copy)
    captured_at: datetime | None = None  # when a web archive captured it (CDX back-fill)
    feed: FeedEntry | None = None
    # The date the discovery path gave (feed pubDate, sitemap lastmod, listing date): the
    # publication date of last resort when the page itself shows none.
    listed_at: date | datetime | None = None
    captures: tuple[Capture, ...] = ()  # the exchanges that produced it, redirects included


@dataclass(frozen=True)
class RecheckTarget:
    """One article to fetch again, with the validators of its last successful fetch."""

    article_id: int
    url: str  # canonical public URL
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None  # of the last decoded 200 body
    reason: str = "scheduled"  # scheduled | demand


# published_from of a date the page did not give: the discovery date, the fetch time
STAND_IN_DATES = ("listed", "fetched")

# An aware datetime when the time is known, in the offset the source gave (not converted
# to UTC: the source's day is what analysts and other tools show); a date when only the day is.
Published = datetime | date


@dataclass
class ExtractedArticle:
    url: str
    title: str
    text: str
    published: Published | None
    language: str  # "ar", "en" or an ISO 639-1 code; "und" when unknown
    author: str | None = None
    source: str | None = None
    flags: list[str] = field(default_factory=list)  # e.g. "summary_only", "encoding_suspect"
    published_from: str | None = None  # which rule found the date (markup, meta, visible, ...)
    # Set when the page gave a local time without an offset: the source's declared IANA zone
    # that `published` was read in. None when the page gave the offset, or only the day.
    published_timezone: str | None = None

    def published_iso(self) -> str | None:
        return self.published.isoformat() if self.published is not None else None

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of `monitor extract` (documented in the README)."""
        return {
            "url": self.url,
            "title": self.title,
            "text": self.text,
            "published": self.published_iso(),
            "published_from": self.published_from,
            "published_timezone": self.published_timezone,
            "language": self.language,
            "author": self.author,
            "source": self.source,
        }


class ExtractionError(Exception):
    """A page that cannot become an article. `reason` is a short machine-readable code."""

    REASONS = ("not_html", "empty", "bad_charset", "no_body", "too_large", "timeout", "blocked")

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class RuleMatch:
    """One rule that matched one text; spans index the original (not normalised) text."""

    rule: str
    name: str
    severity: str
    terms: list[str]  # the variants as written in the text
    snippets: list[str]
    spans: list[Span] = field(default_factory=list)
    notify: list[str] = field(default_factory=list)  # apprise tags

    def as_json(self) -> dict[str, object]:
        """The stable JSON shape of `monitor rules test` (documented in the README)."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "terms": self.terms,
            "snippets": self.snippets,
        }


def match_document(title: str, text: str) -> str:
    """The text rules run on: title, blank line, body. Match spans index this string."""
    return f"{title}\n\n{text}" if title else text
