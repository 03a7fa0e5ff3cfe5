"""The generic spider: discovers article URLs for one `Source` and fetches the new ones.

Discovery, per host of the source: its feeds, then its sitemaps, then its listing pages,
first that answers wins (`sources.md` only guesses some of them, so they are probed). A
fresh crawl polls with conditional GETs and only fetches articles not in the store; a
back-fill (`since`) walks sitemaps or listings back to that date. Article pages are stored
raw; nothing here reads article text except `<link rel=canonical>`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from monitor.config import Settings
from monitor.crawl.canonical import canonical_link, canonical_url
from monitor.crawl.discovery import Link, feed_links, iso_day, listing_date, on_or_after
from monitor.crawl.failures import RETRYABLE, failed_request, failure_reason
from monitor.crawl.store import CrawlStore, Validators
from monitor.crawl.summary import CrawlSummary
from monitor.domain import RawPage
from spiders.base import Source, rebase, unbase

log = logging.getLogger(__name__)

FRESH_SITEMAP_CHILDREN = 2  # newest child sitemaps read on a fresh poll
FRESH_LISTING_PAGES = 3  # deepest listing page a fresh poll reads; older items: back-fill
MISSING_RECHECK = timedelta(hours=24)  # a guessed feed that 404'd is re-probed daily, not per poll


@dataclass(frozen=True)
class Probe:
    """One discovery URL: a feed, a sitemap or one page of a listing."""

    kind: str  # feed | sitemap | listing
    url: str
    template: str | None = None  # listing URL template with {page}
    page: int = 1


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(
        self,
        source: Source,
        config: Settings,
        store: CrawlStore,
        summary: CrawlSummary,
        since: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=source.key, **kwargs)
        self.source = source
        self.base_urls = config.source(source.key).base_urls
        self.max_pages = config.source(source.key).max_pages
        self.max_crawl_delay = config.crawl.max_crawl_delay
        self.since = since
        self.store = store
        self.summary = summary
        self.known = store.known_urls()
        self.validators_in = store.validators() if since is None else {}
        self.validators_out: dict[str, Validators] = {}
        self.tainted: set[str] = set()  # discovery URLs with an article left to retry
        self.seen: set[str] = set()
        self.pages = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._code_error, signal=signals.spider_error)
        crawler.signals.connect(spider._code_error, signal=signals.item_error)
        return spider

    def _code_error(self, failure: Failure, response: Response, **_: Any) -> None:
        """A bug in a callback or a store error (e.g. disk full): counted, not just logged."""
        self.summary.fail(f"error_{type(failure.value).__name__.lower()}")
        probe = response.meta.get("probe")
        self.tainted.add(response.meta.get("origin") or (probe.url if probe else ""))
        log.error(
            "%s: %s while handling %s",
            self.source.key,
            failure.getErrorMessage()[:300],
            unbase(response.url, self.base_urls),
        )

    # -- discovery -------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for host in self.source.hosts:
            for request in self._host_requests(host):
                yield request

    def _host_requests(self, host: str) -> Iterator[scrapy.Request]:
        def on_host(url: str) -> bool:
            return urlsplit(url).hostname == host

        feeds = [Probe("feed", u) for u in self.source.feeds if on_host(u)]
        history = [Probe("sitemap", u) for u in self.source.sitemaps if on_host(u)] + [
            Probe("listing", t.format(page=1), t) for t in self.source.listings if on_host(t)
        ]
        if self.since is None:
            chains = [feeds + history]
        else:  # back-fill walks the history; the feed adds the newest items if it answers
            chains = [history] + [[f] for f in feeds] if history else [feeds]
        for number, chain in enumerate(chains):
            if chain and (request := self._discover(chain, 0, optional=number > 0)):
                yield request

    def _discover(
        self, chain: list[Probe], pos: int, optional: bool = False
    ) -> scrapy.Request | None:
        probe = chain[pos]
        state = self.validators_in.get(probe.url)
        if state and _recently_missing(state):
            log.debug(
                "%s: %s %s was missing at %s, not probed again yet",
                self.source.key,
                probe.kind,
                probe.url,
                state.checked_at,
            )
            return self._discover(chain, pos + 1, optional) if pos + 1 < len(chain) else None
        meta = {"probe": probe, "chain": chain, "pos": pos, "optional": optional}
        headers = {}
        if state and state.etag:
            headers["If-None-Match"] = state.etag
        if state and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        meta["handle_httpstatus_list"] = [304]
        return self._request(probe.url, self.parse_discovery, self.discovery_failed, meta, headers)

    def _request(
        self,
        url: str,
        callback: Any,
        errback: Any,
        meta: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> scrapy.Request | None:
        if self.pages >= self.max_pages:
            return None
        self.pages += 1
        return scrapy.Request(
            rebase(url, self.base_urls),
            callback=callback,
            errback=errback,
            meta={**meta, "public_url": url},
            headers=headers,
            # we dedupe by canonical URL; Scrapy's filter would also swallow a redirect loop
            # silently instead of letting REDIRECT_MAX_TIMES fail it
            dont_filter=True,
        )

    def parse_discovery(self, response: Response) -> Iterator[scrapy.Request]:
        probe: Probe = response.meta["probe"]
        if response.status == 304:
            self.summary.not_modified += 1
            self.summary.use(probe.kind)
            self.validators_out[probe.url] = Validators(status=304)
            yield from self._siblings(response.meta)
            return
        links, children = self._read(probe, response)
        if links is None or (not links and not children and probe.kind != "feed"):
            yield from self._fallback(response.meta, f"no {probe.kind} content")
            return
        self.summary.use(probe.kind)
        log.info(
            "%s: %s %s: %d links%s",
            self.source.key,
            probe.kind,
            probe.url,
            len(links),
            f", {len(children)} child sitemaps" if children else "",
        )
        self.validators_out[probe.url] = Validators(
            _header(response, "ETag"), _header(response, "Last-Modified"), response.status
        )
        if probe.kind == "sitemap" and children:
            for child in children:
                yield from _some(self._discover([replace(probe, url=child)], 0))
        yield from self._siblings(response.meta)
        fresh = 0
        for link in links:
            if self.since and link.dated and link.dated < self.since:
                continue
            request = self._article(link, origin=probe.url)
            fresh += request is not None
            yield from _some(request)
        if probe.template and links and self._next_page_wanted(probe, links, fresh):
            next_page = replace(
                probe, url=probe.template.format(page=probe.page + 1), page=probe.page + 1
            )
            yield from _some(self._discover([next_page], 0))

    def _siblings(self, meta: dict[str, Any]) -> Iterator[scrapy.Request]:
        """A path that works is read in full: the host's other feeds (or sitemaps) too."""
        chain, pos, probe = meta["chain"], meta["pos"], meta["probe"]
        for sibling in chain[pos + 1 :]:
            if sibling.kind == probe.kind and sibling.template is None:
                yield from _some(self._discover([sibling], 0))

    def _next_page_wanted(self, probe: Probe, links: list[Link], fresh: int) -> bool:
        if self.since is None:  # a page with nothing new: the rest is older and known
            return fresh > 0 and probe.page < FRESH_LISTING_PAGES
        dates = [link.dated for link in links if link.dated]
        return not dates or min(dates) >= self.since

    def _read(self, probe: Probe, response: Response) -> tuple[list[Link] | None, list[str]]:
        """Links found in a discovery response (None: not what was expected) + child sitemaps."""
        if probe.kind == "feed":
            return feed_links(response.body, probe.url), []
        if probe.kind == "sitemap":
            return self._sitemap_links(response)
        if not isinstance(response, TextResponse):
            return None, []
        return self._listing_links(response), []

    def _sitemap_links(self, response: Response) -> tuple[list[Link] | None, list[str]]:
        try:
            sitemap = Sitemap(response.body)
            entries = list(sitemap)
        except (etree.LxmlError, StopIteration):  # HTML, empty or broken: not a sitemap
            return None, []
        if sitemap.type == "sitemapindex":
            dated = sorted(entries, key=lambda e: e.get("lastmod", ""), reverse=True)
            if self.since is None:
                dated = dated[:FRESH_SITEMAP_CHILDREN]
            else:
                dated = [e for e in dated if on_or_after(iso_day(e.get("lastmod", "")), self.since)]
            return [], [self._public(response, e["loc"]) for e in dated]
        if sitemap.type != "urlset":
            return None, []
        return [
            Link(self._public(response, e["loc"]), dated=iso_day(e.get("lastmod", "")))
            for e in entries
        ], []

    def _listing_links(self, response: TextResponse) -> list[Link]:
        css, date_css = self.source.listing_link_css, self.source.listing_date_css
        hrefs = response.css(f"{css}::attr(href)").getall()
        dates = [listing_date(t) for t in response.css(date_css).getall()] if date_css else []
        if len(dates) != len(hrefs):
            dates = [None] * len(hrefs)
        return [Link(self._public(response, h), dated=d) for h, d in zip(hrefs, dates, strict=True)]

    def _public(self, response: Response, href: str) -> str:
        return unbase(response.urljoin(href.strip()), self.base_urls)

    def discovery_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        meta = failed_request(failure).meta
        reason = failure_reason(failure)
        probe: Probe = meta["probe"]
        if reason == "blocked":
            self.summary.blocked += 1
            log.warning("%s: blocked (decoy page) at %s", self.source.key, probe.url)
        if reason == "gone":
            self.validators_out[probe.url] = Validators(status=failure.value.response.status)
            if probe.page > 1:
                return  # past the last listing page
        yield from self._fallback(meta, reason)

    def _fallback(self, meta: dict[str, Any], reason: str) -> Iterator[scrapy.Request]:
        chain, pos, probe = meta["chain"], meta["pos"], meta["probe"]
        if pos + 1 < len(chain):
            log.info(
                "%s: %s %s unusable (%s), trying %s %s",
                self.source.key,
                probe.kind,
                probe.url,
                reason,
                chain[pos + 1].kind,
                chain[pos + 1].url,
            )
            yield from _some(self._discover(chain, pos + 1, meta["optional"]))
        elif meta["optional"] or probe.page > 1:
            log.info("%s: %s %s unusable (%s)", self.source.key, probe.kind, probe.url, reason)
        else:
            if reason != "blocked":
                self.summary.fail(f"discovery_{reason}")
            log.warning(
                "%s: no discovery path worked for %s (last: %s %s, %s)",
                self.source.key,
                urlsplit(probe.url).hostname,
                probe.kind,
                probe.url,
                reason,
            )

    # -- articles --------------------------------------------------------------------

    def _article(self, link: Link, origin: str) -> scrapy.Request | None:
        url = canonical_url(link.url, self.source)
        if not self.source.owns(url) or not self.source.is_article(url) or url in self.seen:
            return None
        self.seen.add(url)
        self.summary.found += 1
        if url in self.known:
            self.summary.unchanged += 1
            return None
        meta = {"origin": origin, "feed": link.entry}
        request = self._request(url, self.parse_article, self.article_failed, meta)
        if request is None:
            if not self.summary.capped:
                log.warning(
                    "%s: page cap (%d) reached; the rest waits for the next run",
                    self.source.key,
                    self.max_pages,
                )
            self.summary.capped += 1
            self.tainted.add(origin)
        return request

    def parse_article(self, response: Response) -> Iterator[RawPage]:
        public = unbase(response.url, self.base_urls)
        if not isinstance(response, TextResponse):  # PDF, image, octet-stream: not an article
            self.summary.fail("not_html")
            log.warning("%s: %s failed: not_html (%s)", self.source.key, public,
                        _header(response, "Content-Type") or "no content type")
            return
        href = response.css('link[rel="canonical"]::attr(href)').get()
        url = canonical_link(href, public, self.source) or canonical_url(public, self.source)
        self.seen.add(url)
        yield RawPage(
            url=url,
            source=self.source.key,
            body=response.body,
            fetched_at=datetime.now(UTC),
            status=response.status,
            headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1")
                for k, v in response.headers.items()
            },
            fetched_url=response.url,
            feed=response.meta.get("feed"),
        )

    def article_failed(self, failure: Failure) -> None:
        meta = failed_request(failure).meta
        reason = failure_reason(failure)
        if reason == "blocked":
            self.summary.blocked += 1
        else:
            self.summary.fail(reason)
        if reason.startswith(RETRYABLE):
            self.tainted.add(meta["origin"])
        log.warning(
            "%s: %s failed: %s (%s)",
            self.source.key,
            meta["public_url"],
            reason,
            failure.getErrorMessage()[:200],
        )


def _recently_missing(state: Validators) -> bool:
    return (
        state.status in (404, 410)
        and state.checked_at is not None
        and (datetime.now(UTC) - state.checked_at < MISSING_RECHECK)
    )


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _some(request: scrapy.Request | None) -> Iterable[scrapy.Request]:
    return (request,) if request is not None else ()
