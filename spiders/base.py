"""The declaration every source file fills in, and URL helpers shared by all spiders.

A source file (`spiders/<key>.py`) declares one `Source`: hosts, feeds, sitemaps, listing
pages, article URL patterns and the few extraction hints where the generic path is wrong.
Nothing outside `spiders/` names a site.
"""

from __future__ import annotations

import re
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
    # (alias, canonical) hostnames, e.g. ("state.gov", "www.state.gov")
    host_aliases: tuple[tuple[str, str], ...] = ()
    # (regex, replacement) applied to the URL path, e.g. Laravel's "/public/index.php/" prefix
    path_aliases: tuple[tuple[str, str], ...] = ()
    listing_link_css: str = "a"  # article links on a listing page (nav links are not articles)
    listing_date_css: str = ""  # date text of each listing item: lets back-fill stop paging

    def owns(self, url: str) -> bool:
        return self.canonical_host(urlsplit(url).hostname or "") in self.hosts

    def canonical_host(self, host: str) -> str:
        host = host.lower().rstrip(".")
        return dict(self.host_aliases).get(host, host)

    def fold_path(self, path: str) -> str:
        for pattern, replacement in self.path_aliases:
            path = re.sub(pattern, replacement, path)
        return path

    def is_article(self, url: str) -> bool:
        """Whether a public URL (path plus query) looks like an article of this source."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        if not self.article_patterns:
            return True
        return any(re.search(p, target) for p in self.article_patterns)


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
            return urlunsplit(("https", host, parts.path[len(prefix) :] or "/", parts.query, ""))
    return url
