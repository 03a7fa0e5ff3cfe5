"""Why a request failed, as a short stable code: counted per run, logged, kept on CrawlRun."""

from __future__ import annotations

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from monitor.crawl.middlewares import (
    BlockedPage,
    OffsiteRequest,
    RobotsUnavailable,
    UnsafeRedirect,
)

# Reasons (prefixes) worth another try on the next poll; gone, off-site, loops and robots
# refusals are not (an unreadable robots.txt is: it is read again next time).
RETRYABLE = ("timeout", "connection", "blocked", "truncated", "http_5", "robots_unavailable")


def failed_request(failure: Failure) -> scrapy.Request:
    request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy
    return request


def failure_reason(failure: Failure) -> str:
    """A short, stable code for why a request failed (counted and logged per run)."""
    exc = failure.value
    if isinstance(exc, BlockedPage):
        return "blocked"
    if isinstance(exc, UnsafeRedirect):
        return "unsafe_redirect"
    if isinstance(exc, OffsiteRequest):
        return "offsite"
    if isinstance(exc, RobotsUnavailable):
        return "robots_unavailable"
    if isinstance(exc, HttpError):
        status = exc.response.status
        return "gone" if status in (404, 410) else f"http_{status}"
    if isinstance(exc, IgnoreRequest):  # Scrapy raises the bare class for all of these
        text = str(exc)
        if "redirection" in text:
            return "redirect_loop"
        if "robots.txt" in text:
            return "robots"
        if "DOWNLOAD_MAXSIZE" in text:  # a compressed body past the cap once inflated (a bomb)
            return "too_large"
        return "ignored"
    if isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError):
        return "timeout"
    if isinstance(
        exc,
        DownloadConnectionRefusedError
        | CannotResolveHostError
        | DNSLookupError
        | ConnectionRefusedError
        | ConnectError,
    ):
        return "connection"
    if isinstance(exc, ResponseDataLossError):
        return "truncated"
    if isinstance(exc, DownloadCancelledError):
        return "too_large"  # DOWNLOAD_MAXSIZE cancels the download
    return type(exc).__name__.lower()
