"""Fetch faults (shared/reliability.md section A): each is logged and counted, and the
crawl goes on to the next article."""

from __future__ import annotations

import logging
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from crawl_helpers import FAULTS, loopback_settings, stored_urls

from monitor.config import Settings
from monitor.crawl.runner import run_crawl
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.sites import Sites
from spiders import SOURCES

STATE = SOURCES["state_dept"]
GOOD = [
    "https://www.state.gov/releases/f/2026/11/flaky/",  # 503 twice, then served
    "https://www.state.gov/releases/f/2026/11/good-one/",
    "https://www.state.gov/releases/f/2026/11/good-two/",
]


@pytest.fixture
def faulty() -> Iterator[Sites]:
    with Sites(FAULTS) as running:
        yield running


def test_each_fault_is_counted_and_later_articles_are_crawled(
    faulty: Sites,
    db: Database,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # the crawl process logs at the caller's level
    settings = loopback_settings(
        faulty,
        "state_dept",
        download_timeout=1,
        retry_times=2,
        max_crawl_delay=0.1,
        max_bytes=30_000,
        warn_bytes=10_000,
    )
    # without a declared delay, only robots.txt's Crawl-delay (capped at 0.1 s) slows it
    summary = run_crawl(replace(STATE, crawl_delay=None), settings, db)

    assert stored_urls(db, "state_dept") == GOOD
    assert summary.blocked == 1  # the decoy "Technical Difficulties" page, HTTP 200
    assert dict(summary.failures) == {
        "http_500": 1,
        "timeout": 1,
        "redirect_loop": 1,
        "offsite": 1,
        "unsafe_redirect": 1,  # to 127.0.0.1, a port no source host uses
        "robots": 1,
        "too_large": 1,
    }
    assert summary.outcome == "partial" and summary.new == 3
    flaky = faulty.servers["www.state.gov"].stats.paths["/releases/f/2026/11/flaky/"]
    assert flaky == 3  # retried after each 503, stored once
    log = capfd.readouterr().err
    for reason in (
        "http_500",
        "timeout",
        "redirect_loop",
        "offsite",
        "robots",
        "decoy page",
        "too_large",
    ):
        assert reason in log
    assert "robots.txt crawl-delay 0.1s applied" in log
    assert "evil.example" not in {r for s in faulty.servers.values() for r in s.stats.paths}
    with db.session() as session:
        run = session.get(models.CrawlRun, summary.run_id)
        assert (run.failed, run.blocked, run.outcome) == (7, 1, "partial")
        assert "timeout: 1" in run.error
        # the feed led to pages worth retrying: no validators, so the next poll re-reads it
        feed = STATE.feeds[0]
        assert session.get(models.FetchState, feed) is None


def test_non_browser_user_agent_gets_the_decoy_and_nothing_is_stored(
    sites: Sites, db: Database
) -> None:
    settings = loopback_settings(sites, "state_dept", user_agent="python-requests/2.32.3")

    summary = run_crawl(STATE, settings, db)

    # robots.txt is the decoy too: not a robots file, so the host is not crawled at all
    assert (summary.outcome, summary.blocked, summary.new) == ("blocked", 1, 0)
    assert dict(summary.failures) == {"discovery_robots_unavailable": 1}
    assert stored_urls(db, "state_dept") == []


def test_retry_after_is_honoured_before_the_retry(tmp_path: Path, db: Database) -> None:
    root = tmp_path / "sites"
    shutil.copytree(FAULTS, root)
    (root / "www.state.gov" / "_site.yaml").write_text(
        "routes:\n  /releases/f/2026/11/good-one/:\n"
        '    {fail_times: 1, fail_status: 429, fail_headers: {Retry-After: "2"}}\n'
    )
    with Sites(root) as running:
        settings = loopback_settings(running, "state_dept", retry_times=1)
        summary = run_crawl(STATE, settings, db)
        times = running.servers["www.state.gov"].stats.times["/releases/f/2026/11/good-one/"]

    assert len(times) == 2 and times[1] - times[0] >= 2.0
    assert "https://www.state.gov/releases/f/2026/11/good-one/" in stored_urls(db, "state_dept")
    assert "http_429" not in summary.failures


def test_page_cap_leaves_the_rest_for_the_next_run(sites: Sites, db: Database) -> None:
    # the feed and the home page, whose sections the cap leaves for later too
    rt = replace(SOURCES["rt_arabic"], feeds=SOURCES["rt_arabic"].feeds[:1], sitemaps=(), sections=())
    settings = loopback_settings(sites, "rt_arabic", source={"max_pages": 4})

    first = run_crawl(rt, settings, db)
    second = run_crawl(rt, settings, db)

    assert (first.new, first.capped) == (2, 2)
    assert (second.new, second.unchanged) == (2, 2)  # the feed was not trusted to a 304
    assert len(stored_urls(db, "rt_arabic")) == 4


def test_crawl_time_limit_ends_the_run_with_a_record(faulty: Sites, db: Database) -> None:
    settings = loopback_settings(
        faulty, "state_dept", source={"timeout_minutes": 0.03}, download_timeout=30
    )

    summary = run_crawl(STATE, settings, db)

    assert summary.outcome == "timeout"
    with db.session() as session:
        assert session.get(models.CrawlRun, summary.run_id).outcome == "timeout"


def test_in_memory_database_is_refused() -> None:
    with pytest.raises(ValueError, match="memory"):
        run_crawl(STATE, Settings(), Database("sqlite://"))


def test_a_store_error_is_counted_and_the_feed_reread_next_time(sites: Sites, db: Database) -> None:
    rt = SOURCES["rt_arabic"]
    settings = loopback_settings(sites, "rt_arabic")
    with db.engine.begin() as conn:  # every insert fails, as on a full disk
        conn.exec_driver_sql(
            "CREATE TRIGGER full BEFORE INSERT ON raw_pages "
            "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END"
        )

    broken = run_crawl(rt, settings, db)

    assert (broken.new, broken.failed, broken.outcome) == (0, 5, "failed")
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER full")
    healed = run_crawl(rt, settings, db)
    # the feed and the sitemap that led to the lost pages are read again, not trusted to a 304
    assert healed.new == 5
    assert (healed.paths["feed"].not_modified, healed.paths["sitemap"].pages) == (0, 2)


def test_a_site_that_refuses_connections_fails_the_run_cleanly(db: Database) -> None:
    settings = Settings.model_validate(
        {
            "crawl": {"download_delay": 0, "max_crawl_delay": 0, "retry_times": 0},
            "sources": {"state_dept": {"base_urls": {"www.state.gov": "http://127.0.0.1:9"}}},
        }
    )

    summary = run_crawl(STATE, settings, db)

    # robots.txt is the first request: unreadable, so nothing else is even tried
    assert (summary.outcome, dict(summary.failures)) == (
        "failed",
        {"discovery_robots_unavailable": 1},
    )


def test_a_self_signed_certificate_is_refused_not_ignored(tmp_path: Path, db: Database) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=www.state.gov",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Anything)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings.model_validate(
            {
                "crawl": {"download_delay": 0, "max_crawl_delay": 0, "retry_times": 0},
                "sources": {
                    "state_dept": {
                        "base_urls": {
                            "www.state.gov": f"https://127.0.0.1:{server.server_address[1]}"
                        }
                    }
                },
            }
        )
        summary = run_crawl(STATE, settings, db)
    finally:
        server.shutdown()

    assert summary.outcome == "failed" and summary.new == 0
    assert stored_urls(db, "state_dept") == []


class _Anything(BaseHTTPRequestHandler):
    """A feed with one item, and that item: with TLS unchecked, one page would be stored."""

    FEED = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        b"<title>x</title><link>https://www.state.gov/releases/x/</link></item>"
        b"</channel></rss>"
    )

    def do_GET(self) -> None:
        feed = "feed" in self.path
        body = self.FEED if feed else b"<html><title>x</title><p>x</p></html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml" if feed else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass
