"""robots.txt fails closed (RFC 9309; shared/reliability.md A9): an answer that is not a
robots file, a server error, a timeout, a refused connection or a DNS failure crawl nothing
on that host beyond robots.txt, are counted, and are read again by the next crawl; 404 and
410 allow everything. One crawl covers one host per case (`CASES`); each test reads its
hosts' outcome from the site servers' request logs and the store."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from crawl_helpers import loopback_settings, stored_urls
from sqlalchemy import select

from monitor.config import NotifySettings, Settings
from monitor.crawl.robots import is_robots_file, judge
from monitor.crawl.runner import run_crawl
from monitor.crawl.summary import CrawlSummary
from monitor.service import health
from monitor.store import models
from monitor.store.db import Database
from monitor.store.migrate import upgrade
from monitor.store.models import utcnow
from monitor.testing.sites import Sites
from spiders import SOURCES
from spiders.base import Source

TEMPLATE = Path(__file__).parent / "fixtures" / "robots_host"
ALLOW_ALL = "User-agent: *\nDisallow:\n"
SITE_PATHS = {"/robots.txt", "/", "/feed.xml", "/releases/one/", "/private/note/"}
DOWNLOAD_TIMEOUT = 1.0


@dataclass(frozen=True)
class Case:
    robots: str | None = None  # robots.txt file; None: no file (404)
    route: dict[str, Any] | None = None  # the server's answer to /robots.txt instead
    base: str | None = None  # a base URL that no server answers


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


CASES = {
    "absent-404.test": Case(),
    "gone-410.test": Case(route={"status": 410}),
    "rules.test": Case(robots="User-agent: *\nDisallow: /private/\n"),
    "disallow-all.test": Case(robots="User-agent: *\nDisallow: /\n"),
    "error-503.test": Case(route={"status": 503}),
    "too-slow.test": Case(robots=ALLOW_ALL, route={"delay": DOWNLOAD_TIMEOUT * 2}),
    "html-page.test": Case(route={"file": "_not_found.html"}),  # 200 text/html, allow-all inside
    "refused.test": Case(base=f"http://127.0.0.1:{_closed_port()}"),
    "no-dns.test": Case(base="http://no-dns.invalid"),
}
UNREADABLE = {  # host -> the failure recorded for its robots.txt
    "error-503.test": "http_503",
    "too-slow.test": "timeout",
    "html-page.test": "not_robots",
    "refused.test": "connection",
    "no-dns.test": "connection",
}


def make_source(hosts: list[str]) -> Source:
    """A source over the test hosts, each with the template's feed and two pages."""
    return replace(
        SOURCES["state_dept"],
        hosts=tuple(hosts),
        host_aliases=(),
        feeds=tuple(f"https://{h}/feed.xml" for h in hosts),
        listings=(),
        sitemaps=(),
        article_patterns=(r"^/releases/", r"^/private/"),
        crawl_delay=None,
    )


def write_sites(root: Path, cases: dict[str, Case]) -> None:
    for host, case in cases.items():
        if case.base:
            continue
        shutil.copytree(TEMPLATE, root / host)
        set_robots(root, host, case)


def set_robots(root: Path, host: str, case: Case) -> None:
    robots, site = root / host / "robots.txt", root / host / "_site.yaml"
    robots.unlink(missing_ok=True)
    if case.robots is not None:
        robots.write_text(case.robots, encoding="utf-8")
    routes = {"/robots.txt": case.route} if case.route else {}
    site.write_text(yaml.safe_dump({"routes": routes}), encoding="utf-8")


def settings_for(sites: Sites, cases: dict[str, Case], **crawl: Any) -> Settings:
    bases = {**sites.base_urls(), **{h: c.base for h, c in cases.items() if c.base}}
    return loopback_settings(
        sites, "state_dept", source={"base_urls": bases}, download_timeout=DOWNLOAD_TIMEOUT, **crawl
    )


