"""Canonical article URLs: one spelling per article, so it is fetched and stored once.

Generic rules here (https, lower-case host, no fragment, no tracking parameters, sorted
query, one percent-encoding); the per-site rules (host and path aliases) are data on the
`Source`. WordPress `?p=<id>` shortlinks cannot be folded from the URL alone: the fetched
page's `<link rel=canonical>` settles those (`canonical_link`).

`UrlMap` is the one mapping every URL a crawl reads goes through (feed items, sitemap
locs, REST links, listing and home-page anchors, redirects, rel=canonical): a copy of
the site that writes its own loopback address into its links is read like the site.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from spiders.base import Source, rebase, unbase

TRACKING_PARAM = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl"
    r"|igshid|ref_src|at_medium|at_campaign|at_custom\d*)$",
    re.IGNORECASE,
)


def canonical_url(url: str, source: Source | None = None) -> str:
    """The canonical public spelling of `url` (a URL of another site is cleaned, not moved)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    scheme = parts.scheme.lower() or "https"
    path = parts.path or "/"
    port = parts.port
    if source is not None and source.owns(url):
        host = source.canonical_host(host)
        path = source.fold_path(path)
        scheme, port = "https", None  # old http:// links and the https page are one article
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not TRACKING_PARAM.match(k)
        ]
    )
    return canonicalize_url(urlunsplit((scheme, host, path, query, "")), keep_fragments=False)


def canonical_link(
    href: str | None, page_url: str, source: Source, base_urls: dict[str, str] | None = None
) -> str | None:
    """A page's `<link rel=canonical>` href, canonicalised, when it names an article of the
    source (some sites point every page's canonical at their home page)."""
    if not href or not href.strip():
        return None
    absolute = unbase(urljoin(page_url, href.strip()), base_urls or {})
    if not source.owns(absolute) or not source.is_article(absolute):
        return None
    return canonical_url(absolute, source)


class UrlMap:
    """Public URL <-> fetched URL (`sources.<key>.base_urls`), and the canonical form."""

    def __init__(self, source: Source, base_urls: dict[str, str]) -> None:
        self.source = source
        self.base_urls = base_urls

    def fetch(self, public: str) -> str:
        return rebase(public, self.base_urls)

    def public(self, url: str) -> str | None:
        """The canonical public URL of an absolute URL as a response wrote it (public, or
        pointing at the copy); None for what is not a web page address."""
        try:
            mapped = unbase(url, self.base_urls)
            if urlsplit(mapped).scheme not in ("http", "https"):
                return None
            return canonical_url(mapped, self.source)
        except ValueError:  # e.g. a port that is not a number: a broken href, skipped
            return None
