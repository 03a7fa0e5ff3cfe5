"""The one spider: discovers the article URLs of a `Source` and fetches the new ones.

Every crawl runs every discovery path of every host, and the first article that two paths
share is fetched once:
- the generic path, which any source has: the home page, the section pages it links to
  (down to MAX_DEPTH levels), and each page's next pages (rel=next, /page/N, ?page=N,
  "older" / "التالي" links); on those pages, links that match the source's article
  patterns (or look like articles, for a source without patterns) are articles;
- what the source declares on top: feeds, sitemaps, listing templates, section fronts,
  WordPress's REST post list; and the feeds and REST API a home page announces.
Guesses that answer 404 are remembered and re-probed daily, not on every poll, and so are
article links that answer 404/410; a link whose page was stored under another URL (a
redirect, rel=canonical) is not fetched again. A quick
poll (adaptive polling between full walks) reads only the first page of the source's
feeds, or of its home pages when it declares no feed, and robots.txt from the kept copy.

A fresh crawl polls with conditional GETs, reads first pages (and the next ones only while
they bring unknown articles, up to FRESH_PAGES), and reads a page's sections only when the
page itself changed. A back-fill (`since`) walks every series back to that date; an
archive back-fill reads a web archive's CDX index instead of the site. Responses of every
kind go through one URL mapping (`UrlMap`). Article pages are stored raw; nothing here
reads article text except `<link rel=canonical>`.

What each path found is counted (`CrawlSummary.paths`), and what looks like a silent
failure becomes a problem on the run (`CrawlSummary.problems`): discovery pages with links
but no article among them, or an expected path that another one had to stand in for.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_base_url
from twisted.python.failure import Failure

from monitor.config import Settings
from monitor.crawl.archive import capture_time, cdx_links, cdx_next, cdx_query
from monitor.crawl.canonical import UrlMap, canonical_link
from monitor.crawl.discovery import (
    Link,
    iso_day,
    iso_moment,
    listing_date,
    on_or_after,
    read_feed,
    rest_links,
    sitemap_entries,
)
from monitor.crawl.failures import RETRYABLE, failed_request, failure_reason
from monitor.crawl.links import PageLinks, article_links, read_page
from monitor.crawl.store import CrawlStore, Validators
from monitor.crawl.summary import CrawlSummary, ProbeReport
from monitor.domain import RawPage
from spiders.base import DISCOVERY_KINDS, Source, first_page

log = logging.getLogger(__name__)

FRESH_SITEMAP_CHILDREN = 2  # newest child sitemaps read on a fresh poll
FRESH_PAGES = 3  # deepest page of a series a fresh poll reads; older items: back-fill
MAX_DEPTH = 2  # section levels below a home page
MAX_SECTIONS_PER_HOST = 40  # sections read per host and run (a menu, not a site map)
MISSING_RECHECK = timedelta(hours=24)  # a guessed feed that 404'd is re-probed daily, not per poll
CHECK_SAMPLES = 2  # articles fetched per discovery kind by `monitor sources check`
GENERIC = ("home", "section")  # the generic path's kinds: one path for expectations
END_OF_SERIES = ("gone", "http_400")
# FetchState status of an article URL whose page is stored under another URL (a redirect,
# rel=canonical): a feed listing it is not a reason to fetch it again
STORED_ELSEWHERE = 301  # a page past the last one (WordPress REST says 400)


@dataclass(frozen=True)
class Probe:
    """One discovery document: a feed, a sitemap, a page of a listing or of the generic path."""

    kind: str  # one of DISCOVERY_KINDS
    url: str  # public URL (for `archive`: the archive's index URL)
    template: str | None = None  # URL template with {page}, for listings and REST lists
    page: int = 1
    depth: int = 0  # section levels below a home page
    parent: str | None = None  # the discovery document that led here


@dataclass
class Reading:
    """What one discovery document offers (None from a reader: not that kind of document)."""

    links: list[Link] = field(default_factory=list)  # candidate articles, public canonical URLs
    children: list[Probe] = field(default_factory=list)  # other discovery documents to read
    next_page: Probe | None = None
    seen: int = 0  # links (or items) to the source's own pages


@dataclass
class HostState:
    answered: bool = False  # some discovery document of this host was usable (or 304)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (reason, "kind URL")


class SourceSpider(scrapy.Spider):
    name = "source"

    def __init__(
        self,
        source: Source,
        config: Settings,
        store: CrawlStore,
        summary: CrawlSummary,
        since: date | None = None,
        archive: bool = False,
        check: bool = False,
        quick: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=source.key, **kwargs)
        self.source = source
        self.base_urls = config.source(source.key).base_urls
        self.urls = UrlMap(source, self.base_urls)
        self.max_pages = config.source(source.key).max_pages
        self.max_crawl_delay = config.crawl.max_crawl_delay
        self.archive_url = config.crawl.archive_url if archive else None
        self.check = check  # `sources check`: first pages, a few sample articles
        self.quick = quick  # adaptive polling's cheap poll: first pages of the feeds only
        self.since = since
        self.store = store
        self.summary = summary
        self.known = store.known_urls()  # grows as pages are stored (pipelines)
        self.stored_before = frozenset(self.known)
        fresh = since is None and not archive
        self.validators_in = store.validators() if fresh else {}
        self.validators_out: dict[str, Validators] = {}
        self.tainted: set[str] = set()  # discovery URLs with an article left to retry
        self.parents: dict[str, str] = {}  # discovery URL -> the one that led to it
        self.probed: set[str] = set()  # discovery documents requested (`_key`)
        self.read: dict[str, list[Link]] = {}  # `_key` of each document read -> its articles
        self.hosts: dict[str, HostState] = {}
        self.sections: Counter[str] = Counter()  # per host
        self.series: dict[str, frozenset[str]] = {}  # page URL -> its article URLs
        self.samples: Counter[str] = Counter()  # per kind, in check mode
        self.discovered: set[str] = set()  # article URLs found by discovery (`found`)
        self.seen: set[str] = set()  # article URLs fetched, and what their pages named canonical
        self.pages = 0
        self.opened: set[str] = set()  # fetched hosts (netlocs) whose robots.txt was read
        self.held: dict[str, list[scrapy.Request]] = {}  # requests waiting for that

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
        self._taint(response.meta.get("origin") or (probe.url if probe else ""))
        self._taint(response.meta.get("article"))  # not stored: not "stored elsewhere" either
        log.error(
            "%s: %s while handling %s",
            self.source.key,
            failure.getErrorMessage()[:300],
            response.meta.get("public_url", response.url),
        )

    # -- discovery -------------------------------------------------------------------

    def roots(self) -> list[Probe]:
        """The first discovery documents of a run, in the order they are requested."""
        source = self.source
        if self.archive_url:
            return [
                Probe("archive", cdx_query(self.archive_url, h, self.since)) for h in source.hosts
            ]
        if self.quick:
            feeds = [Probe("feed", u) for u in source.feeds]
            return feeds or [Probe("home", u) for u in source.home_urls()]
        return [
            *(Probe("feed", u) for u in source.feeds),
            *(Probe("sitemap", u) for u in source.sitemaps),
            *(Probe("listing", first_page(t), t) for t in source.listings),
            *(Probe("rest", t.format(page=1), t) for t in source.rest_urls()),
            *(Probe("home", u) for u in source.home_urls()),
            *(Probe("section", u, depth=1) for u in source.sections),
        ]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for probe in self.roots():
            self.hosts.setdefault(self._host(probe), HostState())
            for request in self._out(self._discover(probe)):
                yield request

    def _out(self, request: scrapy.Request | None) -> Iterator[scrapy.Request]:
        """One request per host goes first; the others wait until it is answered.

        Scrapy fetches robots.txt on the first request to a host and lets the requests that
        arrive meanwhile wait on one Deferred, which hands the parsed rules to the first
        waiter only: from the third on they get None and are sent unchecked (Scrapy 2.19:
        `RobotsTxtMiddleware.robot_parser` awaits the shared Deferred through `asFuture`,
        since scrapy/scrapy#6802). A crawl that starts many paths per host must not skip
        robots.txt."""
        if request is None:
            return
        netloc = urlsplit(request.url).netloc
        if netloc in self.opened:
            yield request
        elif netloc in self.held:
            self.held[netloc].append(request)
        else:
            self.held[netloc] = []
            yield request

    def _answered(self, meta: dict[str, Any]) -> Iterator[scrapy.Request]:
        """The host of a request (its `meta`) has answered or refused: release what waits."""
        netloc = urlsplit(meta["fetch_url"]).netloc
        if netloc not in self.opened:
            self.opened.add(netloc)
            yield from self.held.pop(netloc, [])

    def _host(self, probe: Probe) -> str:
        return urlsplit(probe.url).hostname or ""

    def _discover(self, probe: Probe) -> scrapy.Request | None:
        if _key(probe.url) in self.probed:
            return None
        self.probed.add(_key(probe.url))
        if probe.parent:
            self.parents[probe.url] = probe.parent
        state = self.validators_in.get(probe.url)
        if state and _recently_missing(state):
            log.debug(
                "%s: %s %s was missing at %s, not probed again yet",
                self.source.key,
                probe.kind,
                probe.url,
                state.checked_at,
            )
            return None
        headers = {}
        if state and state.etag:
            headers["If-None-Match"] = state.etag
        if state and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        meta = {"probe": probe, "handle_httpstatus_list": [304]}
        request = self._request(
            probe.url, self.parse_discovery, self.discovery_failed, meta, headers
        )
        if request is None:
            self._taint(probe.parent)  # the page cap: what led here is read again next time
        return request

    def _request(
        self,
        url: str,
        callback: Any,
        errback: Any,
        meta: dict[str, Any],
        headers: dict[str, str] | None = None,
        fetch: str | None = None,
    ) -> scrapy.Request | None:
        if self.pages >= self.max_pages:
            return None
        self.pages += 1
        fetch = fetch or self.urls.fetch(url)
        if self.archive_url and urlsplit(fetch).netloc == urlsplit(self.archive_url).netloc:
            meta = {**meta, "web_archive": urlsplit(fetch).netloc}  # SiteScopeMiddleware lets it by
        return scrapy.Request(
            fetch,
            callback=callback,
            errback=errback,
            meta={**meta, "public_url": url, "fetch_url": fetch},
            headers=headers,
            # we dedupe by canonical URL; Scrapy's filter would also swallow a redirect loop
            # silently instead of letting REDIRECT_MAX_TIMES fail it
            dont_filter=True,
        )

    def parse_discovery(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._answered(response.meta)
        probe: Probe = response.meta["probe"]
        count = self.summary.path(probe.kind)
        if response.status == 304:
            self.summary.not_modified += 1
            count.not_modified += 1
            self.hosts.setdefault(self._host(probe), HostState()).answered = True
            self.validators_out[probe.url] = Validators(status=304)
            self._report(probe, "304")
            return
        self.hosts.setdefault(self._host(probe), HostState()).answered = True
        self.validators_out[probe.url] = Validators(
            _header(response, "ETag"), _header(response, "Last-Modified"), response.status
        )
        here = _key(self.urls.public(response.url) or probe.url)
        if here in self.read:  # e.g. /press/page/1 redirected to the /press/ already read
            for link in self.read[here]:
                self.summary.reach(probe.kind, link.url)
            count.pages += 1
            return
        reading = self._read(probe, response)
        if reading is None:
            self._unusable(probe, f"not a {probe.kind} document")
            return
        count.pages += 1
        count.links += reading.seen
        self.summary.links += reading.seen
        articles = [link for link in reading.links if self._is_article(link.url)]
        self.read[here] = self.read[_key(probe.url)] = articles
        log.info(
            "%s: %s %s: %d links, %d articles%s",
            self.source.key,
            probe.kind,
            probe.url,
            reading.seen,
            len(articles),
            f", {len(reading.children)} more to read" if reading.children else "",
        )
        self._report(probe, str(response.status), reading, articles)
        for child in [] if self.quick else reading.children:
            yield from self._out(self._discover(child))
        for link in articles:
            self.summary.reach(probe.kind, link.url)
            if self.since and link.dated and link.dated < self.since:
                continue
            yield from self._out(self._article(link, origin=probe.url, kind=probe.kind))
        if reading.next_page and self._next_page_wanted(probe, articles):
            yield from self._out(self._discover(reading.next_page))

    def _next_page_wanted(self, probe: Probe, articles: list[Link]) -> bool:
        if self.check or self.quick:
            return False
        if probe.kind == "archive":
            return True  # the index's resume key says there is more
        urls = frozenset(link.url for link in articles)
        if probe.page > 1 and self.series.get(probe.parent or "") == urls:
            return False  # the same page again (`?page=N` ignored by the site): the end
        self.series[probe.url] = urls
        if self.since is None:  # a page of stored articles only: the rest is older and stored
            unknown = any(link.url not in self.stored_before for link in articles)
            return unknown and probe.page < FRESH_PAGES
        dates = [link.dated for link in articles if link.dated]
        return bool(urls) and (not dates or min(dates) >= self.since)

    # -- reading one document per kind ------------------------------------------------

    def _read(self, probe: Probe, response: Response) -> Reading | None:
        """The document's links (mapped to public canonical URLs), or None when it is not
        the kind of document the probe expects."""
        if probe.kind == "feed":
            return self._feed(probe, response)
        if probe.kind == "sitemap":
            return self._sitemap(probe, response)
        if not isinstance(response, TextResponse):
            return None
        if probe.kind == "rest":
            return self._rest(probe, response)
        if probe.kind == "archive":
            return self._archive(probe, response)
        if not _is_html(response):
            return None
        if probe.kind == "listing":
            return self._listing(probe, response)
        return self._generic(probe, response)

    def _mapped(self, links: Iterable[Link], base: str) -> list[Link]:
        out = []
        for link in links:
            if url := self.urls.public(urljoin(base, link.url.strip())):
                out.append(replace(link, url=url))
        return out

    def _owned(self, links: list[Link]) -> int:
        return sum(self.source.owns(link.url) for link in links)

    def _feed(self, probe: Probe, response: Response) -> Reading | None:
        feed = read_feed(response.body, probe.url)
        if feed is None:
            return None
        if feed.hub:  # WebSub: the daemon subscribes (the topic is the feed's own URL)
            self.summary.hubs[feed.topic or probe.url] = feed.hub
        links = self._mapped(feed.links, response.url)
        return Reading(links, seen=self._owned(links))

    def _sitemap(self, probe: Probe, response: Response) -> Reading | None:
        parsed = sitemap_entries(response.body)
        if parsed is None:
            return None
        kind, entries = parsed
        if kind == "sitemapindex":
            dated = sorted(entries, key=lambda e: e.get("lastmod", ""), reverse=True)
            if self.since is None:
                dated = dated[:FRESH_SITEMAP_CHILDREN]
            else:
                dated = [e for e in dated if on_or_after(iso_day(e.get("lastmod", "")), self.since)]
            children = [
                Probe("sitemap", url, parent=probe.url)
                for e in dated
                if (url := self.urls.public(urljoin(response.url, e["loc"].strip())))
            ]
            return Reading(children=children)
        links = self._mapped(
            (
                Link(e["loc"], listed=iso_moment(e.get("lastmod", "")))
                for e in entries
                if "loc" in e
            ),
            response.url,
        )
        return Reading(links, seen=self._owned(links))

    def _rest(self, probe: Probe, response: TextResponse) -> Reading | None:
        posts = rest_links(response.text)
        if posts is None:
            return None
        links = self._mapped(posts, response.url)
        total = _header(response, "X-WP-TotalPages") or ""
        more = bool(posts) and (not total.isdigit() or int(total) > probe.page)
        next_page = self._page(probe) if more and probe.template else None
        return Reading(links, next_page=next_page, seen=self._owned(links))

    def _archive(self, probe: Probe, response: TextResponse) -> Reading | None:
        assert self.archive_url
        parsed = cdx_links(response.text, self.archive_url)
        if parsed is None:
            return None
        captures, resume = parsed
        links = [replace(link, url=url) for link in captures if (url := self.urls.public(link.url))]
        next_page = (
            replace(probe, url=cdx_next(probe.url, resume), page=probe.page + 1, parent=probe.url)
            if resume
            else None
        )
        return Reading(links, next_page=next_page, seen=self._owned(links))

    def _listing(self, probe: Probe, response: TextResponse) -> Reading:
        """A declared listing: its selector's links, else the generic reading of the page."""
        page = self._page_links(response)
        css, date_css = self.source.listing_link_css, self.source.listing_date_css
        picked = [
            Link(url, title=text or None)
            for url, text in article_links(
                response.text, get_base_url(response), css, self.urls.public
            )
        ]
        picked = [link for link in picked if self._is_article(link.url)]
        if date_css:
            order = self.source.hints.date_order
            dates = [listing_date(t, order) for t in response.css(date_css).getall()]
            if len(dates) == len(picked):
                picked = [replace(link, listed=d) for link, d in zip(picked, dates, strict=True)]
        links = picked or page.articles  # a new markup the selector misses: read it generically
        next_page = self._page(probe) if probe.template else self._generic_next(probe, page)
        return Reading(links, next_page=next_page, seen=page.links)

    def _generic(self, probe: Probe, response: TextResponse) -> Reading:
        """A home or section page: articles, sections to read, announced feeds, next page."""
        page = self._page_links(response)
        children = [
            Probe("feed", url, parent=probe.url) for url in page.feeds if self.source.owns(url)
        ]
        host = self._host(probe)
        if page.wordpress and not self.source.wp_rest:
            rest = f"https://{host}/wp-json/wp/v2/posts?page={{page}}&per_page=50"
            children.append(Probe("rest", rest.format(page=1), rest, parent=probe.url))
        if probe.depth < MAX_DEPTH:
            for url in page.sections:
                section_host = urlsplit(url).hostname or ""
                if url in self.probed or self.sections[section_host] >= MAX_SECTIONS_PER_HOST:
                    continue
                self.sections[section_host] += 1
                children.append(Probe("section", url, depth=probe.depth + 1, parent=probe.url))
        return Reading(
            page.articles,
            children=children,
            next_page=self._generic_next(probe, page),
            seen=page.links,
        )

    def _page_links(self, response: TextResponse) -> PageLinks:
        base = get_base_url(response)
        return read_page(
            response.text, base, self.urls.public, self.source, self.source.hints.date_order
        )

    def _page(self, probe: Probe) -> Probe:
        assert probe.template
        number = probe.page + 1
        return replace(probe, url=probe.template.format(page=number), page=number, parent=probe.url)

    def _generic_next(self, probe: Probe, page: PageLinks) -> Probe | None:
        if not page.next_page:
            return None
        return replace(probe, url=page.next_page, page=probe.page + 1, parent=probe.url)

    def _report(
        self,
        probe: Probe,
        status: str,
        reading: Reading | None = None,
        articles: list[Link] | None = None,
    ) -> None:
        articles = articles or []
        self.summary.probes.append(
            ProbeReport(
                kind=probe.kind,
                url=probe.url,
                status=status,
                links=reading.seen if reading else 0,
                articles=len(articles),
                next_page=reading.next_page.url if reading and reading.next_page else None,
                samples=[
                    (link.url, link.title, link.listed.isoformat() if link.listed else None)
                    for link in articles[:3]
                ],
            )
        )

    def discovery_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        yield from self._answered(failed_request(failure).meta)
        meta = failed_request(failure).meta
        reason = failure_reason(failure)
        probe: Probe = meta["probe"]
        if reason == "blocked":
            self.summary.blocked += 1
            log.warning("%s: blocked (decoy page) at %s", self.source.key, probe.url)
        if reason == "gone":
            self.validators_out[probe.url] = Validators(status=failure.value.response.status)
        if probe.page > 1 and reason in END_OF_SERIES:
            return  # past the last page
        if reason.startswith(RETRYABLE) and probe.parent:
            self._taint(probe.parent)  # re-read what led here on the next poll
        self._unusable(probe, reason)

    def _unusable(self, probe: Probe, reason: str) -> None:
        self.summary.path(probe.kind).failed += 1
        failures = self.hosts.setdefault(self._host(probe), HostState()).failures
        failures.append((reason, f"{probe.kind} {probe.url}"))
        self._report(probe, reason)
        log.info("%s: %s %s unusable (%s)", self.source.key, probe.kind, probe.url, reason)

    def closed(self, reason: str) -> None:
        """Scrapy calls this when the run is over: host failures, paths used, problems."""
        for host, state in self.hosts.items():
            if state.answered or not state.failures:
                continue
            reasons = [reason for reason, _ in state.failures]
            if "blocked" not in reasons:
                self.summary.fail(f"discovery_{reasons[0]}")
            log.warning(
                "%s: no discovery path worked for %s (first: %s, %s; %d path(s) tried)",
                self.source.key,
                host,
                state.failures[0][1],
                reasons[0],
                len(state.failures),
            )
        paths = self.summary.paths
        for kind in DISCOVERY_KINDS:
            if kind in paths and (paths[kind].articles or paths[kind].not_modified):
                self.summary.use(kind)
        self.summary.problems = self._problems()
        for problem in self.summary.problems:
            log.warning("%s: %s", self.source.key, problem)

    def _problems(self) -> list[str]:
        """Silent failures: what a run that looks fine may hide."""
        paths = self.summary.paths
        matched = sum(count.articles for count in paths.values())
        if self.summary.links and not matched:
            return [
                f"discovery pages held {self.summary.links} links to the source but none is"
                + " an article: the article URL patterns may no longer fit the site"
            ]
        if self.archive_url or self.quick or not matched:
            return []  # a quick poll reads one path: the others are not expected to deliver

        def delivered(kind: str) -> bool:
            kinds = GENERIC if kind in GENERIC else (kind,)
            return any(k in paths and (paths[k].articles or paths[k].not_modified) for k in kinds)

        standing_in = ", ".join(self.summary.discovery)
        return [
            f"the {kind} path gave no articles; {standing_in} stood in for it"
            for kind in self.source.expect
            if not delivered(kind)
        ]

    # -- articles --------------------------------------------------------------------

    def _is_article(self, url: str) -> bool:
        return self.source.owns(url) and self.source.is_article(url)

    def _article(self, link: Link, origin: str, kind: str) -> scrapy.Request | None:
        url = link.url
        if url in self.discovered:
            return None
        self.discovered.add(url)
        self.summary.found += 1
        # stored before, or fetched this run under another URL that named it canonical
        if url in self.known or url in self.seen or self._stored_elsewhere(url):
            self.summary.unchanged += 1
            return None
        if (state := self.validators_in.get(url)) and _recently_missing(state):
            return None  # answered 404/410 lately: asked again daily, not on every poll
        self.seen.add(url)
        if self.check:
            if self.samples[kind] >= CHECK_SAMPLES:
                return None
            self.samples[kind] += 1
        meta = {"origin": origin, "feed": link.entry, "listed": link.listed, "article": url}
        if link.capture:
            meta["capture"] = link.capture
        request = self._request(
            url, self.parse_article, self.article_failed, meta, fetch=link.capture
        )
        if request is None:
            if not self.summary.capped:
                log.warning(
                    "%s: page cap (%d) reached; the rest waits for the next run",
                    self.source.key,
                    self.max_pages,
                )
            self.summary.capped += 1
            self._taint(origin)
        return request

    def _stored_elsewhere(self, url: str) -> bool:
        state = self.validators_in.get(url)
        return state is not None and state.status == STORED_ELSEWHERE

    def _taint(self, url: str | None) -> None:
        """Keep the validators of `url` and of what led to it: all are read again next time."""
        while url and url not in self.tainted:
            self.tainted.add(url)
            url = self.parents.get(url)

    def parse_article(self, response: Response) -> Iterator[RawPage | scrapy.Request]:
        yield from self._answered(response.meta)
        capture = response.meta.get("capture")
        # a capture is stored under the URL it was captured at; a live page under the URL
        # it answered at (after redirects)
        public = response.meta["article"] if capture else self.urls.public(response.url)
        public = public or response.meta["article"]
        if not isinstance(response, TextResponse):  # PDF, image, octet-stream: not an article
            self.summary.fail("not_html")
            log.warning(
                "%s: %s failed: not_html (%s)",
                self.source.key,
                public,
                _header(response, "Content-Type") or "no content type",
            )
            return
        href = response.css('link[rel="canonical"]::attr(href)').get()
        url = canonical_link(href, public, self.source, self.base_urls) or public
        self.seen.add(url)
        if url != response.meta["article"]:
            self.summary.stored_as[response.meta["article"]] = url
            self.validators_out[response.meta["article"]] = Validators(status=STORED_ELSEWHERE)
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
            captured_at=capture_time(response.url) if capture else None,
            feed=response.meta.get("feed"),
            listed_at=response.meta.get("listed"),
        )

    def article_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        yield from self._answered(failed_request(failure).meta)
        meta = failed_request(failure).meta
        reason = failure_reason(failure)
        if reason == "blocked":
            self.summary.blocked += 1
        else:
            self.summary.fail(reason)
        if reason == "gone":
            status = failure.value.response.status
            self.validators_out[meta["article"]] = Validators(status=status)
        if reason.startswith(RETRYABLE):
            self._taint(meta["origin"])
        log.warning(
            "%s: %s failed: %s (%s)",
            self.source.key,
            meta["public_url"],
            reason,
            failure.getErrorMessage()[:200],
        )


def _key(url: str) -> str:
    """Discovery documents are one whether or not their path ends with a slash."""
    parts = urlsplit(url)
    return parts._replace(path=parts.path.rstrip("/")).geturl()


def _is_html(response: TextResponse) -> bool:
    ctype = (_header(response, "Content-Type") or "text/html").lower()
    return "html" in ctype or ("xml" not in ctype and "json" not in ctype)


def _recently_missing(state: Validators) -> bool:
    return (
        state.status in (404, 410)
        and state.checked_at is not None
        and (datetime.now(UTC) - state.checked_at < MISSING_RECHECK)
    )


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
