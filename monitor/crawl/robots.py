"""robots.txt that fails closed: Scrapy's RobotsTxtMiddleware with its failure paths changed.

Scrapy allows everything when robots.txt cannot be fetched, and parses whatever body a 5xx
or an HTML error page brings (almost always allow-all). RFC 9309 (2.3.1) says an
unreachable robots.txt means "complete disallow". Here, per host:

    2xx and a robots file      its rules; the copy is kept in the store (`robots_txt`)
    404, 410 (any 4xx but 429) no robots.txt: everything allowed
    429, 5xx, timeout, refused connection, DNS failure, a body that is not a robots file
    (an HTML page, binary), a redirect off the source
                               unreachable: the kept copy if younger than
                               `crawl.robots_max_age_hours`, else nothing on the host is
                               crawled this run (`robots_unavailable`)

Each unreachable read is counted on the host's row (the source health check turns repeated
ones into an operator notice) and tried again by the next crawl, a new process that keeps
no parser from this one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from monitor.crawl.failures import failure_reason
from monitor.crawl.middlewares import RobotsUnavailable
from monitor.store import models
from monitor.store.db import Database
from monitor.store.models import utcnow
from spiders.base import unbase

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
MAX_KEPT_CHARS = 512 * 1024  # RFC 9309: crawlers parse at least the first 500 KiB
_DIRECTIVE = re.compile(
    rb"^[ \t]*(user-agent|allow|disallow|sitemap|crawl-delay)[ \t]*:", re.IGNORECASE | re.MULTILINE
)
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|\?xml|script)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What one answer to /robots.txt means: `rules` (body), `absent`, or `unreachable`."""

    kind: str
    body: bytes = b""
    reason: str = ""


