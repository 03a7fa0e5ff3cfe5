"""The declaration every source fills in, and URL helpers shared by all spiders.

A source file (`spiders/<key>.py`) declares one `Source`: hosts, the discovery paths it is
known to have (feeds, sitemaps, listing pages, section fronts, WordPress REST), article URL
patterns and the few extraction hints where the generic path is wrong. Every source also
gets the generic path (home page → section pages → pagination) whatever it declares, so a
source may declare nothing but its home. Nothing outside `spiders/` names a site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from monitor.domain import SourceHints

# Discovery kinds, in the order a crawl starts them. `home` and `section` are the generic path.
DISCOVERY_KINDS = ("feed", "sitemap", "listing", "rest", "home", "section", "archive")


@dataclass(frozen=True)
class Source:
    key: str
    name: str
    hosts: tuple[str, ...]  # public hostnames; the first is the primary one
    language: str | None = None  # default language when detection is unsure
    feeds: tuple[str, ...] = ()  # absolute public URLs
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()  # URL templates with {page}
    article_patterns: tuple[str, ...] = ()  # regexes on path+query; none: the generic heuristic
    hints: SourceHints = field(default_factory=SourceHints)
    archive: bool = False  # no longer publishes: crawled for back-fill, polled rarely
    crawl_delay: float | None = None
    # (alias, canonical) hostnames, e.g. ("state.gov", "www.state.gov")
    host_aliases: tuple[tuple[str, str], ...] = ()
    # (regex, replacement) applied to the URL path, e.g. Laravel's "/public/index.php/" prefix
    path_aliases: tuple[tuple[str, str], ...] = ()
    listing_link_css: str = "a"  # article links on a listing page (nav links are not articles)
    listing_date_css: str = ""  # date text of each listing item: lets back-fill stop paging
    homes: tuple[str, ...] = ()  # start pages of the generic path; default https://<host>/
    sections: tuple[str, ...] = ()  # section fronts read like the ones a home page links to
    wp_rest: bool = False  # probe WordPress's REST API (/wp-json/wp/v2/posts) on each home host
    # discovery kinds that should deliver on every crawl: another path standing in for them
    # is reported as a health problem (default: the generic home path)
    expect: tuple[str, ...] = ("home",)
    declared_in: str | None = None  # the YAML file of a source declared without code

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
        """Whether a public URL looks like an article of this source: its patterns when it
        declares some, the generic heuristic otherwise."""
        parts = urlsplit(url)
        if not self.article_patterns:
            # imported here: the link heuristics load lxml, parsel and Scrapy, which the
            # daemon's main process (it only schedules, processes and serves) does without
            from monitor.crawl.links import looks_like_article

            return looks_like_article(parts.path, parts.query)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return any(re.search(p, target) for p in self.article_patterns)

    def home_urls(self) -> tuple[str, ...]:
        aliases = {alias for alias, _ in self.host_aliases}
        return self.homes or tuple(f"https://{h}/" for h in self.hosts if h not in aliases)

    def rest_urls(self) -> tuple[str, ...]:
        """WordPress REST post lists (templates with {page}), one per home host."""
        if not self.wp_rest:
            return ()
        hosts = dict.fromkeys(urlsplit(u).hostname for u in self.home_urls())
        return tuple(f"https://{h}/wp-json/wp/v2/posts?page={{page}}&per_page=50" for h in hosts)


def first_page(template: str) -> str:
    """Page 1 of a listing template: `…/page/{page}` is the listing's own URL, where
    WordPress and most CMSs serve it (they redirect `/page/1` there)."""
    return re.sub(r"/page/\{page\}/?$", "/", template).format(page=1)


def rebase(url: str, base_urls: dict[str, str]) -> str:
    """Public URL -> the URL to fetch (a loopback copy when configured)."""
    parts = urlsplit(url)
    base = base_urls.get(parts.hostname or "")
    if not base:
        return url
    b = urlsplit(base)
    path = b.path.rstrip("/") + parts.path
    return urlunsplit((b.scheme, b.netloc, path, parts.query, ""))


def _origin(url: str) -> tuple[str, int | None]:
    """Host and port; `localhost` and `127.0.0.1` are one server (copies write either)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return ("127.0.0.1" if host == "localhost" else host, parts.port)


def unbase(url: str, base_urls: dict[str, str]) -> str:
    """Fetched URL -> its public URL (inverse of `rebase`)."""
    parts = urlsplit(url)
    for host, base in base_urls.items():
        prefix = urlsplit(base).path.rstrip("/")
        inside = parts.path == prefix or parts.path.startswith(prefix + "/")
        if _origin(url) == _origin(base) and inside:
            return urlunsplit(("https", host, parts.path[len(prefix) :] or "/", parts.query, ""))
    return url
