"""Downloader middlewares: where a request may go, how fast, and which 200s are not pages.

`SiteScopeMiddleware` runs before robots.txt handling, so a redirect to an absolute public
URL is moved to the loopback copy (never to the internet) and a redirect off the source's
hosts, to a private address or to a non-HTTP URL (`file:`, `ftp:`, `data:`) is refused.
It also applies a robots.txt `Crawl-delay` per host, which Scrapy parses
(`RobotParser.crawl_delay`) but does not enforce. robots.txt itself: `monitor.crawl.robots`.

`BlockedPageMiddleware` turns a decoy page (e.g. an HTTP 200 "Technical Difficulties" page
served to non-browser clients) into an error, so it is counted as blocked and never stored.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import socket
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response

from spiders.base import rebase, unbase

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

log = logging.getLogger(__name__)

DONT_ADJUST = "autothrottle_dont_adjust_delay"


class OffsiteRequest(IgnoreRequest):
    """A request (usually a redirect target) outside the source's hosts."""


class UnsafeRedirect(OffsiteRequest):
    """A redirect to a non-HTTP URL or to a private address (loopback, LAN, link-local)."""


class BlockedPage(IgnoreRequest):
    """The site answered with an anti-bot or decoy page instead of the content."""


class RobotsUnavailable(IgnoreRequest):
    """robots.txt could not be read and no recent copy is kept: the host is not crawled."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"robots.txt unreadable ({reason}): host not crawled this run")
        self.reason = reason  # why robots.txt was unreadable, e.g. timeout, blocked


REDIRECTS = (301, 302, 303, 307, 308)


def is_internal_host(host: str) -> bool:
    """localhost or an address that is not globally routable, in any spelling the resolver
    accepts (`127.1`, `2130706433`, `0x7f000001`, `::ffff:127.0.0.1`)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global


class SiteScopeMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.delays: dict[str, float] = {}  # public host -> robots.txt crawl-delay applied
        self.archives: set[str] = set()  # netlocs of the web archive a back-fill reads
        crawler.signals.connect(self._robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteScopeMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Request | None:
        netloc = urlsplit(request.url).netloc
        if request.meta.get("web_archive") == netloc:
            self.archives.add(netloc)
            return None  # the web archive of a CDX back-fill (`--archive`), not the site
        if netloc in self.archives and request.meta.get("dont_obey_robotstxt"):
            return None  # the archive's own robots.txt, asked for by its first request
        spider: Any = self.crawler.spider
        source, base_urls = spider.source, spider.base_urls
        public = unbase(request.url, base_urls)
        host = source.canonical_host(urlsplit(public).hostname or "")
        if host not in source.hosts and is_internal_host(host):
            raise UnsafeRedirect(f"private address refused: {public}")
        if host not in source.hosts or urlsplit(public).scheme not in ("http", "https"):
            raise OffsiteRequest(f"off-site URL refused: {public}")
        if base_urls and host not in base_urls:
            # A configured loopback copy is a closed world: never fall through to the internet.
            raise OffsiteRequest(f"no base URL configured for {host}: {public}")
        request.meta["download_slot"] = host
        if host in self.delays:
            request.meta[DONT_ADJUST] = True
        target = rebase(public, base_urls)
        return request.replace(url=target) if target != request.url else None

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location") if response.status in REDIRECTS else None
        if location:
            # Scrapy does not follow these; refused here so they fail as what they are
            target = urljoin(request.url, location.decode("latin-1").strip())
            if urlsplit(target).scheme not in ("http", "https"):
                raise UnsafeRedirect(f"redirect to a non-HTTP URL refused: {target[:200]}")
        return response

    def _robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        spider: Any = self.crawler.spider
        host = request.meta.get("download_slot")
        delay = robotparser.crawl_delay(self.crawler.settings["USER_AGENT"])
        if not host or delay is None:
            return
        delay = min(delay, spider.max_crawl_delay)
        if delay <= self.crawler.settings.getfloat("DOWNLOAD_DELAY"):
            return
        log.info("%s: robots.txt crawl-delay %.1fs applied", host, delay)
        # AutoThrottle would lower the slot's delay again; DONT_ADJUST (set per request in
        # process_request) keeps it at the site's wish.
        self.delays[host] = delay
        downloader = self.crawler.engine.downloader
        downloader.per_slot_settings.setdefault(host, {})["delay"] = delay
        if host in downloader.slots:
            downloader.slots[host].delay = max(downloader.slots[host].delay, delay)


class BlockedPageMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockedPageMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        spider: Any = self.crawler.spider
        markers = spider.source.hints.blocked_markers
        if markers and isinstance(response, HtmlResponse) and is_blocked(response, markers):
            raise BlockedPage(f"decoy page ({response.status}) for {request.url}")
        return response


def is_blocked(response: HtmlResponse, markers: tuple[str, ...]) -> bool:
    """A marker in the page's title or headings (also when a feed URL answers with HTML):
    an article that merely quotes the phrase in its body is still an article."""
    heads = " ".join(response.css("title::text, h1::text, h2::text").getall())
    return any(marker in heads for marker in markers)


class RetryAfterMiddleware:
    """Honour `Retry-After` on 429/503 by slowing the host's slot before Scrapy retries
    (Scrapy's RetryMiddleware retries at once and ignores the header)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        wait = retry_after(response) if response.status in (429, 503) else None
        slot = self.crawler.engine.downloader.slots.get(request.meta.get("download_slot", ""))
        if wait and slot is not None:
            wait = min(wait, self.crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY"))
            log.warning(
                "%s answered %s: waiting %.0fs (Retry-After)",
                request.meta.get("download_slot"),
                response.status,
                wait,
            )
            # the slot waits delay x (1 +- jitter) after its last request: start counting now,
            # and make the shortest jittered wait still the one asked for
            slot.delay = max(slot.delay, wait / max(1.0 - slot.jitter, 0.1))
            slot.lastseen = time.monotonic()
        return response


def retry_after(response: Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), if any."""
    value = (response.headers.get("Retry-After") or b"").decode("latin-1").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
