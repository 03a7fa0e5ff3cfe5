"""The declaration every source file fills in, and URL helpers shared by all spiders.

A source file (`spiders/<key>.py`) declares one `Source`: hosts, feeds, sitemaps, listing
pages, article URL patterns and the few extraction hints where the generic path is wrong.
Nothing outside `spiders/` names a site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from monitor.domain import SourceHints


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    hosts: tuple[str, ...]  # public hostnames; the first is the primary one
    language: str | None = None  # default language when detection is unsure
    feeds: tuple[str, ...] = ()  # absolute public URLs, tried in order
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()  # URL templates with {page}
    article_patterns: tuple[str, ...] = ()  # regexes matched against the URL path
    hints: SourceHints = field(default_factory=SourceHints)
    archive: bool = False  # no longer publishes: crawled for back-fill, polled rarely
    crawl_delay: float | None = None

    def owns(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return host in self.hosts


def rebase(url: str, base_urls: dict[str, str]) -> str:
    """Public URL -> the URL to fetch (a loopback copy when configured)."""
    parts = urlsplit(url)
    base = base_urls.get(parts.hostname or "")
    if not base:
        return url
    b = urlsplit(base)
    path = b.path.rstrip("/") + parts.path
    return urlunsplit((b.scheme, b.netloc, path, parts.query, ""))


def unbase(url: str, base_urls: dict[str, str]) -> str:
    """Fetched URL -> its public URL (inverse of `rebase`)."""
    for host, base in base_urls.items():
        b = urlsplit(base)
        parts = urlsplit(url)
        prefix = b.path.rstrip("/")
        if parts.netloc == b.netloc and parts.path.startswith(prefix):
            return urlunsplit(("https", host, parts.path[len(prefix):] or "/", parts.query, ""))
    return url
