"""Evidence capture: each HTTP exchange of a crawl as received, attached to what it produced.

What "the exact bytes received" means for us: the entity body as the connection delivered
it. TLS and the chunked transfer coding are undone by Twisted before Scrapy sees a byte
(no client library keeps them); the Content-Encoding is NOT undone, so a gzip page is kept
gzipped, byte for byte what the server sent. HttpCompressionMiddleware (590) inflates
bodies on their way to the spider and RedirectMiddleware (600) consumes 3xx answers, so
`CaptureMiddleware` sits at 650, nearer the downloader than both: it sees every response
first, redirects, retries, 304s, 404s and decoy pages included.

Captures ride in `request.meta` (Scrapy copies meta onto a redirect's or a retry's new
request, so a chain accumulates), and `AttachCaptures` hands the chain to the `RawPage`
the spider yields for the final response.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from monitor.domain import Capture, RawPage
from spiders.base import unbase

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.http.headers import Headers

CAPTURES = "captures"  # request.meta key: tuple of Capture, oldest first


def header_pairs(headers: Headers) -> tuple[tuple[str, str], ...]:
    """Name/value pairs in received order; a repeated header stays one pair per value."""
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    )


def capture_of(request: Request, response: Response, base_urls: dict[str, str]) -> Capture:
    sent = header_pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in sent):  # Twisted adds it on the wire
        sent = (("Host", urlsplit(request.url).netloc), *sent)
    return Capture(
        url=unbase(request.url, base_urls),
        fetched_url=request.url,
        method=request.method,
        request_headers=sent,
        status=response.status,
        protocol=response.protocol or "HTTP/1.1",
        response_headers=header_pairs(response.headers),
        body=response.body,
        fetched_at=datetime.now(UTC),
        ip_address=str(response.ip_address) if response.ip_address else None,
    )


class CaptureMiddleware:
    """Downloader middleware: record each exchange on the request's meta."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if request.meta.get("dont_obey_robotstxt"):  # robots.txt: not evidence of an article
            return response
        base_urls = getattr(self.crawler.spider, "base_urls", {})
        request.meta[CAPTURES] = (
            *request.meta.get(CAPTURES, ()),
            capture_of(request, response, base_urls),
        )
        return response


class AttachCaptures(BaseSpiderMiddleware):
    """Spider middleware: a RawPage carries the exchanges of the response it came from."""

    def get_processed_item(self, item: Any, response: Response | None) -> Any:
        if isinstance(item, RawPage) and response is not None and not item.captures:
            item.captures = tuple(response.meta.get(CAPTURES, ()))
        return item


def captures_of(meta: dict[str, Any]) -> tuple[Capture, ...]:
    return tuple(meta.get(CAPTURES, ()))
