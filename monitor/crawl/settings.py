"""Scrapy settings: fixed choices here, per-run values from `monitor.config` and the Source.

The module-level names make this importable as a Scrapy settings module (scrapy.cfg), so
`scrapy shell` and `scrapy fetch` are as polite and safe as our crawls; `monitor crawl`
adds our components and per-run values with `scrapy_settings()`.
"""

from __future__ import annotations

from typing import Any

from monitor.config import CrawlSettings, Settings
from spiders.base import Source

BOT_NAME = "monitor"
SPIDER_MODULES: list[str] = []
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19 opens a local HTTP control port by default
# and removed, not only disabled: loading the extension imports aiohttp (~9 MB per crawl)
EXTENSIONS = {"scrapy.extensions.remote_control.RemoteControl": None}
LOG_INSTALL_ROOT_HANDLER = False  # monitor.log owns the handlers (and their redaction)
HTTPCACHE_ENABLED = False  # the store keeps validators; a cache would serve stale pages
DOWNLOAD_VERIFY_CERTIFICATES = True  # Scrapy's default is False; never crawl with TLS unchecked
DOWNLOAD_FAIL_ON_DATALOSS = True  # a truncated body is an error, never half an article
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"  # a known article is routine, not a warning
LOG_LEVEL = "INFO"
LOG_VERSIONS: list[str] = []  # one line per crawl is enough; versions are in the lock file
_FIXED = {k: v for k, v in globals().items() if k.isupper() and not k.startswith("_")}
ROBOTS_REUSE_HOURS = 24.0  # a quick poll's robots.txt: the copy kept in the store, this fresh

# Only in our crawls (they need a SourceSpider): Scrapy's own tools run without them.
_COMPONENTS = {
    "DOWNLOADER_MIDDLEWARES": {
        # before RobotsTxtMiddleware (100): redirect targets are scoped and rebased first
        "monitor.crawl.middlewares.SiteScopeMiddleware": 50,
        # Scrapy's, failing closed when robots.txt cannot be read
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "monitor.crawl.robots.FailClosedRobotsTxtMiddleware": 100,
        # after HttpCompressionMiddleware (590) has inflated the body
        "monitor.crawl.middlewares.BlockedPageMiddleware": 540,
        # before RetryMiddleware (550) reschedules a 429/503
        "monitor.crawl.middlewares.RetryAfterMiddleware": 560,
        # nearer the downloader than redirects (600) and decompression (590): bytes as received
        "monitor.crawl.capture.CaptureMiddleware": 650,
    },
    "SPIDER_MIDDLEWARES": {"monitor.crawl.capture.AttachCaptures": 800},
    "ITEM_PIPELINES": {"monitor.crawl.pipelines.StoreRawPages": 300},
    "LOG_FORMATTER": "monitor.crawl.pipelines.QuietLogFormatter",
}


def politeness_delay(source: Source, crawl: CrawlSettings) -> float:
    """Seconds between requests to one host: ours, or the site's wish up to our ceiling."""
    return max(crawl.download_delay, min(source.crawl_delay or 0.0, crawl.max_crawl_delay))


def scrapy_settings(source: Source, settings: Settings, quick: bool = False) -> dict[str, Any]:
    """`quick`: a quick poll reuses the kept robots.txt copy (RFC 9309 2.4 allows 24 h)."""
    crawl = settings.crawl
    delay = politeness_delay(source, crawl)
    limit = settings.source(source.key).timeout_minutes * 60
    return {
        **_FIXED,
        **_COMPONENTS,
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "MONITOR_ROBOTS_MAX_AGE_HOURS": crawl.robots_max_age_hours,
        "MONITOR_ROBOTS_REUSE_HOURS": ROBOTS_REUSE_HOURS if quick else 0,
        "DOWNLOAD_TIMEOUT": crawl.download_timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_bytes,
        "DOWNLOAD_WARNSIZE": crawl.warn_bytes,
        "REDIRECT_MAX_TIMES": crawl.redirect_max_times,
        "RETRY_TIMES": crawl.retry_times,
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": delay,
        # close gracefully (counts and validators saved) before the parent's hard limit
        "CLOSESPIDER_TIMEOUT": max(limit * 0.9, limit - 60),
    }
