"""Adaptive polling's quick poll costs one request a host: the feed (a conditional GET),
with robots.txt from the copy the full walk kept; feed links known to be gone or stored
under another URL are not fetched again. A full walk still reads every path."""

from __future__ import annotations

import shutil
from pathlib import Path

from crawl_helpers import SITES, loopback_settings, reset_stats
from sqlalchemy import select

from monitor.crawl.runner import run_crawl
from monitor.store import models
from monitor.store.db import Database
from monitor.testing.sites import Sites
from spiders import SOURCES

STATE = SOURCES["state_dept"]
FEED = "/rss-feed/press-releases/feed/"
GONE = "/releases/office-of-the-spokesperson/2026/11/statement-on-the-situation-in-suwayda/"
MOVED = "/releases/2026/11/support-for-syria-civil-defense/"  # 301 to a page stored as such


def test_a_quick_poll_reads_the_feed_alone_and_robots_txt_from_the_store(
    sites: Sites, db: Database
) -> None:
    settings = loopback_settings(sites, "state_dept")
    full = run_crawl(STATE, settings, db)
    assert {"feed", "home", "listing"} <= set(full.paths)
    server = sites.servers["www.state.gov"]
    reset_stats(sites)

    quick = run_crawl(STATE, settings, db, quick=True)

    assert dict(server.stats.paths) == {FEED: 1}  # no robots.txt, no home page, no listing
    assert (quick.mode, quick.requests, quick.not_modified) == ("quick", 1, 1)
    assert quick.outcome == "ok"  # the paths it does not read are not missed
    with db.session() as session:
        assert session.get(models.CrawlRun, quick.run_id).mode == "quick"


def test_a_quick_poll_without_a_kept_robots_txt_reads_it(sites: Sites, db: Database) -> None:
    settings = loopback_settings(sites, "state_dept")
    run_crawl(STATE, settings, db)
    with db.session() as session:
        session.execute(models.RobotsTxt.__table__.delete())
    reset_stats(sites)

    run_crawl(STATE, settings, db, quick=True)

    assert sites.servers["www.state.gov"].stats.paths["/robots.txt"] == 1


def test_feed_links_that_were_gone_or_moved_are_not_fetched_again(
    tmp_path: Path, db: Database
) -> None:
    root = tmp_path / "sites"
    shutil.copytree(SITES, root)
    with Sites(root) as running:
        settings = loopback_settings(running, "state_dept")
        server = running.servers["www.state.gov"]
        run_crawl(STATE, settings, db)
        assert server.stats.paths[GONE] == server.stats.paths[MOVED] == 1
        feed = root / "www.state.gov" / FEED.strip("/") / "index.xml"
        feed.write_text(feed.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a 200
        reset_stats(running)

        again = run_crawl(STATE, settings, db, quick=True)

    assert dict(server.stats.paths) == {FEED: 1}
    assert again.failed == 0
    with db.session() as session:
        states = dict(
            session.execute(
                select(models.FetchState.url, models.FetchState.last_status).where(
                    models.FetchState.url.like("%/releases/%")
                )
            ).all()
        )
    assert states == {f"https://www.state.gov{GONE}": 404, f"https://www.state.gov{MOVED}": 301}