def is_robots_file(body: bytes) -> bool:
    """Text of directive lines (or only comments: no rules), not a page or binary data."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"\x00" in body or start.startswith(b"<") or _MARKUP.search(body[:4096]):
        return False
    if _DIRECTIVE.search(body):
        return True
    return all(not line.strip() or line.lstrip().startswith(b"#") for line in body.splitlines())


def judge(status: int, body: bytes) -> Reading:
    if 200 <= status < 300:
        return (
            Reading("rules", body)
            if is_robots_file(body)
            else Reading("unreachable", reason="not_robots")
        )
    if 400 <= status < 500 and status != 429:
        return Reading("absent")
    return Reading("unreachable", reason=f"http_{status}")


class RobotsBook:
    """The `robots_txt` rows of one source: the copy last read and the failures since."""

    def __init__(self, db: Database, source_key: str) -> None:
        self.db = db
        self.source_key = source_key

    def _row(self, session: Any, host: str) -> models.RobotsTxt:
        row = session.get(models.RobotsTxt, host)
        if row is None:
            row = models.RobotsTxt(host=host, source_key=self.source_key, failures=0)
            session.add(row)
        return row

    def read(self, host: str, status: int, reading: Reading, now: datetime) -> None:
        """Keep the copy just read (no rules: `absent`) and clear the failure count."""
        with self.db.session() as session:
            row = self._row(session, host)
            rules = reading.kind == "rules"
            row.body = reading.body.decode("utf-8", "replace")[:MAX_KEPT_CHARS] if rules else None
            row.status, row.fetched_at, row.checked_at = status, now, now
            row.failures, row.failing_since, row.last_error = 0, None, None

    def copy(self, host: str) -> models.RobotsTxt | None:
        with self.db.session(readonly=True) as session:
            return session.get(models.RobotsTxt, host)

    def unreachable(self, host: str, reason: str, now: datetime) -> models.RobotsTxt:
        """Count one more unreadable answer; the row still holds the last good copy."""
        with self.db.session() as session:
            row = self._row(session, host)
            row.failures = (row.failures or 0) + 1
            row.failing_since = row.failing_since or now
            row.checked_at, row.last_error = now, reason[:200]
            session.flush()
            return row


def usable(row: models.RobotsTxt, now: datetime, max_age: timedelta) -> bool:
    return row.fetched_at is not None and now - row.fetched_at <= max_age


class FailClosedRobotsTxtMiddleware(RobotsTxtMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # Scrapy's error line names the page that needed robots.txt, not robots.txt, with a
        # traceback; `_unreachable` logs what happened instead
        logging.getLogger(RobotsTxtMiddleware.__module__).setLevel(logging.CRITICAL)
        self.max_age = timedelta(hours=crawler.settings.getfloat("MONITOR_ROBOTS_MAX_AGE_HOURS"))
        self.reuse = timedelta(hours=crawler.settings.getfloat("MONITOR_ROBOTS_REUSE_HOURS"))
        self.closed: dict[str, str] = {}  # netloc -> why its robots.txt was unreachable
        self.first: dict[str, Request] = {}  # netloc -> the request that needed robots.txt

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        self.first.setdefault(netloc, request)
        if netloc not in self._parsers and (kept := self._kept(netloc)) is not None:
            self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, kept)
        return await super().robot_parser(request)

    def _kept(self, netloc: str) -> bytes | None:
        """The stored copy's rules when it may stand for a fresh read (quick polls only)."""
        if not self.reuse:
            return None
        row = self._record(lambda book: book.copy(self._host(netloc)))
        if row is None or not usable(row, utcnow(), self.reuse):
            return None
        return (row.body or "").encode()  # no body: no robots.txt, everything allowed

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        reason = self.closed.get(urlparse_cached(request).netloc)
        if reason is not None:
            self._stats.inc_value("robotstxt/unreachable_refused")
            raise RobotsUnavailable(reason)
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        reading = judge(response.status, response.body)
        if reading.kind == "unreachable":
            self._unreachable(netloc, reading.reason)
            return
        host, status = self._host(netloc), response.status
        self._record(lambda book: book.read(host, status, reading, utcnow()))
        await super()._parse_robots(response.replace(body=reading.body), netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._unreachable(netloc, failure_reason(Failure(exc)))

    def _unreachable(self, netloc: str, reason: str) -> None:
        host, now = self._host(netloc), utcnow()
        row = self._record(lambda book: book.unreachable(host, reason, now))
        spider: Any = self.crawler.spider
        if reason == "blocked":  # the decoy page, even for robots.txt: the source is blocked
            spider.summary.blocked += 1
        if row is not None and usable(row, now, self.max_age):
            spider.summary.fail("robots_stale_copy")
            log.warning(
                "%s: robots.txt of %s unreadable (%s, %d time(s) in a row): using the copy "
                "read at %s",
                spider.source.key,
                host,
                reason,
                row.failures,
                f"{row.fetched_at:%Y-%m-%d %H:%M} UTC",
            )
            parser = build_from_crawler(self._parserimpl, self.crawler, (row.body or "").encode())
            self.crawler.signals.send_catch_log(
                signal=signals.robots_parsed, robotparser=parser, request=self.first[netloc]
            )
        else:
            log.warning(
                "%s: robots.txt of %s unreadable (%s%s): nothing there is crawled this run; "
                "the next crawl reads it again",
                spider.source.key,
                host,
                reason,
                f", {row.failures} time(s) in a row" if row is not None else "",
            )
            self.closed[netloc] = reason
            parser = build_from_crawler(self._parserimpl, self.crawler, DISALLOW_ALL)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        waiting.callback(parser)  # type: ignore[union-attr]  # the Deferred robot_parser left

    def _host(self, netloc: str) -> str:
        spider: Any = self.crawler.spider
        public = unbase(f"http://{netloc}/robots.txt", spider.base_urls)
        return str(spider.source.canonical_host(urlsplit(public).hostname or netloc))

    def _record(self, write: Callable[[RobotsBook], _T]) -> _T | None:
        """A write to the source's robots rows; a store error is logged, never fatal."""
        spider: Any = self.crawler.spider
        try:
            return write(RobotsBook(spider.store.db, spider.source.key))
        except SQLAlchemyError as exc:
            log.warning("robots.txt record not saved: %s", str(exc).splitlines()[0][:200])
            return None