@contextmanager
def stderr_into(path: Path) -> Iterator[None]:
    """The crawl process's log (it writes to the inherited fd 2) into a file."""
    saved = os.dup(2)
    with path.open("ab") as file:
        os.dup2(file.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass
class Crawled:
    summary: CrawlSummary
    requested: dict[str, set[str]]  # host -> paths its server was asked for
    stored: list[str]
    robots: dict[str, models.RobotsTxt]
    log: str


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("robots")
    write_sites(tmp / "sites", CASES)
    db = Database(f"sqlite:///{tmp / 'monitor.db'}")
    upgrade(db)
    with Sites(tmp / "sites") as sites, stderr_into(tmp / "crawl.log"):
        summary = run_crawl(make_source(list(CASES)), settings_for(sites, CASES), db)
        requested = {h: set(s.stats.paths) for h, s in sites.servers.items()}
    with db.session() as session:
        robots = {r.host: r for r in session.scalars(select(models.RobotsTxt))}
    yield Crawled(summary, requested, stored_urls(db, "state_dept"), robots,
                  (tmp / "crawl.log").read_text(encoding="utf-8"))
    db.dispose()


@pytest.mark.parametrize("host", ["absent-404.test", "gone-410.test"])
def test_no_robots_txt_allows_the_whole_host(crawled: Crawled, host: str) -> None:
    assert crawled.requested[host] == SITE_PATHS
    assert f"https://{host}/releases/one/" in crawled.stored
    assert f"https://{host}/private/note/" in crawled.stored
    assert crawled.robots[host].failures == 0 and crawled.robots[host].body is None


def test_rules_are_kept_and_obeyed(crawled: Crawled) -> None:
    host = "rules.test"
    assert crawled.requested[host] == SITE_PATHS - {"/private/note/"}
    assert f"https://{host}/releases/one/" in crawled.stored
    assert crawled.robots[host].body == CASES[host].robots
    assert crawled.robots[host].failures == 0


def test_disallow_all_crawls_nothing_beyond_robots_txt(crawled: Crawled) -> None:
    assert crawled.requested["disallow-all.test"] == {"/robots.txt"}
    assert crawled.summary.failures["discovery_robots"] == 1


@pytest.mark.parametrize("host", ["error-503.test", "too-slow.test", "html-page.test"])
def test_an_unreadable_robots_txt_crawls_nothing_beyond_it(crawled: Crawled, host: str) -> None:
    # the server logs a request once answered: the slow one's answer finds the client gone
    asked = {"/robots.txt"} if host != "too-slow.test" else set()
    assert crawled.requested[host] == asked
    assert not [url for url in crawled.stored if host in url]
    row = crawled.robots[host]
    assert (row.failures, row.last_error, row.fetched_at) == (1, UNREADABLE[host], None)
    assert f"robots.txt of {host} unreadable ({UNREADABLE[host]}" in crawled.log


@pytest.mark.parametrize("host", ["refused.test", "no-dns.test"])
def test_an_unreachable_host_is_not_crawled_past_robots_txt(crawled: Crawled, host: str) -> None:
    row = crawled.robots[host]
    assert (row.failures, row.last_error) == (1, UNREADABLE[host])
    # the feed was refused before any connection was tried: robots, not connection
    assert f"no discovery path worked for {host} (first: feed https://{host}/feed.xml, " \
           "robots_unavailable;" in crawled.log


def test_the_run_counts_every_unreadable_host(crawled: Crawled) -> None:
    assert dict(crawled.summary.failures) == {
        "discovery_robots": 1,
        "discovery_robots_unavailable": len(UNREADABLE),
        "robots": 1,  # /private/note/ on rules.test
    }
    assert crawled.summary.outcome == "partial"
    assert "discovery_connection" not in crawled.summary.failures


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"User-agent: *\nDisallow: /private/\n", True),
        (b"\xef\xbb\xbfuser-agent : *\r\nallow: /\r\n", True),
        (b"", True),  # an empty file has no rules: everything allowed
        (b"# nothing to say\n\n", True),
        (b"<html><body>Service unavailable</body></html>", False),
        (b"Sorry, we are down for maintenance.\n", False),
        (b"Server error\n<!-- User-agent: *\nDisallow: -->\n<html>", False),
        (b"User-agent: *\x00\x01\x02", False),
    ],
)
def test_what_counts_as_a_robots_file(body: bytes, expected: bool) -> None:
    assert is_robots_file(body) is expected


@pytest.mark.parametrize(
    ("status", "kind"), [(200, "rules"), (404, "absent"), (410, "absent"), (401, "absent"),
                         (429, "unreachable"), (500, "unreachable"), (503, "unreachable")]
)
def test_status_codes_follow_rfc_9309(status: int, kind: str) -> None:
    assert judge(status, ALLOW_ALL.encode()).kind == kind


def _with_operator_channel(settings: Settings) -> Settings:
    settings.notify = NotifySettings.model_validate(
        {"channels": {"ops": {"url": "json://127.0.0.1:9/", "tags": ["operator"]}}}
    )
    return settings


def test_the_last_good_copy_bridges_an_outage_for_a_bounded_time(tmp_path: Path, db: Database) -> None:
    host = "flaky.test"
    good = Case(robots="User-agent: *\nDisallow: /private/\n")
    write_sites(tmp_path, {host: good})
    source = make_source([host])
    with Sites(tmp_path) as sites:
        settings = _with_operator_channel(settings_for(sites, {host: good}))
        server = sites.servers[host]

        def crawl() -> tuple[CrawlSummary, set[str]]:
            server.stats.reset()
            summary = run_crawl(source, settings, db)
            return summary, set(server.stats.paths)

        crawl()  # reads and keeps the rules
        set_robots(tmp_path, host, Case(route={"status": 503}))
        (tmp_path / host / "releases" / "two").mkdir()
        shutil.copy(tmp_path / host / "releases/one/index.html", tmp_path / host / "releases/two/")
        feed = tmp_path / host / "feed.xml"
        feed.write_text(feed.read_text().replace(
            "<item>", "<item><title>Two</title><link>/releases/two/</link></item><item>", 1))

        stale, paths = crawl()  # the kept copy stands in: new page fetched, /private/ still not
        assert paths == {"/robots.txt", "/feed.xml", "/releases/two/"}
        assert stale.failures["robots_stale_copy"] == 1 and stale.outcome == "partial"

        with db.session() as session:  # two days later, the site still answers 503
            row = session.get_one(models.RobotsTxt, host)
            row.fetched_at = utcnow() - timedelta(hours=settings.crawl.robots_max_age_hours + 1)
        closed, paths = crawl()
        assert paths == {"/robots.txt"}
        assert closed.failures == {"discovery_robots_unavailable": 1}
        assert closed.outcome == "failed"
        conditions = health.check_and_alert(db, settings, "state_dept", utcnow())
        robots = [c for c in conditions if c.code == "robots"]
        assert robots and f"robots.txt of {host} unreadable 2 times in a row" in robots[0].reason
        assert "nothing there is crawled" in robots[0].reason
        with db.session() as session:
            notices = session.scalars(select(models.Alert.title).where(models.Alert.kind == "health"))
            assert any("is robots" in title for title in notices)

        set_robots(tmp_path, host, good)  # back: read again on the next poll
        healed, paths = crawl()
        assert "/robots.txt" in paths and healed.failures.get("discovery_robots_unavailable") is None
    with db.session() as session:
        row = session.get_one(models.RobotsTxt, host)
        assert (row.failures, row.failing_since, row.body) == (0, None, good.robots)
    assert not [c for c in health.check_and_alert(db, settings, "state_dept", utcnow())
                if c.code == "robots"]
