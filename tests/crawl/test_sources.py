"""Each source crawled from its loopback copy: exactly the expected pages, once."""

from __future__ import annotations

import zlib
from datetime import date, datetime
from urllib.parse import unquote, urlsplit

import pytest
from crawl_helpers import EXPECTED, canon, loopback_settings, reset_stats, stored_urls
from sqlalchemy import select

from monitor.crawl.runner import run_crawl
from monitor.crawl.summary import CrawlSummary
from monitor.domain import FeedEntry, RawPage
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.sites import Sites
from spiders import SOURCES
from spiders.base import first_page

KEYS = sorted(EXPECTED)


def discovery_urls(key: str) -> set[tuple[str, str]]:
    """(host, path) of everything an unchanged poll may request: robots.txt and the first
    discovery documents (a home page answering 304, its sections are not read again)."""
    source = SOURCES[key]
    urls = [
        *source.feeds,
        *source.sitemaps,
        *(first_page(t) for t in source.listings),
        *(t.format(page=1) for t in source.rest_urls()),
        *source.home_urls(),
        *source.sections,
    ]
    return {(h, "/robots.txt") for h in source.hosts} | {host_path(u) for u in urls}


def host_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.path


@pytest.mark.parametrize("key", KEYS)
def test_fresh_poll_backfill(key: str, sites: Sites, db: Database) -> None:
    """One database through a source's life: first crawl, unchanged poll, back-fill.
    (Kept in one test: every crawl is a child process, and the machine is shared.)"""
    expected = EXPECTED[key]["fresh"]
    settings = loopback_settings(sites, key)

    first = run_crawl(SOURCES[key], settings, db)

    assert stored_urls(db, key) == sorted(canon(u, key) for u in expected["stored"])
    assert (first.found, first.new) == (expected["found"], len(expected["stored"]))
    assert first.unchanged == expected.get("unchanged", 0)
    assert dict(first.failures) == expected["failed"]
    assert first.discovery == expected["discovery"]
    assert first.problems == []
    assert first.outcome == ("partial" if expected["failed"] else "ok")
    check_rows(db, key, first)
    check_extraction(db, key)

    reset_stats(sites)
    second = run_crawl(SOURCES[key], settings, db)

    assert second.new == 0 and second.failed == 0
    assert second.not_modified >= 1
    assert stored_urls(db, key) == sorted(canon(u, key) for u in expected["stored"])
    requested = {(h, unquote(p)) for h, s in sites.servers.items() for p in s.stats.paths}
    assert requested <= discovery_urls(key), "an unchanged site must not refetch articles"
    missing = {host_path(u) for u in expected.get("missing_probes", [])}
    assert not requested & missing, "a guessed feed that 404'd is not probed on every poll"

    if "backfill" not in EXPECTED[key]:
        return
    backfill = EXPECTED[key]["backfill"]
    summary = run_crawl(SOURCES[key], settings, db, since=backfill["since"])

    added = [canon(u, key) for u in backfill["added"]]
    assert stored_urls(db, key) == sorted([canon(u, key) for u in expected["stored"]] + added)
    assert summary.mode == "backfill" and summary.new == len(added)
    assert sorted(summary.discovery) == backfill["discovery"]


def check_rows(db: Database, key: str, summary: CrawlSummary) -> None:
    with db.session() as session:
        pages = list(
            session.scalars(select(models.RawPage).where(models.RawPage.source_key == key))
        )
        for page in pages:
            assert page.state == "pending"
            assert urlsplit(page.fetched_url).hostname == "127.0.0.1"
            assert b"<html" in zlib.decompress(page.body_z)
            assert page.headers["Content-Type"].startswith("text/html")
        # an article the feed lists keeps the feed's item (State's carries the full text),
        # whichever path reached it first
        with_feed = [p for p in pages if p.feed and p.feed["title"] and p.feed["content_html"]]
        assert len(with_feed) == EXPECTED[key]["fresh"].get("with_feed", 0)
        run = session.get(models.CrawlRun, summary.run_id)
        assert (run.outcome, run.new, run.found) == (summary.outcome, summary.new, summary.found)
        assert run.finished_at is not None
        assert session.get(models.Source, key).name == SOURCES[key].name
        states = {
            r.url: r
            for r in session.scalars(
                select(models.FetchState).where(models.FetchState.source_key == key)
            )
        }
        assert any(r.etag for r in states.values()), "validators kept for the next poll"


def check_extraction(db: Database, key: str) -> None:
    """The stored evidence is enough for extraction (skipped until monitor.extract exists)."""
    try:
        from monitor.extract import extract_page
    except ImportError:
        return
    expected = {canon(u, key): v for u, v in EXPECTED[key]["articles"].items()}
    with db.session() as session:
        rows = {
            r.url: r
            for r in session.scalars(select(models.RawPage).where(models.RawPage.url.in_(expected)))
        }
    assert set(rows) == set(expected)
    for url, want in expected.items():
        row = rows[url]
        page = RawPage(
            url=row.url,
            source=key,
            body=zlib.decompress(row.body_z),
            fetched_at=row.fetched_at,
            status=row.status,
            headers=row.headers,
            fetched_url=row.fetched_url,
            feed=FeedEntry(**row.feed) if row.feed else None,
        )
        article = extract_page(page, SOURCES[key].hints)
        assert (article.title, article.language) == (want["title"], want["language"]), url
        published = article.published
        day = published.date() if isinstance(published, datetime) else published
        assert day == date.fromisoformat(want["published"]), url
