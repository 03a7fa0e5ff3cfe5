"""The re-check spider: fetch stored articles again, conditionally, and record the answer.

It runs with the crawl's own settings and middlewares (scope, robots, politeness, decoy
detection, capture), one process per source like a crawl. Each article is asked for with
the validators of its last 200 (If-None-Match / If-Modified-Since), so an unchanged page
costs a 304. The answer is classified, not interpreted:

    not_modified  304                           same      200, same decoded body
    fetched       200, another body             moved     redirect/canonical to another article
    gone          404 / 410                     home      redirect to a page that is no article
    offsite       redirect off the source       blocked   decoy page (BlockedPageMiddleware)
    error         anything else (timeout, 5xx, robots)

and stored as an `ArticleCheck` with its captures; a new body also becomes a raw page in
state `recheck`. Whether the text changed is decided later by `monitor.versions`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from monitor.config import Settings
from monitor.crawl.canonical import canonical_link, canonical_url
from monitor.crawl.capture import captures_of
from monitor.crawl.failures import failed_request, failure_reason
from monitor.crawl.middlewares import OffsiteRequest, RobotsUnavailable
from monitor.domain import Capture, RawPage, RecheckTarget
from monitor.store import models
from monitor.store.db import Database
from monitor.store.rows import capture_rows, raw_page_row
from spiders.base import Source, rebase, unbase

log = logging.getLogger(__name__)

REMOVED_STATUSES = (404, 410)


@dataclass
class RecheckSummary:
    source: str
    outcomes: Counter[str] = field(default_factory=Counter)
    blocked: int = 0  # robots.txt answered with the decoy page (counted by the robots middleware)
    failures: Counter[str] = field(default_factory=Counter)  # reason -> count, as a crawl's
    requests: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    error: str | None = None

    def fail(self, reason: str) -> None:
        self.failures[reason] += 1

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcomes"] = dict(self.outcomes)
        data["failures"] = dict(self.failures)
        return data


@dataclass(frozen=True)
class Observation:
    outcome: str
    status: int | None = None
    final_url: str | None = None
    page: RawPage | None = None
    error: str | None = None


class RecheckStore:
    """Each observation is one transaction: check row, captures and the new raw page."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self, target: RecheckTarget, seen: Observation, captures: tuple[Capture, ...]
    ) -> int:
        with self.db.session() as session:
            raw_id = None
            if seen.page is not None:
                raw = raw_page_row(seen.page)
                raw.state = "recheck"  # applied by monitor.versions, not the crawl pipeline
                session.add(raw)
                session.flush()
                raw_id = raw.id
            check = models.ArticleCheck(
                article_id=target.article_id,
                reason=target.reason,
                url=target.url,
                checked_at=captures[-1].fetched_at if captures else datetime.now(UTC),
                outcome=seen.outcome,
                status=seen.status,
                final_url=seen.final_url,
                raw_page_id=raw_id,
                error=seen.error,
            )
            session.add(check)
            session.flush()
            session.add_all(capture_rows(captures, raw_page_id=raw_id, check_id=check.id))
            return check.id


class RecheckSpider(scrapy.Spider):
    name = "recheck"

    def __init__(
        self,
        source: Source,
        config: Settings,
        targets: list[RecheckTarget],
        store: RecheckStore,
        summary: RecheckSummary,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=f"recheck-{source.key}", **kwargs)
        self.source = source  # the middlewares read these three
        self.base_urls = config.source(source.key).base_urls
        self.max_crawl_delay = config.crawl.max_crawl_delay
        self.targets = targets
        self.store = store
        self.summary = summary

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.targets:
            headers = {}
            if target.etag:
                headers["If-None-Match"] = target.etag
            if target.last_modified:
                headers["If-Modified-Since"] = target.last_modified
            yield scrapy.Request(
                rebase(target.url, self.base_urls),
                callback=self.parse_answer,
                errback=self.failed,
                headers=headers,
                meta={"target": target, "handle_httpstatus_list": [304, *REMOVED_STATUSES]},
                dont_filter=True,
            )

    def parse_answer(self, response: Response) -> Iterator[Any]:
        target: RecheckTarget = response.meta["target"]
        self._record(target, self._classify(target, response), captures_of(response.meta))
        return iter(())

    def _classify(self, target: RecheckTarget, response: Response) -> Observation:
        status = response.status
        public = unbase(response.url, self.base_urls)
        if status == 304:
            return Observation("not_modified", status)
        if status in REMOVED_STATUSES:
            return Observation("gone", status, public)
        if not isinstance(response, TextResponse):
            return Observation("error", status, public, error="not_html")
        href = response.css('link[rel="canonical"]::attr(href)').get()
        url = canonical_link(href, public, self.source) or canonical_url(public, self.source)
        if url != target.url and not self.source.is_article(url):
            return Observation("home", status, url)
        outcome = "moved" if url != target.url else "fetched"
        if outcome == "fetched" and hashlib.sha256(response.body).hexdigest() == target.body_sha256:
            return Observation("same", status, url)
        page = RawPage(
            url=url,
            source=self.source.key,
            body=response.body,
            fetched_at=datetime.now(UTC),
            status=status,
            headers={
                k.decode("latin-1"): b", ".join(v).decode("latin-1")
                for k, v in response.headers.items()
            },
            fetched_url=response.url,
        )
        return Observation(outcome, status, url, page)

    def failed(self, failure: Failure) -> None:
        request = failed_request(failure)
        target: RecheckTarget = request.meta["target"]
        reason = failure_reason(failure)
        if isinstance(failure.value, OffsiteRequest):
            seen = Observation("offsite", None, unbase(request.url, self.base_urls))
        elif reason == "blocked" or (
            isinstance(failure.value, RobotsUnavailable) and failure.value.reason == "blocked"
        ):
            seen = Observation("blocked", error="decoy page")
        else:
            seen = Observation("error", error=f"{reason}: {failure.getErrorMessage()[:200]}")
        self._record(target, seen, captures_of(request.meta))

    def _record(
        self, target: RecheckTarget, seen: Observation, captures: tuple[Capture, ...]
    ) -> None:
        self.store.record(target, seen, captures)
        self.summary.outcomes[seen.outcome] += 1
        log.info(
            "recheck %s: %s%s", target.url, seen.outcome, f" ({seen.error})" if seen.error else ""
        )


def recheck_in_this_process(
    source: Source, settings: Settings, db: Database, targets: list[RecheckTarget]
) -> RecheckSummary:
    """Re-check `targets` of one source. Starts the Twisted reactor: once per process."""
    from scrapy.crawler import CrawlerProcess

    from monitor.crawl.settings import scrapy_settings

    summary = RecheckSummary(source.key)
    started = time.monotonic()
    process = CrawlerProcess(scrapy_settings(source, settings))
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("scrapy").setLevel(logging.WARNING)
    crawler = process.create_crawler(RecheckSpider)
    process.crawl(
        crawler,
        source=source,
        config=settings,
        targets=targets,
        store=RecheckStore(db),
        summary=summary,
    )
    try:
        process.start()
    except Exception as exc:  # recorded in the summary; the caller decides
        log.exception("recheck %s crashed", source.key)
        summary.error = f"{type(exc).__name__}: {exc}"
    stats = crawler.stats.get_stats() if crawler.stats else {}
    summary.requests = int(stats.get("downloader/request_count", 0))
    summary.bytes_received = int(stats.get("downloader/response_bytes", 0))
    summary.seconds = time.monotonic() - started
    return summary
