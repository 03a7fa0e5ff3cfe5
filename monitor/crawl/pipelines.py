"""Item pipeline: store each fetched article page once, by canonical URL. No parsing here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter, LogFormatterResult

from monitor.domain import RawPage

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

log = logging.getLogger(__name__)


class StoreRawPages:
    """Dedupe against the store (an alias such as `?p=<id>` may resolve to a stored article
    only once fetched) and persist; each page is its own transaction."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreRawPages:
        return cls(crawler)

    def process_item(self, item: RawPage) -> RawPage:
        spider: Any = self.crawler.spider
        if item.url in spider.known or not spider.store.add_page(item):
            spider.summary.unchanged += 1
            raise DropItem(f"already stored: {item.url}")
        spider.known.add(item.url)
        spider.summary.new += 1
        log.debug("stored %s", item.url)
        return item


class QuietLogFormatter(LogFormatter):
    """Name a stored page by its URL: Scrapy's default logs the whole item, body included."""

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        result = super().scraped(item, response, spider)
        result["msg"], result["args"] = "stored %(url)s", {"url": getattr(item, "url", "?")}
        return result

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        # the spider logs one line per store error (e.g. a full disk); this one would dump
        # the page body and a traceback into the log for each page
        result = super().item_error(item, exception, response, spider)
        result["level"] = logging.DEBUG
        result["msg"], result["args"] = "not stored %(url)s", {"url": getattr(item, "url", "?")}
        return result
