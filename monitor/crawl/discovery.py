"""Reading discovery documents: feeds, sitemaps, WordPress REST post lists, dates. No HTTP.

Every reader returns `Link`s whose URLs are as the document wrote them; the spider maps
each through one URL mapping (loopback copy -> public URL -> canonical form).
"""

from __future__ import annotations

import calendar
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import feedparser
from lxml import etree
from scrapy.utils.sitemap import Sitemap

from monitor.domain import FeedEntry


@dataclass(frozen=True)
class Link:
    """An article URL found by discovery, with what the document said of it."""

    url: str
    entry: FeedEntry | None = None
    # when the document dated it: feed pubDate, sitemap lastmod, listing or REST date
    listed: date | datetime | None = None
    title: str | None = None  # feed or REST title, anchor text
    capture: str | None = None  # a web archive's raw capture URL (CDX back-fill)

    @property
    def dated(self) -> date | None:
        return self.listed.date() if isinstance(self.listed, datetime) else self.listed


@dataclass(frozen=True)
class Feed:
    """An RSS/Atom document: its items, and the WebSub hub and topic it names (if any)."""

    links: list[Link]
    hub: str | None = None  # <link rel="hub">
    topic: str | None = None  # <link rel="self">: the URL a hub knows the feed by


def read_feed(body: bytes, url: str) -> Feed | None:
    """Items of an RSS/Atom document (None: not a feed). `url` resolves relative links."""
    # A stream, never the bytes: feedparser.parse(bytes) first tries open(bytes) as a
    # local file name, so a server answering "/etc/passwd" would make us read that file.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        return None
    rels = {link.get("rel"): link.get("href") for link in parsed.feed.get("links", [])}
    return Feed(
        [
            Link(e.link, feed_entry(e), listed=_feed_moment(e), title=e.get("title"))
            for e in parsed.entries
            if e.get("link")
        ],
        hub=rels.get("hub"),
        topic=rels.get("self"),
    )


def feed_links(body: bytes, url: str) -> list[Link] | None:
    feed = read_feed(body, url)
    return feed.links if feed is not None else None


def _feed_moment(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")  # UTC struct_time
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None


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


def sitemap_entries(body: bytes) -> tuple[str, list[dict[str, Any]]] | None:
    """("sitemapindex" | "urlset", entries with loc and lastmod); None: not a sitemap."""
    try:
        sitemap = Sitemap(body)
        entries = list(sitemap)
    except (etree.LxmlError, StopIteration):  # HTML, empty or broken: not a sitemap
        return None
    if sitemap.type not in ("sitemapindex", "urlset"):
        return None
    return sitemap.type, entries


def rest_links(text: str) -> list[Link] | None:
    """Posts of a WordPress REST list (`/wp-json/wp/v2/posts`); None: not such a list."""
    try:
        posts = json.loads(text)
    except ValueError:
        return None
    if not isinstance(posts, list):
        return None
    links = []
    for post in posts:
        if not isinstance(post, dict) or not isinstance(post.get("link"), str):
            continue
        title = post.get("title")
        rendered = title.get("rendered") if isinstance(title, dict) else None
        when = iso_moment(str(post.get("date_gmt") or ""), assume_utc=True) or iso_moment(
            str(post.get("date") or "")
        )
        links.append(Link(post["link"], listed=when, title=rendered))
    return links


def iso_moment(text: str, assume_utc: bool = False) -> date | datetime | None:
    """An ISO 8601 date or datetime; a naive datetime stays naive unless `assume_utc`."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if len(text) <= 10:
        return moment.date()
    return moment.replace(tzinfo=UTC) if assume_utc and moment.tzinfo is None else moment


def iso_day(text: str) -> date | None:
    moment = iso_moment(text)
    return moment.date() if isinstance(moment, datetime) else moment


def on_or_after(day: date | None, since: date) -> bool:
    """Undated entries are kept: better one fetch too many than a gap in the back-fill."""
    return day is None or day >= since


def listing_date(text: str, order: str = "DMY") -> date | datetime | None:
    """The date printed next to a link ("15 نوفمبر 2026", "١٢ تشرين الثاني ٢٠٢٦",
    "October 30, 2026"), read by the same parser as article dates; `order` is the site's
    order for numeric dates. None for text that holds no full date."""
    from monitor.extract.dates import parse_date  # dateparser is slow to import: on first use

    return parse_date(text, order)
