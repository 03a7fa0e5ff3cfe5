"""Reading discovery documents: feed items, sitemap and listing dates. No HTTP here."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import feedparser

from monitor.domain import FeedEntry


@dataclass(frozen=True)
class Link:
    """An article URL found by discovery, with what the feed or listing said of it."""

    url: str
    entry: FeedEntry | None = None
    dated: date | None = None


def feed_links(body: bytes, url: str) -> list[Link] | None:
    """Items of an RSS/Atom document (None: not a feed). `url` resolves relative links."""
    # A stream, never the bytes: feedparser.parse(bytes) first tries open(bytes) as a
    # local file name, so a server answering "/etc/passwd" would make us read that file.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        return None
    return [
        Link(
            e.link,
            feed_entry(e),
            dated=date(*stamp[:3]) if (stamp := e.get("published_parsed")) else None,
        )
        for e in parsed.entries
        if e.get("link")
    ]


def feed_entry(e: Any) -> FeedEntry:
    content = e.get("content") or []
    return FeedEntry(
        title=e.get("title"),
        published=e.get("published") or e.get("updated"),
        summary=e.get("summary"),
        content_html=content[0].get("value") if content else None,
        author=e.get("author"),
        guid=e.get("id"),
    )


def iso_day(text: str) -> date | None:
    try:
        return datetime.fromisoformat(text.strip()).date()
    except ValueError:
        return None


def on_or_after(day: date | None, since: date) -> bool:
    """Undated entries are kept: better one fetch too many than a gap in the back-fill."""
    return day is None or day >= since


def listing_date(text: str) -> date | None:
    import dateparser  # slow to import; only listings with dates need it

    parsed = dateparser.parse(text.strip(), languages=["en", "ar"])
    return parsed.date() if parsed else None
