"""Redirects a site may send (shared/reliability.md A6): to `file:`, `ftp:`, `data:`, to
loopback and private addresses from a public host, and across hosts carrying credentials.
None is followed; each is counted as `unsafe_redirect`; no cookie or Authorization header
reaches another host."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from crawl_helpers import loopback_settings, stored_urls
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from monitor.config import Settings
from monitor.crawl.middlewares import is_internal_host
from monitor.crawl.runner import run_crawl
from monitor.crawl.settings import scrapy_settings
from monitor.store.db import Database
from monitor.testing.faults import SESSION_COOKIE, FaultServer
from monitor.testing.sites import Sites
from spiders import SOURCES

STATE = SOURCES["state_dept"]
SOURCE = replace(
    STATE, hosts=(*STATE.hosts, "faults.test", "other.faults.test"), homes=("https://www.state.gov/",)
)
FAULT = "https://faults.test/releases/f/"
FEED = "rss-feed/press-releases/feed/index.xml"


def redirect(to: str, **extra: str) -> str:
    query = "&".join([f"to={quote(to, safe='')}", *(f"{k}={v}" for k, v in extra.items())])
    return f"{FAULT}redirect/?{query}"


def unsafe_targets(outside: FaultServer) -> list[str]:
    """Targets never to follow; `outside` is a live server no source host is mapped to."""
    port = outside.base_url.rsplit(":", 1)[1]
    return [
        "file:///etc/passwd",
        "file:/etc/passwd",
        f"ftp://127.0.0.1:{port}/pub/release.html",
        "data:text/html;base64,PGgxPm5vdCBhIHJlbGVhc2U8L2gxPg==",
        f"http://127.0.0.1:{port}/releases/f/ok/",  # loopback, from a public host
        f"http://[::ffff:127.0.0.1]:{port}/releases/f/ok/",
        f"http://2130706433:{port}/releases/f/ok/",  # 127.0.0.1 as one number
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://10.0.0.1/releases/f/ok/",
    ]


def write_feed(root: Path, urls: list[str]) -> None:
    host = root / "www.state.gov"
    (host / FEED).parent.mkdir(parents=True)
    (host / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    items = "".join(
        f"<item><title>Item {i}</title><link>{url.replace('&', '&amp;')}</link></item>"
        for i, url in enumerate(urls)
    )
    (host / FEED).write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    )


def settings_for(sites: Sites, faults: FaultServer, other: FaultServer) -> Settings:
    bases = {**sites.base_urls(), "faults.test": faults.base_url,
             "other.faults.test": other.base_url}
    return loopback_settings(sites, "state_dept", {"base_urls": bases})


@pytest.fixture
def outside() -> Iterator[FaultServer]:
    with FaultServer() as running:
        yield running


def test_unsafe_redirects_are_refused_and_counted(
    tmp_path: Path, db: Database, outside: FaultServer, capfd: pytest.CaptureFixture[str]
) -> None:
    targets = unsafe_targets(outside)
    # the same redirect to a source host is followed: the refusals are about the target
    write_feed(tmp_path, [*map(redirect, targets), redirect("https://other.faults.test/x/ok/")])
    with FaultServer() as faults, FaultServer() as other, Sites(tmp_path) as sites:
        summary = run_crawl(SOURCE, settings_for(sites, faults, other), db)
        asked = dict(faults.stats.requests)

    assert dict(summary.failures) == {"unsafe_redirect": len(targets)}
    assert stored_urls(db, "state_dept") == ["https://other.faults.test/x/ok/"]
    assert sum(n for key, n in asked.items() if key.startswith("redirect?")) == len(targets) + 1
    assert outside.stats.requests == {}, "a redirect reached a loopback server"
    log = capfd.readouterr().err
    assert log.count("failed: unsafe_redirect") == len(targets)
    assert "redirect to a non-HTTP URL refused: file:///etc/passwd" in log
    assert "private address refused: http://169.254.169.254/latest/meta-data/" in log


def test_a_cookie_set_by_one_host_is_not_sent_to_another(tmp_path: Path, db: Database) -> None:
    write_feed(tmp_path, [redirect("https://other.faults.test/x/ok/", cookie="1")])
    with FaultServer() as faults, FaultServer() as other, Sites(tmp_path) as sites:
        summary = run_crawl(SOURCE, settings_for(sites, faults, other), db)
        landing = other.stats.headers["ok"]

    assert summary.new == 1
    assert len(landing) == 1
    assert "cookie" not in landing[0] and "authorization" not in landing[0]
    assert SESSION_COOKIE not in " ".join(landing[0].values())


@pytest.mark.parametrize(
    ("target", "forwarded"),
    [
        ("https://www.state.gov/releases/b/", {b"Authorization", b"Cookie"}),  # same host
        ("https://state.gov/releases/b/", set()),  # another host of the same source
        ("http://www.state.gov/releases/b/", set()),  # a downgrade to http keeps neither
    ],
)
def test_credentials_stay_on_the_host_they_were_meant_for(
    target: str, forwarded: set[bytes]
) -> None:
    """Scrapy >= 2.11.2 drops them on a change of host or scheme; with our settings too."""
    crawler = get_crawler(Spider, scrapy_settings(STATE, Settings()))
    middleware = RedirectMiddleware.from_crawler(crawler)
    request = Request(
        "https://www.state.gov/releases/a/",
        headers={"Authorization": "Bearer TESTSECRET", "Cookie": "session=TESTSECRET"},
    )
    response = Response(request.url, status=302, headers={"Location": target}, request=request)

    followed = middleware.process_response(request, response)

    assert isinstance(followed, Request) and followed.url == target
    assert {name for name in (b"Authorization", b"Cookie") if name in followed.headers} == forwarded


@pytest.mark.parametrize(
    ("host", "internal"),
    [
        ("127.0.0.1", True),
        ("127.1", True),
        ("2130706433", True),
        ("0x7f000001", True),
        ("::ffff:127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("10.1.2.3", True),
        ("100.64.0.1", True),  # carrier-grade NAT, not "private" to ipaddress
        ("169.254.169.254", True),
        ("www.state.gov", False),
        ("8.8.8.8", False),
    ],
)
def test_internal_hosts_in_every_spelling(host: str, internal: bool) -> None:
    assert is_internal_host(host) is internal
